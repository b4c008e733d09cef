package store

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"tether/server/protocol"
)

// assertKinds checks a session's log holds exactly kinds, in order, and returns it.
func assertKinds(t *testing.T, e *env, sessionID string, kinds ...string) []Event {
	t.Helper()
	evs, err := e.s.Events(context.Background(), e.p.ID, sessionID)
	if err != nil {
		t.Fatalf("Events: %v", err)
	}
	var got []string
	for _, ev := range evs {
		got = append(got, ev.Kind)
	}
	if len(got) != len(kinds) {
		t.Fatalf("event kinds = %v, want %v", got, kinds)
	}
	for i := range got {
		if got[i] != kinds[i] {
			t.Fatalf("event kinds = %v, want %v", got, kinds)
		}
	}
	return evs
}

func TestEvents(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		otherP, _, _ := e.otherProvider(t)
		sess := e.newSession(t, "EVT001")
		// The clock stands still: order must come from the log, not from timestamps.
		if _, err := e.s.JoinAgent(ctx, sess.ID, AgentJoin{KeyHash: "k", Source: protocol.SourceCode, OS: "windows", Host: "desk-7"}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.s.GiveConsent(ctx, sess.ID, protocol.GrantView); err != nil {
			t.Fatal(err)
		}

		tests := []struct {
			name    string
			ev      Event
			wantErr error
		}{
			{name: "viewer connected", ev: Event{SessionID: sess.ID, ProviderID: e.p.ID, Kind: "viewer_connected", Actor: ActorEngineer(e.owner.ID)}},
			{name: "provider filled in", ev: Event{SessionID: sess.ID, Kind: "chat", Actor: ActorCustomer, Detail: `{"text":"hi"}`}},
			{name: "given id and time kept", ev: Event{ID: "fixed-id", SessionID: sess.ID, Kind: "note", At: e.clock.Now().Add(-time.Hour)}},
			{name: "other provider", ev: Event{SessionID: sess.ID, ProviderID: otherP.ID, Kind: "x"}, wantErr: ErrNotFound},
			{name: "unknown session", ev: Event{SessionID: "nope", Kind: "x"}, wantErr: ErrNotFound},
			{name: "no kind", ev: Event{SessionID: sess.ID}, wantErr: ErrInvalidArgument},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := e.s.AppendEvent(ctx, tt.ev)
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("AppendEvent error = %v, want %v", err, tt.wantErr)
				}
				if err != nil {
					return
				}
				if got.ID == "" || got.At.IsZero() || got.ProviderID != e.p.ID || got.Seq == 0 {
					t.Errorf("AppendEvent() = %+v", got)
				}
				if tt.ev.ID != "" && got.ID != tt.ev.ID {
					t.Errorf("ID = %q, want %q", got.ID, tt.ev.ID)
				}
				if !tt.ev.At.IsZero() && !got.At.Equal(tt.ev.At) {
					t.Errorf("At = %v, want %v", got.At, tt.ev.At)
				}
			})
		}
		if _, err := e.s.ChangeGrants(ctx, sess.ID, viewControl); err != nil {
			t.Fatal(err)
		}
		evs := assertKinds(t, e, sess.ID, EventCreated, EventAgentConnected, EventConsentGiven,
			"viewer_connected", "chat", "note", EventGrantsChanged)
		for i, ev := range evs {
			if ev.Seq != int64(i+1) || ev.SessionID != sess.ID {
				t.Errorf("event %d = %+v, want seq %d", i, ev, i+1)
			}
		}
		if evs[0].Actor != ActorEngineer(e.owner.ID) || evs[2].Detail != "view" || evs[6].Detail != "view,control" ||
			evs[4].Detail != `{"text":"hi"}` || evs[1].Actor != ActorAgent {
			t.Errorf("events = %+v", evs)
		}
	})
}

func TestAppendEventConcurrent(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		sess := e.newSession(t, "EVT002")
		const n = 20
		var wg sync.WaitGroup
		for range n {
			wg.Go(func() {
				if _, err := e.s.AppendEvent(context.Background(), Event{SessionID: sess.ID, Kind: "tick"}); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		evs, err := e.s.Events(context.Background(), e.p.ID, sess.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) != n+1 {
			t.Fatalf("got %d events, want %d", len(evs), n+1)
		}
		for i, ev := range evs {
			if ev.Seq != int64(i+1) {
				t.Fatalf("event %d has seq %d, want %d", i, ev.Seq, i+1)
			}
		}
	})
}
