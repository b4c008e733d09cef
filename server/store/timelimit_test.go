package store

import (
	"context"
	"errors"
	"testing"
	"time"

	"tether/server/protocol"
)

func TestTimeLimits(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		sess := e.newSession(t, "TL0001")
		if _, err := e.s.JoinAgent(ctx, sess.ID, AgentJoin{KeyHash: "k", Source: protocol.SourceLink}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.s.GiveConsent(ctx, sess.ID, protocol.GrantView); err != nil {
			t.Fatal(err)
		}
		start := e.clock.Now()
		got, err := e.s.StartTimeLimits(ctx, sess.ID, 20*time.Minute, 5*time.Minute)
		if err != nil || got.DeadlineAt == nil || !got.DeadlineAt.Equal(start.Add(20*time.Minute)) || got.IdleAt == nil || !got.IdleAt.Equal(start.Add(5*time.Minute)) {
			t.Fatalf("StartTimeLimits = %+v, %v", got, err)
		}
		// A repeated consent keeps the first deadline.
		e.clock.Advance(time.Minute)
		if again, _ := e.s.StartTimeLimits(ctx, sess.ID, 20*time.Minute, 5*time.Minute); !again.DeadlineAt.Equal(*got.DeadlineAt) {
			t.Fatalf("a second start moved the deadline to %v", again.DeadlineAt)
		}
		if due, err := e.s.TimeLimitsDue(ctx, 3*time.Minute); err != nil || len(due) != 0 {
			t.Fatalf("due within 3 min at +1 = %v, %v; want none", due, err)
		}
		e.clock.Advance(2 * time.Minute) // idle at +5, now +3
		if due, _ := e.s.TimeLimitsDue(ctx, 3*time.Minute); len(due) != 1 {
			t.Fatalf("due within 3 min at +3 = %v, want the session", due)
		}
		if err := e.s.Touch(ctx, sess.ID, 5*time.Minute); err != nil {
			t.Fatal(err)
		}
		if due, _ := e.s.TimeLimitsDue(ctx, 3*time.Minute); len(due) != 0 {
			t.Fatalf("activity did not move the idle end: %v", due)
		}
		if ok, err := e.s.MarkWarned(ctx, sess.ID, start); !ok || err != nil {
			t.Fatalf("MarkWarned = %v, %v", ok, err)
		}
		if ok, _ := e.s.MarkWarned(ctx, sess.ID, start); ok {
			t.Fatal("MarkWarned twice for the same end")
		}
		ext, err := e.s.Extend(ctx, sess.ID, 30*time.Minute, 5*time.Minute, ActorCustomer)
		if err != nil || !ext.DeadlineAt.Equal(start.Add(50*time.Minute)) {
			t.Fatalf("Extend = %v, %v; want deadline +50 min", ext.DeadlineAt, err)
		}
		if _, ended, _ := e.s.EndAtLimit(ctx, sess.ID, protocol.EndTimeLimit); ended {
			t.Fatal("ended before the deadline")
		}
		if p, changed, err := e.s.SetPaused(ctx, sess.ID, true); err != nil || !changed || !p.Paused {
			t.Fatalf("SetPaused = %v %v %v", p.Paused, changed, err)
		}
		if _, changed, _ := e.s.SetPaused(ctx, sess.ID, true); changed {
			t.Fatal("pausing twice changed something")
		}
		e.clock.Advance(48 * time.Minute)
		if _, ended, _ := e.s.EndAtLimit(ctx, sess.ID, protocol.EndIdle); !ended {
			t.Fatal("an idle session did not end")
		}
		if _, ended, _ := e.s.EndAtLimit(ctx, sess.ID, protocol.EndTimeLimit); ended {
			t.Fatal("ended twice")
		}
		evs, _ := e.s.Events(ctx, e.p.ID, sess.ID)
		var kinds []string
		for _, ev := range evs {
			kinds = append(kinds, ev.Kind)
		}
		want := []string{EventCreated, EventAgentConnected, EventConsentGiven, EventExtended, EventPaused, EventEnded}
		if len(kinds) != len(want) {
			t.Fatalf("events %v, want %v", kinds, want)
		}
		for i := range want {
			if kinds[i] != want[i] {
				t.Fatalf("events %v, want %v", kinds, want)
			}
		}
		if evs[len(evs)-1].Detail != protocol.EndIdle {
			t.Fatalf("end detail %q", evs[len(evs)-1].Detail)
		}
	})
}

// TestRestartedAgentAsksAgain: a new run of the agent (another key) is
// refused while the first is connected, and takes over, back to asking the
// customer, once the first is lost.
func TestRestartedAgentAsksAgain(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		sess := e.newSession(t, "RS0001")
		first := AgentJoin{KeyHash: "k1", Source: protocol.SourceLink, Instance: "i1"}
		if _, err := e.s.JoinAgent(ctx, sess.ID, first); err != nil {
			t.Fatal(err)
		}
		if _, err := e.s.GiveConsent(ctx, sess.ID, protocol.GrantView|protocol.GrantControl); err != nil {
			t.Fatal(err)
		}
		second := AgentJoin{KeyHash: "k2", Source: protocol.SourceLink, Instance: "i1"}
		if _, err := e.s.JoinAgent(ctx, sess.ID, second); !errors.Is(err, ErrAgentBound) {
			t.Fatalf("a second agent while the first is connected: %v", err)
		}
		if err := e.s.MarkAgentLost(ctx, sess.ID, "i1"); err != nil {
			t.Fatal(err)
		}
		got, err := e.s.JoinAgent(ctx, sess.ID, second)
		if err != nil || got.State != StateJoined || got.Grants.Consented() || got.AgentLostAt != nil || got.AgentKeyHash != "k2" {
			t.Fatalf("restarted agent: %+v, %v", got, err)
		}
		if _, err := e.s.JoinAgent(ctx, sess.ID, first); !errors.Is(err, ErrAgentBound) {
			t.Fatalf("the old run after the new one took over: %v", err)
		}
	})
}

// TestAddStatsRecordsActivity: an agent's report that the session was used
// moves an active session's idle end in the same update as its byte counts;
// a session not active keeps no activity, and a report without use moves
// nothing.
func TestAddStatsRecordsActivity(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		sess := e.newSession(t, "STA001")
		if _, err := e.s.JoinAgent(ctx, sess.ID, AgentJoin{KeyHash: "k", Source: protocol.SourceCode, OS: "linux", Host: "h"}); err != nil {
			t.Fatal(err)
		}
		idle := 10 * time.Minute
		if err := e.s.AddStats(ctx, sess.ID, 5, 1, &idle); err != nil {
			t.Fatal(err)
		}
		got, err := e.s.SessionByID(ctx, e.p.ID, sess.ID)
		if err != nil || got.LastActivityAt != nil || got.IdleAt != nil || got.BytesToViewer != 5 {
			t.Fatalf("joined session after stats: activity %v, idle %v, bytes %d (%v)", got.LastActivityAt, got.IdleAt, got.BytesToViewer, err)
		}
		if _, err := e.s.GiveConsent(ctx, sess.ID, protocol.GrantView); err != nil {
			t.Fatal(err)
		}
		if err := e.s.AddStats(ctx, sess.ID, 5, 1, nil); err != nil {
			t.Fatal(err)
		}
		before, _ := e.s.SessionByID(ctx, e.p.ID, sess.ID)
		e.clock.Advance(time.Minute)
		if err := e.s.AddStats(ctx, sess.ID, 5, 1, &idle); err != nil {
			t.Fatal(err)
		}
		got, err = e.s.SessionByID(ctx, e.p.ID, sess.ID)
		now := e.clock.Now()
		if err != nil || got.LastActivityAt == nil || !got.LastActivityAt.Equal(now) || got.IdleAt == nil || !got.IdleAt.Equal(now.Add(idle)) || got.BytesToViewer != 15 || got.BytesToAgent != 3 {
			t.Fatalf("active session after stats: activity %v (was %v), idle %v, bytes %d/%d (%v); want activity %v", got.LastActivityAt, before.LastActivityAt, got.IdleAt, got.BytesToViewer, got.BytesToAgent, err, now)
		}
	})
}
