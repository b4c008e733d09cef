package session

import (
	"strings"
	"testing"
	"time"

	"tether/server/protocol"
)

// noEnvelope fails if the agent sends an envelope of typ within a moment.
func noEnvelope(t *testing.T, c *agentConn, typ string) {
	t.Helper()
	deadline := time.After(300 * time.Millisecond)
	for {
		select {
		case env := <-c.env:
			if env.Type == typ {
				t.Fatalf("agent sent %s", typ)
			}
		case <-deadline:
			return
		}
	}
}

// TestGrantRequestGrantsNothing: the engineer's request for control, and a
// server forging a given answer, change nothing until the customer allows
// on the page; a refusal is told to the engineer and input stays dropped.
func TestGrantRequestGrantsNothing(t *testing.T) {
	h := start(t, welcomeFor(false), nil)
	c := h.connect()
	v := relayView(t, c)
	h.allow(c, protocol.GrantView)
	c.send(protocol.SigPeer, protocol.Peer{Role: protocol.RoleViewer, Present: true})
	c.expect(protocol.SigPath)
	v.waitFrame(0, func(f frameSeen) bool { return f.end.Full() })

	c.send(protocol.SigGrantRequest, protocol.GrantRequest{Grants: viewControl})
	c.send(protocol.SigGrantAnswer, protocol.GrantAnswer{Grants: viewControl, Given: true}) // forged
	waitFor(t, "the page to ask", func() bool { return h.pageStatus().Request == viewControl })
	h.waitOut("Erin asks to use your mouse and keyboard.")
	noEnvelope(t, c, protocol.SigConsent)
	v.sendMsg(&protocol.Key{Down: true, Key: "a", Code: "KeyA"})
	v.ping(1)
	if calls := h.inj.snapshot(); len(calls) != 0 || h.injOpens.Load() != 0 {
		t.Fatalf("a request alone injected %q, opened input %d times", calls, h.injOpens.Load())
	}

	h.choose("grant-refuse", 0)
	if a := decode[protocol.GrantAnswer](t, c.expect(protocol.SigGrantAnswer)); a.Given || a.Grants != viewControl {
		t.Fatalf("answer %+v, want control refused", a)
	}
	if st := h.pageStatus(); st.Request != 0 || st.Grants != protocol.GrantView || len(st.Changes) == 0 || !strings.Contains(st.Changes[len(st.Changes)-1].Text, "refused") {
		t.Fatalf("page after refusing: %+v", st)
	}
	v.sendMsg(&protocol.Key{Down: true, Key: "b", Code: "KeyB"})
	v.ping(2)
	if calls := h.inj.snapshot(); len(calls) != 0 {
		t.Fatalf("after a refusal injected %q", calls)
	}

	c.send(protocol.SigGrantRequest, protocol.GrantRequest{Grants: viewControl})
	waitFor(t, "the page to ask again", func() bool { return h.pageStatus().Request == viewControl })
	h.choose("grant-allow", 0)
	if got := decode[protocol.Consent](t, c.expect(protocol.SigConsent)); got.Grants != viewControl {
		t.Fatalf("consent after allowing %v", got.Grants)
	}
	if a := decode[protocol.GrantAnswer](t, c.expect(protocol.SigGrantAnswer)); !a.Given {
		t.Fatalf("answer %+v, want given", a)
	}
	waitFor(t, "hello with control", func() (ok bool) {
		v.state(func(v *screenView) { ok = v.hellos[len(v.hellos)-1].Grants == viewControl })
		return
	})
	v.sendMsg(&protocol.Key{Down: true, Key: "c", Code: "KeyC"})
	v.ping(3)
	if calls := h.inj.snapshot(); strings.Join(calls, ",") != "key c KeyC" {
		t.Fatalf("after allowing injected %q", calls)
	}
}

// TestInputWhilePausedDropped: a pause blacks out the stream, tells the
// viewer and the server, and drops input whatever the grants; resuming
// brings both back.
func TestInputWhilePausedDropped(t *testing.T) {
	h := start(t, welcomeFor(false), nil)
	c := h.connect()
	v := relayView(t, c)
	h.allow(c, viewControl)
	c.send(protocol.SigPeer, protocol.Peer{Role: protocol.RoleViewer, Present: true})
	c.expect(protocol.SigPath)
	v.waitFrame(0, func(f frameSeen) bool { return f.end.Full() })
	h.screen.paint(10, 10, 50, 50, 200, 100, 50)
	v.waitFrame(0, func(f frameSeen) bool { return sameImage(f.img, h.screen.snapshot()) })

	h.choose("pause", 0)
	if p := decode[protocol.Pause](t, c.expect(protocol.SigPause)); !p.Paused {
		t.Fatalf("pause envelope %+v", p)
	}
	black := func(img []byte) bool {
		for i := 0; i < len(img); i += 4 {
			if img[i] != 0 || img[i+1] != 0 || img[i+2] != 0 {
				return false
			}
		}
		return true
	}
	v.waitFrame(0, func(f frameSeen) bool { return black(f.img) })
	v.state(func(v *screenView) {
		if len(v.paused) == 0 || !v.paused[len(v.paused)-1] {
			t.Errorf("viewer told paused %v", v.paused)
		}
	})
	v.sendMsg(&protocol.MouseMove{X: 3, Y: 4})
	v.sendMsg(&protocol.Key{Down: true, Key: "a", Code: "KeyA"})
	v.ping(1)
	// Pausing lets go of what the engineer held; nothing more reaches the injector.
	if calls := h.inj.snapshot(); strings.Join(calls, ",") != "release" {
		t.Fatalf("paused: injected %q", calls)
	}
	if st := h.pageStatus(); !st.Paused {
		t.Fatalf("page does not show the pause: %+v", st)
	}

	// Counted before resuming: the screen may come back before the resume
	// envelope is read.
	var n int
	v.state(func(v *screenView) { n = len(v.frames) })
	h.choose("resume", 0)
	if p := decode[protocol.Pause](t, c.expect(protocol.SigPause)); p.Paused {
		t.Fatalf("resume envelope %+v", p)
	}
	v.waitFrame(n, func(f frameSeen) bool { return sameImage(f.img, h.screen.snapshot()) })
	v.sendMsg(&protocol.Key{Down: true, Key: "b", Code: "KeyB"})
	v.ping(2)
	if calls := h.inj.snapshot(); strings.Join(calls, ",") != "release,key b KeyB" {
		t.Fatalf("resumed: injected %q", calls)
	}
}
