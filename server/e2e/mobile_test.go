//go:build linux

package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// phone makes a browser tab a phone: 390×844 CSS pixels, mobile, touch.
func phone(t testing.TB, ctx context.Context) {
	t.Helper()
	do(t, ctx, 10*time.Second, "phone viewport",
		chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulatePortrait, chromedp.EmulateScale(2)))
}

// fitsPhone fails unless the page fits the phone's width: nothing scrolls the page sideways, and the
// controls a finger uses are at least 44 px tall.
func fitsPhone(t testing.TB, ctx context.Context, page string) {
	t.Helper()
	// A phone widens its layout to fit a page that is too wide (innerWidth grows with it), so the
	// screen's width is the root element's client width, which stays the device's.
	got := eval[[]float64](t, ctx, `[document.scrollingElement.scrollWidth, innerWidth, document.documentElement.clientWidth]`)
	if got[0] > got[1] || got[0] > got[2] || got[1] > got[2] {
		wide := eval[[]string](t, ctx, `[...document.querySelectorAll("body *")].filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5 && e.getClientRects().length).slice(0, 8).map(e => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + (e.className && typeof e.className === "string" ? "." + e.className.trim().replace(/\s+/g, ".") : "") + " " + Math.round(e.getBoundingClientRect().right))`)
		t.Errorf("%s: the page is %v px wide (innerWidth %v) on a %v px screen; too wide: %v", page, got[0], got[1], got[2], wide)
	}
	// Nothing sticks out of the screen either where a container clips it: only what scrolls inside its
	// own box (a wide table in its card) may reach past the edge.
	out := eval[[]string](t, ctx, `(() => {
		// Scrolls inside its own box, or lies in a box of no size that hides its overflow (the viewer's
		// stage before the screen shows).
		const scrolls = e => { for (let a = e.parentElement; a && a !== document.body; a = a.parentElement) {
			const st = getComputedStyle(a), r = a.getBoundingClientRect();
			if (st.overflowX === "auto" || st.overflowX === "scroll") return true;
			if (st.overflow === "hidden" && (r.width === 0 || r.height === 0)) return true;
		} return false; };
		return [...document.querySelectorAll("body *")]
			.filter(e => e.getClientRects().length && getComputedStyle(e).visibility !== "hidden" && e.getBoundingClientRect().width > 1 && e.getBoundingClientRect().right > document.documentElement.clientWidth + 1 && !scrolls(e))
			.slice(0, 8).map(e => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + (typeof e.className === "string" && e.className ? "." + e.className.trim().replace(/\s+/g, ".") : "") + " " + Math.round(e.getBoundingClientRect().right));
	})()`)
	if len(out) > 0 {
		t.Errorf("%s: past the screen's right edge: %v", page, out)
	}
	small := eval[[]string](t, ctx, `[...document.querySelectorAll("main button, main .button, main input:not([type=hidden]):not([type=checkbox]):not([type=radio]):not([type=file]), main select, main textarea, .topbar button, .topbar.open nav a")]
		.filter(e => e.getClientRects().length && getComputedStyle(e).visibility !== "hidden" && e.getBoundingClientRect().height < 43.5)
		.map(e => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + " " + JSON.stringify((e.textContent || e.name || "").trim().slice(0, 30)) + " " + Math.round(e.getBoundingClientRect().height) + "px")`)
	if len(small) > 0 {
		t.Errorf("%s: tap targets under 44 px: %v", page, small)
	}
}

// TestConsoleOnPhone: the owner works in the console on a phone. Every console page fits 390 px
// without sideways scrolling, its controls are finger-sized, and the top bar's links fold behind a
// menu button that opens them.
func TestConsoleOnPhone(t *testing.T) {
	requireTools(t)
	w := &world{a: build(t)}
	w.srv = startServer(t, w.a)
	w.engineer = newBrowser(t)
	w.setupAccount(t)
	ctx := w.engineer
	// On a computer the links stay in the top bar and the menu button does not show.
	if got := eval[[]bool](t, ctx, `[document.getElementById("menu-toggle").getClientRects().length > 0, document.querySelector('.topbar nav a[href="/settings/team"]').getClientRects().length > 0]`); got[0] || !got[1] {
		t.Fatalf("on a computer: menu button shown %v, links shown %v", got[0], got[1])
	}
	fullShot(t, ctx, "console-computer")
	phone(t, ctx)

	// The menu: closed, the links are out of the way; the button opens them.
	do(t, ctx, 20*time.Second, "console", chromedp.Navigate(w.srv.url+"/console"), chromedp.WaitVisible(chromedp.CSS(`#menu-toggle`)))
	if vis := eval[bool](t, ctx, `document.querySelector(".topbar nav").getClientRects().length > 0`); vis {
		t.Fatal("on a phone the top bar's links show before the menu is opened")
	}
	fitsPhone(t, ctx, "console")
	fullShot(t, ctx, "console")
	do(t, ctx, 10*time.Second, "open the menu", chromedp.Tap(chromedp.CSS(`#menu-toggle`)), chromedp.WaitVisible(chromedp.CSS(`.topbar nav a[href="/settings/team"]`)))
	links := eval[[]string](t, ctx, `[...document.querySelectorAll(".topbar nav a")].filter(a => a.getClientRects().length).map(a => a.getAttribute("href"))`)
	if len(links) < 7 || eval[string](t, ctx, `document.getElementById("menu-toggle").getAttribute("aria-expanded")`) != "true" {
		t.Fatalf("the open menu shows %v", links)
	}
	fitsPhone(t, ctx, "console with the menu open")
	fullShot(t, ctx, "console-menu")
	do(t, ctx, 20*time.Second, "go to the team page from the menu",
		chromedp.Tap(chromedp.CSS(`.topbar nav a[href="/settings/team"]`)), chromedp.WaitVisible(chromedp.CSS(`#invite-form`)))

	// A session, made on the phone: the new-session form fills the width.
	do(t, ctx, 20*time.Second, "new session",
		chromedp.Navigate(w.srv.url+"/console"),
		chromedp.SendKeys(chromedp.CSS(`input[name=customer]`), "Maria Lopez"),
		chromedp.Tap(chromedp.CSS(`.new-session button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#v-screen`), chromedp.NodeReady),
	)
	fitsPhone(t, ctx, "viewer")
	fullShot(t, ctx, "viewer-waiting")
	view := eval[string](t, ctx, `location.pathname`)
	session := strings.TrimSuffix(view, "/view")

	for _, p := range []struct{ name, path, ready string }{
		{"console-sessions", "/console", `#session-list`},
		{"session", session, `main`},
		{"settings", "/settings", `input[name=session_max_minutes]`},
		{"team", "/settings/team", `#invite-form`},
		{"branding", "/settings/branding", `main form`},
		{"desks", "/settings/desks", `main`},
		{"widget", "/settings/widget", `main`},
		{"api", "/settings/api", `main`},
		{"operator", "/operator", `main`},
	} {
		do(t, ctx, 20*time.Second, "open "+p.name, chromedp.Navigate(w.srv.url+p.path), chromedp.WaitVisible(chromedp.CSS(p.ready)))
		fitsPhone(t, ctx, p.name)
		fullShot(t, ctx, p.name)
	}
}

// TestInvitationPageOnPhone: a customer opens the invitation on a phone, in English and in German, and
// the code page: each fits the screen, and the download and continue buttons are finger-sized.
func TestInvitationPageOnPhone(t *testing.T) {
	requireTools(t)
	w := &world{a: build(t)}
	w.srv = startServer(t, w.a)
	w.engineer = newBrowser(t)
	w.setupAccount(t)
	link, _ := w.newSession(t, "Maria Lopez")

	cust := newBrowser(t)
	phone(t, cust)
	do(t, cust, 20*time.Second, "open the invitation", chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS(`#downloads`)))
	if h := eval[string](t, cust, `document.querySelector("h1").textContent`); !strings.Contains(h, "Erin Engineer") {
		t.Fatalf("invitation heading %q", h)
	}
	fitsPhone(t, cust, "invitation")
	if hgt := eval[float64](t, cust, `document.querySelector("#downloads a.download").getBoundingClientRect().height`); hgt < 44 {
		t.Errorf("the download button is %v px tall", hgt)
	}
	fullShot(t, cust, "invitation")

	do(t, cust, 20*time.Second, "the invitation in German", chromedp.Navigate(link+"?lang=de"), chromedp.WaitVisible(chromedp.CSS(`#downloads`)))
	if lang := eval[string](t, cust, `document.documentElement.lang`); lang != "de" {
		t.Errorf("the invitation asked in German says lang=%q", lang)
	}
	fitsPhone(t, cust, "invitation (de)")
	fullShot(t, cust, "invitation-de")

	do(t, cust, 20*time.Second, "the invitation in Chinese", chromedp.Navigate(link+"?lang=zh-Hans"), chromedp.WaitVisible(chromedp.CSS(`#downloads`)))
	fitsPhone(t, cust, "invitation (zh-Hans)")
	fullShot(t, cust, "invitation-zh")

	// The installed console's offline page, as the service worker keeps it in the engineer's language.
	for _, l := range []struct{ lang, says string }{{"de", "Sie sind offline"}, {"zh-Hans", "您已离线"}} {
		do(t, cust, 20*time.Second, "the offline page", chromedp.Navigate(w.srv.url+"/offline?lang="+l.lang), chromedp.WaitVisible(chromedp.CSS(`#offline`)))
		if got := eval[string](t, cust, `document.querySelector("h1").textContent`); got != l.says {
			t.Errorf("offline page in %s says %q", l.lang, got)
		}
		fitsPhone(t, cust, "offline page ("+l.lang+")")
		fullShot(t, cust, "offline-"+l.lang)
	}

	do(t, cust, 20*time.Second, "the code page", chromedp.Navigate(w.srv.url+"/?lang=en"), chromedp.WaitVisible(chromedp.CSS(`input[name=code]`)))
	fitsPhone(t, cust, "code page")
	fullShot(t, cust, "code")

	// The portal's Get help form and the page that waits for an engineer.
	do(t, cust, 20*time.Second, "the help form", chromedp.Navigate(w.srv.url+requestPortal+"/help"), chromedp.WaitVisible(chromedp.CSS(`#help-form`)))
	fitsPhone(t, cust, "help form")
	fullShot(t, cust, "help")
	do(t, cust, 20*time.Second, "ask for help",
		chromedp.SendKeys(chromedp.CSS(`#help-name`), "Maria Lopez"),
		chromedp.SendKeys(chromedp.CSS(`#help-description`), "My printer stopped working after an update."),
		chromedp.Tap(chromedp.CSS(`#help-submit`)),
		chromedp.WaitVisible(chromedp.CSS(`#request-wait`)),
	)
	fitsPhone(t, cust, "waiting for an engineer")
	fullShot(t, cust, "help-wait")

	// An engineer signs in on a phone.
	signIn := newContextOf(t, cust)
	phone(t, signIn)
	do(t, signIn, 20*time.Second, "the sign-in page", chromedp.Navigate(w.srv.url+"/login"), chromedp.WaitVisible(chromedp.CSS(`input[name=email]`)))
	fitsPhone(t, signIn, "sign-in")
	fullShot(t, signIn, "sign-in")
}

// TestConsoleInstallable: the console's manifest is valid for Chromium, its service worker installs and
// controls the console after a reload, keeps nothing but the shell, and with the network cut the console
// shows the offline page.
func TestConsoleInstallable(t *testing.T) {
	requireTools(t)
	w := &world{a: build(t)}
	w.srv = startServer(t, w.a)
	w.engineer = newBrowser(t)
	w.setupAccount(t)
	ctx := w.engineer

	do(t, ctx, 20*time.Second, "console", chromedp.Navigate(w.srv.url+"/console"), chromedp.WaitVisible(chromedp.CSS(`#session-list`)))
	var man *page.GetAppManifestResult
	do(t, ctx, 20*time.Second, "read the manifest", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		var err error
		r, err := chromedp.Call(ctx, page.GetAppManifest, page.GetAppManifestParams{})
		man = &r
		return err
	}))
	if len(man.Errors) > 0 || man.Manifest == nil || !strings.HasSuffix(man.URL, "/manifest.webmanifest") {
		t.Fatalf("manifest %s: errors %+v", man.URL, man.Errors)
	}
	if m := man.Manifest; m.Name != "Tether" || !strings.HasSuffix(m.StartURL, "/console") || !strings.EqualFold(strings.TrimPrefix(m.Display, "k"), "standalone") || len(m.Icons) < 3 {
		t.Fatalf("manifest %+v", m)
	}
	waitJS(t, ctx, 20*time.Second, "the service worker active", `(window.__sw = window.__sw || navigator.serviceWorker.ready.then(r => window.__swActive = !!r.active), !!window.__swActive)`)
	do(t, ctx, 20*time.Second, "reload", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(`#session-list`)))
	waitJS(t, ctx, 10*time.Second, "the service worker controls the console", `navigator.serviceWorker.controller !== null`)
	scope := evalAwait[string](t, ctx, `navigator.serviceWorker.ready.then(r => r.scope)`)
	if scope != w.srv.url+"/" {
		t.Errorf("service worker scope %q", scope)
	}
	var installErrs []*page.InstallabilityError
	do(t, ctx, 20*time.Second, "installability", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		r, err := chromedp.Call(ctx, page.GetInstallabilityErrors, cdp.Empty{})
		installErrs = r.InstallabilityErrors
		return err
	}))
	for _, e := range installErrs {
		t.Errorf("Chromium says the console is not installable: %s %v", e.ErrorID, e.ErrorArguments)
	}

	// The cache holds the shell and the offline page: no signed-in page, no answer of the server's API.
	kept := evalAwait[[]string](t, ctx, `caches.keys().then(ks => Promise.all(ks.map(k => caches.open(k).then(c => c.keys()).then(rs => rs.map(r => k + " " + new URL(r.url).pathname))))).then(a => a.flat())`)
	if len(kept) == 0 {
		t.Fatal("the service worker kept nothing")
	}
	for _, k := range kept {
		name, path, _ := strings.Cut(k, " ")
		if !strings.HasPrefix(name, "tether-shell-") || !(strings.HasPrefix(path, "/static/") || path == "/offline") {
			t.Errorf("the service worker kept %s in %s", path, name)
		}
	}
	t.Logf("cached: %d files", len(kept))

	// The network goes, for the page and for its service worker (a worker's fetches are its own
	// target's): the console's pages answer with the offline page.
	cutNetwork(t, ctx)
	targets, err := chromedp.Targets(ctx)
	if err != nil {
		t.Fatal(err)
	}
	workers := 0
	for _, ti := range targets {
		if ti.Type == "service_worker" && strings.HasPrefix(ti.URL, w.srv.url+"/sw.js") {
			sw, cancel := chromedp.NewContext(ctx, chromedp.WithTargetID(ti.TargetID))
			defer cancel()
			cutNetwork(t, sw)
			workers++
		}
	}
	if workers != 1 {
		t.Fatalf("%d service workers of the console among %d targets", workers, len(targets))
	}
	do(t, ctx, 20*time.Second, "open the console offline", chromedp.Navigate(w.srv.url+"/settings/team"))
	do(t, ctx, 20*time.Second, "the offline page", chromedp.WaitVisible(chromedp.CSS(`#offline`)))
	if got := eval[string](t, ctx, `document.querySelector("#offline").innerText`); !strings.Contains(got, "You are offline") || !strings.Contains(got, "Tether needs a connection") {
		t.Fatalf("offline page says %q", got)
	}
	if css := eval[bool](t, ctx, `getComputedStyle(document.querySelector(".card")).borderRadius !== "0px"`); !css {
		t.Error("the offline page has no style: the cached style sheet did not load")
	}
	phone(t, ctx)
	fullShot(t, ctx, "offline")
}

// cutNetwork takes the network from a tab or a worker (Network.emulateNetworkConditions).
func cutNetwork(t testing.TB, ctx context.Context) {
	t.Helper()
	do(t, ctx, 10*time.Second, "cut the network", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{
			EmulateOfflineServiceWorker: ptr(true),
			MatchedNetworkConditions:    []*network.Conditions{{Offline: true, DownloadThroughput: -1, UploadThroughput: -1}},
		})
		return err
	}))
}

func ptr[T any](v T) *T { return &v }

// evalAwait is eval of an expression whose value is a promise.
func evalAwait[T any](t testing.TB, ctx context.Context, js string) T {
	t.Helper()
	c, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	v, err := chromedp.Run(c, chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("evaluate %q: %v", js, err)
	}
	return v
}

// TestViewerTouch: the engineer controls the customer's computer with a finger. A tap clicks, a long
// press right-clicks, a drag drags, a pinch zooms the view without clicking, and the keyboard button
// opens a field whose typed text and backspace reach the customer's application.
func TestViewerTouch(t *testing.T) {
	w := newWorld(t)
	link, _ := w.newSession(t, "Maria Lopez")
	cust := newBrowser(t)
	do(t, cust, 20*time.Second, "open invitation", chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS(`#downloads`)))
	c := w.downloadAndRun(t, cust)
	c.approve(t, "control")
	ctx := w.engineer
	waitJS(t, ctx, 20*time.Second, "streaming with control", `document.getElementById("viewer").dataset.state === "streaming" && (document.getElementById("viewer").dataset.grants || "").includes("control")`)
	do(t, ctx, 10*time.Second, "touch screen", chromedp.EmulateViewport(1400, 1000, chromedp.EmulateTouch))
	w.waitPixels(t, 15*time.Second, "the screen shown")

	// at is where remote pixel (x, y) shows on the page.
	at := func(x, y int) (float64, float64) {
		r := eval[[]float64](t, ctx, `(() => { const c = document.getElementById("v-screen"); const r = c.getBoundingClientRect(); return [r.left, r.top, r.width / c.width, r.height / c.height]; })()`)
		return r[0] + (float64(x)+0.5)*r[2], r[1] + (float64(y)+0.5)*r[3]
	}
	touch := func(typ input.DispatchTouchEventType, pts ...[2]float64) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			tp := []*input.TouchPoint{}
			for i, p := range pts {
				tp = append(tp, &input.TouchPoint{X: p[0], Y: p[1], RadiusX: ptr(1.0), RadiusY: ptr(1.0), Force: ptr(1.0), ID: ptr(float64(i))})
			}
			_, err := chromedp.Call(ctx, input.DispatchTouchEvent, input.DispatchTouchEventParams{Type: typ, TouchPoints: tp})
			return err
		})
	}
	near := func(ev map[string]any, key string, want int) bool {
		v, _ := ev[key].(float64)
		return abs(int(v)-want) <= 1
	}
	pressAt := func(button float64, x, y int) func(map[string]any) bool {
		return func(ev map[string]any) bool {
			return ev["button"] == button && near(ev, "root_x", x) && near(ev, "root_y", y)
		}
	}

	// A tap is a left click.
	x, y := at(200, 150)
	do(t, ctx, 5*time.Second, "tap", touch(input.DispatchTouchEventTypeTouchStart, [2]float64{x, y}), touch(input.DispatchTouchEventTypeTouchEnd))
	w.win.waitFor(t, 5*time.Second, "button", pressAt(1, 200, 150))
	waitJS(t, ctx, 5*time.Second, "the keyboard button shown", `document.getElementById("v-kbd").getClientRects().length > 0`)

	// A long press is a right click, sent while the finger is still down.
	x, y = at(1000, 640)
	start := time.Now()
	do(t, ctx, 5*time.Second, "press", touch(input.DispatchTouchEventTypeTouchStart, [2]float64{x, y}))
	w.win.waitFor(t, 5*time.Second, "button", pressAt(3, 1000, 640))
	if held := time.Since(start); held < 450*time.Millisecond {
		t.Errorf("right click after %v, before the 500 ms of a long press", held)
	}
	do(t, ctx, 5*time.Second, "lift", touch(input.DispatchTouchEventTypeTouchEnd))

	// A drag holds the left button from where it starts.
	x, y = at(300, 300)
	x2, y2 := at(500, 420)
	steps := []chromedp.Action[chromedp.Void]{touch(input.DispatchTouchEventTypeTouchStart, [2]float64{x, y})}
	for i := 1; i <= 10; i++ {
		f := float64(i) / 10
		steps = append(steps, touch(input.DispatchTouchEventTypeTouchMove, [2]float64{x + (x2-x)*f, y + (y2-y)*f}), chromedp.Sleep(16*time.Millisecond))
	}
	steps = append(steps, touch(input.DispatchTouchEventTypeTouchEnd))
	do(t, ctx, 10*time.Second, "drag", steps...)
	w.win.waitFor(t, 5*time.Second, "button", pressAt(1, 300, 300))
	if got := eval[string](t, ctx, `document.getElementById("viewer").dataset.touchLast`); got != "drag" {
		t.Errorf("the drag was taken for %q", got)
	}

	// Two fingers apart zoom the view in; nothing reaches the customer's computer.
	before := countEvents(w.win, "button")
	cx, cy := at(640, 400)
	pinch := []chromedp.Action[chromedp.Void]{touch(input.DispatchTouchEventTypeTouchStart, [2]float64{cx - 40, cy}, [2]float64{cx + 40, cy})}
	for i := 1; i <= 10; i++ {
		d := 40 + float64(i)*12
		pinch = append(pinch, touch(input.DispatchTouchEventTypeTouchMove, [2]float64{cx - d, cy}, [2]float64{cx + d, cy}), chromedp.Sleep(16*time.Millisecond))
	}
	pinch = append(pinch, touch(input.DispatchTouchEventTypeTouchEnd))
	do(t, ctx, 10*time.Second, "pinch", pinch...)
	zoom := eval[string](t, ctx, `document.getElementById("viewer").dataset.zoom || ""`)
	var z float64
	if _, err := fmt.Sscan(zoom, &z); err != nil || z < 2 {
		t.Errorf("after a pinch from 80 to 320 px the zoom is %q", zoom)
	}
	// Two fingers moving together pan the zoomed view.
	moved := eval[string](t, ctx, `document.getElementById("v-screen").style.transform`)
	pan := []chromedp.Action[chromedp.Void]{touch(input.DispatchTouchEventTypeTouchStart, [2]float64{cx - 60, cy}, [2]float64{cx + 60, cy})}
	for i := 1; i <= 8; i++ {
		dy := float64(i) * 15
		pan = append(pan, touch(input.DispatchTouchEventTypeTouchMove, [2]float64{cx - 60, cy - dy}, [2]float64{cx + 60, cy - dy}), chromedp.Sleep(16*time.Millisecond))
	}
	pan = append(pan, touch(input.DispatchTouchEventTypeTouchEnd))
	do(t, ctx, 10*time.Second, "pan", pan...)
	if now := eval[string](t, ctx, `document.getElementById("v-screen").style.transform`); now == moved {
		t.Errorf("a two-finger pan left the view at %q", now)
	}
	time.Sleep(300 * time.Millisecond)
	if after := countEvents(w.win, "button"); after != before {
		t.Errorf("the pinch and pan clicked on the customer's computer (%d clicks)", after-before)
	}
	// Zoomed, a tap still lands on the pixel under the finger.
	x, y = at(700, 420)
	do(t, ctx, 5*time.Second, "tap zoomed", touch(input.DispatchTouchEventTypeTouchStart, [2]float64{x, y}), touch(input.DispatchTouchEventTypeTouchEnd))
	w.win.waitFor(t, 5*time.Second, "button", pressAt(1, 700, 420))

	// The keyboard button opens the phone's keyboard: a field takes the focus, and what it types goes over.
	bx, by := centreOf(t, ctx, "#v-kbd")
	do(t, ctx, 5*time.Second, "keyboard button", touch(input.DispatchTouchEventTypeTouchStart, [2]float64{bx, by}), touch(input.DispatchTouchEventTypeTouchEnd))
	waitJS(t, ctx, 5*time.Second, "the keyboard field focused", `document.activeElement && document.activeElement.id === "v-kbd-input"`)
	do(t, ctx, 5*time.Second, "type", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, input.InsertText, input.InsertTextParams{Text: "Hola 你好"})
		return err
	}))
	waitTyped(t, w.win, "Hola 你好")
	do(t, ctx, 5*time.Second, "backspace", chromedp.KeyEvent("\b"))
	waitTyped(t, w.win, "Hola 你")
	// A second tap on the button closes the keyboard.
	do(t, ctx, 5*time.Second, "keyboard button again", touch(input.DispatchTouchEventTypeTouchStart, [2]float64{bx, by}), touch(input.DispatchTouchEventTypeTouchEnd))
	waitJS(t, ctx, 5*time.Second, "the keyboard field let go", `document.activeElement.id !== "v-kbd-input" && document.getElementById("v-kbd").getAttribute("aria-pressed") === "false"`)
	phone(t, ctx)
	fullShot(t, ctx, "viewer-touch")
}

func countEvents(tw *testWindow, kind string) int {
	tw.mu.Lock()
	defer tw.mu.Unlock()
	n := 0
	for _, ev := range tw.events {
		if ev["event"] == kind {
			n++
		}
	}
	return n
}

func centreOf(t testing.TB, ctx context.Context, sel string) (float64, float64) {
	r := eval[[]float64](t, ctx, `(() => { const r = document.querySelector("`+sel+`").getBoundingClientRect(); return [r.left + r.width / 2, r.top + r.height / 2]; })()`)
	return r[0], r[1]
}
