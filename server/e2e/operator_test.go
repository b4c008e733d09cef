//go:build linux

package e2e

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"tether/server/mail/mailtest"
)

// operatorTab opens another tab of the same browser (same cookies).
func operatorTab(t testing.TB, ctx context.Context) context.Context {
	tab, cancel := chromedp.NewContext(ctx)
	t.Cleanup(cancel)
	if err := chromedp.Do(tab, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("open a tab: %v", err)
	}
	return tab
}

// TestOperatorDisablesProvider: the operator (the setup account) creates a second provider in the
// browser, its owner chooses a password from the one-time link and helps a customer; then the operator
// disables that provider. The owner's open console is signed out, the live session ends on both sides
// and the agent exits, and the customer's invitation page says the portal is closed.
func TestOperatorDisablesProvider(t *testing.T) {
	w := newWorld(t)
	op := w.engineer
	do(t, op, 20*time.Second, "operator page",
		chromedp.Click(chromedp.CSS(`nav a[href="/operator"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#create-provider`)),
		chromedp.SendKeys(chromedp.CSS(`#create-provider input[name=provider]`), "Globex Helpdesk"),
		chromedp.SendKeys(chromedp.CSS(`#create-provider input[name=name]`), "Gil Globex"),
		chromedp.SendKeys(chromedp.CSS(`#create-provider input[name=email]`), "gil@globex.test"),
		chromedp.Click(chromedp.CSS(`#create-provider button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#owner-link`)),
	)
	fullShot(t, op, "operator-created")
	ownerLink := eval[string](t, op, `document.getElementById("owner-link").value`)
	if !regexp.MustCompile(`^http://127\.0\.0\.1:\d+/welcome/[a-z2-7]{32}$`).MatchString(ownerLink) {
		t.Fatalf("owner link %q", ownerLink)
	}

	// The new owner chooses a password and lands in Globex's console.
	gil := newBrowser(t)
	do(t, gil, 20*time.Second, "owner chooses a password",
		chromedp.Navigate(ownerLink),
		chromedp.WaitVisible(chromedp.CSS(`#welcome`)),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), "globex password 1"),
		chromedp.SendKeys(chromedp.CSS(`input[name=password2]`), "globex password 1"),
		chromedp.Click(chromedp.CSS(`#welcome button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#session-list`)),
	)
	if brand := eval[string](t, gil, `document.querySelector(".topbar .brand-name").textContent`); brand != "Globex Helpdesk" {
		t.Fatalf("owner's console is %q's", brand)
	}
	console := operatorTab(t, gil)
	do(t, console, 20*time.Second, "console tab", chromedp.Navigate(w.srv.url+"/console"), chromedp.WaitVisible(chromedp.CSS(`#session-list`)))

	// Gil helps a customer: the session runs.
	gw := *w
	gw.engineer = gil
	link, _ := gw.newSession(t, "Maria Lopez")
	cust := newBrowser(t)
	do(t, cust, 20*time.Second, "open invitation", chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS(`#downloads`)))
	c := gw.downloadAndRun(t, cust)
	c.approve(t, "control")
	waitJS(t, gil, 15*time.Second, "first frame", `Number(document.getElementById("viewer").dataset.frames) > 0`)
	waitJS(t, console, 10*time.Second, "the console lists the active session", `!!document.querySelector('#session-list .row[data-state=active]')`)

	// The operator opens Globex and disables it, confirming.
	do(t, op, 20*time.Second, "open globex",
		chromedp.Navigate(w.srv.url+"/operator"),
		chromedp.WaitVisible(chromedp.CSS(`table.providers`)),
	)
	if live := eval[string](t, op, `[...document.querySelectorAll("table.providers tbody tr")].find(r => r.innerText.includes("Globex")).innerText`); !strings.Contains(live, "1 · no limit") {
		t.Errorf("providers list row for Globex: %q, want its one live session", live)
	}
	fullShot(t, op, "operator-providers")
	href := func(name string) string {
		return eval[string](t, op, `[...document.querySelectorAll("a.provider-name")].find(a => a.textContent.includes("`+name+`")).getAttribute("href")`)
	}
	ownHref, globexHref := href("Acme IT Services"), href("Globex")
	// The operator's own provider cannot be disabled.
	do(t, op, 20*time.Second, "own provider", chromedp.Navigate(w.srv.url+ownHref), chromedp.WaitVisible(chromedp.CSS(`#quotas`)))
	if eval[bool](t, op, `!!document.querySelector("#disable")`) {
		t.Error("the operator's own provider offers Disable")
	}
	do(t, op, 20*time.Second, "open globex", chromedp.Navigate(w.srv.url+globexHref), chromedp.WaitVisible(chromedp.CSS(`#disable`)))
	fullShot(t, op, "operator-provider")
	do(t, op, 20*time.Second, "disable",
		chromedp.Click(chromedp.CSS(`#disable input[name=confirm]`)),
		chromedp.Click(chromedp.CSS(`#disable button.danger`)),
		chromedp.WaitVisible(chromedp.CSS(`#operator-notice`)),
		chromedp.WaitVisible(chromedp.CSS(`#enable`)),
	)
	fullShot(t, op, "operator-disabled")

	// Everything of Globex stops at once: the viewer ends with the reason, the agent exits, the
	// invitation page ends, and the open console tab is signed out.
	waitJS(t, gil, 5*time.Second, "viewer ended", `document.getElementById("viewer").dataset.state === "ended"`)
	if reason := eval[string](t, gil, `document.getElementById("v-ended-reason").textContent`); !strings.Contains(reason, "account was closed") {
		t.Errorf("viewer's end reason %q", reason)
	}
	c.waitExit(t, 5*time.Second)
	waitJS(t, cust, 5*time.Second, "invitation page ended", `document.getElementById("invite").dataset.state === "ended"`)
	waitJS(t, console, 5*time.Second, "console signed out", `location.pathname === "/login"`)
	do(t, console, 20*time.Second, "sign in again",
		chromedp.SendKeys(chromedp.CSS(`input[name=email]`), "gil@globex.test"),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), "globex password 1"),
		chromedp.Click(chromedp.CSS(`form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`p.error`)),
	)
	if msg := eval[string](t, console, `document.querySelector("p.error").textContent`); !strings.Contains(msg, "disabled") {
		t.Errorf("sign-in of a disabled provider says %q", msg)
	}
	do(t, cust, 20*time.Second, "reload invitation", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(`h1`)))
	if h1 := eval[string](t, cust, `document.querySelector("h1").textContent`); h1 != "Support portal closed" {
		t.Errorf("the customer's invitation page after disabling: %q", h1)
	}
	fullShot(t, cust, "operator-customer-closed")
}

// TestSignUpNewProvider: the operator opens self-service sign-up; a new company signs up from the
// sign-in page's link, confirms its email address from the mail (a real SMTP server in the test
// captures it), and its owner lands in an empty console of their own.
func TestSignUpNewProvider(t *testing.T) {
	requireTools(t)
	smtp := mailtest.Start(t)
	w := &world{a: build(t)}
	w.srv = startServer(t, w.a, "TETHER_SMTP="+smtp.URL(), "TETHER_MAIL_FROM=Tether <tether@example.test>")
	w.engineer = newBrowser(t)
	w.setupAccount(t)
	op := w.engineer
	do(t, op, 20*time.Second, "open sign-up",
		chromedp.Click(chromedp.CSS(`nav a[href="/operator"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#signup-switch`)),
		chromedp.Click(chromedp.CSS(`#signup-switch button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#operator-notice`)),
	)
	if notice := eval[string](t, op, `document.getElementById("operator-notice").textContent`); !strings.Contains(notice, "open") {
		t.Fatalf("notice %q", notice)
	}

	// Someone new, on a phone, follows the sign-in page's link.
	gil := newBrowser(t, chromedp.WindowSize(390, 844))
	do(t, gil, 20*time.Second, "sign-up form",
		chromedp.Navigate(w.srv.url+"/login"),
		chromedp.Click(chromedp.CSS(`#signup-link a`)),
		chromedp.WaitVisible(chromedp.CSS(`#signup`)),
		chromedp.SendKeys(chromedp.CSS(`#signup input[name=provider]`), "Globex Helpdesk"),
		chromedp.SendKeys(chromedp.CSS(`#signup input[name=name]`), "Gil Globex"),
		chromedp.SendKeys(chromedp.CSS(`#signup input[name=email]`), "gil@globex.test"),
		chromedp.SendKeys(chromedp.CSS(`#signup input[name=password]`), "globex password 1"),
		chromedp.SendKeys(chromedp.CSS(`#signup input[name=password2]`), "globex password 2"),
	)
	fullShot(t, gil, "operator-signup-phone")
	// A typo in the second password: refused with the reason, the rest kept.
	do(t, gil, 20*time.Second, "mismatch",
		chromedp.Click(chromedp.CSS(`#signup button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`p.error`)),
	)
	if got := eval[string](t, gil, `document.querySelector("#signup input[name=provider]").value`); got != "Globex Helpdesk" {
		t.Errorf("company name after the refusal %q", got)
	}
	do(t, gil, 20*time.Second, "sign up",
		chromedp.SendKeys(chromedp.CSS(`#signup input[name=password]`), "globex password 1"),
		chromedp.SendKeys(chromedp.CSS(`#signup input[name=password2]`), "globex password 1"),
		chromedp.Click(chromedp.CSS(`#signup button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#signup-sent`)),
	)
	fullShot(t, gil, "operator-signup-sent")
	m := smtp.Next(t, 10*time.Second)
	if len(m.To) != 1 || m.To[0] != "gil@globex.test" || m.User != mailtest.User || !strings.Contains(m.Data, "Subject: Confirm your support account for Globex Helpdesk") {
		t.Fatalf("confirmation mail: to %v, user %q\n%s", m.To, m.User, m.Data)
	}
	link := regexp.MustCompile(`http://\S+/signup/confirm/[a-z2-7]{32}`).FindString(m.Data)
	if link == "" {
		t.Fatalf("no confirmation link in\n%s", m.Data)
	}
	do(t, gil, 20*time.Second, "confirm",
		chromedp.Navigate(link),
		chromedp.WaitVisible(chromedp.CSS(`#signup-confirm`)),
	)
	fullShot(t, gil, "operator-signup-confirm")
	do(t, gil, 20*time.Second, "create",
		chromedp.Click(chromedp.CSS(`#signup-confirm`)),
		chromedp.WaitVisible(chromedp.CSS(`#session-list`)),
	)
	got := eval[[]string](t, gil, `[document.querySelector(".topbar .brand-name").textContent,
		String(document.querySelectorAll("#session-list .row").length), String(!!document.querySelector('nav a[href="/operator"]')),
		String(!!document.querySelector('nav a[href="/settings"]'))]`)
	if got[0] != "Globex Helpdesk" || got[1] != "0" || got[2] != "false" || got[3] != "true" {
		t.Errorf("new owner's console: brand %q, %s sessions, operator link %s, settings link %s", got[0], got[1], got[2], got[3])
	}
	fullShot(t, gil, "operator-signup-console")
	// Gil signs up a second company with the same email and password: one email, two accounts. Signing
	// in then asks which provider, and the console offers to switch.
	do(t, gil, 20*time.Second, "second sign-up",
		chromedp.Navigate(w.srv.url+"/signup"),
		chromedp.WaitVisible(chromedp.CSS(`#signup`)),
		chromedp.SendKeys(chromedp.CSS(`#signup input[name=provider]`), "Globex East"),
		chromedp.SendKeys(chromedp.CSS(`#signup input[name=name]`), "Gil Globex"),
		chromedp.SendKeys(chromedp.CSS(`#signup input[name=email]`), "gil@globex.test"),
		chromedp.SendKeys(chromedp.CSS(`#signup input[name=password]`), "globex password 1"),
		chromedp.SendKeys(chromedp.CSS(`#signup input[name=password2]`), "globex password 1"),
		chromedp.Click(chromedp.CSS(`#signup button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#signup-sent`)),
	)
	link = regexp.MustCompile(`http://\S+/signup/confirm/[a-z2-7]{32}`).FindString(smtp.Next(t, 10*time.Second).Data)
	do(t, gil, 20*time.Second, "confirm the second",
		chromedp.Navigate(link),
		chromedp.Click(chromedp.CSS(`#signup-confirm`)),
		chromedp.WaitVisible(chromedp.CSS(`#session-list`)),
	)
	// A new owner gets the tour; on a phone, signing out is in the top bar's menu.
	skipTour(t, gil)
	do(t, gil, 20*time.Second, "sign out",
		chromedp.Click(chromedp.CSS(`#menu-toggle`)),
		chromedp.Click(chromedp.CSS(`#sign-out button`)),
		chromedp.WaitVisible(chromedp.CSS(`input[name=password]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name=email]`), "gil@globex.test"),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), "globex password 1"),
		chromedp.Click(chromedp.CSS(`form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`ul.chooser`)),
	)
	if choices := eval[string](t, gil, `document.querySelector("ul.chooser").innerText`); !strings.Contains(choices, "Sign in to Globex East") || !strings.Contains(choices, "Sign in to Globex Helpdesk") {
		t.Fatalf("chooser offers %q", choices)
	}
	fullShot(t, gil, "operator-chooser-phone")
	do(t, gil, 20*time.Second, "choose Globex Helpdesk",
		chromedp.Click(chromedp.CSS(`ul.chooser li:nth-child(2) button`)),
		chromedp.WaitVisible(chromedp.CSS(`#session-list`)),
	)
	if brand := eval[string](t, gil, `document.querySelector(".topbar .brand-name").textContent`); brand != "Globex Helpdesk" {
		t.Errorf("chose Globex Helpdesk, got %q", brand)
	}
	skipTour(t, gil)
	do(t, gil, 20*time.Second, "switch provider",
		chromedp.Click(chromedp.CSS(`#menu-toggle`)),
		chromedp.Click(chromedp.CSS(`.me a.switch`)),
		chromedp.WaitVisible(chromedp.CSS(`.row a.button`)),
	)
	fullShot(t, gil, "operator-switch-phone")
	do(t, gil, 20*time.Second, "sign in to the other",
		chromedp.Click(chromedp.CSS(`.row a.button`)),
		chromedp.WaitVisible(chromedp.CSS(`input[name=password]`)),
	)
	if got := eval[[]string](t, gil, `[document.querySelector("h1").textContent, document.querySelector("input[name=email]").value, location.pathname]`); got[0] != "Sign in to Globex East" || got[1] != "gil@globex.test" || got[2] != "/p/globex-east/login" {
		t.Errorf("the other provider's sign-in page: %v", got)
	}
	do(t, gil, 20*time.Second, "password of the other",
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), "globex password 1"),
		chromedp.Click(chromedp.CSS(`form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#session-list`)),
	)
	if brand := eval[string](t, gil, `document.querySelector(".topbar .brand-name").textContent`); brand != "Globex East" {
		t.Errorf("after switching: %q", brand)
	}
	// The operator sees the new provider.
	do(t, op, 20*time.Second, "operator list", chromedp.Navigate(w.srv.url+"/operator"), chromedp.WaitVisible(chromedp.CSS(`table.providers`)))
	if rows := eval[string](t, op, `document.querySelector("table.providers tbody").innerText`); !strings.Contains(rows, "Globex Helpdesk") || !strings.Contains(rows, "gil@globex.test") {
		t.Errorf("the operator's list lacks the new provider:\n%s", rows)
	}
}
