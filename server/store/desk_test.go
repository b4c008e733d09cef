package store

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"tether/server/protocol"
)

func TestNormalizeDeskName(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"Billing", "Billing", true},
		{"  Level   2  support ", "Level 2 support", true},
		{"Ünïcödé desk", "Ünïcödé desk", true},
		{strings.Repeat("é", MaxDeskName), strings.Repeat("é", MaxDeskName), true},
		{strings.Repeat("a", MaxDeskName+1), "", false},
		{"   ", "", false},
		{"", "", false},
		{"tab\u200bnot", "", false},
		{"bell\x07", "", false},
	}
	for _, tt := range tests {
		got, err := NormalizeDeskName(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("NormalizeDeskName(%q) = %q, %v; want %q ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
		if err != nil && !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("NormalizeDeskName(%q) error %v is not ErrInvalidArgument", tt.in, err)
		}
	}
}

func TestDeskTemplateValidate(t *testing.T) {
	v, c, l, f := protocol.GrantView, protocol.GrantControl, protocol.GrantLimited, protocol.GrantFiles
	tests := []struct {
		name string
		t    DeskTemplate
		ok   bool
	}{
		{"default", DefaultDeskTemplate(), true},
		{"view only", DeskTemplate{Allowed: v, Defaults: v}, true},
		{"limited, ticked", DeskTemplate{Allowed: v | l, Defaults: v | l}, true},
		{"control allows limited by default", DeskTemplate{Allowed: v | c, Defaults: v | l}, true},
		{"limited does not allow control", DeskTemplate{Allowed: v | l, Defaults: v | c}, false},
		{"default not allowed", DeskTemplate{Allowed: v | c, Defaults: v | f}, false},
		{"no view", DeskTemplate{Allowed: c, Defaults: 0}, false},
		{"defaults without view", DeskTemplate{Allowed: v | c, Defaults: 0}, false},
		{"unknown bit", DeskTemplate{Allowed: v | 0x80, Defaults: v}, false},
	}
	for _, tt := range tests {
		if err := tt.t.Validate(); (err == nil) != tt.ok {
			t.Errorf("%s: Validate() = %v, want ok=%v", tt.name, err, tt.ok)
		}
	}
	tpl := DeskTemplate{Allowed: v | c}
	if !tpl.Permits(v|l) || !tpl.Permits(v|c) || tpl.Permits(v|f) {
		t.Error("Permits is wrong for a control template")
	}
	if (DeskTemplate{Allowed: v | l}).Permits(v | c) {
		t.Error("a limited template permits control")
	}
}

func TestDesks(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		if e.desk.DeskTemplate != DefaultDeskTemplate() {
			t.Errorf("default desk template %+v", e.desk.DeskTemplate)
		}
		billing, err := e.s.CreateDesk(ctx, e.p.ID, "  Billing ")
		if err != nil || billing.Name != "Billing" || billing.IsDefault || billing.DeskTemplate != DefaultDeskTemplate() {
			t.Fatalf("CreateDesk = %+v, %v", billing, err)
		}
		if _, err := e.s.CreateDesk(ctx, e.p.ID, "billing"); !errors.Is(err, ErrDeskNameTaken) {
			t.Errorf("a second desk called billing: %v", err)
		}
		if _, err := e.s.CreateDesk(ctx, e.p.ID, ""); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("an empty name: %v", err)
		}
		// Another provider may use the same name; its ids are not found here.
		op, ou, od := e.otherProvider(t)
		if _, err := e.s.CreateDesk(ctx, op.ID, "Billing"); err != nil {
			t.Errorf("the other provider's Billing: %v", err)
		}
		if _, err := e.s.DeskByID(ctx, e.p.ID, od.ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("DeskByID of another provider's desk: %v", err)
		}
		if _, err := e.s.RenameDesk(ctx, e.p.ID, od.ID, "Mine now"); !errors.Is(err, ErrNotFound) {
			t.Errorf("RenameDesk of another provider's desk: %v", err)
		}
		if err := e.s.DeleteDesk(ctx, e.p.ID, od.ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("DeleteDesk of another provider's desk: %v", err)
		}
		if err := e.s.SetDeskMembers(ctx, e.p.ID, billing.ID, []string{ou.ID}); !errors.Is(err, ErrNotFound) {
			t.Errorf("another provider's user as a member: %v", err)
		}
		if err := e.s.SetDeskTemplate(ctx, e.p.ID, od.ID, DefaultDeskTemplate()); !errors.Is(err, ErrNotFound) {
			t.Errorf("SetDeskTemplate of another provider's desk: %v", err)
		}

		// Rename: to its own name in another case is fine, to another desk's is not.
		if d, err := e.s.RenameDesk(ctx, e.p.ID, billing.ID, "BILLING"); err != nil || d.Name != "BILLING" {
			t.Errorf("RenameDesk to another case: %+v, %v", d, err)
		}
		if _, err := e.s.RenameDesk(ctx, e.p.ID, billing.ID, "support"); !errors.Is(err, ErrDeskNameTaken) {
			t.Errorf("RenameDesk onto the default desk's name: %v", err)
		}

		// Members.
		eng, err := e.s.CreateUser(ctx, User{ProviderID: e.p.ID, Email: "erin@acme.test", Name: "Erin", PasswordHash: "h", Role: RoleEngineer})
		if err != nil {
			t.Fatal(err)
		}
		if err := e.s.SetDeskMembers(ctx, e.p.ID, billing.ID, []string{eng.ID, e.owner.ID, eng.ID}); err != nil {
			t.Fatalf("SetDeskMembers: %v", err)
		}
		if err := e.s.SetDeskMembers(ctx, e.p.ID, billing.ID, []string{eng.ID}); err != nil {
			t.Fatalf("SetDeskMembers again: %v", err)
		}
		of, err := e.s.DesksOf(ctx, e.p.ID, eng.ID)
		if err != nil || len(of) != 1 || of[0].ID != billing.ID {
			t.Errorf("DesksOf(erin) = %+v, %v", of, err)
		}

		// Template.
		limited := DeskTemplate{Allowed: protocol.GrantView | protocol.GrantLimited, Defaults: protocol.GrantView | protocol.GrantLimited}
		if err := e.s.SetDeskTemplate(ctx, e.p.ID, billing.ID, DeskTemplate{Allowed: protocol.GrantView, Defaults: protocol.GrantView | protocol.GrantControl}); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("a default that is not allowed: %v", err)
		}
		if err := e.s.SetDeskTemplate(ctx, e.p.ID, billing.ID, limited); err != nil {
			t.Fatalf("SetDeskTemplate: %v", err)
		}
		if got, err := e.s.DeskTemplateOf(ctx, e.p.ID, billing.ID); err != nil || got != limited {
			t.Errorf("DeskTemplateOf = %+v, %v", got, err)
		}

		// A live session keeps the desk; its end frees it.
		sess, err := e.s.CreateSession(ctx, NewSession{ProviderID: e.p.ID, DeskID: billing.ID, EngineerID: eng.ID, CustomerName: "C",
			TokenHash: "t-" + NewID(), Code: "BILL01", ExpiresAt: e.clock.Now().Add(3600e9)})
		if err != nil {
			t.Fatal(err)
		}
		list, err := e.s.Desks(ctx, e.p.ID)
		if err != nil || len(list) != 2 || list[0].ID != e.desk.ID || list[1].ID != billing.ID {
			t.Fatalf("Desks = %+v, %v", list, err)
		}
		if b := list[1]; b.Waiting != 1 || b.Live != 0 || len(b.Members) != 1 || b.Members[0] != eng.ID {
			t.Errorf("billing summary %+v", b)
		}
		if s := list[0]; len(s.Members) != 1 || s.Members[0] != e.owner.ID || s.Waiting != 0 {
			t.Errorf("support summary %+v", s)
		}
		if err := e.s.DeleteDesk(ctx, e.p.ID, billing.ID); !errors.Is(err, ErrDeskInUse) || !strings.Contains(err.Error(), "1 session or request not yet ended") {
			t.Errorf("DeleteDesk with a live session: %v", err)
		}
		if err := e.s.DeleteDesk(ctx, e.p.ID, e.desk.ID); !errors.Is(err, ErrDeskInUse) || !strings.Contains(err.Error(), "default desk") {
			t.Errorf("DeleteDesk of the default desk: %v", err)
		}
		if _, _, err := e.s.EndSession(ctx, sess.ID, "done", ActorSystem); err != nil {
			t.Fatal(err)
		}
		if err := e.s.DeleteDesk(ctx, e.p.ID, billing.ID); err != nil {
			t.Fatalf("DeleteDesk of an empty desk: %v", err)
		}
		// Gone from lists and lookups, its name free again; the ended session keeps it.
		if _, err := e.s.DeskByID(ctx, e.p.ID, billing.ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("a deleted desk is found: %v", err)
		}
		if of, _ := e.s.DesksOf(ctx, e.p.ID, eng.ID); len(of) != 0 {
			t.Errorf("erin is still in %+v", of)
		}
		if got, err := e.s.SessionByID(ctx, e.p.ID, sess.ID); err != nil || got.DeskID != billing.ID {
			t.Errorf("the ended session: %+v, %v", got, err)
		}
		if _, err := e.s.CreateDesk(ctx, e.p.ID, "Billing"); err != nil {
			t.Errorf("a new Billing after deleting the old: %v", err)
		}
	})
}

func TestDeskQuota(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		if _, err := e.s.db.NewUpdate().Model((*Provider)(nil)).Set("max_desks = 2").Where("id = ?", e.p.ID).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		second, err := e.s.CreateDesk(ctx, e.p.ID, "Second")
		if err != nil {
			t.Fatalf("the second desk: %v", err)
		}
		_, err = e.s.CreateDesk(ctx, e.p.ID, "Third")
		var qe *QuotaError
		if !errors.As(err, &qe) || !errors.Is(err, ErrOverQuota) || qe.Limit != 2 || qe.What != "desks" {
			t.Fatalf("the third desk over a quota of 2: %v", err)
		}
		// A deleted desk no longer counts.
		if err := e.s.DeleteDesk(ctx, e.p.ID, second.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := e.s.CreateDesk(ctx, e.p.ID, "Third"); err != nil {
			t.Errorf("after deleting one: %v", err)
		}
	})
}

// TestSessionVisibility: an engineer sees the sessions of their desks and their own; an admin
// (VisibleTo "") everything of the provider; nobody another provider's.
func TestSessionVisibility(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		a, err := e.s.CreateDesk(ctx, e.p.ID, "Desk A")
		if err != nil {
			t.Fatal(err)
		}
		b, err := e.s.CreateDesk(ctx, e.p.ID, "Desk B")
		if err != nil {
			t.Fatal(err)
		}
		user := func(name string, desks ...string) User {
			u, err := e.s.CreateUser(ctx, User{ProviderID: e.p.ID, Email: name + "@acme.test", Name: name, PasswordHash: "h", Role: RoleEngineer}, desks...)
			if err != nil {
				t.Fatal(err)
			}
			return u
		}
		alice, bob := user("alice", a.ID), user("bob", b.ID)
		open := func(desk, engineer, code string) Session {
			s, err := e.s.CreateSession(ctx, NewSession{ProviderID: e.p.ID, DeskID: desk, EngineerID: engineer, CustomerName: code,
				TokenHash: "t-" + NewID(), Code: code, ExpiresAt: e.clock.Now().Add(3600e9)})
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
		inA := open(a.ID, alice.ID, "AAAAA1")
		waitingA := open(a.ID, "", "AAAAA2") // a request in A's queue
		inB := open(b.ID, bob.ID, "BBBBB1")
		// Bob's own session in A, opened before he left it, stays his.
		bobsInA := open(a.ID, bob.ID, "BBBBB2")
		op, ou, od := e.otherProvider(t)
		other, err := e.s.CreateSession(ctx, NewSession{ProviderID: op.ID, DeskID: od.ID, EngineerID: ou.ID, CustomerName: "x",
			TokenHash: "t-" + NewID(), Code: "OTHER1", ExpiresAt: e.clock.Now().Add(3600e9)})
		if err != nil {
			t.Fatal(err)
		}

		ids := func(userID string) string {
			list, err := e.s.ListSessions(ctx, e.p.ID, ListFilter{VisibleTo: userID})
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, s := range list {
				out = append(out, s.CustomerName)
			}
			slices.Sort(out) // one clock: created at the same time
			return strings.Join(out, ",")
		}
		if got := ids(alice.ID); got != "AAAAA1,AAAAA2,BBBBB2" {
			t.Errorf("alice sees %s", got)
		}
		if got := ids(bob.ID); got != "BBBBB1,BBBBB2" {
			t.Errorf("bob sees %s", got)
		}
		if got := ids(""); got != "AAAAA1,AAAAA2,BBBBB1,BBBBB2" {
			t.Errorf("an admin sees %s", got)
		}
		for _, tt := range []struct {
			user, id string
			ok       bool
		}{
			{alice.ID, inA.ID, true}, {alice.ID, waitingA.ID, true}, {alice.ID, inB.ID, false},
			{bob.ID, inB.ID, true}, {bob.ID, bobsInA.ID, true}, {bob.ID, waitingA.ID, false},
			{"", inB.ID, true}, {"", other.ID, false}, {alice.ID, other.ID, false},
		} {
			_, err := e.s.SessionVisibleTo(ctx, e.p.ID, tt.user, tt.id)
			if tt.ok != (err == nil) || (err != nil && !errors.Is(err, ErrNotFound)) {
				t.Errorf("SessionVisibleTo(%s, %s) = %v, want ok=%v", tt.user, tt.id, err, tt.ok)
			}
		}
		// Joining desk B shows its sessions at once.
		if err := e.s.SetDeskMembers(ctx, e.p.ID, b.ID, []string{bob.ID, alice.ID}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.s.SessionVisibleTo(ctx, e.p.ID, alice.ID, inB.ID); err != nil {
			t.Errorf("alice after joining B: %v", err)
		}
	})
}
