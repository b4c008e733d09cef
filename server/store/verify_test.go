package store

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestUsersByEmployeeNo(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		other, _, _ := e.otherProvider(t)
		erin, err := e.s.CreateUser(ctx, User{ProviderID: e.p.ID, Email: "erin@acme.test", Name: "Erin Engineer", Profile: Profile{EmployeeNo: "E-1042", Department: "Field support"}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.s.CreateUser(ctx, User{ProviderID: other.ID, Email: "oscar@other.test", Name: "Oscar", Profile: Profile{EmployeeNo: "7"}}); err != nil {
			t.Fatal(err)
		}
		for _, tt := range []struct {
			name, provider, number string
			want                   string // the user's id; "" ErrNotFound
		}{
			{"as stored", e.p.ID, "E-1042", erin.ID},
			{"other case, spaces around", e.p.ID, "  e-1042 ", erin.ID},
			{"unknown", e.p.ID, "E-1043", ""},
			{"empty finds nobody without a number", e.p.ID, " ", ""},
			{"overlong", e.p.ID, string(make([]byte, MaxLookupEmployeeNo+1)), ""},
			{"another provider's number", e.p.ID, "7", ""},
			{"the number at the other provider", other.ID, "E-1042", ""},
		} {
			t.Run(tt.name, func(t *testing.T) {
				got, err := e.s.UsersByEmployeeNo(ctx, tt.provider, tt.number)
				if tt.want == "" {
					if !errors.Is(err, ErrNotFound) {
						t.Fatalf("UsersByEmployeeNo(%q) = %v, %v; want ErrNotFound", tt.number, got, err)
					}
					return
				}
				if err != nil || len(got) != 1 || got[0].ID != tt.want || got[0].Department != "Field support" {
					t.Fatalf("UsersByEmployeeNo(%q) = %+v, %v", tt.number, got, err)
				}
			})
		}

		// A number given to two people finds both, the active one first.
		gone, err := e.s.CreateUser(ctx, User{ProviderID: e.p.ID, Email: "gone@acme.test", Name: "Gone", Profile: Profile{EmployeeNo: "e-1042"}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.s.DisableUser(ctx, e.p.ID, erin.ID); err != nil {
			t.Fatal(err)
		}
		got, err := e.s.UsersByEmployeeNo(ctx, e.p.ID, "E-1042")
		if err != nil || len(got) != 2 || got[0].ID != gone.ID || got[1].ID != erin.ID || !got[1].Disabled() {
			t.Fatalf("two people with one number: %+v, %v", got, err)
		}
	})
}

func TestHasOpenSession(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		open := func() bool {
			t.Helper()
			ok, err := e.s.HasOpenSession(ctx, e.p.ID, e.owner.ID)
			if err != nil {
				t.Fatal(err)
			}
			return ok
		}
		if open() {
			t.Fatal("open session before any was made")
		}
		sess := e.newSession(t, "ABCDEF")
		if !open() {
			t.Fatal("a fresh invitation is an open session")
		}
		other, _, _ := e.otherProvider(t)
		if ok, err := e.s.HasOpenSession(ctx, other.ID, e.owner.ID); err != nil || ok {
			t.Fatalf("asked as another provider: %v, %v", ok, err)
		}
		e.clock.Advance(2 * time.Hour)
		if open() {
			t.Fatal("an expired invitation nobody used is not an open session")
		}
		sess2 := e.newSession(t, "GHJKLM")
		if _, err := e.s.JoinAgent(ctx, sess2.ID, AgentJoin{KeyHash: "k", Source: "link", OS: "linux", Host: "pc", Instance: "i"}); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(2 * time.Hour)
		if !open() {
			t.Fatal("a joined session is open whatever its invitation's expiry")
		}
		for _, id := range []string{sess.ID, sess2.ID} {
			if _, _, err := e.s.EndSession(ctx, id, "done", ActorSystem); err != nil {
				t.Fatal(err)
			}
		}
		if open() {
			t.Fatal("ended sessions are not open")
		}
	})
}

func TestDismissTour(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		if e.owner.TourDismissedAt != nil {
			t.Fatal("a new user has not dismissed the tour")
		}
		first := e.clock.Now()
		if err := e.s.DismissTour(ctx, e.p.ID, e.owner.ID); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(time.Hour)
		if err := e.s.DismissTour(ctx, e.p.ID, e.owner.ID); err != nil {
			t.Fatalf("dismissing again: %v", err)
		}
		u, err := e.s.UserByID(ctx, e.p.ID, e.owner.ID)
		if err != nil || u.TourDismissedAt == nil || !u.TourDismissedAt.Equal(first) {
			t.Fatalf("after dismissing: %v, %v; want %v", u.TourDismissedAt, err, first)
		}
		other, _, _ := e.otherProvider(t)
		if err := e.s.DismissTour(ctx, other.ID, e.owner.ID); !errors.Is(err, ErrNotFound) {
			t.Fatalf("another provider's user: %v, want ErrNotFound", err)
		}
	})
}
