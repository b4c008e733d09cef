package session

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"tether/agent/consent"
	"tether/agent/link"
	"tether/agent/stream"
	"tether/server/protocol"
)

type runResult struct {
	res Result
	err error
}

// harness runs one session against a fake server with fake devices.
type harness struct {
	t         *testing.T
	fs        *fakeServer
	screen    *fakeScreen
	inj       *fakeInjector
	injOpens  atomic.Int32
	out       *lockedBuffer
	browser   chan string
	page      string // the consent page the agent opened
	cancel    context.CancelFunc
	done      chan runResult
	finalized bool
}

func welcomeFor(p2p bool) protocol.Welcome {
	return protocol.Welcome{
		SessionID:    "s1",
		Engineer:     "Erin",
		Provider:     "Acme IT",
		P2P:          p2p,
		ICETimeoutMS: 5000,
	}
}

func start(t *testing.T, w protocol.Welcome, mod func(*Config)) *harness {
	t.Helper()
	return startOn(t, newFakeServer(t, w), mod)
}

// startOn runs a session against the fake server fs.
func startOn(t *testing.T, fs *fakeServer, mod func(*Config)) *harness {
	t.Helper()
	h := &harness{
		t:       t,
		fs:      fs,
		screen:  newFakeScreen(200, 150),
		inj:     &fakeInjector{},
		out:     &lockedBuffer{},
		browser: make(chan string, 1),
		done:    make(chan runResult, 1),
	}
	cfg := Config{
		Settings: protocol.AgentSettings{Server: h.fs.srv.URL, Token: testToken, Source: "link", Provider: "Acme IT", Engineer: "Erin"},
		Out:      h.out,
		OpenCapturer: func() (Capturer, error) {
			h.screen.opened.Store(true)
			return h.screen, nil
		},
		OpenInjector: func() (Injector, error) {
			h.injOpens.Add(1)
			return h.inj, nil
		},
		OpenBrowser:   func(u string) error { h.browser <- u; return nil },
		SettingEngine: loopbackEngine(),
		Hostname:      "pc-1",
		StatsInterval: 50 * time.Millisecond,
		MaxBackoff:    100 * time.Millisecond,
		Stream:        stream.Options{FPS: 60, IdleFPS: 30},
	}
	if mod != nil {
		mod(&cfg)
	}
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	go func() {
		res, err := Run(ctx, cfg)
		h.done <- runResult{res, err}
	}()
	t.Cleanup(func() {
		cancel()
		if !h.finalized {
			select {
			case <-h.done:
			case <-time.After(15 * time.Second):
				t.Error("Run did not return after cancel")
			}
		}
	})
	return h
}

func (h *harness) result() (Result, error) {
	h.t.Helper()
	select {
	case r := <-h.done:
		h.finalized = true
		return r.res, r.err
	case <-time.After(15 * time.Second):
		h.t.Fatal("Run did not return")
		return Result{}, nil
	}
}

func (h *harness) waitOut(text string) {
	h.t.Helper()
	waitFor(h.t, "console text "+text, func() bool { return strings.Contains(h.out.String(), text) })
}

// connect accepts the agent, checks its hello, and answers the viewer
// before consent, checking nothing is captured or offered meanwhile.
func (h *harness) connect() *agentConn {
	t := h.t
	t.Helper()
	c := h.fs.accept()
	hl := c.hello
	if hl.Token != testToken || hl.Source != "link" || len(hl.AgentKey) < 26 || hl.Host != "pc-1" || hl.Version != int(protocol.Version) {
		t.Fatalf("hello %+v", hl)
	}
	select {
	case u := <-h.browser:
		// The agent opens only the page it serves itself, on this computer.
		if !strings.HasPrefix(u, "http://127.0.0.1:") || len(u) < len("http://127.0.0.1:1/")+32 {
			t.Fatalf("browser opened %q, want the agent's own page on 127.0.0.1", u)
		}
		h.page = u
	case <-time.After(10 * time.Second):
		t.Fatal("consent page not opened")
	}
	h.waitOut("Erin from Acme IT is asking to see your screen.")
	return c
}

// choose posts the customer's choice on the consent page, as its script does.
func (h *harness) choose(action string, g protocol.Grants) {
	h.t.Helper()
	body, _ := json.Marshal(map[string]any{"action": action, "grants": g})
	req, _ := http.NewRequest(http.MethodPost, h.page+"decide", bytes.NewReader(body))
	u, _ := url.Parse(h.page)
	req.Header.Set("Origin", "http://"+u.Host)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		b, _ := io.ReadAll(resp.Body)
		h.t.Fatalf("%s on the consent page: %d %s", action, resp.StatusCode, b)
	}
}

// pageStatus is what the consent page shows now (its first event).
func (h *harness) pageStatus() consent.Status {
	h.t.Helper()
	resp, err := http.Get(h.page + "events")
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
			var st consent.Status
			if err := json.Unmarshal([]byte(data), &st); err != nil {
				h.t.Fatal(err)
			}
			return st
		}
	}
	h.t.Fatalf("no status from the consent page: %v", sc.Err())
	return consent.Status{}
}

// allow gives consent on the page and checks the agent tells the server.
func (h *harness) allow(c *agentConn, g protocol.Grants) {
	h.t.Helper()
	h.choose("allow", g)
	if got := decode[protocol.Consent](h.t, c.expect(protocol.SigConsent)); got.Grants != g {
		h.t.Fatalf("agent told the server %v, want %v", got.Grants, g)
	}
}

// viewControl is what "full control" grants.
const viewControl = protocol.GrantView | protocol.GrantControl

// viewerBeforeConsent announces a viewer and checks the agent waits.
func (h *harness) viewerBeforeConsent(c *agentConn) {
	t := h.t
	t.Helper()
	c.send(protocol.SigPeer, protocol.Peer{Role: "viewer", Present: true})
	h.waitOut("nothing is shared until you allow it")
	if h.screen.opened.Load() || h.screen.captures.Load() != 0 {
		t.Fatal("captured before consent")
	}
	select {
	case env := <-c.env:
		t.Fatalf("agent sent %s before consent", env.Type)
	case b := <-c.bin:
		t.Fatalf("agent sent %d binary bytes before consent", len(b))
	default:
	}
}

func TestSessionPeerToPeerControl(t *testing.T) {
	h := start(t, welcomeFor(true), nil)
	c := h.connect()
	peer := newTestPeer(t, c)
	h.viewerBeforeConsent(c)

	h.allow(c, viewControl)
	c.expect(protocol.SigOffer)
	if p := decode[protocol.Path](t, c.expect(protocol.SigPath)); p.Path != "p2p" {
		t.Fatalf("path %q, want p2p", p.Path)
	}
	h.waitOut("Sharing your screen with Erin (full control).")
	v := peer.view
	first := v.waitFrame(0, func(f frameSeen) bool { return true })
	v.state(func(v *screenView) {
		if len(v.hellos) == 0 || v.hellos[0] != (protocol.Hello{Grants: viewControl, Width: 200, Height: 150, OS: v.hellos[0].OS}) {
			t.Errorf("hello %+v", v.hellos)
		}
		if v.err != nil {
			t.Errorf("viewer decode: %v", v.err)
		}
	})
	if !first.end.Full() || first.tiles != 4*3 || !sameImage(first.img, h.screen.snapshot()) {
		t.Fatalf("first frame: full=%v tiles=%d, exact=%v", first.end.Full(), first.tiles, sameImage(first.img, h.screen.snapshot()))
	}

	// A change inside one tile sends that tile only.
	var n int
	v.state(func(v *screenView) { n = len(v.frames) })
	h.screen.paint(70, 70, 10, 10, 1, 2, 3)
	changed := v.waitFrame(n, func(f frameSeen) bool { return sameImage(f.img, h.screen.snapshot()) })
	if changed.end.Full() || changed.tiles != 1 {
		t.Fatalf("after a small change: full=%v tiles=%d, want one tile", changed.end.Full(), changed.tiles)
	}

	// Input reaches the injector, clamped to the screen.
	v.sendMsg(&protocol.MouseMove{X: 5000, Y: 10})
	v.sendMsg(&protocol.MouseButton{Button: protocol.ButtonRight, Down: true, X: 20, Y: 30})
	v.sendMsg(&protocol.Wheel{DX: 0, DY: 120})
	v.sendMsg(&protocol.Key{Down: true, Key: "é", Code: "KeyE"})
	v.ping(42)
	want := []string{"move 199 10", "move 20 30", "button 2 1", "wheel 0 120", "key é KeyE"}
	if got := h.inj.snapshot(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("injected %q, want %q", got, want)
	}

	// Stats flow while bytes do.
	st := decode[protocol.Stats](t, c.expect(protocol.SigStats))
	if st.ToViewer <= 0 {
		t.Errorf("stats %+v", st)
	}

	// The customer takes control back on the page: held input is
	// released, Hello announces view only, the server is told, and input
	// stops reaching the injector.
	h.choose("update", protocol.GrantView)
	if got := decode[protocol.Consent](t, c.expect(protocol.SigConsent)); got.Grants != protocol.GrantView {
		t.Fatalf("agent told the server %v after taking control back", got.Grants)
	}
	h.waitOut("(view only)")
	waitFor(t, "hello with view only", func() (ok bool) {
		v.state(func(v *screenView) { ok = v.hellos[len(v.hellos)-1].Grants == protocol.GrantView })
		return
	})
	v.sendMsg(&protocol.Key{Down: true, Key: "q", Code: "KeyQ"})
	v.ping(43)
	want = append(want, "release")
	if got := h.inj.snapshot(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("after view only: injected %q, want %q", got, want)
	}

	c.send(protocol.SigEnd, protocol.End{Reason: "the engineer ended the session"})
	res, err := h.result()
	if err != nil || res.Outcome != Ended || res.Reason != "the engineer ended the session" {
		t.Fatalf("Run: %+v, %v", res, err)
	}
	calls := h.inj.snapshot()
	if calls[len(calls)-1] != "release" || !h.inj.closed || !h.screen.closed.Load() {
		t.Errorf("after end: calls %q, injector closed %v, capture closed %v", calls, h.inj.closed, h.screen.closed.Load())
	}
}

func TestSessionViewOnlyInjectsNothing(t *testing.T) {
	h := start(t, welcomeFor(true), nil)
	c := h.connect()
	peer := newTestPeer(t, c)
	h.allow(c, protocol.GrantView)
	h.waitOut("Sharing your screen with Erin (view only).")
	c.send(protocol.SigPeer, protocol.Peer{Role: "viewer", Present: true})
	v := peer.view
	v.waitFrame(0, func(f frameSeen) bool { return f.end.Full() })
	v.state(func(v *screenView) {
		if v.hellos[0].Grants != protocol.GrantView {
			t.Errorf("hello %+v", v.hellos[0])
		}
	})
	for _, m := range []protocol.Message{
		&protocol.MouseMove{X: 1, Y: 2},
		&protocol.MouseButton{Button: protocol.ButtonLeft, Down: true, X: 1, Y: 2},
		&protocol.MouseButton{Button: protocol.ButtonLeft, Down: false, X: 1, Y: 2},
		&protocol.Wheel{DX: 120, DY: -120},
		&protocol.Key{Down: true, Key: "a", Code: "KeyA"},
		&protocol.Key{Down: false, Key: "a", Code: "KeyA"},
	} {
		v.sendMsg(m)
	}
	v.ping(7)
	if calls := h.inj.snapshot(); len(calls) != 0 || h.injOpens.Load() != 0 {
		t.Fatalf("view only injected %q (opened %d times)", calls, h.injOpens.Load())
	}
	c.send(protocol.SigEnd, protocol.End{Reason: "expired"})
	if res, err := h.result(); err != nil || res.Outcome != Ended {
		t.Fatalf("Run: %+v, %v", res, err)
	}
}

func TestSessionRelay(t *testing.T) {
	h := start(t, welcomeFor(false), nil)
	c := h.connect()
	v := relayView(t, c)
	h.viewerBeforeConsent(c)
	h.allow(c, viewControl)
	if p := decode[protocol.Path](t, c.expect(protocol.SigPath)); p.Path != "relay" {
		t.Fatalf("path %q, want relay", p.Path)
	}
	first := v.waitFrame(0, func(f frameSeen) bool { return true })
	if !first.end.Full() || !sameImage(first.img, h.screen.snapshot()) {
		t.Fatal("first relayed frame is not the screen")
	}
	// Sealed end to end: the customer sees the code the viewer derived,
	// and no message crossed the server in clear.
	code := c.keys.Load().Code
	h.waitOut("Security code for this connection: " + code + ".")
	if st := h.pageStatus(); st.Code != code {
		t.Fatalf("consent page shows code %q, the viewer %q", st.Code, code)
	}
	checkSealed(t, c)
	var n int
	v.state(func(v *screenView) { n = len(v.frames) })
	h.screen.paint(0, 0, 1, 1, 9, 9, 9)
	if f := v.waitFrame(n, func(f frameSeen) bool { return sameImage(f.img, h.screen.snapshot()) }); f.tiles != 1 {
		t.Fatalf("relayed change: %d tiles, want 1", f.tiles)
	}
	v.sendMsg(&protocol.Key{Down: true, Key: "x", Code: "KeyX"})
	v.ping(9)
	if calls := h.inj.snapshot(); len(calls) != 1 || calls[0] != "key x KeyX" {
		t.Fatalf("injected %q", calls)
	}
	// The viewer leaves and comes back: a new stream starts with a full frame.
	c.send(protocol.SigPeer, protocol.Peer{Role: "viewer", Present: false})
	h.waitOut("has disconnected")
	v.state(func(v *screenView) { n = len(v.frames) })
	c.send(protocol.SigPeer, protocol.Peer{Role: "viewer", Present: true})
	c.expect(protocol.SigPath)
	v.waitFrame(n, func(f frameSeen) bool { return f.end.Full() && f.end.Seq == 1 })
	// A new exchange for the returning viewer.
	if again := c.keys.Load().Code; h.pageStatus().Code != again {
		t.Fatalf("after the viewer came back the page shows %q, the viewer %q", h.pageStatus().Code, again)
	}
	checkSealed(t, c)

	h.cancel() // the customer closes the agent
	if e := decode[protocol.End](t, c.expect(protocol.SigEnd)); e.Reason != protocol.EndCustomerClosed {
		t.Errorf("end reason %q", e.Reason)
	}
	if res, err := h.result(); err != nil || res.Outcome != Stopped {
		t.Fatalf("Run: %+v, %v", res, err)
	}
}

// checkSealed checks the relayed messages so far: each crossed the server
// as a sealed message with its clear type only, never holding its payload.
func checkSealed(t *testing.T, c *agentConn) {
	t.Helper()
	n := 0
	for {
		select {
		case m := <-c.sealed:
			n++
			typ, err := protocol.PeekSealed(m.wire)
			if err != nil || typ != protocol.Type(m.opened[1]) || len(m.wire) != len(m.opened)+protocol.SealOverhead {
				t.Fatalf("relayed %s (%d bytes for %d): %v", typ, len(m.wire), len(m.opened), err)
			}
			if payload := m.opened[2:]; len(payload) >= 8 && bytes.Contains(m.wire, payload) {
				t.Fatalf("a relayed %s crossed the server in clear", typ)
			}
		default:
			if n == 0 {
				t.Fatal("nothing was relayed")
			}
			return
		}
	}
}

func TestSessionFallsBackToRelayWhenICEFails(t *testing.T) {
	w := welcomeFor(true)
	w.ICETimeoutMS = 1500
	h := start(t, w, func(cfg *Config) { cfg.SettingEngine = deafEngine() })
	c := h.connect()
	peer := newTestPeer(t, c)
	_ = peer
	v := relayView(t, c)
	h.allow(c, protocol.GrantView)
	c.send(protocol.SigPeer, protocol.Peer{Role: "viewer", Present: true})
	c.expect(protocol.SigOffer)
	offered := time.Now()
	p := decode[protocol.Path](t, c.expect(protocol.SigPath))
	if waited := time.Since(offered); p.Path != "relay" || waited > 3*time.Second {
		t.Fatalf("path %q after %v, want relay within about 1.5 s", p.Path, waited)
	}
	first := v.waitFrame(0, func(f frameSeen) bool { return true })
	if !first.end.Full() || !sameImage(first.img, h.screen.snapshot()) {
		t.Fatal("relayed frame is not the screen")
	}
}

func TestSessionDenied(t *testing.T) {
	for _, tc := range []struct {
		name    string
		console io.Reader
	}{
		{"on the page", nil},
		{"in the console", strings.NewReader("maybe\nd\n")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := start(t, welcomeFor(true), func(cfg *Config) { cfg.Console = tc.console })
			c := h.connect()
			if tc.console == nil {
				h.choose("deny", 0)
			}
			if e := decode[protocol.End](t, c.expect(protocol.SigEnd)); e.Reason != protocol.EndCustomerDenied {
				t.Errorf("end reason %q", e.Reason)
			}
			res, err := h.result()
			if err != nil || res.Outcome != Denied {
				t.Fatalf("Run: %+v, %v", res, err)
			}
			if h.screen.opened.Load() {
				t.Error("capture opened although denied")
			}
		})
	}
}

func TestSessionConsoleConsent(t *testing.T) {
	h := start(t, welcomeFor(false), func(cfg *Config) { cfg.Console = strings.NewReader("c\n") })
	c := h.connect()
	if got := decode[protocol.Consent](t, c.expect(protocol.SigConsent)); got.Grants != viewControl {
		t.Fatalf("console consent %v", got.Grants)
	}
	h.waitOut("(full control)")
	if !strings.Contains(h.out.String(), "Type v for view only, c for full control, d to deny") {
		t.Errorf("no prompt in %q", h.out.String())
	}
}

func TestSessionReconnectsWithSameKey(t *testing.T) {
	h := start(t, welcomeFor(false), nil)
	c1 := h.connect()
	_ = c1.ws.CloseNow() // the server restarts
	c2 := h.fs.accept()
	if c2.hello.AgentKey != c1.hello.AgentKey {
		t.Fatal("reconnect with a new key")
	}
	h.waitOut("Reconnected")
	// The session goes on over the new connection.
	v := relayView(t, c2)
	h.allow(c2, protocol.GrantView)
	c2.send(protocol.SigPeer, protocol.Peer{Role: "viewer", Present: true})
	v.waitFrame(0, func(f frameSeen) bool { return f.end.Full() })
}

func TestSessionServerError(t *testing.T) {
	fs := newFakeServer(t, protocol.Welcome{})
	fs.reject = &protocol.Error{Message: "this invitation has expired"}
	_, err := Run(context.Background(), Config{
		Settings:     protocol.AgentSettings{Server: fs.srv.URL, Token: testToken, Source: "code"},
		OpenCapturer: func() (Capturer, error) { return newFakeScreen(8, 8), nil },
	})
	var ended *link.EndedError
	if !errors.As(err, &ended) || ended.Reason != "this invitation has expired" {
		t.Fatalf("Run: %v, want the server's error", err)
	}
}

func TestSessionControlWithoutInput(t *testing.T) {
	h := start(t, welcomeFor(false), func(cfg *Config) {
		cfg.OpenInjector = func() (Injector, error) { return nil, errors.New("no X server") }
	})
	c := h.connect()
	v := relayView(t, c)
	h.choose("allow", viewControl)
	if got := decode[protocol.Consent](t, c.expect(protocol.SigConsent)); got.Grants != protocol.GrantView {
		t.Fatalf("agent told the server %v, want view", got.Grants)
	}
	h.waitOut("Control is not possible on this computer")
	h.waitOut("(view only)")
	c.send(protocol.SigPeer, protocol.Peer{Role: "viewer", Present: true})
	v.waitFrame(0, func(f frameSeen) bool { return f.end.Full() })
	v.state(func(v *screenView) {
		if v.hellos[0].Grants != protocol.GrantView {
			t.Errorf("hello %+v, want view only", v.hellos[0])
		}
	})
}
