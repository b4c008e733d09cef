//go:build linux

package e2e

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"tether/server/store"
)

// trustStore opens the running server's database, as an operator's tool
// would, to read the session's record and to set the provider's policy.
func trustStore(t testing.TB, w *world) (*store.Store, string) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, "sqlite://"+filepath.Join(w.srv.data, "tether.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	users, err := st.UsersByEmail(ctx, "erin@acme.test")
	if err != nil || len(users) != 1 {
		t.Fatalf("accounts of erin@acme.test: %d, %v", len(users), err)
	}
	return st, users[0].ProviderID
}

// eventKinds lists the kinds of the session's events, in order.
func eventKinds(t testing.TB, st *store.Store, providerID, sessionID string) []string {
	t.Helper()
	evs, err := st.Events(context.Background(), providerID, sessionID)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, ev := range evs {
		kinds = append(kinds, ev.Kind)
	}
	return kinds
}

// hasInOrder reports whether want appear in kinds in that order.
func hasInOrder(kinds []string, want ...string) bool {
	i := 0
	for _, k := range kinds {
		if i < len(want) && k == want[i] {
			i++
		}
	}
	return i == len(want)
}

// sharedSession runs a customer through the invitation and consent with
// level ("view" or "control") and waits for the first frame.
func (w *world) sharedSession(t testing.TB, name, level string, agentEnv ...string) (*customer, string) {
	t.Helper()
	link, _ := w.newSession(t, name)
	cust := newBrowser(t)
	do(t, cust, 20*time.Second, "open invitation", chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS(`#downloads`)))
	c := w.downloadAndRun(t, cust, agentEnv...)
	c.approve(t, level)
	waitJS(t, w.engineer, 15*time.Second, "first frame", `Number(document.getElementById("viewer").dataset.frames) > 0`)
	return c, eval[string](t, w.engineer, `document.getElementById("viewer").dataset.session`)
}

// noInputReached checks that nothing the engineer sent since the window
// had `since` events reached the application: a full-frame request after
// the input travels the same ordered path, so once its frame is painted
// the agent has handled (and dropped) everything before it.
func (w *world) noInputReached(t testing.TB, since int) {
	t.Helper()
	before := eval[int](t, w.engineer, `Number(document.getElementById("viewer").dataset.frames)`)
	do(t, w.engineer, 5*time.Second, "refresh", chromedp.Click(chromedp.CSS(`#v-refresh`)))
	waitJS(t, w.engineer, 5*time.Second, "full frame after the input", fmt.Sprintf(`Number(document.getElementById("viewer").dataset.frames) > %d`, before))
	w.win.mu.Lock()
	defer w.win.mu.Unlock()
	for _, ev := range w.win.events[since:] {
		if ev["event"] == "button" || ev["event"] == "key" {
			t.Errorf("input reached the application: %v", ev)
		}
	}
}

func (w *world) windowEvents() int {
	w.win.mu.Lock()
	defer w.win.mu.Unlock()
	return len(w.win.events)
}

// toast waits for a toast on the viewer containing text.
func toastShown(t testing.TB, w *world, text string) {
	t.Helper()
	waitJS(t, w.engineer, 10*time.Second, "toast "+strconv.Quote(text),
		fmt.Sprintf(`[...document.querySelectorAll(".v-toast")].some(e => e.textContent.includes(%q))`, text))
}

// requestFromViewer asks the customer for grant through the toolbar menu.
func requestFromViewer(t testing.TB, w *world, grant string) {
	t.Helper()
	do(t, w.engineer, 10*time.Second, "request "+grant,
		chromedp.Click(chromedp.CSS(`#v-request-btn:enabled`)),
		chromedp.Click(chromedp.CSS(`#v-request-menu [data-grant=`+grant+`]:enabled`)))
}

// TestGrantRefusedThenGivenMidSession: the engineer, with view only, asks
// for control from the viewer; the customer refuses on their computer and
// the engineer is told and stays view-only (input still dropped); asked
// again, the customer allows and control works; then the customer takes it
// back. Every step is in the session's log.
func TestGrantRefusedThenGivenMidSession(t *testing.T) {
	w := newWorld(t)
	c, sessionID := w.sharedSession(t, "Maria Lopez", "view")
	st, providerID := trustStore(t, w)
	waitJS(t, w.engineer, 5*time.Second, "view only", `document.getElementById("v-level").textContent === "View"`)

	requestFromViewer(t, w, "control")
	waitJS(t, c.page, 10*time.Second, "the customer is asked", `!document.getElementById("request").hidden`)
	if text := eval[string](t, c.page, `document.getElementById("request-text").textContent`); !strings.Contains(text, "Erin Engineer asks to use your mouse and keyboard") {
		t.Fatalf("the customer reads %q", text)
	}
	shot(t, w.engineer, "trust-viewer-requested")
	shot(t, c.page, "trust-consent-request")
	do(t, c.page, 5*time.Second, "refuse", chromedp.Click(chromedp.CSS(`#request-refuse:enabled`)))
	toastShown(t, w, "Maria Lopez refused control")
	shot(t, w.engineer, "trust-viewer-refused")
	if lvl := eval[string](t, w.engineer, `document.getElementById("v-level").textContent`); lvl != "View" {
		t.Fatalf("after a refusal the viewer shows %q", lvl)
	}
	since := w.windowEvents()
	w.clickRemote(t, 300, 300)
	do(t, w.engineer, 5*time.Second, "type", chromedp.KeyEvent("no"))
	w.noInputReached(t, since)

	requestFromViewer(t, w, "control")
	waitJS(t, c.page, 10*time.Second, "the customer is asked again", `!document.getElementById("request").hidden`)
	do(t, c.page, 5*time.Second, "allow", chromedp.Click(chromedp.CSS(`#request-allow:enabled`)))
	waitJS(t, w.engineer, 10*time.Second, "control shown", `document.getElementById("v-level").textContent === "View · Control"`)
	toastShown(t, w, "Maria Lopez allowed control")
	shot(t, w.engineer, "trust-viewer-allowed")
	w.controlAndCheck(t)
	shot(t, c.page, "trust-consent-allowed")

	// The customer takes it back on their computer.
	do(t, c.page, 10*time.Second, "take control back",
		chromedp.Click(chromedp.CSS(`input[value=control]`)),
		chromedp.Click(chromedp.CSS(`#update:enabled`)))
	waitJS(t, w.engineer, 10*time.Second, "view only again", `document.getElementById("v-level").textContent === "View"`)
	toastShown(t, w, "Maria Lopez took back control")
	since = w.windowEvents()
	w.clickRemote(t, 320, 320)
	w.noInputReached(t, since)

	kinds := eventKinds(t, st, providerID, sessionID)
	if !hasInOrder(kinds, store.EventConsentGiven, store.EventGrantRequested, store.EventGrantRefused, store.EventGrantRequested, store.EventGrantsChanged, store.EventGrantsChanged) {
		t.Fatalf("session log %v", kinds)
	}
	do(t, c.page, 10*time.Second, "stop", chromedp.Click(chromedp.CSS(`#stop`)))
	c.waitExit(t, 5*time.Second)
}

// TestPauseBlacksOutStream: the customer pauses on their computer: the
// engineer sees "Paused by the customer" over a black screen, and clicks do
// not reach the application; after Resume the picture and control are back.
func TestPauseBlacksOutStream(t *testing.T) {
	w := newWorld(t)
	c, sessionID := w.sharedSession(t, "Paula Pause", "control")
	st, providerID := trustStore(t, w)
	w.checkPixels(t)
	// Who is connected, on the customer's side.
	who := eval[string](t, c.page, `document.getElementById("who").hidden ? "" : document.getElementById("who").innerText`)
	for _, want := range []string{"Erin Engineer", "Acme IT Services", "127.0.0.1"} {
		if !strings.Contains(who, want) {
			t.Errorf("who is connected shows %q, lacks %q", who, want)
		}
	}

	do(t, c.page, 5*time.Second, "pause", chromedp.Click(chromedp.CSS(`#pause:enabled`)))
	waitJS(t, w.engineer, 10*time.Second, "paused overlay", `!document.getElementById("v-paused").hidden`)
	waitJS(t, w.engineer, 10*time.Second, "black canvas", `(() => { const c = document.getElementById("v-screen"); const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
		for (let i = 0; i < d.length; i += 4 * 97) { if (d[i] || d[i+1] || d[i+2]) return false; } return true; })()`)
	waitJS(t, c.page, 5*time.Second, "paused on the consent page", `!document.getElementById("paused").hidden && !document.getElementById("resume").hidden`)
	waitJS(t, c.ctx, 5*time.Second, "paused on the invitation page", `document.getElementById("invite").dataset.paused === "true" && document.getElementById("sharing-text").textContent.includes("paused")`)
	shot(t, w.engineer, "trust-viewer-paused")
	shot(t, c.page, "trust-consent-paused")
	since := w.windowEvents()
	w.clickRemote(t, 200, 150)
	do(t, w.engineer, 5*time.Second, "type", chromedp.KeyEvent("x"))
	w.noInputReached(t, since)

	do(t, c.page, 5*time.Second, "resume", chromedp.Click(chromedp.CSS(`#resume:enabled`)))
	waitJS(t, w.engineer, 10*time.Second, "overlay gone", `document.getElementById("v-paused").hidden`)
	waitJS(t, c.ctx, 5*time.Second, "resumed on the invitation page", `document.getElementById("invite").dataset.paused === "false"`)
	w.waitPixels(t, 10*time.Second, "after resume")
	w.controlAndCheck(t)
	if kinds := eventKinds(t, st, providerID, sessionID); !hasInOrder(kinds, store.EventPaused, store.EventResumed) {
		t.Fatalf("session log %v", kinds)
	}
	do(t, c.page, 10*time.Second, "stop", chromedp.Click(chromedp.CSS(`#stop`)))
	c.waitExit(t, 5*time.Second)
}

// TestTimeLimitReached: with a 20-minute limit (a policy minute of one
// second here), both sides are warned with a countdown, the customer
// extends by 30 minutes, the session goes on past its first deadline, is
// warned again and ends on both sides with the reason. The agent then
// leaves nothing behind.
func TestTimeLimitReached(t *testing.T) {
	w := newWorld(t, "TETHER_POLICY_MINUTE=1s")
	st, providerID := trustStore(t, w)
	ctx := context.Background()
	p := store.DefaultPolicy()
	p.SessionMaxMinutes, p.IdleTimeoutMinutes = 20, 0
	if err := st.SetPolicy(ctx, providerID, p); err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	c, sessionID := w.sharedSession(t, "Tim Limit", "view", "TMPDIR="+tmp)
	sess, err := st.SessionByID(ctx, providerID, sessionID)
	if err != nil || sess.DeadlineAt == nil || sess.ActiveAt == nil || sess.DeadlineAt.Sub(*sess.ActiveAt) != 20*time.Second {
		t.Fatalf("deadline %v after consent at %v (%v)", sess.DeadlineAt, sess.ActiveAt, err)
	}
	first := *sess.DeadlineAt

	waitJS(t, w.engineer, 25*time.Second, "warning in the viewer", `!document.getElementById("v-banner").hidden && document.getElementById("v-banner").classList.contains("v-banner-limit")`)
	waitJS(t, c.page, 5*time.Second, "warning on the consent page", `!document.getElementById("limit").hidden && !document.getElementById("extend").hidden`)
	t.Logf("warned: viewer %q, customer %q", eval[string](t, w.engineer, `document.getElementById("v-banner").innerText`),
		eval[string](t, c.page, `document.getElementById("limit").innerText`))
	shot(t, w.engineer, "trust-viewer-limit")
	shot(t, c.page, "trust-consent-limit")
	do(t, c.page, 5*time.Second, "extend", chromedp.Click(chromedp.CSS(`#extend:enabled`)))
	toastShown(t, w, "Tim Limit extended the session")
	waitJS(t, c.page, 5*time.Second, "warning gone on the consent page", `document.getElementById("limit").hidden`)
	if sess, err = st.SessionByID(ctx, providerID, sessionID); err != nil || !sess.DeadlineAt.Equal(first.Add(30*time.Second)) {
		t.Fatalf("deadline after extending %v, want %v (%v)", sess.DeadlineAt, first.Add(30*time.Second), err)
	}
	time.Sleep(time.Until(first.Add(2 * time.Second))) // past the first deadline: the condition is the session still running
	if state := eval[string](t, w.engineer, `document.getElementById("viewer").dataset.state`); state == "ended" {
		t.Fatal("the session ended at its first deadline although extended")
	}

	waitJS(t, w.engineer, 40*time.Second, "warned again", `!document.getElementById("v-banner").hidden`)
	waitJS(t, w.engineer, 15*time.Second, "viewer ended", `document.getElementById("viewer").dataset.state === "ended"`)
	if reason := eval[string](t, w.engineer, `document.getElementById("v-ended-reason").textContent`); !strings.Contains(reason, "time limit reached") {
		t.Fatalf("viewer says %q", reason)
	}
	c.waitExit(t, 5*time.Second)
	waitJS(t, c.page, 5*time.Second, "customer told", `/time limit reached/.test(document.getElementById("status").textContent)`)
	shot(t, w.engineer, "trust-viewer-time-limit")
	shot(t, c.page, "trust-consent-time-limit")
	if kinds := eventKinds(t, st, providerID, sessionID); !hasInOrder(kinds, store.EventConsentGiven, store.EventExtended, store.EventEnded) {
		t.Fatalf("session log %v", kinds)
	}
	nothingLeft(t, c, tmp)
}

// nothingLeft checks the one-shot agent on Linux: its file is gone, no
// process runs from it, and it left nothing in its temporary folder.
func nothingLeft(t testing.TB, c *customer, tmp string) {
	t.Helper()
	if _, err := os.Stat(c.agentPath); !os.IsNotExist(err) {
		t.Errorf("the agent's file is still there: %v", err)
	}
	procs, _ := filepath.Glob("/proc/[0-9]*/exe")
	for _, p := range procs {
		if exe, err := os.Readlink(p); err == nil && strings.HasPrefix(exe, c.agentPath) {
			t.Errorf("a process still runs the agent: %s -> %s", p, exe)
		}
	}
	if entries, err := os.ReadDir(tmp); err != nil || len(entries) != 0 {
		t.Errorf("the agent left files in its temporary folder: %v %v", entries, err)
	}
}

// agentProxy is a TCP proxy in front of the server whose agent connections
// (GET /ws/agent) can be cut and refused, like a network drop on the
// customer's side only.
type agentProxy struct {
	ln     net.Listener
	target string

	mu     sync.Mutex
	cut    bool
	agents map[net.Conn]bool
}

func newAgentProxy(t testing.TB) *agentProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &agentProxy{ln: ln, agents: map[net.Conn]bool{}}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go p.serve(conn)
		}
	}()
	return p
}

func (p *agentProxy) url() string { return "http://" + p.ln.Addr().String() }

func (p *agentProxy) serve(conn net.Conn) {
	defer conn.Close()
	br := bufio.NewReader(conn)
	line, err := br.Peek(64)
	if err != nil && len(line) == 0 {
		return
	}
	// The agent's socket, on the server's address or a provider's (/p/{subdomain}/ws/agent).
	first, _, _ := strings.Cut(string(line), "\r\n")
	agent := strings.HasPrefix(first, "GET ") && strings.Contains(first, "/ws/agent")
	p.mu.Lock()
	if agent && p.cut {
		p.mu.Unlock()
		return
	}
	if agent {
		p.agents[conn] = true
	}
	p.mu.Unlock()
	defer func() { p.mu.Lock(); delete(p.agents, conn); p.mu.Unlock() }()
	up, err := net.Dial("tcp", p.target)
	if err != nil {
		return
	}
	defer up.Close()
	go func() { io.Copy(up, br); up.Close() }()
	io.Copy(conn, up)
}

// setCut cuts the agent's connections and refuses new ones, or lets them
// through again.
func (p *agentProxy) setCut(cut bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = cut
	if cut {
		for c := range p.agents {
			c.Close()
		}
	}
}

// proxiedWorld is a world whose customer side (invitation page and agent)
// reaches the server through an agentProxy.
func proxiedWorld(t testing.TB, env ...string) (*world, *agentProxy) {
	p := newAgentProxy(t)
	port := freePort(t)
	p.target = "127.0.0.1:" + strconv.Itoa(port)
	w := newWorld(t, append(env, "TETHER_BASE_URL="+p.url(), "TETHER_LISTEN="+p.target)...)
	return w, p
}

// TestReconnectWithinGraceKeepsConsent: the customer's network drops for a
// few seconds; both sides show "reconnecting", and the session resumes by
// itself without asking the customer again.
func TestReconnectWithinGraceKeepsConsent(t *testing.T) {
	w, proxy := proxiedWorld(t)
	c, sessionID := w.sharedSession(t, "Rita Reconnect", "control")
	st, providerID := trustStore(t, w)

	proxy.setCut(true)
	waitJS(t, w.engineer, 10*time.Second, "viewer shows reconnecting", `!document.getElementById("v-banner").hidden && document.getElementById("v-banner").classList.contains("v-banner-reconnecting")`)
	waitJS(t, c.page, 10*time.Second, "consent page shows reconnecting", `document.getElementById("consent").dataset.phase === "reconnecting"`)
	shot(t, w.engineer, "trust-viewer-reconnecting")
	shot(t, c.page, "trust-consent-reconnecting")
	time.Sleep(3 * time.Second) // the outage itself is what is tested
	proxy.setCut(false)

	waitJS(t, c.page, 20*time.Second, "sharing again without asking", `document.getElementById("consent").dataset.phase === "sharing"`)
	waitJS(t, w.engineer, 20*time.Second, "viewer streams again", `document.getElementById("viewer").dataset.state === "streaming" && document.getElementById("v-banner").hidden`)
	w.waitPixels(t, 10*time.Second, "after the reconnect")
	w.controlAndCheck(t)
	kinds := eventKinds(t, st, providerID, sessionID)
	if !hasInOrder(kinds, store.EventConsentGiven, store.EventAgentLost, store.EventAgentReconnected) && !hasInOrder(kinds, store.EventConsentGiven, store.EventAgentReconnected) {
		t.Fatalf("session log %v", kinds)
	}
	for _, k := range kinds {
		if k == store.EventConsentLapsed {
			t.Fatalf("consent lapsed within the grace: %v", kinds)
		}
	}
	do(t, c.page, 10*time.Second, "stop", chromedp.Click(chromedp.CSS(`#stop`)))
	c.waitExit(t, 5*time.Second)
}

// TestReconnectAfterGraceAsksAgain: with a 10 s grace (server and agent
// alike), a drop of 13 s takes the consent back: the engineer is told the
// customer must approve again, the customer is asked again on their
// computer, and nothing is shared until they allow it.
func TestReconnectAfterGraceAsksAgain(t *testing.T) {
	w, proxy := proxiedWorld(t, "TETHER_REJOIN_GRACE=10s")
	c, sessionID := w.sharedSession(t, "Greta Grace", "control", "TETHER_AGENT_CONSENT_HOLD=10s")
	st, providerID := trustStore(t, w)

	proxy.setCut(true)
	waitJS(t, w.engineer, 10*time.Second, "viewer shows reconnecting", `document.getElementById("v-banner").classList.contains("v-banner-reconnecting")`)
	waitJS(t, w.engineer, 20*time.Second, "the engineer told the consent lapsed",
		`[...document.querySelectorAll(".v-toast")].some(e => e.textContent.includes("must approve again"))`)
	shot(t, w.engineer, "trust-viewer-lapsed")
	time.Sleep(2 * time.Second) // longer than the grace in all: the outage itself is what is tested
	proxy.setCut(false)

	waitJS(t, c.page, 20*time.Second, "the customer is asked again", `document.getElementById("consent").dataset.phase === "asking" && !document.getElementById("allow").hidden`)
	if note := eval[string](t, c.page, `document.getElementById("note").textContent`); !strings.Contains(note, "interrupted") {
		t.Errorf("the consent page says %q", note)
	}
	shot(t, c.page, "trust-consent-asked-again")
	if n := eval[string](t, w.engineer, `document.getElementById("viewer").dataset.state`); n == "streaming" {
		t.Fatal("the viewer streams before the customer approved again")
	}
	do(t, c.page, 10*time.Second, "approve again", chromedp.Click(chromedp.CSS(`#allow:enabled`)))
	waitJS(t, w.engineer, 20*time.Second, "viewer streams again", `document.getElementById("viewer").dataset.state === "streaming"`)
	w.waitPixels(t, 10*time.Second, "after approving again")
	if kinds := eventKinds(t, st, providerID, sessionID); !hasInOrder(kinds, store.EventConsentGiven, store.EventConsentLapsed, store.EventConsentGiven) {
		t.Fatalf("session log %v", kinds)
	}
	do(t, c.page, 10*time.Second, "stop", chromedp.Click(chromedp.CSS(`#stop`)))
	c.waitExit(t, 5*time.Second)
}
