package e2e

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestOwnerSetsSessionPolicy: the provider's owner opens Settings from the console, changes the session
// policy, is refused with the reason for a value out of bounds, and saves a valid one.
func TestOwnerSetsSessionPolicy(t *testing.T) {
	requireTools(t)
	w := &world{a: build(t)}
	w.srv = startServer(t, w.a)
	w.engineer = newBrowser(t)
	w.setupAccount(t)
	do(t, w.engineer, 20*time.Second, "open settings",
		chromedp.Click(chromedp.CSS(`nav a[href="/settings"]`)),
		chromedp.WaitVisible(chromedp.CSS(`input[name=session_max_minutes]`)),
	)
	if got := eval[string](t, w.engineer, `document.querySelector('input[name=session_max_minutes]').value`); got != "120" {
		t.Fatalf("default maximum session length %q, want 120", got)
	}
	set := func(name, value string) chromedp.Action[chromedp.Void] {
		return chromedp.SetValue(chromedp.CSS(`input[name=`+name+`]`), value)
	}
	// Out of bounds past the browser's own check: the server says why and keeps the old value.
	eval[bool](t, w.engineer, `document.querySelector('form.form').noValidate = true`)
	do(t, w.engineer, 20*time.Second, "refused",
		set("session_max_minutes", "2"),
		chromedp.Click(chromedp.CSS(`form.form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`p.error`)),
	)
	do(t, w.engineer, 20*time.Second, "save",
		set("session_max_minutes", "90"), set("idle_timeout_minutes", "0"), set("file_max_mb", "500"),
		chromedp.Click(chromedp.CSS(`input[name=recording]`)),
		chromedp.Click(chromedp.CSS(`form.form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#settings-saved`)),
	)
	shot(t, w.engineer, "settings")
	got := eval[[]any](t, w.engineer, `['session_max_minutes','idle_timeout_minutes','file_max_mb'].map(n => document.querySelector('input[name='+n+']').value).concat([document.querySelector('input[name=recording]').checked])`)
	if got[0] != "90" || got[1] != "0" || got[2] != "500" || got[3] != true {
		t.Fatalf("saved settings show %v", got)
	}
}
