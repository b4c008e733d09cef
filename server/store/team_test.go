package store

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"
)

func TestCanManageAndGrant(t *testing.T) {
	owner := User{ID: "o", ProviderID: "p", Role: RoleOwner, Name: "Olive"}
	admin := User{ID: "a", ProviderID: "p", Role: RoleAdmin}
	admin2 := User{ID: "a2", ProviderID: "p", Role: RoleAdmin}
	eng := User{ID: "e", ProviderID: "p", Role: RoleEngineer}
	eng2 := User{ID: "e2", ProviderID: "p", Role: RoleEngineer}
	foreign := User{ID: "f", ProviderID: "q", Role: RoleEngineer}
	manage := []struct {
		name          string
		actor, target User
		want          error
	}{
		{"owner manages admin", owner, admin, nil},
		{"owner manages engineer", owner, eng, nil},
		{"admin manages engineer", admin, eng, nil},
		{"admin cannot manage admin", admin, admin2, ErrNotAllowed},
		{"admin cannot manage owner", admin, owner, ErrNotAllowed},
		{"engineer manages nobody", eng, eng2, ErrNotAllowed},
		{"nobody manages themselves", owner, owner, ErrNotAllowed},
		{"another provider's user is unknown", owner, foreign, ErrNotFound},
	}
	for _, tt := range manage {
		t.Run(tt.name, func(t *testing.T) {
			if err := CanManage(tt.actor, tt.target); !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Fatalf("CanManage = %v, want %v", err, tt.want)
			}
		})
	}
	grant := []struct {
		name  string
		actor User
		role  Role
		want  error
	}{
		{"owner makes admins", owner, RoleAdmin, nil},
		{"admin makes engineers", admin, RoleEngineer, nil},
		{"admin cannot make admins", admin, RoleAdmin, ErrNotAllowed},
		{"engineer makes nobody", eng, RoleEngineer, ErrNotAllowed},
		{"owner only by transfer", owner, RoleOwner, ErrInvalidArgument},
		{"unknown role", owner, "root", ErrInvalidArgument},
	}
	for _, tt := range grant {
		t.Run(tt.name, func(t *testing.T) {
			if err := CanGrant(tt.actor, tt.role); !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Fatalf("CanGrant = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestInvitations(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		_, otherOwner, otherDesk := e.otherProvider(t)
		second, err := e.s.db.NewInsert().Model(&Desk{ID: NewID(), ProviderID: e.p.ID, Name: "Billing", CreatedAt: e.clock.Now()}).Exec(ctx)
		if err != nil || second == nil {
			t.Fatal(err)
		}
		var billing Desk
		if err := e.s.db.NewSelect().Model(&billing).Where("provider_id = ? AND name = ?", e.p.ID, "Billing").Scan(ctx); err != nil {
			t.Fatal(err)
		}
		admin, err := e.s.CreateUser(ctx, User{ProviderID: e.p.ID, Email: "al@acme.test", Name: "Al Admin", Role: RoleAdmin})
		if err != nil {
			t.Fatal(err)
		}
		week := e.clock.Now().Add(7 * 24 * time.Hour)
		invite := func(actor, email string, role Role, desks ...string) (AccountToken, error) {
			return e.s.CreateInvite(ctx, NewInvite{ProviderID: e.p.ID, ActorID: actor, Email: email, Name: "New Person", Role: role,
				DeskIDs: desks, TokenHash: "hash-" + NewID(), Expires: week})
		}
		tests := []struct {
			name  string
			actor string
			email string
			role  Role
			desks []string
			want  error
		}{
			{"admin invites an engineer to two desks", admin.ID, " Eve@Acme.test ", "", []string{e.desk.ID, billing.ID, billing.ID}, nil},
			{"owner invites an admin", e.owner.ID, "ann@acme.test", RoleAdmin, nil, nil},
			{"admin cannot invite an admin", admin.ID, "bob@acme.test", RoleAdmin, nil, ErrNotAllowed},
			{"email already on the team", admin.ID, "AL@acme.test", RoleEngineer, nil, ErrEmailTaken},
			{"desk of another provider", admin.ID, "cy@acme.test", RoleEngineer, []string{otherDesk.ID}, ErrNotFound},
			{"actor of another provider", otherOwner.ID, "dee@acme.test", RoleEngineer, nil, ErrNotFound},
			{"nobody is invited as owner", e.owner.ID, "fay@acme.test", RoleOwner, nil, ErrInvalidArgument},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				inv, err := invite(tt.actor, tt.email, tt.role, tt.desks...)
				if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
					t.Fatalf("CreateInvite = %v, want %v", err, tt.want)
				}
				if err == nil && (inv.Email != NormalizeEmail(tt.email) || len(inv.DeskIDs) != len(slices.Compact(tt.desks)) || inv.Kind != TokenInvite) {
					t.Fatalf("invitation %+v", inv)
				}
			})
		}
		invs, err := e.s.Invites(ctx, e.p.ID)
		if err != nil || len(invs) != 2 {
			t.Fatalf("Invites = %d, %v; want 2", len(invs), err)
		}
		if other, _ := e.s.Invites(ctx, otherOwner.ProviderID); len(other) != 0 {
			t.Fatalf("another provider sees %d invitations", len(other))
		}

		// A new invitation to the same email replaces the old link.
		old, _ := invite(admin.ID, "gil@acme.test", RoleEngineer)
		renewed, err := invite(admin.ID, "GIL@acme.test", RoleEngineer, billing.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.s.AccountTokenByHash(ctx, TokenInvite, old.TokenHash); !errors.Is(err, ErrNotFound) {
			t.Fatalf("the replaced link still works: %v", err)
		}

		// Accepting creates the account in the desks that still exist, once.
		if _, err := e.s.db.NewDelete().Model((*Desk)(nil)).Where("id = ?", billing.ID).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		u, err := e.s.AcceptInvite(ctx, renewed.TokenHash, "Gil Green", "pwhash")
		if err != nil || u.Email != "gil@acme.test" || u.Role != RoleEngineer || u.Name != "Gil Green" || u.ProviderID != e.p.ID {
			t.Fatalf("AcceptInvite = %+v, %v", u, err)
		}
		if _, err := e.s.AcceptInvite(ctx, renewed.TokenHash, "Gil Again", "pwhash"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("second use of a link: %v", err)
		}
		// The invited email may have an account at another provider: it is a separate account.
		cross, err := e.s.CreateInvite(ctx, NewInvite{ProviderID: otherOwner.ProviderID, ActorID: otherOwner.ID, Email: "eve@acme.test",
			TokenHash: "cross", Expires: week, DeskIDs: []string{otherDesk.ID}})
		if err != nil {
			t.Fatal(err)
		}
		i := slices.IndexFunc(invs, func(a AccountToken) bool { return a.Email == "eve@acme.test" })
		if i < 0 {
			t.Fatal("Eve's invitation is not listed")
		}
		eve := invs[i]
		if _, err := e.s.AcceptInvite(ctx, eve.TokenHash, "Eve", "h1"); err != nil {
			t.Fatal(err)
		}
		if u, err := e.s.AcceptInvite(ctx, cross.TokenHash, "Eve at Other", "h2"); err != nil || u.ProviderID != otherOwner.ProviderID {
			t.Fatalf("second provider's account: %+v, %v", u, err)
		}
		members, err := e.s.TeamMembers(ctx, e.p.ID)
		if err != nil {
			t.Fatal(err)
		}
		var eveDesks []string
		for _, m := range members {
			if m.Email == "eve@acme.test" {
				for _, d := range m.Desks {
					eveDesks = append(eveDesks, d.Name)
				}
			}
			if m.ProviderID != e.p.ID {
				t.Fatalf("TeamMembers lists %s of another provider", m.Email)
			}
		}
		if len(members) != 4 || !slices.Equal(eveDesks, []string{"Support"}) {
			t.Fatalf("%d members, Eve's desks %v", len(members), eveDesks)
		}

		// An expired link is refused like an unknown one; a revoked one too.
		late, _ := invite(e.owner.ID, "hal@acme.test", RoleEngineer)
		gone, _ := invite(admin.ID, "ivy@acme.test", RoleEngineer)
		adminInv, _ := invite(e.owner.ID, "jo@acme.test", RoleAdmin)
		if _, err := e.s.RevokeInvite(ctx, e.p.ID, admin.ID, adminInv.ID); !errors.Is(err, ErrNotAllowed) {
			t.Fatalf("admin revoked an admin invitation: %v", err)
		}
		if _, err := e.s.RevokeInvite(ctx, otherOwner.ProviderID, otherOwner.ID, gone.ID); !errors.Is(err, ErrNotFound) {
			t.Fatalf("another provider revoked: %v", err)
		}
		if _, err := e.s.RevokeInvite(ctx, e.p.ID, admin.ID, gone.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := e.s.AcceptInvite(ctx, gone.TokenHash, "Ivy", "h"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("revoked link: %v", err)
		}
		e.clock.Advance(7*24*time.Hour + time.Second)
		if _, err := e.s.AcceptInvite(ctx, late.TokenHash, "Hal", "h"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("expired link: %v", err)
		}
	})
}

func TestInvitationQuota(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		if _, err := e.s.db.NewUpdate().Model((*Provider)(nil)).Set("max_engineers = 3").Where("id = ?", e.p.ID).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		inv := func(email string) (AccountToken, error) {
			return e.s.CreateInvite(ctx, NewInvite{ProviderID: e.p.ID, ActorID: e.owner.ID, Email: email, TokenHash: "h-" + email,
				Expires: e.clock.Now().Add(time.Hour)})
		}
		// The owner plus two pending invitations fill three seats.
		first, err := inv("a@acme.test")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := inv("b@acme.test"); err != nil {
			t.Fatal(err)
		}
		_, err = inv("c@acme.test")
		var qe *QuotaError
		if !errors.As(err, &qe) || qe.Limit != 3 || qe.What != "engineers" || !errors.Is(err, ErrOverQuota) {
			t.Fatalf("fourth seat: %v", err)
		}
		// Renewing an invitation takes no extra seat.
		if _, err := inv("A@acme.test"); err != nil {
			t.Fatalf("renewing an invitation: %v", err)
		}
		if _, err := e.s.AcceptInvite(ctx, first.TokenHash, "A", "h"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("the renewed invitation's old link: %v", err)
		}
		u, err := e.s.AcceptInvite(ctx, "h-A@acme.test", "A", "h")
		if err != nil {
			t.Fatal(err)
		}
		// A deactivated user frees a seat; reactivating takes it again, within the quota.
		if _, _, err := e.s.DeactivateUser(ctx, e.p.ID, e.owner.ID, u.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := inv("c@acme.test"); err != nil {
			t.Fatalf("seat freed by deactivation: %v", err)
		}
		if _, err := e.s.ReactivateUser(ctx, e.p.ID, e.owner.ID, u.ID); !errors.As(err, &qe) {
			t.Fatalf("reactivation over quota: %v", err)
		}
		// Expired invitations hold no seat.
		e.clock.Advance(2 * time.Hour)
		if _, err := e.s.ReactivateUser(ctx, e.p.ID, e.owner.ID, u.ID); err != nil {
			t.Fatalf("reactivation once invitations expired: %v", err)
		}
	})
}

func TestRolesOwnershipAndDeactivation(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		_, otherOwner, _ := e.otherProvider(t)
		admin, _ := e.s.CreateUser(ctx, User{ProviderID: e.p.ID, Email: "al@acme.test", Name: "Al", Role: RoleAdmin})
		eng, _ := e.s.CreateUser(ctx, User{ProviderID: e.p.ID, Email: "eve@acme.test", Name: "Eve", Role: RoleEngineer})

		if _, err := e.s.ChangeRole(ctx, e.p.ID, admin.ID, eng.ID, RoleAdmin); !errors.Is(err, ErrNotAllowed) {
			t.Fatalf("admin promoted an engineer: %v", err)
		}
		if _, err := e.s.ChangeRole(ctx, e.p.ID, admin.ID, e.owner.ID, RoleEngineer); !errors.Is(err, ErrNotAllowed) {
			t.Fatalf("admin demoted the owner: %v", err)
		}
		if _, err := e.s.ChangeRole(ctx, e.p.ID, otherOwner.ID, eng.ID, RoleAdmin); !errors.Is(err, ErrNotFound) {
			t.Fatalf("another provider's owner changed a role: %v", err)
		}
		if u, err := e.s.ChangeRole(ctx, e.p.ID, e.owner.ID, eng.ID, RoleAdmin); err != nil || u.Role != RoleAdmin {
			t.Fatalf("owner made an admin: %+v, %v", u, err)
		}
		if _, err := e.s.ChangeRole(ctx, e.p.ID, e.owner.ID, eng.ID, RoleEngineer); err != nil {
			t.Fatal(err)
		}

		// The owner cannot be deactivated, by anyone.
		for _, actor := range []string{admin.ID, e.owner.ID} {
			if _, _, err := e.s.DeactivateUser(ctx, e.p.ID, actor, e.owner.ID); !errors.Is(err, ErrNotAllowed) {
				t.Fatalf("owner deactivated by %s: %v", actor, err)
			}
		}
		// Deactivation ends the engineer's sign-ins.
		if err := e.s.CreateLogin(ctx, "eve-login", eng.ID, e.clock.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		sess, err := e.s.CreateSession(ctx, NewSession{ProviderID: e.p.ID, DeskID: e.desk.ID, EngineerID: eng.ID, TokenHash: "t1",
			CodeTokenHash: "c1", Code: "ABCDEF", ExpiresAt: e.clock.Now().Add(time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		if ids, err := e.s.LiveSessionsOf(ctx, e.p.ID, eng.ID); err != nil || !slices.Equal(ids, []string{sess.ID}) {
			t.Fatalf("LiveSessionsOf = %v, %v", ids, err)
		}
		if ids, _ := e.s.LiveSessionsOf(ctx, otherOwner.ProviderID, eng.ID); len(ids) != 0 {
			t.Fatalf("another provider's scope lists %v", ids)
		}
		if _, _, err := e.s.DeactivateUser(ctx, otherOwner.ProviderID, otherOwner.ID, eng.ID); !errors.Is(err, ErrNotFound) {
			t.Fatalf("another provider deactivated: %v", err)
		}
		u, hashes, err := e.s.DeactivateUser(ctx, e.p.ID, admin.ID, eng.ID)
		if err != nil || !slices.Equal(hashes, []string{"eve-login"}) || u.ID != eng.ID {
			t.Fatalf("DeactivateUser = %v, %v", hashes, err)
		}
		if _, _, err := e.s.LoginUser(ctx, "eve-login"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("deactivated user still signed in: %v", err)
		}
		// Ownership goes only to an active user, and only from the owner.
		if _, err := e.s.TransferOwnership(ctx, e.p.ID, e.owner.ID, eng.ID); !errors.Is(err, ErrNotAllowed) {
			t.Fatalf("ownership to a deactivated user: %v", err)
		}
		if _, err := e.s.TransferOwnership(ctx, e.p.ID, admin.ID, admin.ID); !errors.Is(err, ErrNotAllowed) {
			t.Fatalf("an admin took ownership: %v", err)
		}
		if _, err := e.s.TransferOwnership(ctx, e.p.ID, e.owner.ID, otherOwner.ID); !errors.Is(err, ErrNotFound) {
			t.Fatalf("ownership to another provider's user: %v", err)
		}
		if _, err := e.s.ReactivateUser(ctx, e.p.ID, admin.ID, eng.ID); err != nil {
			t.Fatal(err)
		}
		if nu, err := e.s.TransferOwnership(ctx, e.p.ID, e.owner.ID, eng.ID); err != nil || nu.Role != RoleOwner {
			t.Fatalf("TransferOwnership = %+v, %v", nu, err)
		}
		old, _ := e.s.UserByID(ctx, e.p.ID, e.owner.ID)
		if old.Role != RoleAdmin {
			t.Fatalf("old owner is %s, want admin", old.Role)
		}
		// The old owner, now an admin, can no longer transfer, and the new owner cannot be deactivated.
		if _, err := e.s.TransferOwnership(ctx, e.p.ID, e.owner.ID, admin.ID); !errors.Is(err, ErrNotAllowed) {
			t.Fatalf("old owner transferred again: %v", err)
		}
		if _, _, err := e.s.DeactivateUser(ctx, e.p.ID, e.owner.ID, eng.ID); !errors.Is(err, ErrNotAllowed) {
			t.Fatalf("new owner deactivated: %v", err)
		}
		n, _ := e.s.db.NewSelect().Model((*User)(nil)).Where("provider_id = ? AND role = ?", e.p.ID, RoleOwner).Count(ctx)
		if n != 1 {
			t.Fatalf("%d owners", n)
		}
	})
}

func TestPasswordReset(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		admin, _ := e.s.CreateUser(ctx, User{ProviderID: e.p.ID, Email: "al@acme.test", Name: "Al", Role: RoleAdmin})
		eng, _ := e.s.CreateUser(ctx, User{ProviderID: e.p.ID, Email: "eve@acme.test", Name: "Eve", PasswordHash: "old"})
		day := e.clock.Now().Add(24 * time.Hour)
		if _, _, err := e.s.CreateReset(ctx, e.p.ID, admin.ID, e.owner.ID, "x", day); !errors.Is(err, ErrNotAllowed) {
			t.Fatalf("admin reset the owner's password: %v", err)
		}
		if _, _, err := e.s.CreateReset(ctx, e.p.ID, admin.ID, eng.ID, "first", day); err != nil {
			t.Fatal(err)
		}
		tok, target, err := e.s.CreateReset(ctx, e.p.ID, admin.ID, eng.ID, "second", day)
		if err != nil || target.ID != eng.ID || tok.UserID != eng.ID || tok.Kind != TokenReset {
			t.Fatalf("CreateReset = %+v, %+v, %v", tok, target, err)
		}
		if _, _, err := e.s.ResetPassword(ctx, "first", "new"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("a replaced reset link worked: %v", err)
		}
		if _, err := e.s.AcceptInvite(ctx, "second", "x", "y"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("a reset link accepted as an invitation: %v", err)
		}
		for _, h := range []string{"l1", "l2"} {
			if err := e.s.CreateLogin(ctx, h, eng.ID, day); err != nil {
				t.Fatal(err)
			}
		}
		u, hashes, err := e.s.ResetPassword(ctx, "second", "new")
		slices.Sort(hashes)
		if err != nil || u.ID != eng.ID || !slices.Equal(hashes, []string{"l1", "l2"}) {
			t.Fatalf("ResetPassword = %+v, %v, %v", u, hashes, err)
		}
		got, _ := e.s.UserByID(ctx, e.p.ID, eng.ID)
		if got.PasswordHash != "new" || got.LastSignInAt == nil {
			t.Fatalf("after reset: hash %q, last sign-in %v", got.PasswordHash, got.LastSignInAt)
		}
		if _, _, err := e.s.ResetPassword(ctx, "second", "again"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("reset link used twice: %v", err)
		}
		// Deactivation voids a pending reset link; a deactivated account gets none.
		if _, _, err := e.s.CreateReset(ctx, e.p.ID, admin.ID, eng.ID, "third", day); err != nil {
			t.Fatal(err)
		}
		if _, _, err := e.s.DeactivateUser(ctx, e.p.ID, admin.ID, eng.ID); err != nil {
			t.Fatal(err)
		}
		if _, _, err := e.s.ResetPassword(ctx, "third", "x"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("reset of a deactivated user: %v", err)
		}
		if _, _, err := e.s.CreateReset(ctx, e.p.ID, admin.ID, eng.ID, "fourth", day); !errors.Is(err, ErrNotAllowed) {
			t.Fatalf("reset link for a deactivated user: %v", err)
		}
	})
}

func TestPurgeAccountTokens(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		mk := func(email string, life time.Duration) AccountToken {
			inv, err := e.s.CreateInvite(ctx, NewInvite{ProviderID: e.p.ID, ActorID: e.owner.ID, Email: email, TokenHash: "h-" + email,
				Expires: e.clock.Now().Add(life)})
			if err != nil {
				t.Fatal(err)
			}
			return inv
		}
		mk("used@acme.test", time.Hour)
		if _, err := e.s.AcceptInvite(ctx, "h-used@acme.test", "U", "h"); err != nil {
			t.Fatal(err)
		}
		mk("expired@acme.test", time.Hour)
		e.clock.Advance(29 * 24 * time.Hour)
		fresh := mk("fresh@acme.test", 7*24*time.Hour)
		if n, err := e.s.PurgeAccountTokens(ctx); err != nil || n != 0 {
			t.Fatalf("purge before 30 days: %d, %v", n, err)
		}
		e.clock.Advance(2 * 24 * time.Hour)
		if n, err := e.s.PurgeAccountTokens(ctx); err != nil || n != 2 {
			t.Fatalf("purge after 30 days: %d, %v; want the used and the expired link", n, err)
		}
		if invs, _ := e.s.Invites(ctx, e.p.ID); len(invs) != 1 || invs[0].ID != fresh.ID {
			t.Fatalf("left %v", invs)
		}
	})
}
