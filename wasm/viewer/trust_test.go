package viewer

import (
	"testing"

	"github.com/coder/websocket"

	"tether/server/protocol"
)

// TestViewerGrantsAndPause: the page's Request becomes a grant-request
// envelope (with view, and refused when it asks for nothing), and states,
// Paused messages and answers reach the page scripts as events.
func TestViewerGrantsAndPause(t *testing.T) {
	h := newHarness(t)
	h.signal(protocol.SigState, protocol.State{SessionID: "s1", State: protocol.SessionActive, Grants: protocol.GrantView, Paused: true,
		Warning: &protocol.Warning{InMS: 1000, Reason: protocol.EndTimeLimit}})
	h.eventually("session event", h.ui_(func(u *fakeUI) bool {
		for _, e := range u.emitted {
			if d, ok := e.detail.(SessionDetail); ok && e.name == EventSession && d.Paused && d.Warning != nil && d.Grants == protocol.GrantView {
				return true
			}
		}
		return false
	}))
	h.v.Command(CmdGrantRequest, []byte(`{"grants":["view"]}`))    // nothing beyond view: dropped
	h.v.Command(CmdGrantRequest, []byte(`{"grants":["control"]}`)) // without view: not a valid set, dropped
	h.v.Command(CmdGrantRequest, []byte(`{"grants":["view","control"]}`))
	m := h.nextSent()
	env, err := protocol.DecodeSignal(m.b)
	if err != nil || m.typ != websocket.MessageText || env.Type != protocol.SigGrantRequest {
		t.Fatalf("viewer sent %s (%v)", m.b, err)
	}
	var r protocol.GrantRequest
	if err := env.Decode(&r); err != nil || r.Grants != protocol.GrantView|protocol.GrantControl {
		t.Fatalf("request %+v, %v", r, err)
	}
	h.signal(protocol.SigGrantAnswer, protocol.GrantAnswer{Grants: protocol.GrantView | protocol.GrantControl})
	h.eventually("answer event", h.ui_(func(u *fakeUI) bool {
		for _, e := range u.emitted {
			if a, ok := e.detail.(protocol.GrantAnswer); ok && e.name == EventGrantAnswer && !a.Given {
				return true
			}
		}
		return false
	}))
	// An answer is news, not a grant.
	if h.ui_(func(u *fakeUI) bool { return u.grants.Has(protocol.GrantControl) })() {
		t.Fatal("an answer gave the viewer control")
	}
}
