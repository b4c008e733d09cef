package live

import (
	"context"
	"errors"
	"testing"

	"tether/server/protocol"
	"tether/server/store"
)

// TestWelcomeSaysRecorded: the customer is told in the welcome, before
// consent, when the provider records; only then does the session take a
// recording. Recording switched on after the customer agreed does not
// reach a session already running.
func TestWelcomeSaysRecorded(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	_, w, err := f.svc.AgentHello(ctx, hello(token))
	if err != nil || w.Recorded {
		t.Fatalf("welcome without recording: recorded %v, %v", w.Recorded, err)
	}
	if _, err := f.st.Recording(ctx, f.sess.ProviderID, f.sess.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a session not recorded has a recording: %v", err)
	}
	if _, err := f.st.GiveConsent(ctx, f.sess.ID, protocol.GrantView); err != nil {
		t.Fatal(err)
	}
	p := store.DefaultPolicy()
	p.Recording = true
	if err := f.st.SetPolicy(ctx, f.sess.ProviderID, p); err != nil {
		t.Fatal(err)
	}
	// The same agent reconnecting to the active session: it was not told.
	if _, w, err = f.svc.AgentHello(ctx, hello(token)); err != nil || w.Recorded {
		t.Fatalf("reconnect after recording was switched on: recorded %v, %v", w.Recorded, err)
	}
	// A new session of the provider is recorded from its welcome.
	const tok2 = "bcdefghijklmnopqrstuvwxyz2345672"
	sess2 := f.newSession(t, tok2, "BCDEFG")
	if _, w, err = f.svc.AgentHello(ctx, hello(tok2)); err != nil || !w.Recorded {
		t.Fatalf("welcome with recording: recorded %v, %v", w.Recorded, err)
	}
	if _, err := f.st.Recording(ctx, sess2.ProviderID, sess2.ID); err != nil {
		t.Fatalf("recorded session has no recording: %v", err)
	}
	if _, err := f.st.GiveConsent(ctx, sess2.ID, protocol.GrantView); err != nil {
		t.Fatal(err)
	}
	if _, w, err = f.svc.AgentHello(ctx, hello(tok2)); err != nil || !w.Recorded {
		t.Fatalf("reconnect of a recorded session: recorded %v, %v", w.Recorded, err)
	}
}
