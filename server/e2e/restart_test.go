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
	// The invitation page reconnects by itself and still shows "joined".
	do(t, w.engineer, 20*time.Second, "reopen viewer", chromedp.Navigate(w.srv.url+"/console"), chromedp.Click(chromedp.CSS(`.group-joined a.button`)), chromedp.WaitReady(chromedp.CSS(`#v-screen`)))
	c.approve(t, "control")
	waitJS(t, w.engineer, 20*time.Second, "first frame after restart", `Number(document.getElementById("viewer").dataset.frames) > 0`)

	w.srv.restart(t, w.a.buildDir)
	c.waitExit(t, 20*time.Second)
	do(t, w.engineer, 20*time.Second, "session page", chromedp.Navigate(w.srv.url+"/console"), chromedp.WaitVisible(chromedp.CSS(`.group-ended .row`)))
	reason := eval[string](t, w.engineer, `document.querySelector(".group-ended .row").textContent`)
	if !strings.Contains(reason, "interrupted") {
		t.Fatalf("ended session row %q does not say interrupted", reason)
	}
}
