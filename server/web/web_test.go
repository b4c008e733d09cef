package web

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/coder/websocket"

	"tether/server/blob"
	"tether/server/config"
	"tether/server/hub"
	"tether/server/live"
	"tether/server/protocol"
	"tether/server/store"
	"tether/server/turn/restcred"
)

// clock is a fixed clock the test moves by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

const fakeAgent = "\x7fELF generic agent binary"

// fakeAgentFile is a generic agent as a build makes it: code with an empty
// key slot.
func fakeAgentFile() []byte {
	m := protocol.KeySlotMagic()
	b := append([]byte(fakeAgent), m[:]...)
	b = append(b, make([]byte, 32)...)
	return append(b, " more code"...)
}

// agentSigningKey is the test server's key for agent settings.
var agentSigningKey = ed25519.NewKeyFromSeed(bytes.Repeat([]byte{3}, ed25519.SeedSize))

type harness struct {
	t     *testing.T
	ts    *httptest.Server
	srv   *Server
	st    *store.Store
	live  *live.Service
	clock *clock
	logs  *logBuffer
}

// logBuffer collects the server's log lines.
type logBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}
func (l *logBuffer) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

func newHarness(t *testing.T) *harness { return newHarnessWith(t, nil, nil) }

// newHarnessWith starts a server with extra flags and changed dependencies.
func newHarnessWith(t *testing.T, args []string, mod func(*Deps)) *harness {
	t.Helper()
	clk := &clock{t: time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)}
	ctx := context.Background()
	st, err := store.Open(ctx, "sqlite://:memory:", clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	logs := &logBuffer{}
	log := slog.New(slog.NewTextHandler(logs, nil))
	lv := live.New(st, hub.NewLocal(), live.Config{Instance: "test", P2P: true}, log)
	h := &harness{t: t, st: st, live: lv, clock: clk, logs: logs}
	h.ts = httptest.NewUnstartedServer(nil)
	base := "http://" + h.ts.Listener.Addr().String()
	cfg, err := config.Parse(append([]string{"-base-url", base}, args...), func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	static := fstest.MapFS{
		"css/app.css": {Data: []byte("body{}")}, "css/report.css": {Data: []byte(".report{}")}, "js/live.js": {Data: []byte("")}, "wasm_exec.js": {Data: []byte("")},
	}
	build := fstest.MapFS{
		"viewer.wasm":                     {Data: []byte("\x00asm")},
		"agents/tether-agent-linux-amd64": {Data: fakeAgentFile()},
	}
	blobs, err := blob.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	d := Deps{Config: cfg, Store: st, Live: lv, Log: log, Now: clk.Now, Static: static, Build: build, Blobs: blobs,
		Secret: bytes.Repeat([]byte{7}, 32), AgentKey: agentSigningKey, SetupToken: "setup-token-123",
		SignInRecheck: 20 * time.Millisecond}
	if mod != nil {
		mod(&d)
	}
	h.srv, err = New(d)
	if err != nil {
		t.Fatal(err)
	}
	h.ts.Config.Handler = h.srv.Handler()
	h.ts.Start()
	t.Cleanup(h.ts.Close)
	return h
}

// browser is a cookie-keeping client that does not follow redirects.
type browser struct {
	h    *harness
	c    *http.Client
	csrf string
}

func (h *harness) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{h: h, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

var csrfMeta = regexp.MustCompile(`name="csrf-token" content="([^"]+)"`)

func (b *browser) get(path string) (int, string, http.Header) {
	b.h.t.Helper()
	resp, err := b.c.Get(b.h.ts.URL + path)
	if err != nil {
		b.h.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if m := csrfMeta.FindSubmatch(body); m != nil {
		b.csrf = string(m[1])
	}
	return resp.StatusCode, string(body), resp.Header
}

func (b *browser) post(path string, form url.Values) (int, string, http.Header) {
	b.h.t.Helper()
	return b.postAs(path, form, "")
}

// postAs posts a form with the browser's CSRF token; addr, when set, is
// the client address the proxy in front (the harness itself, 127.0.0.1)
// says it forwards for.
func (b *browser) postAs(path string, form url.Values, addr string) (int, string, http.Header) {
	b.h.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if b.csrf != "" && form.Get("_csrf") == "" {
		form.Set("_csrf", b.csrf)
	}
	req, _ := http.NewRequest(http.MethodPost, b.h.ts.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if addr != "" {
		req.Header.Set("X-Forwarded-For", addr)
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.h.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), resp.Header
}

func (b *browser) postJSON(path string, v any) (int, string) {
	b.h.t.Helper()
	js, _ := json.Marshal(v)
	req, _ := http.NewRequest(http.MethodPost, b.h.ts.URL+path, bytes.NewReader(js))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-CSRF-Token", b.csrf)
	resp, err := b.c.Do(req)
	if err != nil {
		b.h.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// signedUp runs the setup and returns the owner's browser.
func (h *harness) signedUp(provider, email string) *browser {
	b := h.browser()
	b.get("/setup?token=setup-token-123")
	code, _, hdr := b.post("/setup", url.Values{"token": {"setup-token-123"}, "provider": {provider}, "name": {"Erin Engineer"},
		"email": {email}, "password": {"correct horse battery"}, "password2": {"correct horse battery"}})
	if code != http.StatusSeeOther || hdr.Get("Location") != "/console" {
		h.t.Fatalf("setup: %d %s", code, hdr.Get("Location"))
	}
	return b
}

// newSession creates a session and returns its id and invitation token.
func (h *harness) newSession(b *browser, customer string) (id, token string) {
	b.get("/console")
	code, body, hdr := b.post("/sessions", url.Values{"customer": {customer}})
	if code != http.StatusSeeOther {
		h.t.Fatalf("create session: %d %s", code, body)
	}
	id = strings.TrimPrefix(hdr.Get("Location"), "/sessions/")
	return id, h.srv.inviteToken(id)
}

func TestSetupAndSignIn(t *testing.T) {
	h := newHarness(t)
	anon := h.browser()
	if code, body, _ := anon.get("/setup"); code != http.StatusForbidden || !strings.Contains(body, "setup link") {
		t.Fatalf("setup without token: %d", code)
	}
	anon.get("/setup?token=setup-token-123")
	code, body, _ := anon.post("/setup", url.Values{"token": {"setup-token-123"}, "provider": {"Acme"}, "name": {"Erin"},
		"email": {"erin@acme.test"}, "password": {"correct horse battery"}, "password2": {"different password"}})
	if code != http.StatusBadRequest || !strings.Contains(body, "two passwords are different") {
		t.Fatalf("mismatched passwords: %d", code)
	}
	owner := h.signedUp("Acme", "erin@acme.test")
	if code, body, _ := owner.get("/console"); code != http.StatusOK || !strings.Contains(body, "New support session") {
		t.Fatalf("console after setup: %d", code)
	}
	if code, _, hdr := h.browser().get("/setup?token=setup-token-123"); code != http.StatusSeeOther || hdr.Get("Location") != "/login" {
		t.Fatalf("second setup: %d", code)
	}

	tests := []struct {
		name, email, password string
		want                  int
	}{
		{"wrong password", "erin@acme.test", "wrong password!!", http.StatusUnauthorized},
		{"unknown email", "nobody@acme.test", "correct horse battery", http.StatusUnauthorized},
		{"right", "ERIN@acme.test", "correct horse battery", http.StatusSeeOther},
	}
	var bodies []string
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := h.browser()
			b.get("/login")
			code, body, _ := b.post("/login", url.Values{"email": {tt.email}, "password": {tt.password}})
			if code != tt.want {
				t.Fatalf("status %d, want %d", code, tt.want)
			}
			if code == http.StatusUnauthorized {
				bodies = append(bodies, strings.ReplaceAll(body, tt.email, ""))
			}
		})
	}
	// The answer must not tell whether the email exists.
	strip := regexp.MustCompile(`(content|value)="[^"]*"`)
	if len(bodies) != 2 || strip.ReplaceAllString(bodies[0], "") != strip.ReplaceAllString(bodies[1], "") {
		t.Fatal("wrong password and unknown email get different pages")
	}
	// Forms without the CSRF token are refused.
	b := h.browser()
	code, body, _ = b.post("/login", url.Values{"email": {"erin@acme.test"}, "password": {"correct horse battery"}})
	if (code != http.StatusBadRequest && code != http.StatusForbidden) || !strings.Contains(body, "This form has expired") {
		t.Fatalf("login without CSRF token: %d", code)
	}
	// Logout ends the sign-in.
	owner.get("/console")
	owner.post("/logout", nil)
	if code, _, hdr := owner.get("/console"); code != http.StatusSeeOther || hdr.Get("Location") != "/login" {
		t.Fatalf("console after logout: %d", code)
	}
}

func TestSessionsAreScopedByProvider(t *testing.T) {
	h := newHarness(t)
	a := h.signedUp("Acme", "erin@acme.test")
	id, _ := h.newSession(a, "Maria Lopez")
	if code, body, _ := a.get("/sessions/" + id); code != http.StatusOK || !strings.Contains(body, "Maria Lopez") {
		t.Fatalf("own session: %d", code)
	}
	if code, body, _ := a.get("/console/sessions"); code != http.StatusOK || !strings.Contains(body, "Maria Lopez") {
		t.Fatalf("list: %d", code)
	}
	// A second provider (created directly: setup runs once) sees nothing.
	ctx := context.Background()
	_, u, err := h.st.CreateProviderWithOwner(ctx, "Other Co", "Olga", "olga@other.test", "$2a$10$abcdefghijklmnopqrstuuJ3M8S3G3V1hG1fW3cQp8H2wO4E7ePa")
	if err != nil {
		t.Fatal(err)
	}
	o := h.browser()
	if err := h.srv.startLoginFor(o, u); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/sessions/" + id, "/sessions/" + id + "/view"} {
		if code, _, _ := o.get(p); code != http.StatusNotFound {
			t.Fatalf("other provider GET %s: %d, want 404", p, code)
		}
	}
	o.get("/console")
	if code, _, _ := o.post("/sessions/"+id+"/end", nil); code != http.StatusNotFound {
		t.Fatalf("other provider ended the session: %d", code)
	}
	if _, body, _ := o.get("/console/sessions"); strings.Contains(body, "Maria Lopez") {
		t.Fatal("other provider lists the session")
	}
}

func TestInvitationDownloadAndCode(t *testing.T) {
	h := newHarness(t)
	eng := h.signedUp("Acme", "erin@acme.test")
	id, token := h.newSession(eng, "Maria Lopez")
	cust := h.browser()
	code, body, _ := cust.get("/i/" + token)
	if code != http.StatusOK || !strings.Contains(body, "Erin Engineer from Acme") || !strings.Contains(body, "Hello Maria Lopez") {
		t.Fatalf("invitation page: %d", code)
	}
	for _, bad := range []string{"/i/" + strings.Repeat("a", 32), "/i/short", "/i/" + token + "x"} {
		if code, body, _ := cust.get(bad); code != http.StatusNotFound || !strings.Contains(body, "not valid") {
			t.Fatalf("GET %s: %d", bad, code)
		}
	}
	// The download is the generic binary plus this invitation's settings.
	resp, err := http.Get(h.ts.URL + "/i/" + token + "/agent/linux-amd64")
	if err != nil {
		t.Fatal(err)
	}
	bin, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !bytes.HasPrefix(bin, []byte(fakeAgent)) || !strings.Contains(resp.Header.Get("Content-Disposition"), `filename="acme-support"`) ||
		resp.Header.Get("Content-Length") != strconv.Itoa(len(bin)) {
		t.Fatalf("download: %d %q", resp.StatusCode, resp.Header.Get("Content-Disposition"))
	}
	// The server's public key is in the download's key slot, and the
	// settings are signed with it.
	_, key, err := protocol.FindKeySlot(bytes.NewReader(bin), int64(len(bin)))
	if err != nil || !bytes.Equal(key, agentSigningKey.Public().(ed25519.PublicKey)) {
		t.Fatalf("key slot %x, %v", key, err)
	}
	set, err := protocol.ReadSettings(bytes.NewReader(bin), int64(len(bin)), key)
	if err != nil || set.Token != token || set.Server != h.ts.URL+"/p/acme" || set.Source != "link" || set.Engineer != "Erin Engineer" {
		t.Fatalf("settings %+v, %v", set, err)
	}
	if resp, _ := http.Get(h.ts.URL + "/i/" + token + "/agent/plan9-mips"); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("unknown platform: %d", resp.StatusCode)
	}

	// The code page: any case, spaces and dashes, leading to the code token.
	sess, err := h.st.SessionByID(context.Background(), "", id)
	if err == nil {
		t.Fatal("unscoped lookup with empty provider found a session")
	}
	sess, err = h.st.SessionByIDUnscoped(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	typed := strings.ToLower(sess.Code[:3]) + " - " + sess.Code[3:]
	cust.get("/code")
	code, _, hdr := cust.post("/code", url.Values{"code": {typed}})
	if code != http.StatusSeeOther || hdr.Get("Location") != "/i/"+h.srv.codeToken(id) {
		t.Fatalf("code: %d %s", code, hdr.Get("Location"))
	}
	resp, _ = http.Get(h.ts.URL + hdr.Get("Location") + "/agent/linux-amd64")
	bin, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if set, err := protocol.ReadSettings(bytes.NewReader(bin), int64(len(bin)), agentSigningKey.Public().(ed25519.PublicKey)); err != nil || set.Source != "code" {
		t.Fatalf("code download settings %+v, %v", set, err)
	}
	for _, bad := range []string{"ZZZZZZ", "ABC", "O0O0O0", ""} {
		code, body, _ := cust.post("/code", url.Values{"code": {bad}})
		if code != http.StatusNotFound || !strings.Contains(body, "not valid or has expired") {
			t.Fatalf("code %q: %d", bad, code)
		}
	}
	// Attempts are rate-limited per address.
	limited := false
	for i := 0; i < 20 && !limited; i++ {
		code, _, _ := cust.post("/code", url.Values{"code": {"ZZZZZZ"}})
		limited = code == http.StatusTooManyRequests
	}
	if !limited {
		t.Fatal("code attempts are not rate-limited")
	}
	// After expiry the invitation is gone.
	h.clock.Add(25 * time.Hour)
	if code, _, _ := cust.get("/i/" + token); code != http.StatusNotFound {
		t.Fatalf("expired invitation: %d", code)
	}
}

// wsDial opens a websocket to path, with the browser's cookies if b is set.
func (h *harness) wsDial(b *browser, path string) *websocket.Conn {
	h.t.Helper()
	opts := &websocket.DialOptions{}
	if b != nil {
		opts.HTTPClient = b.c
		opts.HTTPHeader = http.Header{"Origin": {h.ts.URL}}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(h.ts.URL, "http")+path, opts)
	if err != nil {
		h.t.Fatalf("dial %s: %v", path, err)
	}
	h.t.Cleanup(func() { c.CloseNow() })
	return c
}

func send(t *testing.T, c *websocket.Conn, typ string, payload any) {
	t.Helper()
	b, err := protocol.EncodeSignal(typ, payload)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.Write(ctx, websocket.MessageText, b); err != nil {
		t.Fatal(err)
	}
}

// expect reads envelopes until one of type typ arrives.
func expect(t *testing.T, c *websocket.Conn, typ string, v any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for {
		mt, data, err := c.Read(ctx)
		if err != nil {
			t.Fatalf("waiting for %s: %v", typ, err)
		}
		if mt != websocket.MessageText {
			continue
		}
		env, err := protocol.DecodeSignal(data)
		if err != nil {
			t.Fatal(err)
		}
		if env.Type == typ {
			if v != nil {
				if err := env.Decode(v); err != nil {
					t.Fatal(err)
				}
			}
			return
		}
	}
}

func hello(token string) protocol.AgentHello {
	return protocol.AgentHello{Token: token, AgentKey: strings.Repeat("k", 32), Source: protocol.SourceLink, Version: int(protocol.Version), OS: "linux", Arch: "amd64", Host: "pc1"}
}

func TestLiveSession(t *testing.T) {
	h := newHarness(t)
	eng := h.signedUp("Acme", "erin@acme.test")
	id, token := h.newSession(eng, "Maria Lopez")
	page := h.wsDial(nil, "/ws/invite/"+token)
	var st protocol.State
	expect(t, page, protocol.SigState, &st)
	if st.State != "waiting" {
		t.Fatalf("page state %q", st.State)
	}

	console := h.wsDial(eng, "/ws/console")
	agent := h.wsDial(nil, "/ws/agent")
	send(t, agent, protocol.SigAgentHello, hello(token))
	// The engineer's console hears about it without reloading.
	var cs protocol.State
	for cs.State != "joined" {
		expect(t, console, protocol.SigState, &cs)
	}
	if cs.SessionID != id {
		t.Fatalf("console state for %q", cs.SessionID)
	}
	var w protocol.Welcome
	expect(t, agent, protocol.SigWelcome, &w)
	if w.SessionID != id || w.Engineer != "Erin Engineer" || w.Provider != "Acme" {
		t.Fatalf("welcome %+v", w)
	}
	expect(t, page, protocol.SigState, &st)
	if st.State != "joined" {
		t.Fatalf("page state %q after agent joined", st.State)
	}
	// A second agent cannot use the same invitation.
	other := h.wsDial(nil, "/ws/agent")
	h2 := hello(token)
	h2.AgentKey = strings.Repeat("z", 32)
	send(t, other, protocol.SigAgentHello, h2)
	var e protocol.Error
	expect(t, other, protocol.SigError, &e)
	if !strings.Contains(e.Message, "Another support program") {
		t.Fatalf("second agent: %q", e.Message)
	}

	viewer := h.wsDial(eng, "/ws/viewer/"+id)
	expect(t, viewer, protocol.SigState, &st)
	// Each step is logged once: the join by the store, the viewer by the web layer.
	evs, err := h.st.Events(context.Background(), mustProvider(t, h, id), id)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, e := range evs {
		kinds = append(kinds, e.Kind)
	}
	if got := strings.Join(kinds, ","); got != "created,agent_connected,viewer_connected" {
		t.Fatalf("event log %s", got)
	}

	// The server takes no consent from a page: a post there is refused
	// and changes nothing.
	cust := h.browser()
	cust.get("/i/" + token)
	if code, body := cust.postJSON("/i/"+token+"/consent", map[string]string{"consent_key": strings.Repeat("c", 32), "level": "control"}); code != http.StatusGone || !strings.Contains(body, "on your computer") {
		t.Fatalf("consent posted to the server: %d %s", code, body)
	}
	if s, _ := h.st.SessionByIDUnscoped(context.Background(), id); s.State != store.StateJoined {
		t.Fatalf("a consent post changed the session to %s", s.State)
	}
	// The customer allows control on their computer; the agent says so.
	send(t, agent, protocol.SigConsent, protocol.Consent{Grants: protocol.GrantView | protocol.GrantControl})
	var peer protocol.Peer
	expect(t, agent, protocol.SigPeer, &peer)
	expect(t, viewer, protocol.SigPeer, &peer)
	if !peer.Present || peer.Grants != protocol.GrantView|protocol.GrantControl {
		t.Fatalf("viewer peer %+v", peer)
	}
	for st.State != "active" {
		expect(t, page, protocol.SigState, &st)
	}
	if st.Grants != protocol.GrantView|protocol.GrantControl {
		t.Fatalf("page state %+v", st)
	}
	// Signaling and relay bytes flow between agent and viewer: the key
	// exchange, an offer, a sealed ping.
	agentKeys, viewerKeys := exchangeThrough(t, agent, viewer, id)
	send(t, agent, protocol.SigOffer, protocol.SDP{SDP: "v=0"})
	var sdp protocol.SDP
	expect(t, viewer, protocol.SigOffer, &sdp)
	sealedWriter(t, viewer, viewerKeys)(&protocol.Ping{Micros: 5})
	if m, ok := readSealed(t, agent, agentKeys).(*protocol.Ping); !ok || m.Micros != 5 {
		t.Fatalf("relayed %v", m)
	}
	// The engineer ends it: agent and viewer are told, the page sees it.
	eng.get("/sessions/" + id)
	if code, _, _ := eng.post("/sessions/"+id+"/end", nil); code != http.StatusSeeOther {
		t.Fatalf("end: %d", code)
	}
	var end protocol.End
	expect(t, agent, protocol.SigEnd, &end)
	expect(t, viewer, protocol.SigEnd, &end)
	for st.State != "ended" {
		expect(t, page, protocol.SigState, &st)
	}
	if !strings.Contains(end.Reason, "Erin Engineer") {
		t.Fatalf("end reason %q", end.Reason)
	}
	// Told the end, the agent still reports its last byte counts before it
	// closes: the record keeps them.
	before, err := h.st.SessionByIDUnscoped(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	send(t, agent, protocol.SigStats, protocol.Stats{ToViewer: 1000, ToAgent: 20})
	agent.Close(websocket.StatusNormalClosure, "done")
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		after, err := h.st.SessionByIDUnscoped(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if after.BytesToViewer == before.BytesToViewer+1000 && after.BytesToAgent == before.BytesToAgent+20 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("bytes after the last stats %d/%d, want %d/%d", after.BytesToViewer, after.BytesToAgent, before.BytesToViewer+1000, before.BytesToAgent+20)
		}
	}
	// The used invitation now leads to the report and the survey only: no
	// download, and it cannot start an agent again.
	if code, body, _ := h.browser().get("/i/" + token); code != http.StatusOK || !strings.Contains(body, "/i/"+token+"/report") || strings.Contains(body, "/agent/") {
		t.Fatalf("ended invitation page: %d", code)
	}
	if code, _, _ := h.browser().get("/i/" + token + "/agent/linux-amd64"); code != http.StatusNotFound {
		t.Fatalf("agent download of an ended invitation: %d", code)
	}
	again := h.wsDial(nil, "/ws/agent")
	send(t, again, protocol.SigAgentHello, hello(token))
	expect(t, again, protocol.SigError, &e)
}

func TestMalformedMessagesClose(t *testing.T) {
	h := newHarness(t)
	eng := h.signedUp("Acme", "erin@acme.test")
	_, token := h.newSession(eng, "Maria Lopez")
	tests := []struct {
		name string
		msgs [][]byte
	}{
		{"not json", [][]byte{[]byte("hello?")}},
		{"wrong first type", [][]byte{[]byte(`{"type":"offer","payload":{"sdp":"x"}}`)}},
		{"unknown type after hello", [][]byte{mustSignal(t, protocol.SigAgentHello, hello(token)), []byte(`{"type":"bogus","payload":{}}`)}},
		{"consent without grants", [][]byte{mustSignal(t, protocol.SigAgentHello, hello(token)), []byte(`{"type":"consent","payload":{"grants":[]}}`)}},
		{"unknown session message", [][]byte{mustSignal(t, protocol.SigAgentHello, hello(token)), {protocol.Version, 99}}},
		{"bad binary", [][]byte{mustSignal(t, protocol.SigAgentHello, hello(token)), {9, 9, 9}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := h.wsDial(nil, "/ws/agent")
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			for _, m := range tt.msgs {
				typ := websocket.MessageText
				if m[0] == 9 || m[0] == protocol.Version {
					typ = websocket.MessageBinary
				}
				if err := c.Write(ctx, typ, m); err != nil {
					t.Fatal(err)
				}
			}
			for {
				_, _, err := c.Read(ctx)
				if err != nil {
					if s := websocket.CloseStatus(err); s != websocket.StatusPolicyViolation {
						t.Fatalf("closed with %v, want policy violation", err)
					}
					return
				}
			}
		})
	}
}

func mustProvider(t *testing.T, h *harness, sessionID string) string {
	t.Helper()
	sess, err := h.st.SessionByIDUnscoped(context.Background(), sessionID)
	if err != nil {
		t.Fatal(err)
	}
	return sess.ProviderID
}

// TestAgentEndReason: the agent's own reason is recorded when it is one the
// contract knows; anything else is recorded as the customer closing it.
func TestAgentEndReason(t *testing.T) {
	for _, tt := range []struct{ sent, want string }{
		{protocol.EndCannotCapture, protocol.EndCannotCapture},
		{"<script>free text</script>", protocol.EndCustomerClosed},
	} {
		t.Run(tt.want, func(t *testing.T) {
			h := newHarness(t)
			eng := h.signedUp("Acme", "erin@acme.test")
			id, token := h.newSession(eng, "Maria Lopez")
			agent := h.wsDial(nil, "/ws/agent")
			send(t, agent, protocol.SigAgentHello, hello(token))
			expect(t, agent, protocol.SigWelcome, nil)
			send(t, agent, protocol.SigEnd, protocol.End{Reason: tt.sent})
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			for {
				if _, _, err := agent.Read(ctx); err != nil {
					break
				}
			}
			sess, err := h.st.SessionByIDUnscoped(context.Background(), id)
			if err != nil || sess.State != store.StateEnded || sess.EndReason != tt.want {
				t.Fatalf("session %s %q, %v; want ended %q", sess.State, sess.EndReason, err, tt.want)
			}
		})
	}
}

func mustSignal(t *testing.T, typ string, v any) []byte {
	b, err := protocol.EncodeSignal(typ, v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestExpiryEndsWaitingSessions(t *testing.T) {
	h := newHarness(t)
	eng := h.signedUp("Acme", "erin@acme.test")
	_, token := h.newSession(eng, "Maria Lopez")
	page := h.wsDial(nil, "/ws/invite/"+token)
	var st protocol.State
	expect(t, page, protocol.SigState, &st)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go h.live.Sweep(ctx, 5*time.Millisecond)
	h.clock.Add(24*time.Hour + time.Second)
	for st.State != "ended" {
		expect(t, page, protocol.SigState, &st)
	}
	if st.Reason != "expired" {
		t.Fatalf("reason %q", st.Reason)
	}
}

func TestStaticAssets(t *testing.T) {
	h := newHarness(t)
	url := h.srv.assets.url("build/viewer.wasm")
	if !strings.Contains(url, "?v=") {
		t.Fatalf("viewer URL %q is not versioned", url)
	}
	req, _ := http.NewRequest(http.MethodGet, h.ts.URL+url, nil)
	req.Header.Set("Accept-Encoding", "gzip")
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/wasm" || resp.Header.Get("Content-Encoding") != "gzip" ||
		!strings.Contains(resp.Header.Get("Cache-Control"), "immutable") {
		t.Fatalf("viewer.wasm: %d %v", resp.StatusCode, resp.Header)
	}
	for _, p := range []string{"/static/build/agents/tether-agent-linux-amd64", "/static/../go.mod", "/static/nope.css"} {
		if resp, _ := http.Get(h.ts.URL + p); resp.StatusCode != http.StatusNotFound {
			t.Fatalf("GET %s: %d", p, resp.StatusCode)
		}
	}
}

// TestViewerFirstStateCarriesTURN: over the real websockets, the agent's
// welcome and the viewer's first state carry TURN credentials for the
// session and the relay-only policy; the invitation page's state does not.
func TestViewerFirstStateCarriesTURN(t *testing.T) {
	iss := &restcred.Issuer{TURN: []string{"turn:127.0.0.1:3478?transport=udp"}, Secret: []byte("turn secret")}
	h := newHarnessWith(t, nil, func(d *Deps) {
		iss.Now = d.Now
		d.Live = live.New(d.Store.(*store.Store), hub.NewLocal(), live.Config{Instance: "test", P2P: true, ICE: iss, ICEPolicy: protocol.ICEPolicyRelay}, d.Log)
	})
	eng := h.signedUp("Acme", "erin@acme.test")
	id, token := h.newSession(eng, "Maria Lopez")
	agent := h.wsDial(nil, "/ws/agent")
	send(t, agent, protocol.SigAgentHello, hello(token))
	var w protocol.Welcome
	expect(t, agent, protocol.SigWelcome, &w)
	var st protocol.State
	viewer := h.wsDial(eng, "/ws/viewer/"+id)
	expect(t, viewer, protocol.SigState, &st)
	for who, got := range map[string]struct {
		ice    []protocol.ICEServer
		policy string
	}{"agent": {w.ICEServers, w.ICEPolicy}, "viewer": {st.ICEServers, st.ICEPolicy}} {
		if got.policy != protocol.ICEPolicyRelay || len(got.ice) != 1 || !strings.HasSuffix(got.ice[0].Username, ":"+id) {
			t.Fatalf("%s: policy %q, servers %+v", who, got.policy, got.ice)
		}
		if err := restcred.Check([]byte("turn secret"), got.ice[0].Username, got.ice[0].Credential, h.clock.Now()); err != nil {
			t.Fatalf("%s: %v", who, err)
		}
	}
	page := h.wsDial(nil, "/ws/invite/"+token)
	var ps protocol.State
	expect(t, page, protocol.SigState, &ps)
	if ps.ICEServers != nil || ps.ICEPolicy != "" {
		t.Fatalf("the invitation page got ICE: %+v", ps)
	}
}
