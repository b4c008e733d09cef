//go:build linux

package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestServerRestart: a session waiting for consent survives a restart (the
// agent reconnects with its keys and consent still works); an active one
// ends as "interrupted" with its record kept, and the agent exits.
func TestServerRestart(t *testing.T) {
	w := newWorld(t)
	link, _ := w.newSession(t, "Restart Customer")
	cust := newBrowser(t)
	do(t, cust, 20*time.Second, "open invitation", chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS(`#downloads`)))
	c := w.downloadAndRun(t, cust)
	waitJS(t, cust, 10*time.Second, "agent joined", `document.getElementById("invite").dataset.state === "joined"`)

	w.srv.restart(t, w.a.buildDir)
	// The viewer left open reconnects by itself; the agent reconnects with
	// its keys, so consent still works and the screen arrives.
	c.approve(t, "control")
	waitJS(t, w.engineer, 20*time.Second, "first frame after restart", `Number(document.getElementById("viewer").dataset.frames) > 0`)
	w.checkPixels(t)

	w.srv.restart(t, w.a.buildDir)
	c.waitExit(t, 20*time.Second)
	waitJS(t, w.engineer, 20*time.Second, "viewer shows the end", `document.getElementById("viewer").dataset.state === "ended"`)
	do(t, w.engineer, 20*time.Second, "session page", chromedp.Navigate(w.srv.url+"/console"), chromedp.WaitVisible(chromedp.CSS(`.group-ended .row`)))
	reason := eval[string](t, w.engineer, `document.querySelector(".group-ended .row").textContent`)
	if !strings.Contains(reason, "interrupted") {
		t.Fatalf("ended session row %q does not say interrupted", reason)
	}
}
