//go:build linux

package e2e

import (
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestServerRestart: a session waiting for consent survives a restart (the
// agent reconnects with its keys and consent still works); so does an
// active one: agent and viewer reconnect within the rejoin grace and the
// screen comes back, with no new consent needed.
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
	// What changes on the customer's screen after the restart reaches the
	// engineer: the session went on.
	paintRoot(t, w.display, "#3a6ea5")
	w.waitPixels(t, 30*time.Second, "the screen after the restart")
	waitJS(t, w.engineer, 10*time.Second, "viewer streaming after restart", `document.getElementById("viewer").dataset.state === "streaming"`)
	select {
	case err := <-c.exited:
		t.Fatalf("the agent exited across the restart: %v", err)
	default:
	}
}

// paintRoot fills the X root window with a colour, a change the agent sends.
func paintRoot(t *testing.T, display, color string) {
	t.Helper()
	cmd := exec.Command("xsetroot", "-solid", color)
	cmd.Env = append(os.Environ(), "DISPLAY="+display)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("xsetroot: %v %s", err, out)
	}
}
