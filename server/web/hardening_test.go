package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"tether/server/protocol"
	"tether/server/protocol/protocoltest"
	"tether/server/store"
)

// postFrom posts a form as a client at addr, behind the trusted proxy the
// harness runs as (127.0.0.1).
func (b *browser) postFrom(path string, form url.Values, addr string) (int, string) {
	b.h.t.Helper()
	code, body, _ := b.postAs(path, form, addr)
	return code, body
}

// tryCodes sends one wrong code from each address and returns the status of
// each attempt.
func tryCodes(b *browser, code string, addrs ...string) []int {
	var out []int
	for _, a := range addrs {
		st, _ := b.postFrom("/code", url.Values{"code": {code}}, a)
		out = append(out, st)
	}
	return out
}

func firstRefusal(statuses []int) int {
	for i, s := range statuses {
		if s == http.StatusTooManyRequests {
			return i
		}
	}
	return -1
}

func addrs(format string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf(format, i+1)
	}
	return out
}

// TestCodeGuessingIsLimited: per address, per IPv6 /64 and for the whole
// server; failures and refusals are logged without the code.
func TestCodeGuessingIsLimited(t *testing.T) {
	const guess = "WXYZ23"
	for _, tc := range []struct {
		name    string
		addrs   []string
		refused int // index of the first refused attempt
		message string
	}{
		{"one address", addrs("198.51.100.7%.0s", 11), 10, "Too many attempts from your network"},
		{"one IPv6 /64, many addresses", addrs("2001:db8:1:2::%x", 31), 30, "Too many attempts from your network"},
		{"many addresses", addrs("203.0.%d.9", 61), 60, "Too many codes are being tried on this server"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarnessWith(t, []string{"-trusted-proxies", "127.0.0.1"}, nil)
			h.signedUp("Acme", "erin@acme.test")
			b := h.browser()
			b.get("/code")
			got := tryCodes(b, guess, tc.addrs...)
			if i := firstRefusal(got); i != tc.refused {
				t.Fatalf("first refusal at attempt %d, want %d (%v)", i+1, tc.refused+1, got)
			}
			_, body := b.postFrom("/code", url.Values{"code": {guess}}, tc.addrs[len(tc.addrs)-1])
			if !strings.Contains(body, tc.message) {
				t.Errorf("refusal page lacks %q", tc.message)
			}
			logs := h.logs.String()
			if !strings.Contains(logs, "code attempt failed") || !strings.Contains(logs, "code attempt refused") {
				t.Errorf("failures and refusals not logged:\n%s", logs)
			}
			if strings.Contains(logs, guess) {
				t.Error("the code typed appears in the log")
			}
		})
	}
}

// TestForwardedForOnlyFromTrustedProxies: a client cannot pick its address
// with X-Forwarded-For unless it is the configured proxy.
func TestForwardedForOnlyFromTrustedProxies(t *testing.T) {
	for _, tc := range []struct {
		name     string
		args     []string
		wantAddr string
		refused  int
	}{
		{"no proxy configured", nil, "addr=127.0.0.1", 10},
		{"another proxy configured", []string{"-trusted-proxies", "10.9.9.9"}, "addr=127.0.0.1", 10},
		{"request from the trusted proxy", []string{"-trusted-proxies", "127.0.0.1"}, "addr=198.51.100.", -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarnessWith(t, tc.args, nil)
			h.signedUp("Acme", "erin@acme.test")
			b := h.browser()
			b.get("/code")
			got := tryCodes(b, "WXYZ23", addrs("198.51.100.%d", 12)...)
			if i := firstRefusal(got); i != tc.refused {
				t.Fatalf("first refusal at %d, want %d", i, tc.refused)
			}
			if !strings.Contains(h.logs.String(), tc.wantAddr) {
				t.Errorf("log does not name %s", tc.wantAddr)
			}
		})
	}
}

// TestSignInBackoffPerAccount: repeated failures lock the account (known
// or not, from any address) with a growing wait; success clears them.
func TestSignInBackoffPerAccount(t *testing.T) {
	h := newHarnessWith(t, []string{"-trusted-proxies", "127.0.0.1"}, nil)
	h.signedUp("Acme", "erin@acme.test")
	signIn := func(email, pw string, n int) (int, string) {
		b := h.browser()
		b.get("/login")
		return b.postFrom("/login", url.Values{"email": {email}, "password": {pw}}, fmt.Sprintf("198.51.100.%d", n))
	}
	for _, email := range []string{"erin@acme.test", "nobody@acme.test"} {
		for i := 1; i <= 5; i++ {
			if code, _ := signIn(email, "wrong password!!", i); code != http.StatusUnauthorized {
				t.Fatalf("%s failure %d: %d", email, i, code)
			}
		}
		code, body := signIn(email, "correct horse battery", 50)
		if code != http.StatusTooManyRequests || !strings.Contains(body, "Too many failed sign-ins for this account") {
			t.Fatalf("%s after 5 failures: %d", email, code)
		}
	}
	h.clock.Add(31 * time.Second)
	if code, _ := signIn("erin@acme.test", "correct horse battery", 51); code != http.StatusSeeOther {
		t.Fatalf("after the wait: %d", code)
	}
	// Success cleared the count: one failure does not lock again.
	if code, _ := signIn("erin@acme.test", "wrong password!!", 52); code != http.StatusUnauthorized {
		t.Fatalf("failure after success: %d", code)
	}
	if code, _ := signIn("erin@acme.test", "correct horse battery", 53); code != http.StatusSeeOther {
		t.Fatalf("sign-in after one failure: %d", code)
	}
	if logs := h.logs.String(); !strings.Contains(logs, "sign-in failed") || !strings.Contains(logs, "account locked") || strings.Contains(logs, "wrong password") {
		t.Errorf("sign-in log:\n%s", logs)
	}
	for n, want := range map[int]time.Duration{4: 0, 5: 30 * time.Second, 6: time.Minute, 8: 4 * time.Minute, 20: 15 * time.Minute, 500: 15 * time.Minute} {
		if got := signInLock(n); got != want {
			t.Errorf("signInLock(%d) = %v, want %v", n, got, want)
		}
	}
}

// TestSetupIsAtomic: parallel posts of the one-time setup make one provider.
func TestSetupIsAtomic(t *testing.T) {
	h := newHarness(t)
	bs := make([]*browser, 5)
	for i := range bs {
		bs[i] = h.browser()
		bs[i].get("/setup?token=setup-token-123")
	}
	locs := make([]string, len(bs))
	var wg sync.WaitGroup
	for i, b := range bs {
		wg.Go(func() {
			_, _, hdr := b.post("/setup", url.Values{"token": {"setup-token-123"}, "provider": {"Acme"}, "name": {"Erin"},
				"email": {fmt.Sprintf("erin%d@acme.test", i)}, "password": {"correct horse battery"}, "password2": {"correct horse battery"}})
			locs[i] = hdr.Get("Location")
		})
	}
	wg.Wait()
	owners := 0
	for i := range bs {
		if _, err := userByEmail(h.st, fmt.Sprintf("erin%d@acme.test", i)); err == nil {
			owners++
		}
	}
	if strings.Count(strings.Join(locs, " "), "/console") != 1 || owners != 1 {
		t.Fatalf("redirects %v, %d owners; want one setup", locs, owners)
	}
}

// readClose reads until the connection closes and returns its status.
func readClose(t *testing.T, c *websocket.Conn, within time.Duration) websocket.StatusCode {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	for {
		if _, _, err := c.Read(ctx); err != nil {
			if ctx.Err() != nil {
				t.Fatalf("still open after %v", within)
			}
			return websocket.CloseStatus(err)
		}
	}
}

// TestSignedInSocketsCloseWhenSignInEnds: the viewer's and the console's
// websockets close on sign-out, at expiry and when the user is deactivated.
func TestSignedInSocketsCloseWhenSignInEnds(t *testing.T) {
	for _, tc := range []struct {
		name string
		end  func(h *harness, b *browser, u store.User)
	}{
		{"sign-out", func(h *harness, b *browser, _ store.User) { b.get("/console"); b.post("/logout", nil) }},
		{"expiry", func(h *harness, _ *browser, _ store.User) { h.clock.Add(13 * time.Hour) }},
		{"deactivated", func(h *harness, _ *browser, u store.User) {
			if _, err := h.st.DisableUser(context.Background(), u.ProviderID, u.ID); err != nil {
				h.t.Fatal(err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			eng := h.signedUp("Acme", "erin@acme.test")
			id, _ := h.newSession(eng, "Maria Lopez")
			u, err := userByEmail(h.st, "erin@acme.test")
			if err != nil {
				t.Fatal(err)
			}
			viewer := h.wsDial(eng, "/ws/viewer/"+id)
			expect(t, viewer, protocol.SigState, nil)
			console := h.wsDial(eng, "/ws/console")
			tc.end(h, eng, u)
			for name, c := range map[string]*websocket.Conn{"viewer": viewer, "console": console} {
				if st := readClose(t, c, 2*time.Second); st != protocol.CloseSignedOut {
					t.Errorf("%s closed with %v, want %d", name, st, protocol.CloseSignedOut)
				}
			}
		})
	}
}

// dialStatus opens a websocket and returns the HTTP status of the answer.
func (h *harness) dialStatus(b *browser, path, origin string) (int, *websocket.Conn) {
	h.t.Helper()
	opts := &websocket.DialOptions{HTTPHeader: http.Header{}}
	if b != nil {
		opts.HTTPClient = b.c
	}
	if origin != "" {
		opts.HTTPHeader.Set("Origin", origin)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, resp, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(h.ts.URL, "http")+path, opts)
	if err == nil {
		h.t.Cleanup(func() { c.CloseNow() })
		return http.StatusSwitchingProtocols, c
	}
	if resp == nil {
		h.t.Fatalf("dial %s: %v", path, err)
	}
	return resp.StatusCode, nil
}

// TestWebsocketRateLimitBeforeUpgrade: a flood of agent connections is
// refused with 429 before any websocket is opened.
func TestWebsocketRateLimitBeforeUpgrade(t *testing.T) {
	h := newHarness(t)
	var got []int
	for range 21 {
		st, c := h.dialStatus(nil, "/ws/agent", "")
		if c != nil {
			c.CloseNow()
		}
		got = append(got, st)
	}
	if firstRefusal(got) != 20 {
		t.Fatalf("statuses %v: want 20 upgrades, then 429", got)
	}
}

// TestWebsocketCaps: an invitation takes a few page connections, an
// address a bounded number of sockets.
func TestWebsocketCaps(t *testing.T) {
	h := newHarnessWith(t, nil, func(d *Deps) { d.MaxSocketsPerAddr = 12 })
	eng := h.signedUp("Acme", "erin@acme.test")
	_, token := h.newSession(eng, "Maria Lopez")
	var pages []*websocket.Conn
	for i := range 9 {
		st, c := h.dialStatus(nil, "/ws/invite/"+token, h.ts.URL)
		if i < 8 && st != http.StatusSwitchingProtocols || i == 8 && st != http.StatusTooManyRequests {
			t.Fatalf("page socket %d: %d", i+1, st)
		}
		if c != nil {
			pages = append(pages, c)
		}
	}
	for i := range 5 {
		st, _ := h.dialStatus(eng, "/ws/console", h.ts.URL)
		want := http.StatusSwitchingProtocols
		if i == 4 {
			want = http.StatusTooManyRequests // 8 pages and 4 consoles hold all 12
		}
		if st != want {
			t.Fatalf("console socket %d: %d, want %d", i+1, st, want)
		}
	}
	pages[0].Close(websocket.StatusNormalClosure, "")
	waitUntil(t, func() bool {
		st, c := h.dialStatus(eng, "/ws/console", h.ts.URL)
		if c != nil {
			c.CloseNow()
		}
		return st == http.StatusSwitchingProtocols
	})
}

func waitUntil(t *testing.T, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in 5 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestWebsocketOriginIncludesScheme: a page of another site, or of this
// site over another scheme, cannot open the engineer's sockets.
func TestWebsocketOriginIncludesScheme(t *testing.T) {
	h := newHarness(t)
	eng := h.signedUp("Acme", "erin@acme.test")
	host := strings.TrimPrefix(h.ts.URL, "http://")
	for origin, want := range map[string]int{
		"http://" + host:       http.StatusSwitchingProtocols,
		"https://" + host:      http.StatusForbidden,
		"http://evil.test":     http.StatusForbidden,
		"http://" + host + ".": http.StatusForbidden,
	} {
		if st, _ := h.dialStatus(eng, "/ws/console", origin); st != want {
			t.Errorf("origin %s: %d, want %d", origin, st, want)
		}
	}
	if st, _ := h.dialStatus(nil, "/ws/agent", ""); st != http.StatusSwitchingProtocols {
		t.Errorf("agent without an origin: %d", st)
	}
}

// TestRelayOnlyWithinGrants drives the relay over real websockets: input
// from a viewer does not reach a view-only agent; a frame ack does.
func TestRelayOnlyWithinGrants(t *testing.T) {
	h := newHarness(t)
	eng := h.signedUp("Acme", "erin@acme.test")
	id, token := h.newSession(eng, "Maria Lopez")
	agent := h.wsDial(nil, "/ws/agent")
	send(t, agent, protocol.SigAgentHello, hello(token))
	expect(t, agent, protocol.SigWelcome, nil)
	viewer := h.wsDial(eng, "/ws/viewer/"+id)
	expect(t, viewer, protocol.SigState, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	// Before consent the agent's frames go nowhere (sealed with keys of
	// its own: no viewer took part in an exchange yet).
	early, _ := protocoltest.Keys(t, "other")
	sealedWriter(t, agent, early)(&protocol.FrameEnd{Seq: 1, Width: 4, Height: 4})
	send(t, agent, protocol.SigConsent, protocol.Consent{Grants: protocol.GrantView})
	expect(t, agent, protocol.SigPeer, nil)
	expect(t, viewer, protocol.SigPeer, nil)
	agentKeys, viewerKeys := exchangeThrough(t, agent, viewer, id)
	writers := map[*websocket.Conn]func(protocol.Message){agent: sealedWriter(t, agent, agentKeys), viewer: sealedWriter(t, viewer, viewerKeys)}
	write := func(c *websocket.Conn, m protocol.Message) { writers[c](m) }
	write(viewer, &protocol.Key{Down: true, Key: "a", Code: "KeyA"})
	write(viewer, &protocol.MouseButton{Button: protocol.ButtonLeft, Down: true, X: 1, Y: 1})
	write(viewer, &protocol.FrameAck{Seq: 1})
	for {
		mt, data, err := agent.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if mt != websocket.MessageBinary {
			continue
		}
		typ, _ := protocol.PeekSealed(data)
		if typ != protocol.TypeFrameAck {
			t.Fatalf("view-only agent received %s", typ)
		}
		if _, err := agentKeys.Opener.Open(data); err != nil {
			t.Fatalf("the ack does not open: %v", err)
		}
		break
	}
	write(agent, &protocol.FrameEnd{Seq: 2, Width: 4, Height: 4})
	for {
		mt, data, err := viewer.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if mt == websocket.MessageBinary {
			if typ, _ := protocol.PeekSealed(data); typ != protocol.TypeFrameEnd {
				t.Fatalf("viewer received %s", typ)
			}
			b, err := viewerKeys.Opener.Open(data)
			if err != nil {
				t.Fatalf("viewer received a frame it cannot open (the one from before consent?): %v", err)
			}
			if m, _ := protocol.Unmarshal(b); m.(*protocol.FrameEnd).Seq != 2 {
				t.Fatalf("viewer received the frame from before consent")
			}
			break
		}
	}
	// A viewer sending a type it may not send is closed.
	write(viewer, &protocol.Hello{Grants: protocol.GrantView, Width: 1, Height: 1})
	if st := readClose(t, viewer, 2*time.Second); st != websocket.StatusPolicyViolation {
		t.Fatalf("viewer closed with %v", st)
	}
}

// TestSecurityHeaders: every page has a Content-Security-Policy; https
// adds HSTS.
func TestSecurityHeaders(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		hsts bool
	}{
		{"http on loopback", nil, false},
		{"https behind a proxy", []string{"-base-url", "https://support.example.test", "-tls-proxy", "true"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarnessWith(t, tc.args, nil)
			_, _, hdr := h.browser().get("/login")
			if hdr.Get("Content-Security-Policy") != contentSecurityPolicy || hdr.Get("X-Frame-Options") != "DENY" {
				t.Errorf("headers %v", hdr)
			}
			for _, want := range []string{"default-src 'self'", "script-src 'self' 'wasm-unsafe-eval'", "frame-ancestors 'none'"} {
				if !strings.Contains(contentSecurityPolicy, want) {
					t.Errorf("CSP lacks %s", want)
				}
			}
			if got := hdr.Get("Strict-Transport-Security"); (got != "") != tc.hsts {
				t.Errorf("HSTS %q", got)
			}
		})
	}
}

// TestErrorAfterUpgradeIsLogged: a websocket handler that fails after the
// upgrade is logged once, though nothing can be rendered any more.
func TestErrorAfterUpgradeIsLogged(t *testing.T) {
	h := newHarness(t)
	eng := h.signedUp("Acme", "erin@acme.test")
	_, token := h.newSession(eng, "Maria Lopez")
	agent := h.wsDial(nil, "/ws/agent")
	h.st.Close() // the database goes away
	send(t, agent, protocol.SigAgentHello, hello(token))
	var e protocol.Error
	expect(t, agent, protocol.SigError, &e)
	if !strings.Contains(e.Message, "problem") {
		t.Errorf("agent told %q", e.Message)
	}
	// Answer the server's close at once, as an agent does; otherwise its close handshake waits out its
	// 5 s timeout before the handler returns and logs.
	agent.CloseRead(context.Background())
	waitUntil(t, func() bool {
		return strings.Count(h.logs.String(), "request failed after the response started") == 1
	})
	if !strings.Contains(h.logs.String(), "path=/ws/agent") {
		t.Error("the log line does not name the endpoint")
	}
}
