//go:build linux

package e2e

import (
	"context"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// acceptDialogs accepts every confirm() the page in ctx opens, as a person clicking OK, and returns what
// the dialogs said.
func acceptDialogs(t testing.TB, ctx context.Context) func() []string {
	var mu sync.Mutex
	var said []string
	opening := chromedp.Events(ctx, page.JavascriptDialogOpening)
	go func() {
		for ev, err := range opening {
			if err != nil {
				return
			}
			mu.Lock()
			said = append(said, ev.Message)
			mu.Unlock()
			// Answered from another goroutine than the one receiving events.
			go chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
				_, err := cdp.Call(ctx, tg, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true})
				return err
			}))
		}
	}()
	return func() []string { mu.Lock(); defer mu.Unlock(); return append([]string(nil), said...) }
}

// newContextOf opens a tab in a new browser context of the browser of ctx: a second person on the same
// machine, with cookies of their own.
func newContextOf(t testing.TB, ctx context.Context) context.Context {
	c, cancel := chromedp.NewContext(ctx, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	// The first action on a context opens its tab, which lives as long as the context of that action:
	// not a timeout context.
	if err := chromedp.Do(c, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("open a browser context: %v", err)
	}
	return c
}

// phoneShot saves a full-page screenshot of ctx at a phone's width (390 px) to $TETHER_E2E_SHOTS.
func phoneShot(t testing.TB, ctx context.Context, name string) {
	dir := os.Getenv("TETHER_E2E_SHOTS")
	if dir == "" {
		return
	}
	c, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := chromedp.Do(c, chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile)); err != nil {
		t.Errorf("phone viewport: %v", err)
		return
	}
	fullShot(t, ctx, name)
	if err := chromedp.Do(c, chromedp.EmulateViewport(1400, 1000)); err != nil {
		t.Errorf("desktop viewport: %v", err)
	}
}

// TestInviteEngineerAndDeactivate: the owner invites an engineer on the Team page (no mail server: the
// page shows the one-time link), the engineer opens it in a browser context of their own, chooses a
// password and lands in the console, and invites a customer. The owner deactivates them: the engineer's
// open console is signed out and says so, the customer's invitation page shows the session ended, and the
// engineer can no longer sign in.
func TestInviteEngineerAndDeactivate(t *testing.T) {
	requireTools(t)
	w := &world{a: build(t)}
	w.srv = startServer(t, w.a)
	w.engineer = newBrowser(t)
	w.setupAccount(t)
	owner := w.engineer
	dialogs := acceptDialogs(t, owner)

	do(t, owner, 20*time.Second, "open the team page",
		chromedp.Click(chromedp.CSS(`nav a[href="/settings/team"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#invite-form`)),
	)
	do(t, owner, 20*time.Second, "invite an engineer",
		chromedp.SendKeys(chromedp.CSS(`#invite-form input[name=email]`), "eve@acme.test"),
		chromedp.SendKeys(chromedp.CSS(`#invite-form input[name=name]`), "Eve Engineer"),
		chromedp.Click(chromedp.CSS(`#invite-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#team-link-url`)),
	)
	link := eval[string](t, owner, `document.getElementById("team-link-url").value`)
	if !strings.HasPrefix(link, w.srv.url+"/p/acme-it-services/join/") {
		t.Fatalf("invitation link %q is not on the provider's address", link)
	}
	if got := eval[string](t, owner, `document.querySelector("#team-invites tbody tr").innerText`); !strings.Contains(got, "eve@acme.test") || !strings.Contains(got, "Support") {
		t.Fatalf("pending invitation row %q", got)
	}
	shot(t, owner, "team-invite-link")

	// The engineer opens the link in a browser context of their own (no cookies shared with the owner).
	eng := newContextOf(t, owner)
	do(t, eng, 20*time.Second, "open the invitation", chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS(`#join-form`)))
	if h := eval[string](t, eng, `document.querySelector("h1").textContent + " | " + document.querySelector(".lead").textContent`); !strings.Contains(h, "Join Acme IT Services") || !strings.Contains(h, "Erin Engineer invited you") {
		t.Fatalf("join page says %q", h)
	}
	if got := eval[string](t, eng, `document.querySelector("#join-form input[name=name]").value`); got != "Eve Engineer" {
		t.Fatalf("name not filled in from the invitation: %q", got)
	}
	phoneShot(t, eng, "team-join-phone")
	do(t, eng, 20*time.Second, "choose a password",
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), "eve's long password"),
		chromedp.SendKeys(chromedp.CSS(`input[name=password2]`), "eve's long password"),
		chromedp.Click(chromedp.CSS(`#join-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#session-list`)),
	)
	if who := eval[string](t, eng, `document.querySelector("#me-profile").textContent`); who != "Eve Engineer" {
		t.Fatalf("console signed in as %q", who)
	}
	// An engineer has no Team link.
	if n := eval[int](t, eng, `document.querySelectorAll('nav a[href="/settings/team"]').length`); n != 0 {
		t.Fatal("the engineer's console offers the Team page")
	}

	// Eve invites a customer, who opens the invitation; then Eve stays on her console.
	do(t, eng, 20*time.Second, "new session",
		chromedp.SendKeys(chromedp.CSS(`input[name=customer]`), "Maria Lopez"),
		chromedp.Click(chromedp.CSS(`input[name=open_viewer]`)),
		chromedp.Click(chromedp.CSS(`.new-session button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#invite-url`)),
	)
	invite := eval[string](t, eng, `document.getElementById("invite-url").value`)
	do(t, eng, 20*time.Second, "back to the console", chromedp.Navigate(w.srv.url+"/console"), chromedp.WaitVisible(chromedp.CSS(`#session-list .row[data-state=waiting]`)))
	cust := newContextOf(t, owner)
	do(t, cust, 20*time.Second, "customer opens the invitation", chromedp.Navigate(invite), chromedp.WaitVisible(chromedp.CSS(`#downloads`)))

	// The owner sees Eve on the team and deactivates her.
	do(t, owner, 20*time.Second, "team page", chromedp.Navigate(w.srv.url+"/settings/team"), chromedp.WaitVisible(chromedp.CSS(`tr[data-email="eve@acme.test"]`)))
	if row := eval[string](t, owner, `document.querySelector('tr[data-email="eve@acme.test"]').innerText`); !strings.Contains(row, "Engineer") || !strings.Contains(row, "Support") || !strings.Contains(row, "Active") {
		t.Fatalf("Eve's row %q", row)
	}
	do(t, owner, 20*time.Second, "open Eve's menu", chromedp.Click(chromedp.CSS(`tr[data-email="eve@acme.test"] details.menu summary`)))
	shot(t, owner, "team-manage-menu")
	deactivatedAt := time.Now()
	do(t, owner, 20*time.Second, "deactivate Eve",
		chromedp.Click(chromedp.CSS(`tr[data-email="eve@acme.test"] form[action$="/deactivate"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`#team-notice`)),
	)
	if said := dialogs(); len(said) != 1 || !strings.Contains(said[0], "Deactivate Eve Engineer?") {
		t.Fatalf("the owner was asked %q", said)
	}
	if st := eval[string](t, owner, `document.querySelector('tr[data-email="eve@acme.test"]').dataset.status`); st != "deactivated" {
		t.Fatalf("Eve's status %q after deactivation", st)
	}
	shot(t, owner, "team-deactivated")

	// Eve's open console is signed out at once and says so; her customer's page shows the session ended.
	waitJS(t, eng, 10*time.Second, "the engineer's console signed out", `!!document.getElementById("signed-out")`)
	t.Logf("deactivation to the engineer's console signed out: %v", time.Since(deactivatedAt))
	if got := eval[string](t, eng, `location.pathname + " | " + document.getElementById("signed-out").textContent`); !strings.HasPrefix(got, "/login") || !strings.Contains(got, "signed out") {
		t.Fatalf("the signed-out page says %q", got)
	}
	shot(t, eng, "team-engineer-signed-out")
	waitJS(t, cust, 10*time.Second, "the customer's invitation ended", `document.getElementById("invite").dataset.state === "ended"`)
	t.Logf("deactivation to the customer's page ended: %v", time.Since(deactivatedAt))
	shot(t, cust, "team-customer-ended")
	// The owner's console lists the session as ended, with why.
	do(t, owner, 20*time.Second, "owner's console", chromedp.Navigate(w.srv.url+"/console"), chromedp.WaitVisible(chromedp.CSS(`#session-list .row[data-state=ended]`)))
	if row := eval[string](t, owner, `document.querySelector("#session-list .row[data-state=ended]").innerText`); !strings.Contains(row, "deactivated") {
		t.Fatalf("the ended session says %q", row)
	}
	do(t, owner, 20*time.Second, "team page again", chromedp.Navigate(w.srv.url+"/settings/team"), chromedp.WaitVisible(chromedp.CSS(`#team-members`)))
	phoneShot(t, owner, "team-phone")
	// Eve cannot sign in again.
	do(t, eng, 20*time.Second, "sign in again",
		chromedp.SendKeys(chromedp.CSS(`input[name=email]`), "eve@acme.test"),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), "eve's long password"),
		chromedp.Click(chromedp.CSS(`form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`p.error`)),
	)
	if msg := eval[string](t, eng, `document.querySelector("p.error").textContent`); !strings.Contains(msg, "deactivated") {
		t.Fatalf("sign-in of a deactivated engineer says %q", msg)
	}
}
