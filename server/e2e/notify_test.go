//go:build linux

package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"tether/agent/capture/xvfbtest"
)

// notifyRecorder wraps window.Notification in every page the engineer's browser opens: each notification
// the page constructs is recorded in window.__notes (title, body, tag and the notification itself, whose
// onclick the test can call as a click on it would), each sound played in window.__played. Headless
// Chromium shows none on a screen.
const notifyRecorder = `(function () {
  var N = window.Notification;
  if (!N) return;
  window.__notes = [];
  function Recorded(title, options) {
    var n = new N(title, options);
    window.__notes.push({ title: title, body: (options || {}).body || "", tag: (options || {}).tag || "", n: n });
    return n;
  }
  Recorded.prototype = N.prototype;
  Object.defineProperty(Recorded, "permission", { get: function () { return N.permission; } });
  Recorded.requestPermission = function () { return N.requestPermission.apply(N, arguments); };
  window.Notification = Recorded;
  // Sounds played are recorded too (headless Chromium has no speaker).
  window.__played = [];
  HTMLMediaElement.prototype.play = function () {
    window.__played.push(this.src);
    return Promise.resolve();
  };
})();`

// socketSwitch lets the test take the engineer's network away from the page's websockets: with
// window.__offline set, every open socket closes and new ones fail to connect, as on a dropped line.
const socketSwitch = `(function () {
  var WS = window.WebSocket;
  window.__offline = false;
  window.__sockets = [];
  window.__opened = 0;
  function Switched(url, protocols) {
    var s = new WS(window.__offline ? "ws://" + location.host + "/offline" : url, protocols);
    if (!window.__offline) s.addEventListener("open", function () { window.__opened++; });
    window.__sockets.push(s);
    return s;
  }
  Switched.prototype = WS.prototype;
  ["CONNECTING", "OPEN", "CLOSING", "CLOSED"].forEach(function (k) { Switched[k] = WS[k]; });
  window.WebSocket = Switched;
  window.__goOffline = function () {
    window.__offline = true;
    window.__sockets.forEach(function (s) { s.close(); });
  };
})();`

// notifyWorld is a server with an engineer signed up in a browser, and an X display for an agent to
// capture when display is set; no test window: these tests look at the console, not the screen.
func notifyWorld(t testing.TB, display bool) *world {
	t.Helper()
	requireTools(t)
	w := &world{sw: screenW, sh: screenH, a: build(t)}
	if display {
		w.display = xvfbtest.Start(t, w.sw, w.sh)
	}
	w.srv = startServer(t, w.a)
	w.engineer = newBrowser(t)
	w.setupAccount(t)
	return w
}

// notifyPrepare grants the server's origin the permission to notify, as an engineer clicking "Allow"
// in the browser's prompt would, and installs the scripts every page of the engineer's tab starts with.
func notifyPrepare(t testing.TB, ctx context.Context, origin string, scripts ...string) {
	t.Helper()
	do(t, ctx, 10*time.Second, "prepare the engineer's browser", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		// Browser.setPermission: this cdproto has no Browser.grantPermissions, which it replaces.
		_, err := chromedp.CallBrowser(ctx, browser.SetPermission, browser.SetPermissionParams{
			Permission: &browser.PermissionDescriptor{Name: "notifications"}, Setting: browser.PermissionSettingGranted, Origin: origin,
		})
		if err != nil {
			return err
		}
		for _, s := range scripts {
			if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: s}); err != nil {
				return err
			}
		}
		return nil
	}))
}

// notifyChoose opens the console's Notifications menu, ticks box (an input's selector) and waits until
// the choice is saved.
func notifyChoose(t testing.TB, ctx context.Context, boxes ...string) {
	t.Helper()
	steps := []chromedp.Action[chromedp.Void]{chromedp.Click(chromedp.CSS(`#notify-panel summary`))}
	for _, b := range boxes {
		steps = append(steps, chromedp.Click(chromedp.CSS(b)))
	}
	do(t, ctx, 10*time.Second, "choose notifications", steps...)
	js := `document.getElementById("notify-status").textContent !== ""`
	for _, b := range boxes {
		js += fmt.Sprintf(` && document.querySelector(%q).checked`, b)
	}
	waitJS(t, ctx, 5*time.Second, "the choice saved", js)
}

// TestNotificationWhenCustomerJoins: an engineer opts in to a desktop notification and a sound when a
// customer joins (and a notification when one leaves); the customer runs the support program; the
// console raises "Maria Lopez joined" with its body and chime, and counts her in the tab title. While
// the session's page is looked at in another tab, her leaving raises nothing. The notification's click
// opens the session.
func TestNotificationWhenCustomerJoins(t *testing.T) {
	began := time.Now()
	w := notifyWorld(t, true)
	t.Logf("world ready after %v", time.Since(began).Round(time.Millisecond))
	notifyPrepare(t, w.engineer, w.srv.url, notifyRecorder)
	do(t, w.engineer, 20*time.Second, "console",
		chromedp.Navigate(w.srv.url+"/console"),
		chromedp.WaitVisible(chromedp.CSS(`#notify-panel`)),
	)
	if perm := eval[string](t, w.engineer, `Notification.permission`); perm != "granted" {
		t.Fatalf("Notification.permission = %q, want granted", perm)
	}
	notifyChoose(t, w.engineer, `#notify-form input[name=desktop][value=customer_joined]`, `#notify-form input[name=sound][value=customer_joined]`,
		`#notify-form input[name=desktop][value=customer_left]`)
	// Ticking the sound played it once: that click lets the browser play it later.
	if played := eval[[]string](t, w.engineer, `window.__played`); len(played) != 1 || !strings.Contains(played[0], "/audio/joined.wav") {
		t.Errorf("sounds played when ticking %q, want the joined chime", played)
	}
	if txt := eval[string](t, w.engineer, `document.getElementById("notify-permission-text").textContent`); txt != "This browser shows notifications." {
		t.Errorf("permission line %q", txt)
	}
	fullShot(t, w.engineer, "console-menu-en")
	do(t, w.engineer, 5*time.Second, "close the menu", chromedp.Click(chromedp.CSS(`#notify-panel summary`)))

	// A session without the viewer: its page, then back to the console.
	do(t, w.engineer, 20*time.Second, "new session",
		chromedp.SendKeys(chromedp.CSS(`input[name=customer]`), "Maria Lopez"),
		chromedp.Click(chromedp.CSS(`input[name=open_viewer]`)),
		chromedp.Click(chromedp.CSS(`.new-session button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#invite-url`)),
	)
	link := eval[string](t, w.engineer, `document.getElementById("invite-url").value`)
	id := eval[string](t, w.engineer, `document.getElementById("session-live").dataset.session`)
	do(t, w.engineer, 20*time.Second, "back to the console",
		chromedp.Navigate(w.srv.url+"/console"),
		chromedp.WaitVisible(chromedp.CSS(`#notify-panel`)),
	)
	// The console's first snapshot has arrived: the title says nothing waits.
	waitJS(t, w.engineer, 5*time.Second, "the stream up", `document.getElementById("stream-status").hidden && !document.title.startsWith("(")`)

	cust := newBrowser(t)
	do(t, cust, 20*time.Second, "invitation", chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS(`#downloads`)))
	start := time.Now()
	w.downloadAndRun(t, cust)
	waitJS(t, w.engineer, 15*time.Second, "a notification", `window.__notes.length > 0`)
	t.Logf("notification %v after the agent started", time.Since(start).Round(time.Millisecond))
	type note struct{ Title, Body, Tag string }
	notes := eval[[]note](t, w.engineer, `window.__notes.map(function (n) { return { Title: n.title, Body: n.body, Tag: n.tag }; })`)
	if len(notes) != 1 || notes[0].Title != "Maria Lopez joined" || notes[0].Body != "The support program is running. Open the session to connect." || notes[0].Tag != "customer_joined:"+id {
		t.Fatalf("notifications %+v, want one: Maria Lopez joined", notes)
	}
	if played := eval[[]string](t, w.engineer, `window.__played`); len(played) != 1 || !strings.Contains(played[0], "/audio/joined.wav") {
		t.Errorf("sounds played on this page %q, want the joined chime", played)
	}
	waitJS(t, w.engineer, 5*time.Second, "the waiting count in the title", `document.title === "(1) Sessions · Acme IT Services"`)
	fullShot(t, w.engineer, "console-customer-joined")

	// The session's page, looked at in another tab, marks the session: the console announces nothing
	// about it meanwhile (the page reloads itself when the session ends; the mark outlives that); the
	// mark lapses soon after the page is closed.
	tab, closeTab := chromedp.NewContext(w.engineer)
	do(t, tab, 20*time.Second, "the session's page in another tab",
		chromedp.Navigate(w.srv.url+"/sessions/"+id),
		chromedp.WaitVisible(chromedp.CSS(`#session-state`)),
	)
	marked := fmt.Sprintf(`(function () { var f = JSON.parse(localStorage.getItem("tether.focus") || "{}"); return f.session === %q && f.until > Date.now(); })()`, id)
	waitJS(t, w.engineer, 5*time.Second, "the session marked as looked at", marked)
	// The customer cancels while the engineer looks at the session: the console counts nobody waiting
	// any more, and raises no "Maria Lopez left".
	do(t, cust, 10*time.Second, "the customer cancels", chromedp.Click(chromedp.CSS(`#cancel`)))
	waitJS(t, w.engineer, 10*time.Second, "the count gone from the title", `document.title === "Sessions · Acme IT Services"`)
	if n := eval[int](t, w.engineer, `window.__notes.length`); n != 1 {
		t.Errorf("%d more notifications (%s), want none for the session being looked at; mark %s", n-1,
			eval[string](t, w.engineer, `window.__notes.map(function (n) { return n.title; }).join(" | ")`),
			eval[string](t, w.engineer, `localStorage.getItem("tether.focus") + " at " + Date.now()`))
	}
	closeTab()
	waitJS(t, w.engineer, 10*time.Second, "the mark lapsed after the page", "!"+marked)

	// A click on the notification focuses the tab and opens the session.
	do(t, w.engineer, 10*time.Second, "click the notification",
		chromedp.Evaluate[chromedp.Void](`window.__notes[0].n.onclick()`),
	)
	requestSettle(t, w.engineer, 10*time.Second, "the session's page", fmt.Sprintf(`location.pathname === %q && document.getElementById("session-state") !== null`, "/sessions/"+id))
}

// TestConsoleStreamReconnects: the console's connection drops; it says "Reconnecting…" while it is
// down, and keeps trying; a customer asks for help meanwhile; when the line is back (the browser says
// "online"), the console reconnects by itself, shows the request, counts it in the tab title and
// announces it with the notification the engineer chose, although the update came while it was away.
func TestConsoleStreamReconnects(t *testing.T) {
	began := time.Now()
	w := notifyWorld(t, false)
	t.Logf("world ready after %v", time.Since(began).Round(time.Millisecond))
	notifyPrepare(t, w.engineer, w.srv.url, notifyRecorder, socketSwitch)
	do(t, w.engineer, 20*time.Second, "console",
		chromedp.Navigate(w.srv.url+"/console"),
		chromedp.WaitVisible(chromedp.CSS(`#notify-panel`)),
	)
	notifyChoose(t, w.engineer, `#notify-form input[name=desktop][value=request_new]`)
	do(t, w.engineer, 5*time.Second, "close the menu", chromedp.Click(chromedp.CSS(`#notify-panel summary`)))
	waitJS(t, w.engineer, 5*time.Second, "the stream up", `window.__opened === 1 && document.getElementById("stream-status").hidden`)

	do(t, w.engineer, 5*time.Second, "drop the line", chromedp.Evaluate[chromedp.Void](`window.__goOffline()`))
	waitJS(t, w.engineer, 5*time.Second, "Reconnecting… shown", `!document.getElementById("stream-status").hidden && document.getElementById("stream-status").textContent === "Reconnecting…"`)
	fullShot(t, w.engineer, "console-reconnecting")

	cust := newBrowser(t)
	do(t, cust, 20*time.Second, "get help",
		chromedp.Navigate(w.srv.url+"/p/acme-it-services/help"),
		chromedp.SendKeys(chromedp.CSS(`#help-name`), "Rita Customer"),
		chromedp.SendKeys(chromedp.CSS(`#help-description`), "My printer is offline."),
		chromedp.Click(chromedp.CSS(`#help-submit`)),
		chromedp.WaitVisible(chromedp.CSS(`#request-wait`)),
	)
	// Still down, and trying again by itself: the console has not heard of it.
	waitJS(t, w.engineer, 10*time.Second, "attempts to reconnect", `window.__sockets.length >= 3 && window.__opened === 1`)
	if n := eval[int](t, w.engineer, `document.querySelectorAll("#request-queue [data-request]").length`); n != 0 {
		t.Fatalf("the console shows %d requests while its line is down", n)
	}

	back := time.Now()
	do(t, w.engineer, 5*time.Second, "the line is back", chromedp.Evaluate[chromedp.Void](`window.__offline = false; window.dispatchEvent(new Event("online"))`))
	defer func() {
		if t.Failed() {
			t.Logf("page: %s", eval[string](t, w.engineer, `JSON.stringify({opened: window.__opened, sockets: window.__sockets.length, hidden: document.getElementById("stream-status").hidden, rows: document.querySelectorAll("#request-queue [data-request]").length, title: document.title})`))
		}
	}()
	waitJS(t, w.engineer, 15*time.Second, "reconnected with the request", `window.__opened === 2 && document.getElementById("stream-status").hidden && document.querySelector('#request-queue [data-customer="Rita Customer"]') !== null`)
	t.Logf("caught up %v after the line came back", time.Since(back).Round(time.Millisecond))
	waitJS(t, w.engineer, 5*time.Second, "the count in the title", `document.title === "(1) Sessions · Acme IT Services"`)
	type note struct{ Title, Body string }
	notes := eval[[]note](t, w.engineer, `window.__notes.map(function (n) { return { Title: n.title, Body: n.body }; })`)
	if len(notes) != 1 || notes[0].Title != "New request from Rita Customer" || notes[0].Body != "My printer is offline." {
		t.Fatalf("notifications %+v, want Rita's request", notes)
	}
	if strings.Contains(eval[string](t, w.engineer, `document.body.innerText`), "notify_") {
		t.Fatal("a raw message id on the console")
	}
	fullShot(t, w.engineer, "console-caught-up")

	// The menu in German and Chinese, and on a phone.
	for _, lang := range []string{"de", "zh-Hans"} {
		do(t, w.engineer, 20*time.Second, "console in "+lang,
			chromedp.Navigate(w.srv.url+"/console?lang="+lang),
			chromedp.WaitVisible(chromedp.CSS(`#notify-panel`)),
			chromedp.Click(chromedp.CSS(`#notify-panel summary`)),
			chromedp.WaitVisible(chromedp.CSS(`#notify-form`)),
		)
		if txt := eval[string](t, w.engineer, `document.getElementById("notify-form").innerText`); strings.Contains(txt, "notify_") || strings.Contains(txt, "A customer of mine") {
			t.Errorf("the menu in %s reads %q", lang, txt)
		}
		fullShot(t, w.engineer, "console-menu-"+lang)
	}
	do(t, w.engineer, 20*time.Second, "console on a phone",
		chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile),
		chromedp.Navigate(w.srv.url+"/console?lang=en"),
		chromedp.WaitVisible(chromedp.CSS(`#notify-panel`)),
		chromedp.Click(chromedp.CSS(`#notify-panel summary`)),
		chromedp.WaitVisible(chromedp.CSS(`#notify-form`)),
	)
	if wide := eval[bool](t, w.engineer, `(function () { var r = document.getElementById("notify-form").getBoundingClientRect(); return r.left < 0 || r.right > 390; })()`); wide {
		t.Error("the menu leaves a 390-pixel screen")
	}
	fullShot(t, w.engineer, "console-menu-phone")
}
