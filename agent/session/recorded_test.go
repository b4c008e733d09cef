package session

import (
	"testing"

	"tether/server/protocol"
)

// TestSessionSaysRecorded: when the welcome says the provider records the
// session, the consent page and the console tell the customer before they
// answer, and refusing ends the session as denied.
func TestSessionSaysRecorded(t *testing.T) {
	w := welcomeFor(true)
	w.Recorded = true
	h := start(t, w, nil)
	c := h.connect()
	if st := h.pageStatus(); !st.Recorded || st.Phase != "asking" {
		t.Fatalf("consent page status %+v, want recorded while asking", st)
	}
	h.waitOut("This session is recorded: Acme IT keeps a recording of what Erin sees of your screen. You may refuse.")
	h.choose("deny", 0)
	if e := decode[protocol.End](t, c.expect(protocol.SigEnd)); e.Reason != protocol.EndCustomerDenied {
		t.Errorf("end reason %q", e.Reason)
	}
	if res, err := h.result(); err != nil || res.Outcome != Denied {
		t.Fatalf("Run: %+v, %v", res, err)
	}
}

// TestSessionNotRecordedSaysNothing: without it, no notice.
func TestSessionNotRecordedSaysNothing(t *testing.T) {
	h := start(t, welcomeFor(true), nil)
	h.connect()
	if st := h.pageStatus(); st.Recorded {
		t.Fatalf("consent page says recorded: %+v", st)
	}
}
