//go:build linux

package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"tether/server/auth"
	"tether/server/protocol"
	"tether/server/store"
)

// requestPortal is the path prefix of the test provider's portal ("Acme IT Services").
const requestPortal = "/p/acme-it-services"

// requestPhoneShot opens url in a new tab of the browser ctx the size of a 390-pixel-wide phone and saves a
// screenshot of it.
func requestPhoneShot(t testing.TB, ctx context.Context, url, name string) {
	t.Helper()
	tab, cancel := chromedp.NewContext(ctx)
	defer cancel()
	// The tab lives as long as the context of its first action: not a timeout context.
	if err := chromedp.Do(tab, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("open a tab: %v", err)
	}
	do(t, tab, 20*time.Second, "phone "+name,
		chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile),
		chromedp.Navigate(url),
		chromedp.WaitVisible(chromedp.CSS(`main`)),
	)
	if w := eval[int](t, tab, `document.documentElement.scrollWidth`); w > 390 {
		t.Errorf("%s is %d pixels wide on a 390-pixel phone", name, w)
	}
	fullShot(t, tab, name)
}

// requestAllowNotifications grants the server's origin the Notification permission, as an engineer clicking
// "Allow" in the browser's prompt would.
func requestAllowNotifications(t testing.TB, ctx context.Context, origin string) {
	do(t, ctx, 10*time.Second, "allow notifications", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.CallBrowser(ctx, browser.SetPermission, browser.SetPermissionParams{
			Permission: &browser.PermissionDescriptor{Name: "notifications"}, Setting: browser.PermissionSettingGranted, Origin: origin,
		})
		return err
	}))
}

// requestAddEngineer makes a second engineer of Acme's default desk, with a password to sign in with.
func requestAddEngineer(t testing.TB, st *store.Store, providerID, name, email string) {
	t.Helper()
	ctx := context.Background()
	desk, err := st.DefaultDesk(ctx, providerID)
	if err != nil {
		t.Fatal(err)
	}
	hash, err := auth.HashPassword("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateUser(ctx, store.User{ProviderID: providerID, Email: email, Name: name, PasswordHash: hash, Role: store.RoleEngineer}, desk.ID); err != nil {
		t.Fatal(err)
	}
}

// requestSignIn signs an engineer in on the server's own address and opens the console.
func requestSignIn(t testing.TB, ctx context.Context, srvURL, email string) {
	do(t, ctx, 20*time.Second, "sign in "+email,
		chromedp.Navigate(srvURL+"/login"),
		chromedp.SendKeys(chromedp.CSS(`input[name=email]`), email),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), "correct horse battery"),
		chromedp.Click(chromedp.CSS(`form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#request-queue`)),
	)
}

// requestAskForHelp fills the portal's Get help form in the customer's browser and waits for the invitation
// page.
func requestAskForHelp(t testing.TB, ctx context.Context, srvURL, name, description string) {
	do(t, ctx, 20*time.Second, "get help",
		chromedp.Navigate(srvURL+requestPortal+"/help"),
		chromedp.SendKeys(chromedp.CSS(`#help-name`), name),
		chromedp.SendKeys(chromedp.CSS(`#help-description`), description),
		chromedp.Click(chromedp.CSS(`#help-submit`)),
		chromedp.WaitVisible(chromedp.CSS(`#request-wait`)),
	)
}

// requestSettle waits until js is true in a page that may navigate meanwhile (an evaluation the navigation
// interrupts is tried again).
func requestSettle(t testing.TB, ctx context.Context, d time.Duration, what, js string) {
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
			t.Fatalf("waiting for %s: %v", what, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// requestRowID reads the id of the console's only waiting request, once it is there.
func requestRowID(t testing.TB, ctx context.Context, customer string) string {
	t.Helper()
	sel := fmt.Sprintf(`document.querySelector('#request-queue [data-customer=%q]')`, customer)
	waitJS(t, ctx, 15*time.Second, customer+"'s request in the queue", sel+` !== null`)
	return eval[string](t, ctx, sel+`.dataset.request`)
}

// TestGetHelpFromPortal: a customer asks for help on the provider's portal, sees the waiting page with
// position 1 and runs the support program while waiting; the engineer, who opted in to notifications,
// sees the request appear live with a notification, accepts it and lands on the session; the customer's
// page and the consent page the program serves then name the engineer, and the customer approves.
func TestGetHelpFromPortal(t *testing.T) {
	w := newWorld(t)
	requestAllowNotifications(t, w.engineer, w.srv.url)
	do(t, w.engineer, 20*time.Second, "console with notifications on",
		chromedp.Navigate(w.srv.url+"/console"),
		chromedp.WaitVisible(chromedp.CSS(`#request-queue`)),
		chromedp.Click(chromedp.CSS(`#notify-panel summary`)),
		chromedp.Click(chromedp.CSS(`#notify-form input[name=desktop][value=request_new]`)),
	)
	waitJS(t, w.engineer, 5*time.Second, "notifications switched on", `document.querySelector('#notify-form input[name=desktop][value=request_new]').checked && document.getElementById("notify-status").textContent === "Saved"`)
	do(t, w.engineer, 5*time.Second, "close the menu", chromedp.Click(chromedp.CSS(`#notify-panel summary`)))
	// Notifications shown are counted by the page; headless Chromium shows none on a screen.
	fullShot(t, w.engineer, "console-empty-queue")

	cust := newBrowser(t)
	do(t, cust, 10*time.Second, "portal start page", chromedp.Navigate(w.srv.url+requestPortal+"/"), chromedp.WaitVisible(chromedp.CSS(`#get-help`)))
	fullShot(t, cust, "code-page-get-help")
	do(t, cust, 10*time.Second, "open Get help", chromedp.Click(chromedp.CSS(`#get-help`)), chromedp.WaitVisible(chromedp.CSS(`#help-form`)))
	fullShot(t, cust, "help-form")
	requestPhoneShot(t, cust, w.srv.url+requestPortal+"/help", "help-form-phone")
	requestAskForHelp(t, cust, w.srv.url, "Rita Customer", "My printer is offline since this morning.")
	waitJS(t, cust, 10*time.Second, "position 1", `document.getElementById("queue-position").textContent === "1"`)
	if head := eval[string](t, cust, `document.getElementById("headline").textContent`); !strings.Contains(head, "Your request to Acme IT Services") {
		t.Fatalf("waiting page headline %q", head)
	}
	if txt := eval[string](t, cust, `document.getElementById("queue-text").textContent`); !strings.Contains(txt, "next in the queue") {
		t.Fatalf("queue text %q", txt)
	}
	fullShot(t, cust, "customer-waiting")
	requestPhoneShot(t, cust, eval[string](t, cust, `location.href`), "customer-waiting-phone")

	id := requestRowID(t, w.engineer, "Rita Customer")
	waitJS(t, w.engineer, 10*time.Second, "the request announced with a notification",
		fmt.Sprintf(`(document.getElementById("notify-panel").dataset.shown || "").split(",").includes(%q)`, "request_new:"+id))
	if toast := eval[string](t, w.engineer, `document.getElementById("request-toast").textContent`); !strings.Contains(toast, "Rita Customer") {
		t.Fatalf("console toast %q", toast)
	}
	fullShot(t, w.engineer, "console-new-request")

	// The customer runs the program while waiting: it asks on behalf of whoever accepts.
	c := w.downloadAndRun(t, cust)
	page, cancel := chromedp.NewContext(cust)
	t.Cleanup(cancel)
	if err := chromedp.Do(page, chromedp.Navigate("about:blank")); err != nil {
		t.Fatal(err)
	}
	c.page = page
	do(t, page, 20*time.Second, "consent page while waiting", chromedp.Navigate(c.consent), chromedp.WaitVisible(chromedp.CSS(`#allow`)))
	if who := eval[string](t, page, `document.getElementById("who-engineer").textContent`); strings.Contains(who, "Erin") {
		t.Fatalf("the consent page names %q before anyone accepted", who)
	}
	waitJS(t, w.engineer, 10*time.Second, "the queue shows the program running", fmt.Sprintf(`document.querySelector('[data-request=%q] .pill-joined') !== null`, id))

	do(t, w.engineer, 20*time.Second, "accept",
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`[data-accept=%q]`, id))),
		chromedp.WaitVisible(chromedp.CSS(`#session-state`)),
	)
	if path := eval[string](t, w.engineer, `location.pathname`); path != "/sessions/"+id {
		t.Fatalf("the winner landed on %q", path)
	}
	fullShot(t, w.engineer, "engineer-accepted-session")
	waitJS(t, page, 15*time.Second, "the consent page names the engineer", `document.getElementById("title").textContent.startsWith("Erin Engineer") && document.getElementById("who-engineer").textContent === "Erin Engineer"`)
	fullShot(t, page, "consent-names-engineer")
	waitJS(t, cust, 15*time.Second, "the invitation page names the engineer", `document.getElementById("headline").textContent.includes("Erin Engineer")`)
	fullShot(t, cust, "customer-accepted")
	c.approve(t, "control")

	st, providerID := trustStore(t, w)
	sess, err := st.SessionByID(context.Background(), providerID, id)
	if err != nil || sess.Origin != protocol.OriginPortal || sess.AcceptedAt == nil || sess.State != store.StateActive {
		t.Fatalf("stored request %+v, %v", sess, err)
	}
}

// TestTwoEngineersAcceptOneWins: two engineers of the desk, each in their own browser, press Accept on
// the same request at the same moment; exactly one lands on the session, the other is told who took it.
func TestTwoEngineersAcceptOneWins(t *testing.T) {
	requireTools(t)
	w := &world{a: build(t)}
	w.srv = startServer(t, w.a)
	w.engineer = newBrowser(t)
	w.setupAccount(t)
	st, providerID := trustStore(t, w)
	requestAddEngineer(t, st, providerID, "Ed Engineer", "ed@acme.test")
	ed := newBrowser(t)
	requestSignIn(t, ed, w.srv.url, "ed@acme.test")
	erin := w.engineer
	do(t, erin, 10*time.Second, "Erin's console", chromedp.Navigate(w.srv.url+"/console"), chromedp.WaitVisible(chromedp.CSS(`#request-queue`)))

	cust := newBrowser(t)
	requestAskForHelp(t, cust, w.srv.url, "Rita Customer", "Cannot print.")
	id := requestRowID(t, erin, "Rita Customer")
	if got := requestRowID(t, ed, "Rita Customer"); got != id {
		t.Fatalf("the engineers see different requests: %s, %s", id, got)
	}
	// Both press at one wall-clock moment (both browsers run on this machine's clock).
	at := time.Now().Add(700 * time.Millisecond).UnixMilli()
	press := fmt.Sprintf(`(() => { const b = document.querySelector('[data-accept=%q]'); setTimeout(() => b.click(), %d - Date.now()); return true; })()`, id, at)
	for _, ctx := range []context.Context{erin, ed} {
		if !eval[bool](t, ctx, press) {
			t.Fatal("could not arm the click")
		}
	}
	won := fmt.Sprintf(`location.pathname === "/sessions/%s"`, id)
	lost := fmt.Sprintf(`(() => { const r = document.querySelector('[data-request=%q] .taken'); return !!r && !r.hidden && r.textContent.startsWith("Taken by "); })()`, id)
	outcome := fmt.Sprintf(`(%s) || (%s)`, won, lost)
	requestSettle(t, erin, 15*time.Second, "Erin's outcome", outcome)
	requestSettle(t, ed, 15*time.Second, "Ed's outcome", outcome)
	erinWon, edWon := eval[bool](t, erin, won), eval[bool](t, ed, won)
	if erinWon == edWon {
		t.Fatalf("Erin won %v, Ed won %v: want exactly one winner", erinWon, edWon)
	}
	loser, winnerName := ed, "Erin Engineer"
	if edWon {
		loser, winnerName = erin, "Ed Engineer"
	}
	if txt := eval[string](t, loser, fmt.Sprintf(`document.querySelector('[data-request=%q] .taken').textContent`, id)); txt != "Taken by "+winnerName && txt != "Taken by "+winnerName+"." {
		t.Fatalf("the loser reads %q, want Taken by %s", txt, winnerName)
	}
	fullShot(t, loser, "loser-taken-by")
	t.Logf("%s won; the other engineer read %q", winnerName, "Taken by "+winnerName)
	evs, err := st.Events(context.Background(), providerID, id)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range evs {
		if e.Kind == store.EventRequestAccepted {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d request_accepted events, want 1", n)
	}
	// The loser's queue drops the taken request after showing who took it.
	waitJS(t, loser, 15*time.Second, "the taken request leaves the loser's queue", fmt.Sprintf(`document.querySelector('[data-request=%q]') === null`, id))
}

// TestRequestTimesOutNobodyFree: with a request timeout of 3 policy minutes (a second each here), a request
// nobody accepts ends; the customer's page tells them nobody is free and offers to ask again, and the
// console's queue drops it.
func TestRequestTimesOutNobodyFree(t *testing.T) {
	requireTools(t)
	w := &world{a: build(t)}
	w.srv = startServer(t, w.a, "TETHER_POLICY_MINUTE=1s")
	w.engineer = newBrowser(t)
	w.setupAccount(t)
	st, providerID := trustStore(t, w)
	p := store.DefaultPolicy()
	p.RequestTimeoutMinutes = 3
	if err := st.SetPolicy(context.Background(), providerID, p); err != nil {
		t.Fatal(err)
	}
	do(t, w.engineer, 10*time.Second, "settings", chromedp.Navigate(w.srv.url+"/settings"), chromedp.WaitVisible(chromedp.CSS(`input[name=request_timeout_minutes]`)))
	if v := eval[string](t, w.engineer, `document.querySelector("input[name=request_timeout_minutes]").value`); v != "3" {
		t.Fatalf("settings show a request timeout of %q, want 3", v)
	}
	fullShot(t, w.engineer, "settings-request-timeout")
	do(t, w.engineer, 10*time.Second, "console", chromedp.Navigate(w.srv.url+"/console"), chromedp.WaitVisible(chromedp.CSS(`#request-queue`)))
	cust := newBrowser(t)
	start := time.Now()
	requestAskForHelp(t, cust, w.srv.url, "Nora Nobody", "Screen stays black after login.")
	id := requestRowID(t, w.engineer, "Nora Nobody")
	do(t, w.engineer, 10*time.Second, "the request's page", chromedp.Navigate(w.srv.url+"/sessions/"+id), chromedp.WaitVisible(chromedp.CSS(`#accept`)))
	fullShot(t, w.engineer, "session-page-accept")
	do(t, w.engineer, 10*time.Second, "back to the console", chromedp.Navigate(w.srv.url+"/console"), chromedp.WaitVisible(chromedp.CSS(`#request-queue`)))
	waitJS(t, cust, 20*time.Second, "nobody is free", `!document.getElementById("request-closed").hidden && document.getElementById("request-wait").hidden`)
	took := time.Since(start)
	if took < 3*time.Second {
		t.Fatalf("the request ended after %s, before its 3 s timeout", took)
	}
	if title := eval[string](t, cust, `document.getElementById("closed-title").textContent`); title != "Nobody is free right now" {
		t.Fatalf("closed title %q", title)
	}
	if href := eval[string](t, cust, `document.querySelector("#request-closed a.button").getAttribute("href")`); href != requestPortal+"/help" {
		t.Fatalf("ask again leads to %q", href)
	}
	fullShot(t, cust, "customer-nobody-free")
	waitJS(t, w.engineer, 10*time.Second, "the console drops the request", fmt.Sprintf(`document.querySelector('[data-request=%q]') === null`, id))
	sess, err := st.SessionByID(context.Background(), providerID, id)
	if err != nil || sess.State != store.StateEnded || sess.EndReason != protocol.EndNobodyFree {
		t.Fatalf("stored %+v, %v", sess, err)
	}
	t.Logf("the request ended %s after it was made (timeout 3 s, sweep every 1 s)", took.Round(100*time.Millisecond))
}
