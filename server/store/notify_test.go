package store

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"tether/server/protocol"
)

// TestNotifyPrefs: nothing is chosen at first; a choice is saved per kind, read back, and replaced by the
// next; an unknown kind saves nothing; another provider's user answers ErrNotFound.
func TestNotifyPrefs(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		got, err := e.s.NotifyPrefs(ctx, e.p.ID, e.owner.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Desktop) != 0 || len(got.Sound) != 0 {
			t.Fatalf("fresh prefs = %+v, want none chosen", got)
		}
		want := NotifyPrefs{
			Desktop: map[string]bool{protocol.NotifyCustomerJoined: true, protocol.NotifyRequestNew: true},
			Sound:   map[string]bool{protocol.NotifyRequestNew: true},
		}
		if err := e.s.SetNotifyPrefs(ctx, e.p.ID, e.owner.ID, want); err != nil {
			t.Fatal(err)
		}
		if got, _ = e.s.NotifyPrefs(ctx, e.p.ID, e.owner.ID); !reflect.DeepEqual(got, want) {
			t.Fatalf("prefs = %+v, want %+v", got, want)
		}
		bad := NotifyPrefs{Desktop: map[string]bool{"customer_sneezed": true}, Sound: map[string]bool{}}
		if err := e.s.SetNotifyPrefs(ctx, e.p.ID, e.owner.ID, bad); !errors.Is(err, ErrInvalidArgument) {
			t.Fatalf("unknown kind: err = %v, want ErrInvalidArgument", err)
		}
		if got, _ = e.s.NotifyPrefs(ctx, e.p.ID, e.owner.ID); !reflect.DeepEqual(got, want) {
			t.Fatalf("after a refused save prefs = %+v, want %+v unchanged", got, want)
		}
		next := NotifyPrefs{Desktop: map[string]bool{protocol.NotifyRequestTaken: true}, Sound: map[string]bool{protocol.NotifyCustomerLeft: true}}
		if err := e.s.SetNotifyPrefs(ctx, e.p.ID, e.owner.ID, next); err != nil {
			t.Fatal(err)
		}
		if got, _ = e.s.NotifyPrefs(ctx, e.p.ID, e.owner.ID); !reflect.DeepEqual(got, next) {
			t.Fatalf("prefs = %+v, want %+v", got, next)
		}
		other, _, _ := e.otherProvider(t)
		if _, err := e.s.NotifyPrefs(ctx, other.ID, e.owner.ID); !errors.Is(err, ErrNotFound) {
			t.Fatalf("other provider read: err = %v, want ErrNotFound", err)
		}
		if err := e.s.SetNotifyPrefs(ctx, other.ID, e.owner.ID, want); !errors.Is(err, ErrNotFound) {
			t.Fatalf("other provider write: err = %v, want ErrNotFound", err)
		}
	})
}

// TestConsoleWatch: the user's live sessions and those ended recently, and the requests of their desks
// another engineer accepted recently; older ones and other desks' are left out.
func TestConsoleWatch(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		ed, err := e.s.CreateUser(ctx, User{ProviderID: e.p.ID, Email: "ed@acme.test", Name: "Ed Engineer", PasswordHash: "x", Role: RoleEngineer}, e.desk.ID)
		if err != nil {
			t.Fatal(err)
		}
		old := e.newSession(t, "OLD111")
		if _, _, err := e.s.EndSession(ctx, old.ID, protocol.EndCustomerStopped, ActorCustomer); err != nil {
			t.Fatal(err)
		}
		oldReq := e.newRequest(t, e.desk.ID, "Olivia")
		if _, err := e.s.AcceptRequest(ctx, e.p.ID, oldReq.ID, ed.ID); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(20 * time.Minute)
		since := e.clock.Now().Add(-10 * time.Minute)
		live := e.newSession(t, "LIVE22")
		ended := e.newSession(t, "ENDED3")
		if _, _, err := e.s.EndSession(ctx, ended.ID, protocol.EndCustomerClosed, ActorAgent); err != nil {
			t.Fatal(err)
		}
		req := e.newRequest(t, e.desk.ID, "Rita")
		if _, err := e.s.AcceptRequest(ctx, e.p.ID, req.ID, ed.ID); err != nil {
			t.Fatal(err)
		}
		mine, taken, err := e.s.ConsoleWatch(ctx, e.p.ID, e.owner.ID, nil, since)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, s := range mine {
			ids = append(ids, s.ID)
		}
		if want := []string{ended.ID, live.ID}; !sameSet(ids, want) {
			t.Fatalf("mine = %v, want %v (live and recently ended, not the old one)", ids, want)
		}
		if len(taken) != 1 || taken[0].SessionID != req.ID || taken[0].Engineer != "Ed Engineer" || taken[0].CustomerName != "Rita" {
			t.Fatalf("taken = %+v, want Rita's request taken by Ed Engineer", taken)
		}
		// Ed took it himself: not "taken by someone else" for him.
		if _, taken, _ := e.s.ConsoleWatch(ctx, e.p.ID, ed.ID, []string{e.desk.ID}, since); len(taken) != 0 {
			t.Fatalf("taken for the taker = %+v, want none", taken)
		}
		// Another desk's requests are not the engineer's business.
		if _, taken, _ := e.s.ConsoleWatch(ctx, e.p.ID, e.owner.ID, []string{}, since); len(taken) != 0 {
			t.Fatalf("taken without desks = %+v, want none", taken)
		}
		other, otherOwner, _ := e.otherProvider(t)
		if mine, taken, _ := e.s.ConsoleWatch(ctx, other.ID, otherOwner.ID, nil, since); len(mine)+len(taken) != 0 {
			t.Fatalf("other provider sees %+v %+v", mine, taken)
		}
	})
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	seen := map[string]int{}
	for _, x := range a {
		seen[x]++
	}
	for _, x := range b {
		seen[x]--
	}
	for _, n := range seen {
		if n != 0 {
			return false
		}
	}
	return true
}
