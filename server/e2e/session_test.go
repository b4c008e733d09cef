//go:build linux

package e2e

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"

	"tether/agent/capture"
	"tether/agent/capture/xvfbtest"
)

const screenW, screenH = 1280, 800

// world is one customer computer (an X display with an application) and one
// Tether server, with an engineer's browser signed in.
type world struct {
	sw, sh   int // screen size
	a        artifacts
	display  string
	win      *testWindow
	srv      *server
	engineer context.Context
}

func newWorld(t testing.TB, serverEnv ...string) *world {
	return newWorldWith(t, nil, serverEnv...)
}

func newWorldWith(t testing.TB, winArgs []string, serverEnv ...string) *world {
	return newWorldSized(t, screenW, screenH, winArgs, serverEnv...)
}

func newWorldSized(t testing.TB, sw, sh int, winArgs []string, serverEnv ...string) *world {
	return newWorldOn(t, sw, sh, func(w *world) *testWindow {
		return startTestWindow(t, w.a.testwin, w.display, winArgs...)
	}, serverEnv...)
}

// newWorldOn makes a world whose application launch starts once the X
// display runs: the X11 test window, or the Windows one in Wine's desktop.
func newWorldOn(t testing.TB, sw, sh int, launch func(*world) *testWindow, serverEnv ...string) *world {
	requireTools(t)
	w := &world{sw: sw, sh: sh, a: build(t)}
	w.display = xvfbtest.Start(t, sw, sh)
	w.win = launch(w)
	w.srv = startServer(t, w.a, serverEnv...)
	w.engineer = newBrowser(t)
	w.setupAccount(t)
	return w
}

// do runs browser steps with a bound on time.
func do(t testing.TB, ctx context.Context, d time.Duration, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	c, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	if err := chromedp.Do(c, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func eval[T any](t testing.TB, ctx context.Context, js string) T {
	t.Helper()
	c, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	v, err := chromedp.Run(c, chromedp.Evaluate[T](js))
	if err != nil {
		t.Fatalf("evaluate %q: %v", js, err)
	}
	return v
}

// waitJS polls a JavaScript condition until it is true.
func waitJS(t testing.TB, ctx context.Context, d time.Duration, what, js string) {
	t.Helper()
	c, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	// Poll gives up after 30 s of its own unless told: the context bounds it.
	if _, err := chromedp.Run(c, chromedp.Poll[bool](js, chromedp.WithPollingInterval(20*time.Millisecond), chromedp.WithPollingTimeout(d))); err != nil {
		t.Fatalf("waiting for %s (%s): %v", what, js, err)
	}
}

func (w *world) setupAccount(t testing.TB) {
	w.signUp(t)
	// The new owner's first sign-in starts the console tour (verify_test.go); tests of other things skip it.
	skipTour(t, w.engineer)
}

// signUp sets the server up in the engineer's browser: Acme IT Services, owned by Erin Engineer.
func (w *world) signUp(t testing.TB) {
	do(t, w.engineer, 20*time.Second, "setup",
		chromedp.Navigate(w.srv.setup),
		chromedp.SendKeys(chromedp.CSS(`input[name=provider]`), "Acme IT Services"),
		chromedp.SendKeys(chromedp.CSS(`input[name=name]`), "Erin Engineer"),
		chromedp.SendKeys(chromedp.CSS(`input[name=email]`), "erin@acme.test"),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), "correct horse battery"),
		chromedp.SendKeys(chromedp.CSS(`input[name=password2]`), "correct horse battery"),
		chromedp.Click(chromedp.CSS(`form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#session-list`)),
	)
}

// newSession creates a session with "open the viewer now" and returns the
// invitation link and code shown to the engineer.
func (w *world) newSession(t testing.TB, customer string) (link, code string) {
	do(t, w.engineer, 20*time.Second, "new session",
		chromedp.Navigate(w.srv.url+"/console"),
		chromedp.SendKeys(chromedp.CSS(`input[name=customer]`), customer),
		chromedp.Click(chromedp.CSS(`.new-session button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#v-screen`), chromedp.NodeReady),
	)
	shot(t, w.engineer, "viewer-waiting")
	link = eval[string](t, w.engineer, `document.getElementById("invite-url").value`)
	code = eval[string](t, w.engineer, `document.querySelector(".v-waiting .code").textContent`)
	// The link is on the provider's address (/p/{subdomain}/i/…, or a
	// subdomain's /i/…) of the server's public one, which a test may put
	// behind a proxy.
	if u, err := url.Parse(link); err != nil || !invitePath.MatchString(u.Path) || len(strings.ReplaceAll(code, " ", "")) != 6 {
		t.Fatalf("invitation link %q, code %q", link, code)
	}
	return link, code
}

var invitePath = regexp.MustCompile(`^(/p/[a-z0-9-]+)?/i/[a-z0-9]+$`)

// customer is the customer's browser and the agent they downloaded and ran.
type customer struct {
	ctx       context.Context
	agent     *exec.Cmd
	agentPath string
	exited    chan error
	consent   string // the URL the agent opened in the "default browser"
	// page is the customer's browser tab on the agent's consent page,
	// once approve opened it.
	page context.Context
	// lines are the agent's console lines, for agents whose output the
	// test reads (Windows); nil otherwise.
	lines chan string
}

// download clicks the download button sel in the browser ctx and waits
// until the file name has fully arrived; it returns its path.
func download(t testing.TB, ctx context.Context, sel, name string) string {
	dl := t.TempDir()
	do(t, ctx, 10*time.Second, "allow downloads", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.CallBrowser(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
			Behavior: browser.SetDownloadBehaviorBehaviorAllow, DownloadPath: dl,
		})
		return err
	}))
	do(t, ctx, 10*time.Second, "download", chromedp.Click(chromedp.CSS(sel)))
	path := filepath.Join(dl, name)
	deadline := time.Now().Add(30 * time.Second)
	for {
		if st, err := os.Stat(path); err == nil && st.Size() > 1<<20 {
			if _, err := os.Stat(path + ".crdownload"); errors.Is(err, os.ErrNotExist) {
				return path
			}
		}
		if time.Now().After(deadline) {
			entries, _ := os.ReadDir(dl)
			t.Fatalf("download did not finish: %v", entries)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// downloadAndRun clicks the page's main download button, waits for the
// file, and runs it against the X display with $BROWSER capturing the URL
// the agent opens.
func (w *world) downloadAndRun(t testing.TB, ctx context.Context, env ...string) *customer {
	c := &customer{ctx: ctx, exited: make(chan error, 1)}
	// The file is named after the provider, as the link says.
	link := `#downloads a.download.primary[data-os=linux][data-arch=amd64]`
	name := eval[string](t, ctx, `document.querySelector("`+link+`").getAttribute("download")`)
	c.agentPath = download(t, ctx, link, name)
	if err := os.Chmod(c.agentPath, 0o755); err != nil {
		t.Fatal(err)
	}
	// The agent opens the consent page with $BROWSER; this one records the URL.
	opened := filepath.Join(t.TempDir(), "opened-url")
	opener := filepath.Join(t.TempDir(), "browser.sh")
	if err := os.WriteFile(opener, []byte("#!/bin/sh\nprintf '%s' \"$1\" > "+opened+".tmp && mv "+opened+".tmp "+opened+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	c.agent = exec.Command(c.agentPath)
	c.agent.Env = append(append(os.Environ(), "DISPLAY="+w.display, "BROWSER="+opener), env...)
	c.agent.Stdout = &prefixWriter{t: t, prefix: "agent: "}
	c.agent.Stderr = &prefixWriter{t: t, prefix: "agent: "}
	if err := c.agent.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { c.exited <- c.agent.Wait() }()
	t.Cleanup(func() { c.agent.Process.Kill() })
	deadline := time.Now().Add(20 * time.Second)
	for {
		if b, err := os.ReadFile(opened); err == nil {
			c.consent = string(b)
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the agent did not open the consent page")
		}
		time.Sleep(20 * time.Millisecond)
	}
	checkLocalPage(t, c.consent)
	return c
}

// localPage is the address of the consent page an agent serves itself.
var localPage = regexp.MustCompile(`^http://127\.0\.0\.1:\d+/[a-z2-7]{32}/$`)

// checkLocalPage fails unless url is the agent's own consent page: the
// agent opens nothing else.
func checkLocalPage(t testing.TB, url string) {
	t.Helper()
	if !localPage.MatchString(url) {
		t.Fatalf("the agent opened %q, not its own consent page on 127.0.0.1", url)
	}
}

// approve opens the agent's consent page in a new tab of the customer's
// browser, as the agent's "open in the default browser" does, and allows
// level: "control" (the default choice) or "view" (control unticked). The
// invitation page stays open in its own tab.
func (c *customer) approve(t testing.TB, level string) time.Time {
	if c.page == nil {
		page, cancel := chromedp.NewContext(c.ctx)
		t.Cleanup(cancel)
		// The first action on a context opens its tab, which lives as long
		// as the context of that action: not a timeout context.
		if err := chromedp.Do(page, chromedp.Navigate("about:blank")); err != nil {
			t.Fatalf("open a tab: %v", err)
		}
		c.page = page
	}
	do(t, c.page, 20*time.Second, "open consent page",
		chromedp.Navigate(c.consent),
		chromedp.WaitVisible(chromedp.CSS(`#allow`)),
	)
	if level == "view" {
		do(t, c.page, 5*time.Second, "untick control", chromedp.Click(chromedp.CSS(`input[value=control]`)))
	}
	if got := eval[bool](t, c.page, `document.querySelector("input[value=control]").checked`); got != (level == "control") {
		t.Fatalf("control ticked %v for %s", got, level)
	}
	shot(t, c.page, "customer-consent")
	// The page fills in as the agent answers (windows, chat history, files):
	// click Allow once it stays where it is, as a person would.
	waitJS(t, c.page, 10*time.Second, "the consent page settled", `(() => {
		const y = document.getElementById("allow").getBoundingClientRect().top;
		if (window.__allowY !== y) {
			window.__allowY = y;
			window.__allowSince = performance.now();
		}
		return performance.now() - window.__allowSince >= 300;
	})()`)
	at := time.Now()
	do(t, c.page, 20*time.Second, "approve", chromedp.Click(chromedp.CSS(`#allow:enabled`)))
	waitJS(t, c.page, 10*time.Second, "sharing shown on the consent page", `document.getElementById("consent").dataset.phase === "sharing"`)
	waitJS(t, c.ctx, 10*time.Second, "sharing shown on the invitation page", `!document.getElementById("sharing").hidden`)
	return at
}

// sameSecurityCode checks that the engineer's viewer and the customer's
// consent page show the same security code, as the two people would
// compare it on the phone.
func sameSecurityCode(t testing.TB, w *world, c *customer) {
	t.Helper()
	waitJS(t, w.engineer, 10*time.Second, "security code in the viewer", `/^\d{3} \d{3}$/.test(document.getElementById("viewer").dataset.code || "")`)
	waitJS(t, c.page, 10*time.Second, "security code on the consent page", `/^\d{3} \d{3}$/.test(document.getElementById("consent").dataset.code || "")`)
	engineer := eval[string](t, w.engineer, `document.getElementById("viewer").dataset.code`)
	customer := eval[string](t, c.page, `document.getElementById("consent").dataset.code`)
	if engineer != customer {
		t.Fatalf("security codes differ: engineer sees %q, customer %q", engineer, customer)
	}
	if shown := eval[string](t, c.page, `document.getElementById("code").textContent`); shown != customer {
		t.Errorf("consent page shows %q, data-code %q", shown, customer)
	}
	if chip := eval[string](t, w.engineer, `document.getElementById("v-code").textContent`); !strings.Contains(chip, engineer) {
		t.Errorf("viewer toolbar shows %q, want the code %q", chip, engineer)
	}
	t.Logf("security code on both ends: %s", engineer)
}

func (c *customer) waitExit(t testing.TB, d time.Duration) {
	select {
	case err := <-c.exited:
		if err != nil {
			t.Fatalf("agent exited with %v", err)
		}
	case <-time.After(d):
		t.Fatalf("agent still running %s after the session ended", d)
	}
	if _, err := os.Stat(c.agentPath); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("agent did not remove itself: %v", err)
	}
}

// checkPixels compares the engineer's canvas with the X screen at a grid of points.
func (w *world) checkPixels(t testing.TB) {
	t.Helper()
	if bad, n := w.pixelMismatch(t, true); bad > 0 {
		t.Fatalf("%d of %d sampled pixels differ", bad, n)
	}
}

// waitPixels waits until the engineer's canvas shows the remote screen.
func (w *world) waitPixels(t testing.TB, timeout time.Duration, what string) {
	t.Helper()
	var bad, n int
	for end := time.Now().Add(timeout); time.Now().Before(end); time.Sleep(200 * time.Millisecond) {
		if bad, n = w.pixelMismatch(t, false); bad == 0 {
			return
		}
	}
	t.Fatalf("%s: %d of %d sampled pixels still differ after %v", what, bad, n, timeout)
}

// pixelMismatch samples the remote screen and the engineer's canvas and
// counts the samples that differ (reporting the first few when report).
func (w *world) pixelMismatch(t testing.TB, report bool) (bad, n int) {
	t.Helper()
	t.Setenv("DISPLAY", w.display)
	cp, err := capture.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer cp.Close()
	f, err := cp.Capture()
	if err != nil {
		t.Fatal(err)
	}
	var pts [][2]int
	for y := 5; y < w.sh; y += 61 {
		for x := 3; x < w.sw; x += 97 {
			pts = append(pts, [2]int{x, y})
		}
	}
	js := fmt.Sprintf(`(() => { const c = document.getElementById("v-screen"); const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
		return %s.map(([x, y]) => { const i = (y * c.width + x) * 4; return [d[i], d[i+1], d[i+2]]; }); })()`, pointsJS(pts))
	got := eval[[][3]int](t, w.engineer, js)
	for i, p := range pts {
		o := p[1]*f.Stride + p[0]*4
		want := [3]int{int(f.Pix[o+2]), int(f.Pix[o+1]), int(f.Pix[o])}
		if i < len(got) && got[i] != want {
			bad++
			if report && bad < 5 {
				t.Errorf("pixel %v: canvas %v, screen %v", p, got[i], want)
			}
		}
	}
	return bad, len(pts)
}

func pointsJS(pts [][2]int) string {
	var b strings.Builder
	b.WriteString("[")
	for i, p := range pts {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, "[%d,%d]", p[0], p[1])
	}
	b.WriteString("]")
	return b.String()
}

// clickRemote clicks the engineer's canvas where remote pixel (x, y) shows.
func (w *world) clickRemote(t testing.TB, x, y int) {
	r := eval[[]float64](t, w.engineer, `(() => { const c = document.getElementById("v-screen"); const r = c.getBoundingClientRect(); return [r.left, r.top, r.width / c.width, r.height / c.height]; })()`)
	cx, cy := r[0]+(float64(x)+0.5)*r[2], r[1]+(float64(y)+0.5)*r[3]
	do(t, w.engineer, 5*time.Second, "click", chromedp.MouseClickXY(cx, cy))
}

func (w *world) controlAndCheck(t testing.TB) {
	for _, p := range [][2]int{{200, 150}, {1000, 640}} {
		w.clickRemote(t, p[0], p[1])
		w.win.waitFor(t, 5*time.Second, "button", func(ev map[string]any) bool {
			x, _ := ev["root_x"].(float64)
			y, _ := ev["root_y"].(float64)
			return abs(int(x)-p[0]) <= 1 && abs(int(y)-p[1]) <= 1
		})
	}
	const text = "Hi é!"
	// chromedp only knows a US layout; "é" is sent the way a French AZERTY
	// keyboard sends it: key "é" on the physical key Digit2.
	do(t, w.engineer, 10*time.Second, "type",
		chromedp.KeyEvent("Hi "), layoutKey("é", "Digit2", 50), chromedp.KeyEvent("!"))
	deadline := time.Now().Add(10 * time.Second)
	for !strings.HasSuffix(w.win.typedText(), text) {
		if time.Now().After(deadline) {
			t.Fatalf("test window received %q, want it to end with %q", w.win.typedText(), text)
		}
		select {
		case <-w.win.notify:
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// shot saves a screenshot of a browser to $TETHER_E2E_SHOTS, when set, so
// a person can look at what engineer and customer saw.
func shot(t testing.TB, ctx context.Context, name string) {
	dir := os.Getenv("TETHER_E2E_SHOTS")
	if dir == "" {
		return
	}
	c, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	b, err := chromedp.Run(c, chromedp.CaptureScreenshot())
	if err != nil {
		t.Errorf("screenshot %s: %v", name, err)
		return
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), b, 0o644); err != nil {
		t.Error(err)
	}
}

// layoutKey presses and releases one key as a non-US layout reports it.
func layoutKey(key, code string, vk int64) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		for _, p := range []input.DispatchKeyEventParams{
			{Type: input.DispatchKeyEventTypeKeyDown, Key: key, Code: code, Text: key, UnmodifiedText: key, WindowsVirtualKeyCode: vk},
			{Type: input.DispatchKeyEventTypeKeyUp, Key: key, Code: code, WindowsVirtualKeyCode: vk},
		} {
			if _, err := chromedp.Call(ctx, input.DispatchKeyEvent, p); err != nil {
				return err
			}
		}
		return nil
	})
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// TestSessionByLinkPeerToPeer: invitation link, full control over WebRTC;
// the customer takes control back on their computer, then stops sharing
// there, and the engineer's viewer says the session ended and why.
func TestSessionByLinkPeerToPeer(t *testing.T) {
	w := newWorld(t)
	link, _ := w.newSession(t, "Maria Lopez")
	cust := newBrowser(t)
	do(t, cust, 20*time.Second, "open invitation", chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS(`#downloads`)))
	if name := eval[string](t, cust, `document.querySelector("h1").textContent`); !strings.Contains(name, "Erin Engineer") || !strings.Contains(name, "Acme IT Services") {
		t.Fatalf("invitation heading %q does not name the engineer and provider", name)
	}
	c := w.downloadAndRun(t, cust)
	// No pixel before consent: the viewer must not have painted anything,
	// and shows no grants the customer has not given.
	waitJS(t, w.engineer, 10*time.Second, "viewer waiting", `document.getElementById("viewer").dataset.state === "waiting"`)
	if n := eval[string](t, w.engineer, `document.getElementById("viewer").dataset.frames || "0"`); n != "0" {
		t.Fatalf("viewer painted %s frames before consent", n)
	}
	if chip := eval[string](t, w.engineer, `document.getElementById("v-level").textContent`); chip != "" {
		t.Fatalf("waiting viewer shows grants %q before the customer chose", chip)
	}
	// The invitation page sends the customer to their own computer.
	waitJS(t, cust, 10*time.Second, "approve step", `!document.getElementById("approve").hidden && document.getElementById("steps").hidden && document.getElementById("lead").hidden`)
	shot(t, cust, "customer-approve-step")
	consentAt := c.approve(t, "control")
	waitJS(t, w.engineer, 10*time.Second, "first frame", `Number(document.getElementById("viewer").dataset.frames) > 0`)
	t.Logf("consent to first frame: %v", time.Since(consentAt))
	if p := eval[string](t, w.engineer, `document.getElementById("viewer").dataset.path`); p != "p2p" {
		t.Fatalf("path %q, want p2p", p)
	}
	sameSecurityCode(t, w, c)
	w.checkPixels(t)
	w.controlAndCheck(t)
	// The toolbar shows the grants, path, frame rate, bandwidth and round-trip time.
	waitJS(t, w.engineer, 5*time.Second, "stats shown", `/\d+ fps/.test(document.getElementById("v-fps").textContent) &&
		/B\/s/.test(document.getElementById("v-bw").textContent) && /\d ms/.test(document.getElementById("v-rtt").textContent) &&
		document.getElementById("v-level").textContent === "View · Control"`)
	t.Logf("viewer toolbar: %s", eval[string](t, w.engineer, `document.getElementById("v-toolbar").innerText.replace(/\s+/g, " ")`))
	shot(t, w.engineer, "viewer")
	shot(t, cust, "customer-sharing")
	shot(t, c.page, "customer-consent-sharing")

	// The customer takes control back on their computer: the viewer shows
	// view only, and a click no longer reaches the application.
	do(t, c.page, 10*time.Second, "take control back",
		chromedp.Click(chromedp.CSS(`input[value=control]`)),
		chromedp.Click(chromedp.CSS(`#update:enabled`)))
	waitJS(t, w.engineer, 10*time.Second, "viewer shows view only", `document.getElementById("v-level").textContent === "View"`)
	waitJS(t, cust, 10*time.Second, "invitation page says view only", `!/mouse/.test(document.getElementById("sharing-text").textContent)`)
	w.win.mu.Lock()
	clicks := len(w.win.events)
	w.win.mu.Unlock()
	w.clickRemote(t, 400, 300)
	before := eval[int](t, w.engineer, `Number(document.getElementById("viewer").dataset.frames)`)
	do(t, w.engineer, 5*time.Second, "refresh", chromedp.Click(chromedp.CSS(`#v-refresh`)))
	waitJS(t, w.engineer, 5*time.Second, "a frame after the click", fmt.Sprintf(`Number(document.getElementById("viewer").dataset.frames) > %d`, before))
	w.win.mu.Lock()
	for _, ev := range w.win.events[clicks:] {
		if ev["event"] == "button" {
			t.Errorf("a click reached the application after control was taken back: %v", ev)
		}
	}
	w.win.mu.Unlock()

	// The customer stops on their computer.
	do(t, c.page, 10*time.Second, "stop", chromedp.Click(chromedp.CSS(`#stop`)))
	c.waitExit(t, 3*time.Second)
	waitJS(t, w.engineer, 2*time.Second, "viewer ended", `document.getElementById("viewer").dataset.state === "ended"`)
	waitJS(t, cust, 2*time.Second, "customer page ended", `document.getElementById("invite").dataset.state === "ended"`)
	// The viewer says why, leads back, and keeps nothing of the live session.
	got := eval[[]string](t, w.engineer, `(() => { const vis = (id) => { const e = document.getElementById(id); return !!e && e.offsetParent !== null; };
		return [document.getElementById("v-ended-reason").textContent, String(vis("v-ended")), String(vis("v-waiting")), String(vis("v-fps")),
			String(!!document.querySelector("#v-toolbar button.danger") && document.querySelector("#v-toolbar button.danger").offsetParent !== null),
			document.querySelector("#v-ended a.button").getAttribute("href")]; })()`)
	if !strings.Contains(got[0], "stopped by the customer") || got[1] != "true" || got[2] != "false" || got[3] != "false" || got[4] != "false" || got[5] != "/console" {
		t.Errorf("ended viewer: reason %q, ended panel %s, waiting panel %s, stats %s, End button %s, back link %q", got[0], got[1], got[2], got[3], got[4], got[5])
	}
	shot(t, w.engineer, "viewer-ended")
	shot(t, c.page, "customer-consent-ended")
	// The session's record says who allowed what, and who stopped.
	do(t, w.engineer, 10*time.Second, "session details", chromedp.Click(chromedp.CSS(`#v-ended a:not(.button)`)), chromedp.WaitVisible(chromedp.CSS(`table.audit`)))
	log := eval[string](t, w.engineer, `document.querySelector("table.audit").innerText`)
	for _, want := range []string{"Customer approved View · Control", "Customer changed what the engineer may do View", "stopped by the customer"} {
		if !strings.Contains(strings.Join(strings.Fields(log), " "), want) {
			t.Errorf("session log lacks %q:\n%s", want, log)
		}
	}
	if facts := eval[string](t, w.engineer, `document.querySelector(".facts").innerText`); strings.Contains(facts, "0 B screen") {
		t.Errorf("the record lost the bytes sent: %q", facts)
	}
	shot(t, w.engineer, "session-detail")
}

// TestSessionConnectsThroughTURN: with the relay-only ICE policy both ends
// gather TURN candidates only (no host candidates), so the session can
// connect through nothing but the server's embedded TURN server, on a
// loopback port of its own: the viewer says TURN, the picture matches and
// control works.
func TestSessionConnectsThroughTURN(t *testing.T) {
	w := newWorld(t, "TETHER_ICE_POLICY=relay")
	link, _ := w.newSession(t, "Tariq Turner")
	cust := newBrowser(t)
	do(t, cust, 20*time.Second, "open invitation", chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS(`#downloads`)))
	c := w.downloadAndRun(t, cust)
	consentAt := c.approve(t, "control")
	waitJS(t, w.engineer, 15*time.Second, "first frame", `Number(document.getElementById("viewer").dataset.frames) > 0`)
	t.Logf("consent to first frame through TURN: %v", time.Since(consentAt))
	got := eval[[]string](t, w.engineer, `[document.getElementById("viewer").dataset.path, document.getElementById("v-path").textContent]`)
	if got[0] != "turn" || got[1] != "TURN" {
		t.Fatalf("path %q, badge %q; want turn, TURN", got[0], got[1])
	}
	w.checkPixels(t)
	w.controlAndCheck(t)
	shot(t, w.engineer, "viewer-turn")
	do(t, c.page, 10*time.Second, "stop", chromedp.Click(chromedp.CSS(`#stop`)))
	c.waitExit(t, 3*time.Second)
	waitJS(t, w.engineer, 2*time.Second, "viewer ended", `document.getElementById("viewer").dataset.state === "ended"`)
}

// TestRelayedSessionIsEncryptedEndToEnd: the code page, the relay path
// (peer-to-peer off), sealed end to end: the engineer's viewer and the
// customer's consent page show the same security code, and the screen and
// input still work through the server; then the customer stops the session.
func TestRelayedSessionIsEncryptedEndToEnd(t *testing.T) {
	w := newWorld(t, "TETHER_P2P=false")
	_, code := w.newSession(t, "Jon Smith")
	cust := newBrowser(t)
	typed := strings.ToLower(code[:3]) + "-" + code[4:] // any case, dashes allowed
	do(t, cust, 20*time.Second, "enter code",
		chromedp.Navigate(w.srv.url+"/"),
		chromedp.SendKeys(chromedp.CSS(`#code`), typed),
		chromedp.Click(chromedp.CSS(`.code-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#downloads`)),
	)
	c := w.downloadAndRun(t, cust)
	c.approve(t, "control")
	waitJS(t, w.engineer, 15*time.Second, "first frame", `Number(document.getElementById("viewer").dataset.frames) > 0`)
	if p := eval[string](t, w.engineer, `document.getElementById("viewer").dataset.path`); p != "relay" {
		t.Fatalf("path %q, want relay", p)
	}
	sameSecurityCode(t, w, c)
	w.checkPixels(t)
	w.controlAndCheck(t)

	do(t, cust, 10*time.Second, "stop", chromedp.Click(chromedp.CSS(`#stop`)))
	c.waitExit(t, 3*time.Second)
	waitJS(t, w.engineer, 2*time.Second, "viewer ended", `document.getElementById("viewer").dataset.state === "ended"`)
}

// TestViewOnlyInjectsNothing: with view-only consent, clicks and keys in
// the viewer never reach the customer's application.
func TestViewOnlyInjectsNothing(t *testing.T) {
	w := newWorld(t)
	link, _ := w.newSession(t, "Viewonly Customer")
	cust := newBrowser(t)
	do(t, cust, 20*time.Second, "open invitation", chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS(`#downloads`)))
	c := w.downloadAndRun(t, cust)
	c.approve(t, "view")
	waitJS(t, w.engineer, 10*time.Second, "first frame", `Number(document.getElementById("viewer").dataset.frames) > 0`)
	w.clickRemote(t, 300, 300)
	do(t, w.engineer, 5*time.Second, "type", chromedp.KeyEvent("nope"))
	// A full-frame request travels on the same ordered channel after the
	// input; once its frame is painted, the agent has handled (and dropped)
	// everything sent before it.
	before := eval[int](t, w.engineer, `Number(document.getElementById("viewer").dataset.frames)`)
	do(t, w.engineer, 5*time.Second, "refresh", chromedp.Click(chromedp.CSS(`#v-refresh`)))
	waitJS(t, w.engineer, 5*time.Second, "full frame after the input", fmt.Sprintf(`Number(document.getElementById("viewer").dataset.frames) > %d`, before))
	w.win.mu.Lock()
	for _, ev := range w.win.events {
		if ev["event"] == "button" || ev["event"] == "key" {
			t.Errorf("view-only session injected %v", ev)
		}
	}
	w.win.mu.Unlock()
	// The customer closes the program (Ctrl+C or closing its window): the
	// engineer and the invitation page see the end.
	if err := c.agent.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	c.waitExit(t, 3*time.Second)
	waitJS(t, w.engineer, 2*time.Second, "viewer ended", `document.getElementById("viewer").dataset.state === "ended"`)
	waitJS(t, cust, 2*time.Second, "customer page ended", `document.getElementById("invite").dataset.state === "ended"`)
}
