//go:build linux

package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"tether/server/protocol"
)

// shopPage is the provider's own website: a page of its own with the widget snippet pasted in.
const shopPage = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Acme IT Services: support</title>
<style>
body { margin: 0; font-family: Georgia, serif; background: #f3efe7; color: #222; }
header { background: #1d3b2a; color: #fff; padding: 18px 24px; font-size: 22px; }
main { max-width: 900px; margin: 0 auto; padding: 24px; display: flex; flex-wrap: wrap; gap: 32px; }
section { flex: 1 1 320px; }
</style></head>
<body><header>Acme IT Services</header>
<main><section><h1>Support</h1><p>Our engineers can look at your screen and fix things with you. Call us, and type the code the engineer reads out in the box.</p></section>
<section id="widget-slot">SNIPPET</section></main>
<script>window.frameLoaded = false; document.querySelector("#widget-slot iframe").addEventListener("load", function () { window.frameLoaded = true; });</script>
</body></html>`

// TestWidgetOnProviderWebsite: an admin allows the provider's website to embed the widget and takes the
// snippet from the admin page; a customer on that website (another origin) types an engineer's code into
// the framed widget and lands on the invitation page, whose download records that they came by the
// widget. The same page on a website not in the list does not show the widget.
func TestWidgetOnProviderWebsite(t *testing.T) {
	requireTools(t)
	w := &world{a: build(t)}
	w.srv = startServer(t, w.a)
	w.engineer = newBrowser(t)
	w.setupAccount(t)

	// The provider's website, on another origin: shop.localhost is allowed, other.localhost is not
	// (Chromium resolves *.localhost to loopback itself).
	var snippet string
	shop := httptest.NewUnstartedServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(rw, r)
			return
		}
		rw.Header().Set("Content-Type", "text/html; charset=utf-8")
		rw.Write([]byte(strings.Replace(shopPage, "SNIPPET", snippet, 1)))
	}))
	shop.Start()
	t.Cleanup(shop.Close)
	_, port, _ := net.SplitHostPort(shop.Listener.Addr().String())
	allowed, other := "http://shop.localhost:"+port, "http://other.localhost:"+port

	do(t, w.engineer, 20*time.Second, "open the widget settings",
		chromedp.Click(chromedp.CSS(`nav a[href="/settings/widget"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#widget-none`)),
		// A website without its scheme is refused with the reason, and what was typed stays.
		chromedp.SendKeys(chromedp.CSS(`#widget-origins`), "shop.localhost:"+port),
		chromedp.Click(chromedp.CSS(`form.form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#widget-settings-error`)),
	)
	if msg := eval[string](t, w.engineer, `document.getElementById('widget-settings-error').textContent`); !strings.Contains(msg, "has no scheme") {
		t.Fatalf("refusal says %q", msg)
	}
	fullShot(t, w.engineer, "admin-widget-refused")
	eval[string](t, w.engineer, `document.getElementById('widget-origins').value = ''`)
	do(t, w.engineer, 20*time.Second, "save the widget settings",
		chromedp.SendKeys(chromedp.CSS(`#widget-origins`), allowed+"/\n"),
		chromedp.Click(chromedp.CSS(`input[name=help]`)),
		chromedp.Click(chromedp.CSS(`form.form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#widget-settings-saved`)),
	)
	if got := eval[string](t, w.engineer, `document.getElementById('widget-origins').value`); got != allowed {
		t.Fatalf("saved origins %q, want %q", got, allowed)
	}
	widgetURL := w.srv.url + "/p/acme-it-services/widget"
	snippet = eval[string](t, w.engineer, `document.getElementById('widget-snippet').value`)
	if !strings.HasPrefix(snippet, `<iframe src="`+widgetURL+`"`) {
		t.Fatalf("snippet %q", snippet)
	}
	// The admin page's preview shows the widget (Tether's own pages may frame it; same origin here).
	waitJS(t, w.engineer, 20*time.Second, "the preview", `[...document.querySelectorAll('.widget-preview iframe')].every(f => f.contentDocument && f.contentDocument.getElementById('widget-code'))`)
	fullShot(t, w.engineer, "admin-widget")

	_, code := w.newSession(t, "Maria Lopez")
	cust := newBrowser(t)
	do(t, cust, 20*time.Second, "open the provider's website", chromedp.Navigate(allowed+"/"))
	frame := waitFrame(t, cust, widgetURL, "#widget-code")
	shot(t, cust, "shop-with-widget")
	if got := eval[string](t, frame, `document.getElementById('widget-help').href`); got != w.srv.url+"/p/acme-it-services/help?from=widget" {
		t.Errorf("Get help opens %q", got)
	}
	// A wrong code is refused in place, the website stays. A click gives the frame the page's focus (keys go to the focused frame); Enter sends the code.
	do(t, frame, 20*time.Second, "a wrong code, sent with Enter",
		chromedp.Click(chromedp.CSS(`#widget-code`)),
		chromedp.SendKeys(chromedp.CSS(`#widget-code`), "ZZZ ZZZ"+kb.Enter),
		chromedp.WaitVisible(chromedp.CSS(`#widget-error`)),
	)
	if msg := eval[string](t, frame, `document.getElementById('widget-error').textContent`); !strings.Contains(msg, "not valid") {
		t.Fatalf("wrong code says %q", msg)
	}
	shot(t, cust, "shop-widget-wrong-code")
	// The box with its error still fits the frame the snippet sizes: nothing scrolls inside it.
	fits := eval[string](t, frame, widgetNeeds)
	t.Logf("the widget with an error needs %s pixels", fits)
	if !widgetFits(fits) {
		t.Errorf("the widget with an error does not fit its frame: %s pixels", fits)
	}
	// The right one, as a customer types it, opens the invitation in the top window.
	eval[string](t, frame, `document.getElementById('widget-code').value = ''`)
	do(t, frame, 20*time.Second, "the engineer's code",
		chromedp.Click(chromedp.CSS(`#widget-code`)),
		chromedp.SendKeys(chromedp.CSS(`#widget-code`), strings.ToLower(code)),
		chromedp.Click(chromedp.CSS(`#widget-submit`)),
	)
	invite := w.srv.url + "/p/acme-it-services/i/"
	waitAcrossNavigation(t, cust, 20*time.Second, "the invitation page in the top window",
		`location.href.startsWith(`+strconv.Quote(invite)+`) && !!document.getElementById('invite') && document.readyState === 'complete'`)
	if h := eval[string](t, cust, `document.getElementById('headline').textContent`); !strings.Contains(h, "Erin Engineer from Acme IT Services") {
		t.Fatalf("invitation headline %q", h)
	}
	fullShot(t, cust, "invitation-from-widget")
	// The agent downloaded there carries the widget as the customer's way in.
	name := eval[string](t, cust, `document.querySelector('#downloads a.download.primary').getAttribute('download')`)
	bin, err := os.ReadFile(download(t, cust, `#downloads a.download.primary`, name))
	if err != nil {
		t.Fatal(err)
	}
	_, key, err := protocol.FindKeySlot(bytes.NewReader(bin), int64(len(bin)))
	if err != nil {
		t.Fatal(err)
	}
	set, err := protocol.ReadSettings(bytes.NewReader(bin), int64(len(bin)), key)
	if err != nil || set.Source != protocol.SourceWidget || set.Server != w.srv.url+"/p/acme-it-services" {
		t.Fatalf("downloaded settings %+v, %v", set, err)
	}

	// On a phone, the website and its widget.
	phone := newBrowser(t)
	do(t, phone, 20*time.Second, "a phone",
		chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile),
		chromedp.Navigate(allowed+"/"),
	)
	pf := waitFrame(t, phone, widgetURL, "#widget-code")
	if wide := eval[bool](t, pf, `document.documentElement.scrollWidth > window.innerWidth`); wide {
		t.Error("the widget scrolls sideways on a phone")
	}
	shot(t, phone, "shop-widget-phone")
	do(t, pf, 20*time.Second, "a wrong code on the phone",
		chromedp.Click(chromedp.CSS(`#widget-code`)),
		chromedp.SendKeys(chromedp.CSS(`#widget-code`), "ZZZ ZZZ"),
		chromedp.Click(chromedp.CSS(`#widget-submit`)),
		chromedp.WaitVisible(chromedp.CSS(`#widget-error`)),
	)
	fits = eval[string](t, pf, widgetNeeds)
	t.Logf("on a phone, the widget with an error needs %s pixels", fits)
	if !widgetFits(fits) {
		t.Errorf("on a phone, the widget with an error does not fit its frame: %s pixels", fits)
	}
	shot(t, phone, "shop-widget-phone-error")

	// A website not in the list: the browser refuses to show the widget there.
	stranger := newBrowser(t)
	do(t, stranger, 20*time.Second, "open a website not allowed", chromedp.Navigate(other+"/"))
	// The frame loads (an error page in the widget's place), and no widget runs in it.
	waitAcrossNavigation(t, stranger, 10*time.Second, "the frame's load event", `window.frameLoaded === true`)
	if blocked := frameBlocked(t, stranger, widgetURL); !blocked {
		t.Fatal("the widget rendered on a website not in the list")
	}
	shot(t, stranger, "other-site-blocked")
}

// widgetNeeds measures the widget's card against its frame: "{bottom of the card, its margin included}
// of {frame height}, {frame width} wide".
const widgetNeeds = `(Math.ceil(document.getElementById('widget').getBoundingClientRect().bottom) + 1) + ' of ' + window.innerHeight + ', ' + window.innerWidth + ' wide'`

// widgetFits reads "{needed} of {frame height}...".
func widgetFits(s string) bool {
	var need, have int
	if _, err := fmt.Sscanf(s, "%d of %d", &need, &have); err != nil {
		return false
	}
	return need <= have
}

// waitAcrossNavigation polls a JavaScript condition in a page that is navigating: an evaluation the
// navigation interrupts is tried again.
func waitAcrossNavigation(t testing.TB, ctx context.Context, d time.Duration, what, js string) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		c, cancel := context.WithTimeout(ctx, 2*time.Second)
		ok, err := chromedp.Run(c, chromedp.Evaluate[bool](js))
		cancel()
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s (%s): %v", what, js, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitFrame waits until the page in ctx has a frame from url (a separate target: Chromium isolates
// sites) showing sel, and returns a context that acts in that frame.
func waitFrame(t testing.TB, ctx context.Context, url, sel string) context.Context {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		infos, err := chromedp.Targets(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, info := range infos {
			if info.Type == "iframe" && strings.HasPrefix(info.URL, url) {
				fctx, cancel := chromedp.NewContext(ctx, chromedp.WithTargetID(info.TargetID))
				t.Cleanup(cancel)
				// The first run attaches to the frame for the context's whole life: no timeout on it.
				if err := chromedp.Do(fctx); err != nil {
					t.Fatalf("attach to the frame: %v", err)
				}
				do(t, fctx, 20*time.Second, "the framed widget", chromedp.WaitVisible(chromedp.CSS(sel)))
				return fctx
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no frame from %s", url)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// frameBlocked reports whether the page's frame of url shows no widget: Chromium, refusing the frame,
// commits an error page in its place (chrome-error://chromewebdata/) instead of the widget.
func frameBlocked(t testing.TB, ctx context.Context, url string) bool {
	t.Helper()
	infos, err := chromedp.Targets(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, info := range infos {
		if info.Type != "iframe" || !strings.HasPrefix(info.URL, url) {
			continue
		}
		fctx, cancel := chromedp.NewContext(ctx, chromedp.WithTargetID(info.TargetID))
		t.Cleanup(cancel) // cancelling closes the frame: only once the test is done
		if err := chromedp.Do(fctx); err != nil {
			t.Fatalf("attach to the frame: %v", err)
		}
		shown := eval[string](t, fctx, `location.href + (document.getElementById('widget-code') ? ' shows the widget' : ' shows no widget')`)
		t.Logf("the frame of %s: %s", url, shown)
		return strings.HasSuffix(shown, " shows no widget")
	}
	t.Logf("no frame of %s at all", url)
	return true
}
