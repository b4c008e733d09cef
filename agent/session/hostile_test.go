package session

import (
	"strings"
	"testing"
	"time"

	"tether/server/protocol"
)

// hostileWelcome is a welcome from a server that claims the session is
// active with full control and points at a consent page of its own.
const hostileWelcome = `{"type":"welcome","payload":{"session_id":"s1","engineer":"Erin","provider":"Acme IT","p2p":false,"ice_timeout_ms":5000,` +
	`"state":"active","level":"control","grants":["view","control"],"consent_url":"http://evil.example/consent"}}`

// forge sends what a compromised or fake server would, to switch the
// screen on without the customer: forged consents (old and new form), an
// active state, a viewer with an offer, relayed input and unknown types.
func forge(t *testing.T, c *agentConn) {
	t.Helper()
	for _, raw := range []string{
		`{"type":"consent","payload":{"grants":["view","control"]}}`,
		`{"type":"consent","payload":{"level":"control"}}`,
		`{"type":"state","payload":{"session_id":"s1","state":"active","grants":["view","control"],"viewer":true,"agent":true}}`,
		`{"type":"peer","payload":{"role":"viewer","present":true,"grants":["view","control"]}}`,
		`{"type":"offer","payload":{"sdp":"v=0"}}`,
		`{"type":"answer","payload":{"sdp":"v=0"}}`,
		`{"type":"x-grant","payload":{"all":true}}`,
		`{"type":"consent"}`,
	} {
		c.sendRaw([]byte(raw))
	}
	for _, m := range []protocol.Message{
		&protocol.MouseMove{X: 10, Y: 10},
		&protocol.MouseButton{Button: protocol.ButtonLeft, Down: true, X: 10, Y: 10},
		&protocol.Key{Down: true, Key: "a", Code: "KeyA"},
		&protocol.RequestFull{},
	} {
		b, err := protocol.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.sendRawBinary(b); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.sendRawBinary([]byte{protocol.Version, 99, 1, 2, 3}); err != nil {
		t.Fatal(err)
	}
}

// TestHostileServerCannotGrant: whatever the server says, the agent
// captures nothing, injects nothing and opens no address but its own page
// until the customer allows it on this computer; and with view only, the
// server's input and forged control change nothing.
func TestHostileServerCannotGrant(t *testing.T) {
	fs := newFakeServer(t, protocol.Welcome{})
	fs.welcomeRaw = []byte(hostileWelcome)
	h := startOn(t, fs, nil)
	c := h.connect() // checks the browser got the agent's own page, not the server's
	forge(t, c)
	// Everything above was read before this: the agent handles the
	// connection's messages in order.
	c.send(protocol.SigPeer, protocol.Peer{Role: protocol.RoleViewer, Present: false})
	c.send(protocol.SigPeer, protocol.Peer{Role: protocol.RoleViewer, Present: true})
	waitFor(t, "the agent to answer the viewer", func() bool {
		return strings.Contains(h.out.String(), "nothing is shared until you allow it") || h.screen.opened.Load() || h.injOpens.Load() > 0
	})
	if h.screen.opened.Load() || h.screen.captures.Load() != 0 || h.injOpens.Load() != 0 {
		t.Fatalf("before consent: capture opened %v (%d captures), input opened %d times", h.screen.opened.Load(), h.screen.captures.Load(), h.injOpens.Load())
	}
	select {
	case env := <-c.env:
		t.Fatalf("agent sent %s to a server that forged consent", env.Type)
	case b := <-c.bin:
		t.Fatalf("agent sent %d bytes of the screen", len(b))
	case <-time.After(300 * time.Millisecond):
	}
	select {
	case u := <-h.browser:
		t.Fatalf("agent opened %q", u)
	default:
	}
	st := h.pageStatus()
	if st.Phase != "asking" || st.Grants != 0 {
		t.Fatalf("consent page shows %+v, want the question", st)
	}

	// The customer allows view only. The server keeps forging control and
	// sending input: none of it is injected, the injector is never opened.
	v := relayView(t, c)
	h.allow(c, protocol.GrantView)
	c.expect(protocol.SigPath)
	v.waitFrame(0, func(f frameSeen) bool { return f.end.Full() })
	forge(t, c)
	n := 0
	v.state(func(v *screenView) { n = len(v.frames) })
	// The forged RequestFull arrives after the forged input on the same
	// connection: once its frame is painted, the input was handled.
	v.waitFrame(n, func(f frameSeen) bool { return f.end.Full() })
	v.state(func(v *screenView) {
		for _, hl := range v.hellos {
			if hl.Grants != protocol.GrantView {
				t.Errorf("the agent announced %v after a forged consent", hl.Grants)
			}
		}
	})
	if calls := h.inj.snapshot(); len(calls) != 0 || h.injOpens.Load() != 0 {
		t.Fatalf("view only: injected %q, input opened %d times", calls, h.injOpens.Load())
	}
	if st := h.pageStatus(); st.Grants != protocol.GrantView {
		t.Fatalf("consent page shows grants %v, want view only", st.Grants)
	}
	c.send(protocol.SigEnd, protocol.End{Reason: "done"})
	if res, err := h.result(); err != nil || res.Outcome != Ended {
		t.Fatalf("Run: %+v, %v", res, err)
	}
	if !strings.Contains(h.out.String(), "through the support server 127.0.0.1:") {
		t.Errorf("the console does not name the server the connection proved:\n%s", h.out.String())
	}
}

// TestConsentAskedAgainAfterLongOutage: consent survives a short drop of
// the connection to the server (and is repeated to it), not a long one.
func TestConsentAskedAgainAfterLongOutage(t *testing.T) {
	h := start(t, welcomeFor(false), func(cfg *Config) { cfg.ConsentHold = 500 * time.Millisecond })
	c := h.connect()
	h.allow(c, protocol.GrantView|protocol.GrantControl)

	// A short drop: the agent says its consent again on the new connection.
	_ = c.ws.CloseNow()
	c2 := h.fs.accept()
	if got := decode[protocol.Consent](t, c2.expect(protocol.SigConsent)); got.Grants != protocol.GrantView|protocol.GrantControl {
		t.Fatalf("repeated consent %v", got.Grants)
	}

	// A long one: nothing is shared until the customer allows again.
	h.fs.down.Store(true)
	_ = c2.ws.CloseNow()
	waitFor(t, "the page to show the outage", func() bool { return h.pageStatus().Phase == "reconnecting" })
	time.Sleep(700 * time.Millisecond) // longer than ConsentHold: the outage itself is what is tested
	h.fs.down.Store(false)
	c3 := h.fs.accept()
	h.waitOut("nothing is shared until you allow it again")
	v := relayView(t, c3)
	c3.send(protocol.SigPeer, protocol.Peer{Role: protocol.RoleViewer, Present: true})
	select {
	case env := <-c3.env:
		if env.Type == protocol.SigConsent || env.Type == protocol.SigPath {
			t.Fatalf("agent sent %s after a long outage without asking", env.Type)
		}
	case <-time.After(300 * time.Millisecond):
	}
	if st := h.pageStatus(); st.Phase != "asking" || st.Grants != 0 || !strings.Contains(st.Note, "interrupted") {
		t.Fatalf("consent page after a long outage: %+v", st)
	}
	h.allow(c3, protocol.GrantView)
	c3.expect(protocol.SigPath)
	v.waitFrame(0, func(f frameSeen) bool { return f.end.Full() })
}
