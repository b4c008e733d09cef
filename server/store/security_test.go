package store

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestProfileAndSignIns(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		_, olga, _ := e.otherProvider(t)
		u, err := e.s.UpdateProfile(ctx, e.p.ID, e.owner.ID, Profile{FirstName: "Ada", LastName: "Lovelace", EmployeeNo: "A-1",
			Department: "Support", Country: "GB", Language: "de", TimeZone: "Europe/London", Clock12h: true})
		if err != nil || u.Name != "Ada Lovelace" || u.EmployeeNo != "A-1" || u.TimeZone != "Europe/London" || !u.Clock12h {
			t.Fatalf("UpdateProfile: %v %+v", err, u)
		}
		// Another provider's user is not found through this provider.
		if _, err := e.s.UpdateProfile(ctx, e.p.ID, olga.ID, Profile{FirstName: "X"}); !errors.Is(err, ErrNotFound) {
			t.Fatalf("UpdateProfile of another provider's user: %v", err)
		}
		if old, err := e.s.SetPhoto(ctx, e.p.ID, e.owner.ID, "photos/a.jpg"); err != nil || old != "" {
			t.Fatal(old, err)
		}
		if old, err := e.s.SetPhoto(ctx, e.p.ID, e.owner.ID, ""); err != nil || old != "photos/a.jpg" {
			t.Fatal(old, err)
		}
		for _, h := range []string{"h1", "h2", "h3"} {
			if err := e.s.CreateLogin(ctx, h, e.owner.ID, e.clock.Now().Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
		}
		if err := e.s.CreateLogin(ctx, "olga", olga.ID, e.clock.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := e.s.NoteLogin(ctx, "h2", "Mozilla/5.0 Firefox/140.0", "192.0.2.7"); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(10 * time.Minute)
		if err := e.s.TouchLogin(ctx, "h3", "192.0.2.9", 5*time.Minute); err != nil {
			t.Fatal(err)
		}
		logins, err := e.s.UserLogins(ctx, e.owner.ID)
		if err != nil || len(logins) != 3 || logins[0].TokenHash != "h3" || logins[0].Address != "192.0.2.9" {
			t.Fatalf("UserLogins: %v %+v", err, logins)
		}
		if err := e.s.EndUserLogin(ctx, e.owner.ID, "olga"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("ending another user's sign-in: %v", err)
		}
		ended, err := e.s.ChangePassword(ctx, e.owner.ID, "new-hash", "h2")
		if err != nil || len(ended) != 2 {
			t.Fatalf("ChangePassword: %v %v", ended, err)
		}
		if _, _, err := e.s.LoginUser(ctx, "h2"); err != nil {
			t.Fatalf("the kept sign-in: %v", err)
		}
		if _, _, err := e.s.LoginUser(ctx, "olga"); err != nil {
			t.Fatalf("another user's sign-in was ended: %v", err)
		}
	})
}

func TestTwoFactorStore(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		id := e.owner.ID
		if err := e.s.StartTOTP(ctx, id, "sealed-1"); err != nil {
			t.Fatal(err)
		}
		if err := e.s.StartTOTP(ctx, id, "sealed-2"); err != nil {
			t.Fatal(err)
		}
		// Confirming the secret of an enrolment that was restarted is refused.
		if err := e.s.EnableTOTP(ctx, id, "sealed-1", 100, []string{"a"}); !errors.Is(err, ErrNotAllowed) {
			t.Fatalf("EnableTOTP with a replaced secret: %v", err)
		}
		if err := e.s.EnableTOTP(ctx, id, "sealed-2", 100, []string{"a", "b", "c"}); err != nil {
			t.Fatal(err)
		}
		u, _ := e.s.UserByID(ctx, e.p.ID, id)
		if !u.TwoFactor() || u.TOTPLastStep != 100 {
			t.Fatalf("after EnableTOTP: %+v", u.Security)
		}
		if err := e.s.StartTOTP(ctx, id, "sealed-3"); !errors.Is(err, ErrNotAllowed) {
			t.Fatalf("StartTOTP while on: %v", err)
		}
		for _, tc := range []struct {
			step int64
			ok   bool
		}{{100, false}, {99, false}, {101, true}, {101, false}, {103, true}, {102, false}} {
			if ok, err := e.s.UseTOTPStep(ctx, id, tc.step); err != nil || ok != tc.ok {
				t.Fatalf("UseTOTPStep(%d) = %v, %v", tc.step, ok, err)
			}
		}
		if ok, err := e.s.UseRecoveryCode(ctx, id, "b"); err != nil || !ok {
			t.Fatal(ok, err)
		}
		if ok, err := e.s.UseRecoveryCode(ctx, id, "b"); err != nil || ok {
			t.Fatalf("a recovery code used twice: %v %v", ok, err)
		}
		if n, err := e.s.RecoveryCodesLeft(ctx, id); err != nil || n != 2 {
			t.Fatal(n, err)
		}
		if err := e.s.NewRecoveryCodes(ctx, id, []string{"x"}); err != nil {
			t.Fatal(err)
		}
		if ok, _ := e.s.UseRecoveryCode(ctx, id, "a"); ok {
			t.Fatal("an old recovery code works after new ones")
		}
		if err := e.s.DisableTOTP(ctx, id); err != nil {
			t.Fatal(err)
		}
		u, _ = e.s.UserByID(ctx, e.p.ID, id)
		if u.TwoFactor() || u.TOTPSecret != "" || u.TOTPLastStep != 0 {
			t.Fatalf("after DisableTOTP: %+v", u.Security)
		}
		if n, _ := e.s.RecoveryCodesLeft(ctx, id); n != 0 {
			t.Fatal(n)
		}
		if err := e.s.SetRequire2FA(ctx, e.p.ID, true); err != nil {
			t.Fatal(err)
		}
		if p, _ := e.s.ProviderByID(ctx, e.p.ID); !p.Require2FA {
			t.Fatal("Require2FA not stored")
		}
	})
}

func TestDeleteAccountKeepsHistory(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		if _, _, err := e.s.DeleteAccount(ctx, e.p.ID, e.owner.ID); !errors.Is(err, ErrNotAllowed) {
			t.Fatalf("the owner deletes their account: %v", err)
		}
		ed, err := e.s.CreateUser(ctx, User{ProviderID: e.p.ID, Email: "ed@acme.test", Name: "Ed Engineer", PasswordHash: "h"}, e.desk.ID)
		if err != nil {
			t.Fatal(err)
		}
		sess, err := e.s.CreateSession(ctx, NewSession{ProviderID: e.p.ID, DeskID: e.desk.ID, EngineerID: ed.ID, CustomerName: "Carl",
			TokenHash: "tok-" + NewID(), CodeTokenHash: "ctok-" + NewID(), Code: "ABCDEF", ExpiresAt: e.clock.Now().Add(time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		if err := e.s.CreateLogin(ctx, "ed-login", ed.ID, e.clock.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if _, err := e.s.SetPhoto(ctx, e.p.ID, ed.ID, "photos/ed.jpg"); err != nil {
			t.Fatal(err)
		}
		ended, photo, err := e.s.DeleteAccount(ctx, e.p.ID, ed.ID)
		if err != nil || len(ended) != 1 || photo != "photos/ed.jpg" {
			t.Fatalf("DeleteAccount: %v %v %q", ended, err, photo)
		}
		got, err := e.s.SessionByID(ctx, e.p.ID, sess.ID)
		if err != nil || got.EngineerID != ed.ID {
			t.Fatalf("the session after delete: %v %+v", err, got)
		}
		u, err := e.s.UserByID(ctx, e.p.ID, ed.ID)
		if err != nil || u.Name != "Ed Engineer" || u.DeletedAt == nil || !u.Disabled() || u.Email == "ed@acme.test" || u.PasswordHash != "" {
			t.Fatalf("the deleted user's row: %v %+v", err, u)
		}
		members, _ := e.s.TeamMembers(ctx, e.p.ID)
		for _, m := range members {
			if m.User.ID == ed.ID {
				t.Fatal("a deleted account is on the team list")
			}
		}
		if _, err := e.s.ReactivateUser(ctx, e.p.ID, e.owner.ID, ed.ID); !errors.Is(err, ErrNotFound) {
			t.Fatalf("reactivating a deleted account: %v", err)
		}
		if _, err := e.s.CreateSelfReset(ctx, e.p.ID, ed.ID, "reset-hash", e.clock.Now().Add(time.Hour)); !errors.Is(err, ErrNotFound) {
			t.Fatalf("a reset link for a deleted account: %v", err)
		}
	})
}
