package store

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"tether/server/protocol"
)

func TestListProvidersCountsUsage(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		e.clock.Advance(time.Minute) // oldest first
		other, olga, _ := e.otherProvider(t)
		e.newSession(t, "AAAAAA")
		ended := e.newSession(t, "BBBBBB")
		if _, _, err := e.s.EndSession(ctx, ended.ID, "done", ActorSystem); err != nil {
			t.Fatal(err)
		}
		if _, err := e.s.CreateUser(ctx, User{ProviderID: e.p.ID, Email: "eve@acme.test", Name: "Eve"}); err != nil {
			t.Fatal(err)
		}
		gone, err := e.s.CreateUser(ctx, User{ProviderID: e.p.ID, Email: "gus@acme.test", Name: "Gus"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.s.DisableUser(ctx, e.p.ID, gone.ID); err != nil {
			t.Fatal(err)
		}
		if err := e.s.SetQuotas(ctx, other.ID, Quotas{MaxEngineers: 3, MaxSessions: 2, MaxDesks: 1}); err != nil {
			t.Fatal(err)
		}
		ps, err := e.s.ListProviders(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(ps) != 2 || ps[0].ID != e.p.ID || ps[1].ID != other.ID {
			t.Fatalf("ListProviders = %+v, want acme then other", ps)
		}
		a, o := ps[0], ps[1]
		if a.OwnerEmail != "ada@acme.test" || a.OwnerName != "Ada Owner" || a.Engineers != 2 || a.LiveSessions != 1 || a.Desks != 1 {
			t.Errorf("acme summary = owner %q %q, engineers %d, live %d, desks %d; want ada, 2 active, 1 live, 1 desk",
				a.OwnerName, a.OwnerEmail, a.Engineers, a.LiveSessions, a.Desks)
		}
		if o.OwnerEmail != olga.Email || o.Engineers != 1 || o.LiveSessions != 0 || o.Quotas != (Quotas{3, 2, 1}) {
			t.Errorf("other summary = %+v", o)
		}
	})
}

func TestSetQuotasValidates(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		for _, q := range []Quotas{{MaxEngineers: -1}, {MaxSessions: MaxQuota + 1}, {MaxDesks: -5}} {
			if err := e.s.SetQuotas(ctx, e.p.ID, q); !errors.Is(err, ErrInvalidArgument) {
				t.Errorf("SetQuotas(%+v) = %v, want ErrInvalidArgument", q, err)
			}
		}
		if err := e.s.SetQuotas(ctx, "nope", Quotas{}); !errors.Is(err, ErrNotFound) {
			t.Errorf("SetQuotas(unknown) = %v, want ErrNotFound", err)
		}
		if err := e.s.SetQuotas(ctx, e.p.ID, Quotas{MaxEngineers: 1, MaxSessions: 1}); err != nil {
			t.Fatal(err)
		}
		// The owner is the one engineer and the quota is one: the next is refused, with the limit.
		_, err := e.s.CreateUser(ctx, User{ProviderID: e.p.ID, Email: "eve@acme.test", Name: "Eve"})
		var qe *QuotaError
		if !errors.As(err, &qe) || qe.What != "engineers" || qe.Limit != 1 {
			t.Errorf("CreateUser over quota = %v, want QuotaError engineers 1", err)
		}
		e.newSession(t, "AAAAAA")
		_, err = e.s.CreateSession(ctx, NewSession{ProviderID: e.p.ID, DeskID: e.desk.ID, EngineerID: e.owner.ID,
			TokenHash: "t2", Code: "BBBBBB", ExpiresAt: e.clock.Now().Add(time.Hour)})
		if !errors.As(err, &qe) || qe.What != "concurrent sessions" || !errors.Is(err, ErrOverQuota) {
			t.Errorf("CreateSession over quota = %v, want QuotaError concurrent sessions", err)
		}
		// 0 lifts the limit.
		if err := e.s.SetQuotas(ctx, e.p.ID, Quotas{}); err != nil {
			t.Fatal(err)
		}
		e.newSession(t, "BBBBBB")
	})
}

func TestDisableProviderEndsSessionsAndSignIns(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		other, olga, _ := e.otherProvider(t)
		live := e.newSession(t, "AAAAAA")
		ended := e.newSession(t, "BBBBBB")
		if _, _, err := e.s.EndSession(ctx, ended.ID, "done", ActorSystem); err != nil {
			t.Fatal(err)
		}
		exp := e.clock.Now().Add(time.Hour)
		for _, l := range []struct{ hash, user string }{{"h-ada-1", e.owner.ID}, {"h-ada-2", e.owner.ID}, {"h-olga", olga.ID}} {
			if err := e.s.CreateLogin(ctx, l.hash, l.user, exp); err != nil {
				t.Fatal(err)
			}
		}
		hashes, endedNow, err := e.s.DisableProvider(ctx, e.p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(hashes) != 2 || len(endedNow) != 1 || endedNow[0].ID != live.ID || endedNow[0].EndReason != protocol.EndProviderDisabled {
			t.Fatalf("DisableProvider = %v, %+v; want acme's two sign-ins and its one live session", hashes, endedNow)
		}
		if _, _, err := e.s.LoginUser(ctx, "h-ada-1"); !errors.Is(err, ErrNotFound) {
			t.Errorf("acme's sign-in after disable: %v, want ErrNotFound", err)
		}
		if u, _, err := e.s.LoginUser(ctx, "h-olga"); err != nil || u.ID != olga.ID {
			t.Errorf("the other provider's sign-in: %v, %v; want untouched", u.ID, err)
		}
		p, err := e.s.ProviderByID(ctx, e.p.ID)
		if err != nil || !p.Disabled() {
			t.Errorf("provider after disable: disabled %v, %v", p.Disabled(), err)
		}
		// A disabled provider opens nothing new.
		_, err = e.s.CreateSession(ctx, NewSession{ProviderID: e.p.ID, DeskID: e.desk.ID, EngineerID: e.owner.ID,
			TokenHash: "t3", Code: "CCCCCC", ExpiresAt: exp})
		if !errors.Is(err, ErrProviderDisabled) {
			t.Errorf("CreateSession of a disabled provider = %v, want ErrProviderDisabled", err)
		}
		// Again: idempotent, nothing left to end.
		if hashes, endedNow, err := e.s.DisableProvider(ctx, e.p.ID); err != nil || len(hashes) != 0 || len(endedNow) != 0 {
			t.Errorf("second DisableProvider = %v, %v, %v", hashes, endedNow, err)
		}
		if _, _, err := e.s.DisableProvider(ctx, "nope"); !errors.Is(err, ErrNotFound) {
			t.Errorf("DisableProvider(unknown) = %v, want ErrNotFound", err)
		}
		if err := e.s.SetProviderDisabled(ctx, e.p.ID, false); err != nil {
			t.Fatal(err)
		}
		e.newSession(t, "CCCCCC")
		if o, err := e.s.ProviderByID(ctx, other.ID); err != nil || o.Disabled() {
			t.Errorf("the other provider: disabled %v, %v", o.Disabled(), err)
		}
	})
}

func TestSignupOpenSwitch(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		if open, err := e.s.SignupOpen(ctx); err != nil || open {
			t.Fatalf("SignupOpen at first = %v, %v; want false", open, err)
		}
		if err := e.s.SetSignupOpen(ctx, true); err != nil {
			t.Fatal(err)
		}
		if open, err := e.s.SignupOpen(ctx); err != nil || !open {
			t.Fatalf("SignupOpen after opening = %v, %v; want true", open, err)
		}
	})
}

func TestConfirmSignupCreatesOnce(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		su := Signup{TokenHash: "sign-1", ProviderName: "Globex", OwnerName: "Gil", Email: " Gil@Globex.Test ",
			PasswordHash: "pw", ExpiresAt: e.clock.Now().Add(24 * time.Hour)}
		if err := e.s.CreateSignup(ctx, su); err != nil {
			t.Fatal(err)
		}
		if err := e.s.CreateSignup(ctx, Signup{TokenHash: "x"}); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("CreateSignup(empty) = %v, want ErrInvalidArgument", err)
		}
		got, err := e.s.SignupByToken(ctx, "sign-1")
		if err != nil || got.Email != "gil@globex.test" || got.ProviderName != "Globex" {
			t.Fatalf("SignupByToken = %+v, %v", got, err)
		}
		// Two confirmations race: one provider.
		var wg sync.WaitGroup
		errs := make([]error, 4)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, _, errs[i] = e.s.ConfirmSignup(ctx, "sign-1")
			}()
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case !errors.Is(err, ErrNotFound):
				t.Errorf("ConfirmSignup: %v", err)
			}
		}
		if ok != 1 {
			t.Errorf("%d confirmations succeeded, want 1 (%v)", ok, errs)
		}
		users, err := e.s.UsersByEmail(ctx, "gil@globex.test")
		if err != nil || len(users) != 1 || users[0].Role != RoleOwner || users[0].PasswordHash != "pw" || users[0].Operator {
			t.Fatalf("owner after confirm = %+v, %v", users, err)
		}
		if _, err := e.s.SignupByToken(ctx, "sign-1"); !errors.Is(err, ErrNotFound) {
			t.Errorf("sign-up after confirm: %v, want ErrNotFound", err)
		}
		// An expired sign-up cannot be confirmed, and the purge removes it.
		if err := e.s.CreateSignup(ctx, Signup{TokenHash: "sign-2", ProviderName: "Late", OwnerName: "L", Email: "l@late.test",
			PasswordHash: "pw", ExpiresAt: e.clock.Now().Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(time.Hour)
		if _, _, err := e.s.ConfirmSignup(ctx, "sign-2"); !errors.Is(err, ErrNotFound) {
			t.Errorf("ConfirmSignup(expired) = %v, want ErrNotFound", err)
		}
		if n, err := e.s.PurgeExpiredSignups(ctx); err != nil || n != 1 {
			t.Errorf("PurgeExpiredSignups = %d, %v; want 1", n, err)
		}
	})
}

func TestPasswordLinkSetsPasswordOnce(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		_, owner, err := e.s.CreateProviderWithOwner(ctx, "Initech", "Ivy", "ivy@initech.test", "")
		if err != nil {
			t.Fatal(err)
		}
		exp := e.clock.Now().Add(72 * time.Hour)
		for _, h := range []string{"link-1", "link-2"} {
			if err := e.s.CreatePasswordLink(ctx, h, owner.ID, exp); err != nil {
				t.Fatal(err)
			}
		}
		// A new link replaces the earlier one.
		if _, err := e.s.PasswordLinkUser(ctx, "link-1"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("PasswordLinkUser(replaced link) = %v, want ErrNotFound", err)
		}
		if u, err := e.s.PasswordLinkUser(ctx, "link-2"); err != nil || u.ID != owner.ID {
			t.Fatalf("PasswordLinkUser = %v, %v", u.ID, err)
		}
		u, _, err := e.s.ResetPassword(ctx, "link-2", "new-hash")
		if err != nil || u.PasswordHash != "new-hash" {
			t.Fatalf("ResetPassword = %+v, %v", u, err)
		}
		stored, err := e.s.UserByID(ctx, owner.ProviderID, owner.ID)
		if err != nil || stored.PasswordHash != "new-hash" {
			t.Errorf("stored password hash = %q, %v", stored.PasswordHash, err)
		}
		// Every link of the user is spent.
		for _, h := range []string{"link-1", "link-2"} {
			if _, _, err := e.s.ResetPassword(ctx, h, "again"); !errors.Is(err, ErrNotFound) {
				t.Errorf("ResetPassword(%s) after use = %v, want ErrNotFound", h, err)
			}
		}
		if err := e.s.CreatePasswordLink(ctx, "link-3", owner.ID, e.clock.Now().Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(time.Minute)
		if _, err := e.s.PasswordLinkUser(ctx, "link-3"); !errors.Is(err, ErrNotFound) {
			t.Errorf("expired link: %v, want ErrNotFound", err)
		}
	})
}
