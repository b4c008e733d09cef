package session

import (
	"strings"
	"testing"

	"tether/server/protocol"
)

// viewLimited is "limited control": the mouse, not the keyboard.
const viewLimited = protocol.GrantView | protocol.GrantLimited

// TestSessionLimitedControl: a desk whose template allows view and limited
// control narrows what the consent page offers and ticks; with limited
// control the engineer's pointer reaches the computer and typing does not;
// a request for full control is refused without asking the customer.
func TestSessionLimitedControl(t *testing.T) {
	w := welcomeFor(false)
	w.Allowed, w.Defaults = viewLimited, viewLimited
	h := start(t, w, nil)
	c := h.connect()
	if st := h.pageStatus(); st.Offer != viewLimited || st.Defaults != viewLimited {
		t.Fatalf("consent page offers %v ticking %v, want %v", st.Offer, st.Defaults, viewLimited)
	}
	v := relayView(t, c)
	h.allow(c, viewLimited)
	h.waitOut("(mouse only)")
	c.send(protocol.SigPeer, protocol.Peer{Role: protocol.RoleViewer, Present: true})
	c.expect(protocol.SigPath)
	v.waitFrame(0, func(f frameSeen) bool { return f.end.Full() })

	v.sendMsg(&protocol.MouseMove{X: 10, Y: 20})
	v.sendMsg(&protocol.MouseButton{Button: protocol.ButtonLeft, Down: true, X: 11, Y: 21})
	v.sendMsg(&protocol.MouseButton{Button: protocol.ButtonLeft, Down: false, X: 11, Y: 21})
	v.sendMsg(&protocol.Key{Down: true, Key: "a", Code: "KeyA"})
	v.sendMsg(&protocol.Key{Down: false, Key: "a", Code: "KeyA"})
	v.sendMsg(&protocol.Wheel{DX: 0, DY: 120})
	v.ping(1)
	want := []string{"move 10 20", "move 11 21", "button 0 1", "move 11 21", "button 0 0", "wheel 0 120"}
	if got := h.inj.snapshot(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("limited control injected %q, want %q (no keys)", got, want)
	}

	// Full control is outside the desk's template: refused at once, and
	// the customer is not asked.
	c.send(protocol.SigGrantRequest, protocol.GrantRequest{Grants: viewControl})
	if a := decode[protocol.GrantAnswer](t, c.expect(protocol.SigGrantAnswer)); a.Given || !a.Grants.Has(protocol.GrantControl) {
		t.Fatalf("answer %+v, want control refused", a)
	}
	if st := h.pageStatus(); st.Request != 0 {
		t.Fatalf("the customer was asked for %v", st.Request)
	}
	// A forged choice beyond the offer is refused by the page too.
	if st := h.pageStatus(); st.Offer.Has(protocol.GrantControl) {
		t.Fatalf("offer grew to %v", st.Offer)
	}
	c.send(protocol.SigEnd, protocol.End{Reason: "done"})
	if res, err := h.result(); err != nil || res.Outcome != Ended {
		t.Fatalf("Run: %+v, %v", res, err)
	}
}

// TestTemplateOnlyNarrows: a template cannot offer what this computer
// cannot give, and a later welcome cannot widen an earlier one.
func TestTemplateOnlyNarrows(t *testing.T) {
	s := &session{offer: protocol.GrantView | protocol.GrantClipboard}
	s.template(protocol.GrantView|protocol.GrantControl|protocol.GrantFiles, protocol.GrantView|protocol.GrantControl)
	if s.offer != protocol.GrantView {
		t.Fatalf("offer %v, want view only", s.offer)
	}
	s = &session{offer: protocol.GrantView | protocol.GrantControl | protocol.GrantLimited | protocol.GrantFiles}
	s.template(protocol.GrantView|protocol.GrantControl, protocol.GrantView|protocol.GrantControl|protocol.GrantFiles)
	if s.offer != protocol.GrantView|protocol.GrantControl|protocol.GrantLimited || s.defaults != protocol.GrantView|protocol.GrantControl {
		t.Fatalf("control template: offer %v defaults %v", s.offer, s.defaults)
	}
	s.template(viewLimited|protocol.GrantFiles, viewLimited)
	if s.offer != viewLimited {
		t.Fatalf("after a second template: offer %v, want %v", s.offer, viewLimited)
	}
	s.template(protocol.GrantView|protocol.GrantControl|protocol.GrantFiles, 0)
	if s.offer != viewLimited {
		t.Fatalf("a later template widened the offer to %v", s.offer)
	}
	// No template: nothing changes.
	s = &session{offer: protocol.GrantView | protocol.GrantControl}
	s.template(0, 0)
	if s.offer != protocol.GrantView|protocol.GrantControl || s.pageDefaults() != protocol.GrantView|protocol.GrantControl {
		t.Fatalf("no template: offer %v defaults %v", s.offer, s.pageDefaults())
	}
}
