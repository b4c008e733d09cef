//go:build linux

package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestRecordingSizeOfTypicalWork records a scripted minute of terminal
// work on a 1920×1080 screen (typing commands at a person's pace, listings,
// a burst of scrolling output, paging through a file, pauses) and prints
// what the recording costs on disk per minute. The number is in
// docs/architecture.md ("Recording").
func TestRecordingSizeOfTypicalWork(t *testing.T) {
	if testing.Short() {
		t.Skip("records a whole minute")
	}
	xterm := requireTool(t, "xterm", "xterm")
	xdotool := requireTool(t, "xdotool", "xdotool")
	const sw, sh = 1920, 1080
	// The test window is a speck in the corner; an xterm fills the screen.
	w := newWorldSized(t, sw, sh, []string{"-width", "8", "-height", "8", "-x", "1900", "-y", "1060"})
	term := exec.Command(xterm, "-fa", "DejaVu Sans Mono", "-fs", "11", "-geometry", "236x64+0+0", "-bg", "#fdf6e3", "-fg", "#333333")
	term.Env = append(os.Environ(), "DISPLAY="+w.display, "PS1=$ ", "HOME="+t.TempDir())
	if err := term.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { term.Process.Kill(); term.Wait() })
	xdo := func(args ...string) {
		cmd := exec.Command(xdotool, args...)
		cmd.Env = append(os.Environ(), "DISPLAY="+w.display)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("xdotool %v: %v %s", args, err, out)
		}
	}
	xdo("search", "--sync", "--class", "xterm", "windowfocus", "--sync")
	xdo("mousemove", "600", "400")

	do(t, w.engineer, 20*time.Second, "switch recording on",
		chromedp.Navigate(w.srv.url+"/settings"),
		chromedp.Click(chromedp.CSS(`input[name=recording]`)),
		chromedp.Click(chromedp.CSS(`form[action="/settings"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#settings-saved`)),
	)
	link, _ := w.newSession(t, "Tom Typist")
	cust := newBrowser(t)
	do(t, cust, 20*time.Second, "open invitation", chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS(`#downloads`)))
	c := w.downloadAndRun(t, cust)
	c.approve(t, "view")
	waitJS(t, w.engineer, 15*time.Second, "first frame", `Number(document.getElementById("viewer").dataset.frames) > 0`)
	waitJS(t, w.engineer, 10*time.Second, "REC", `document.getElementById("v-rec").dataset.state === "on"`)
	start := time.Now()

	// A minute of work.
	typeLine := func(s string) {
		xdo("type", "--delay", "120", s)
		xdo("key", "Return")
	}
	typeLine("cd /usr/share && ls")
	time.Sleep(3 * time.Second)
	typeLine("ls -la /usr/bin | head -60")
	time.Sleep(4 * time.Second)
	typeLine("seq 1 400")
	time.Sleep(3 * time.Second)
	typeLine("less /etc/services")
	for range 12 {
		time.Sleep(700 * time.Millisecond)
		xdo("key", "space")
	}
	xdo("key", "q")
	time.Sleep(2 * time.Second)
	typeLine("echo the customer reads what the engineer explains")
	for time.Since(start) < time.Minute {
		time.Sleep(500 * time.Millisecond)
	}
	shot(t, w.engineer, "recording-size-xterm")
	time.Sleep(3 * time.Second) // the last chunk goes up
	do(t, w.engineer, 10*time.Second, "end", chromedp.Click(chromedp.CSS(`#v-toolbar button.danger`)), chromedp.WaitVisible(chromedp.CSS(`#recording-play`)))

	sessURL := eval[string](t, w.engineer, `location.href`)
	id := sessURL[strings.LastIndex(sessURL, "/")+1:]
	files, err := filepath.Glob(filepath.Join(w.srv.data, "blobs", "recordings", id, "*.rec"))
	if err != nil || len(files) == 0 {
		t.Fatalf("chunk files %v, %v", files, err)
	}
	var total int64
	for _, f := range files {
		st, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		total += st.Size()
	}
	do(t, w.engineer, 10*time.Second, "playback page", chromedp.Click(chromedp.CSS(`#recording-play`)), chromedp.WaitVisible(chromedp.CSS(`#p-controls`)))
	durMs := eval[int](t, w.engineer, `Number(document.getElementById("viewer").dataset.duration)`)
	perMin := float64(total) / (float64(durMs) / 60000)
	t.Logf("recorded %.1f s of terminal work at %dx%d in %d chunks: %d bytes on disk, %.0f kB per minute (%.1f MB per hour)",
		float64(durMs)/1000, sw, sh, len(files), total, perMin/1000, perMin*60/1e6)
}
