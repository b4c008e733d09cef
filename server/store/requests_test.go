package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"tether/server/protocol"
)

// newRequest opens a customer's request in desk: no engineer, origin portal.
func (e *env) newRequest(t *testing.T, deskID, customer string) Session {
	t.Helper()
	sess, err := e.s.CreateSession(context.Background(), NewSession{
		ProviderID: e.p.ID, DeskID: deskID, Origin: protocol.OriginPortal, Description: "printer offline",
		CustomerName: customer, TokenHash: "tok-" + NewID(), CodeTokenHash: "ctok-" + NewID(),
		Code: NewID()[:6], ExpiresAt: e.clock.Now().Add(time.Hour),
	})
	if err != nil {
		t.Fatalf("CreateSession(request): %v", err)
	}
	if sess.EngineerID != "" || sess.Origin != protocol.OriginPortal {
		t.Fatalf("request = %+v, want no engineer and origin portal", sess)
	}
	return sess
}

// TestAcceptRequestRace: N engineers accept the same request at the same moment; exactly one wins, the
// others get ErrAlreadyTaken with the winner named, and the log holds one request_accepted event.
func TestAcceptRequestRace(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		const n = 8
		users := make([]User, n)
		for i := range users {
			u, err := e.s.CreateUser(ctx, User{ProviderID: e.p.ID, Email: fmt.Sprintf("eng%d@acme.test", i), Name: fmt.Sprintf("Eng %d", i), PasswordHash: "x", Role: RoleEngineer}, e.desk.ID)
			if err != nil {
				t.Fatal(err)
			}
			users[i] = u
		}
		req := e.newRequest(t, e.desk.ID, "Rita")
		var (
			wg      sync.WaitGroup
			start   = make(chan struct{})
			mu      sync.Mutex
			winners []string
			losers  []Session
		)
		for _, u := range users {
			wg.Add(1)
			go func(u User) {
				defer wg.Done()
				<-start
				sess, err := e.s.AcceptRequest(ctx, e.p.ID, req.ID, u.ID)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					winners = append(winners, u.ID)
					if sess.EngineerID != u.ID || sess.AcceptedAt == nil {
						t.Errorf("winner's session = %+v", sess)
					}
				case errors.Is(err, ErrAlreadyTaken):
					losers = append(losers, sess)
				default:
					t.Errorf("AcceptRequest: %v", err)
				}
			}(u)
		}
		close(start)
		wg.Wait()
		if len(winners) != 1 || len(losers) != n-1 {
			t.Fatalf("%d winners, %d losers; want 1 and %d", len(winners), len(losers), n-1)
		}
		for _, l := range losers {
			if l.EngineerID != winners[0] {
				t.Fatalf("a loser was told %q took it, want %q", l.EngineerID, winners[0])
			}
		}
		evs, err := e.s.Events(ctx, e.p.ID, req.ID)
		if err != nil {
			t.Fatal(err)
		}
		accepted := 0
		for _, ev := range evs {
			if ev.Kind == EventRequestAccepted {
				accepted++
				if ev.Actor != ActorEngineer(winners[0]) {
					t.Fatalf("accepted by %q, want the winner", ev.Actor)
				}
			}
		}
		if accepted != 1 {
			t.Fatalf("%d request_accepted events, want 1", accepted)
		}
		if q, err := e.s.WaitingRequests(ctx, e.p.ID, nil); err != nil || len(q) != 0 {
			t.Fatalf("queue after accept = %d, %v; want empty", len(q), err)
		}
	})
}

// TestAcceptRequestRefusals: another provider's request and user answer ErrNotFound, an ended request
// ErrSessionEnded, a deactivated engineer ErrNotFound; nothing changes.
func TestAcceptRequestRefusals(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		req := e.newRequest(t, e.desk.ID, "Rita")
		op, ou, _ := e.otherProvider(t)
		if _, err := e.s.AcceptRequest(ctx, op.ID, req.ID, ou.ID); !errors.Is(err, ErrNotFound) {
			t.Fatalf("other provider: %v, want ErrNotFound", err)
		}
		if _, err := e.s.AcceptRequest(ctx, e.p.ID, req.ID, ou.ID); !errors.Is(err, ErrNotFound) {
			t.Fatalf("other provider's user: %v, want ErrNotFound", err)
		}
		gone, err := e.s.CreateUser(ctx, User{ProviderID: e.p.ID, Email: "gone@acme.test", Name: "Gone", PasswordHash: "x", Role: RoleEngineer}, e.desk.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.s.DisableUser(ctx, e.p.ID, gone.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := e.s.AcceptRequest(ctx, e.p.ID, req.ID, gone.ID); !errors.Is(err, ErrNotFound) {
			t.Fatalf("deactivated engineer: %v, want ErrNotFound", err)
		}
		if _, _, err := e.s.EndSession(ctx, req.ID, protocol.EndCustomerStopped, ActorCustomer); err != nil {
			t.Fatal(err)
		}
		if _, err := e.s.AcceptRequest(ctx, e.p.ID, req.ID, e.owner.ID); !errors.Is(err, ErrSessionEnded) {
			t.Fatalf("ended request: %v, want ErrSessionEnded", err)
		}
		if cur, _ := e.s.SessionByID(ctx, e.p.ID, req.ID); cur.EngineerID != "" {
			t.Fatalf("a refused accept set the engineer: %+v", cur)
		}
	})
}

// TestRequestQueue: the queue is per desk, oldest first, scoped to the provider and to desk membership;
// waits of accepted requests give the median; requests nobody accepts end after the provider's timeout
// with EndNobodyFree, accepted ones never.
func TestRequestQueue(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		var second Desk
		second = Desk{ID: NewID(), ProviderID: e.p.ID, Name: "Billing", CreatedAt: e.clock.Now()}
		if _, err := e.s.db.NewInsert().Model(&second).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		eng, err := e.s.CreateUser(ctx, User{ProviderID: e.p.ID, Email: "bo@acme.test", Name: "Bo", PasswordHash: "x", Role: RoleEngineer}, second.ID)
		if err != nil {
			t.Fatal(err)
		}
		if d, err := e.s.DesksOf(ctx, e.p.ID, eng.ID); err != nil || len(d) != 1 || d[0].ID != second.ID {
			t.Fatalf("DesksOf = %v, %v; want [billing]", d, err)
		}
		if d, err := e.s.ProviderDesks(ctx, e.p.ID); err != nil || len(d) != 2 || !d[0].IsDefault {
			t.Fatalf("ProviderDesks = %+v, %v; want the default desk first of two", d, err)
		}
		a := e.newRequest(t, e.desk.ID, "Ann")
		e.clock.Advance(time.Minute)
		b := e.newRequest(t, second.ID, "Ben")
		e.clock.Advance(time.Minute)
		c := e.newRequest(t, e.desk.ID, "Cat")
		op, _, od := e.otherProvider(t)
		if q, _ := e.s.WaitingRequests(ctx, op.ID, []string{od.ID, e.desk.ID}); len(q) != 0 {
			t.Fatalf("another provider sees %d of our requests", len(q))
		}
		q, err := e.s.WaitingRequests(ctx, e.p.ID, []string{e.desk.ID})
		if err != nil || len(q) != 2 || q[0].ID != a.ID || q[1].ID != c.ID {
			t.Fatalf("default desk queue = %v, %v; want Ann then Cat", q, err)
		}
		if q, _ := e.s.WaitingRequests(ctx, e.p.ID, nil); len(q) != 3 {
			t.Fatalf("all desks: %d, want 3", len(q))
		}
		if q, _ := e.s.WaitingRequests(ctx, e.p.ID, []string{}); len(q) != 0 {
			t.Fatalf("no desks: %d, want 0", len(q))
		}
		if waits, _ := e.s.RecentWaits(ctx, e.p.ID, e.desk.ID, e.clock.Now().Add(-time.Hour), 20); len(waits) != 0 {
			t.Fatalf("waits before any accept: %v", waits)
		}
		e.clock.Advance(2 * time.Minute) // Ann has waited 4 minutes, Cat 2
		if _, err := e.s.AcceptRequest(ctx, e.p.ID, a.ID, e.owner.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := e.s.AcceptRequest(ctx, e.p.ID, c.ID, e.owner.ID); err != nil {
			t.Fatal(err)
		}
		waits, err := e.s.RecentWaits(ctx, e.p.ID, e.desk.ID, e.clock.Now().Add(-time.Hour), 20)
		if m, ok := MedianWait(waits); err != nil || !ok || m != 3*time.Minute {
			t.Fatalf("median of %v = %v, %v; want 3m", waits, m, err)
		}
		// The default timeout is 15 minutes; Ben asked 3 minutes ago.
		if ended, err := e.s.TimeOutRequests(ctx, time.Minute); err != nil || len(ended) != 0 {
			t.Fatalf("before the timeout: %v, %v", ended, err)
		}
		e.clock.Advance(12 * time.Minute)
		ended, err := e.s.TimeOutRequests(ctx, time.Minute)
		if err != nil || len(ended) != 1 || ended[0].ID != b.ID || ended[0].EndReason != protocol.EndNobodyFree || ended[0].State != StateEnded {
			t.Fatalf("timed out = %+v, %v; want Ben, nobody was free", ended, err)
		}
		if again, err := e.s.TimeOutRequests(ctx, time.Minute); err != nil || len(again) != 0 {
			t.Fatalf("a second sweep ended %d again (%v)", len(again), err)
		}
		for _, id := range []string{a.ID, c.ID} {
			if s, _ := e.s.SessionByID(ctx, e.p.ID, id); s.State == StateEnded {
				t.Fatalf("an accepted request was timed out: %+v", s)
			}
		}
	})
}

func TestMedianWait(t *testing.T) {
	for _, tc := range []struct {
		in   []time.Duration
		want time.Duration
		ok   bool
	}{
		{nil, 0, false},
		{[]time.Duration{5}, 5, true},
		{[]time.Duration{9, 1, 5}, 5, true},
		{[]time.Duration{4, 2, 8, 6}, 5, true},
	} {
		if got, ok := MedianWait(tc.in); got != tc.want || ok != tc.ok {
			t.Errorf("MedianWait(%v) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}
