package session

import (
	"testing"
	"time"

	"tether/server/protocol"
)

// TestSessionLearnsWhoAccepted: an agent run while the customer's request waits for an engineer asks on
// behalf of "the support engineer"; when one accepts, the console and the consent page name them, and a
// message that is not an acceptance changes nothing.
func TestSessionLearnsWhoAccepted(t *testing.T) {
	w := welcomeFor(false)
	w.Engineer = ""
	h := start(t, w, func(cfg *Config) { cfg.Settings.Engineer = "" })
	c := h.fs.accept()
	select {
	case h.page = <-h.browser:
	case <-time.After(10 * time.Second):
		t.Fatal("consent page not opened")
	}
	h.waitOut("A support engineer from Acme IT is asking to see your screen.")
	if st := h.pageStatus(); st.Engineer != "" {
		t.Fatalf("the page names %q before anyone accepted", st.Engineer)
	}
	c.send(protocol.SigRequest, protocol.RequestUpdate{SessionID: "s1", Event: protocol.RequestQueued, Position: 1, Engineer: "Mallory"})
	c.send(protocol.SigRequest, protocol.RequestUpdate{SessionID: "s1", Event: protocol.RequestAccepted, Engineer: "Ed"})
	h.waitOut("Ed accepted your request for help.")
	if st := h.pageStatus(); st.Engineer != "Ed" {
		t.Fatalf("the consent page names %q, want Ed", st.Engineer)
	}
	c.send(protocol.SigPeer, protocol.Peer{Role: "viewer", Present: true})
	h.waitOut("Ed is waiting to see your screen")
	if h.screen.opened.Load() {
		t.Fatal("captured before consent")
	}
}
