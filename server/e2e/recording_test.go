//go:build linux

package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"tether/agent/capture"
)

// screenAt is the X screen as it was at one moment, BGRA.
type screenAt struct {
	at     time.Time
	colour [3]int // the root window's colour then
	stride int
	pix    []byte
}

// grab copies the X screen now.
func (w *world) grab(t testing.TB) (stride int, pix []byte) {
	t.Helper()
	t.Setenv("DISPLAY", w.display)
	cp, err := capture.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer cp.Close()
	f, err := cp.Capture()
	if err != nil {
		t.Fatal(err)
	}
	return f.Stride, append([]byte(nil), f.Pix...)
}

// canvasMismatch compares the engineer's canvas with a screen grabbed
// earlier at a grid of points.
func (w *world) canvasMismatch(t testing.TB, s screenAt, report bool) (bad, n int) {
	t.Helper()
	var pts [][2]int
	for y := 5; y < w.sh; y += 61 {
		for x := 3; x < w.sw; x += 97 {
			pts = append(pts, [2]int{x, y})
		}
	}
	js := fmt.Sprintf(`(() => { const c = document.getElementById("v-screen"); const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
		return %s.map(([x, y]) => { const i = (y * c.width + x) * 4; return [d[i], d[i+1], d[i+2]]; }); })()`, pointsJS(pts))
	got := eval[[][3]int](t, w.engineer, js)
	for i, p := range pts {
		o := p[1]*s.stride + p[0]*4
		want := [3]int{int(s.pix[o+2]), int(s.pix[o+1]), int(s.pix[o])}
		if i < len(got) && got[i] != want {
			bad++
			if report && bad < 5 {
				t.Errorf("pixel %v: playback %v, screen then %v", p, got[i], want)
			}
		}
	}
	return bad, len(pts)
}

// TestRecordingPlaysBackWithSeek: the provider records; the customer is
// told on the invitation page and before Allow on their computer; the
// engineer's viewer records while the customer's screen changes colour
// every few seconds; after the session the engineer plays the recording
// back from the session's page, seeks forwards and backwards, and the
// picture at each point is what the customer's screen showed then. Then
// a chunk is damaged on disk and the playback says after when.
func TestRecordingPlaysBackWithSeek(t *testing.T) {
	xsetroot := requireTool(t, "xsetroot", "x11-xserver-utils")
	// The test window covers the left half; the right half is the root
	// window, whose colour the test changes.
	w := newWorldWith(t, []string{"-width", "640", "-height", "800"})
	setRoot := func(hex string) {
		cmd := exec.Command(xsetroot, "-solid", hex)
		cmd.Env = append(os.Environ(), "DISPLAY="+w.display)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("xsetroot %s: %v %s", hex, err, out)
		}
	}
	setRoot("#202020")

	// The owner switches recording on in the settings.
	do(t, w.engineer, 20*time.Second, "switch recording on",
		chromedp.Navigate(w.srv.url+"/settings"),
		chromedp.Click(chromedp.CSS(`input[name=recording]`)),
		chromedp.Click(chromedp.CSS(`form[action="/settings"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#settings-saved`)),
		chromedp.WaitVisible(chromedp.CSS(`input[name=recording]:checked`)),
	)
	link, _ := w.newSession(t, "Rita Recorded")
	cust := newBrowser(t)
	do(t, cust, 20*time.Second, "open invitation", chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS(`#downloads`)))
	if txt := eval[string](t, cust, `(document.getElementById("recorded") || {}).textContent || ""`); !strings.Contains(txt, "This session is recorded.") || !strings.Contains(txt, "may refuse") {
		t.Fatalf("the invitation page does not tell the customer the session is recorded: %q", txt)
	}
	shot(t, cust, "recording-invite")
	c := w.downloadAndRun(t, cust)
	page, cancel := chromedp.NewContext(c.ctx)
	t.Cleanup(cancel)
	// The tab lives as long as the context of its first action.
	if err := chromedp.Do(page, chromedp.Navigate("about:blank")); err != nil {
		t.Fatal(err)
	}
	do(t, page, 20*time.Second, "open consent page", chromedp.Navigate(c.consent), chromedp.WaitVisible(chromedp.CSS(`#allow`)))
	notice := eval[string](t, page, `(() => { const r = document.getElementById("recorded"); return r.hidden ? "" : r.textContent; })()`)
	if !strings.Contains(notice, "This session is recorded.") || !strings.Contains(notice, "Acme IT Services keeps a recording") || !strings.Contains(notice, "you may refuse: click Deny") {
		t.Fatalf("the consent page does not say plainly that the session is recorded: %q", notice)
	}
	if eval[bool](t, page, `document.getElementById("recorded").compareDocumentPosition(document.getElementById("allow")) & Node.DOCUMENT_POSITION_FOLLOWING ? false : true`) {
		t.Fatalf("the recording notice comes after the Allow button")
	}
	shot(t, page, "recording-consent")
	c.page = page
	c.approve(t, "view")
	waitJS(t, w.engineer, 15*time.Second, "first frame", `Number(document.getElementById("viewer").dataset.frames) > 0`)
	w.waitPixels(t, 10*time.Second, "first picture")
	waitJS(t, w.engineer, 10*time.Second, "REC shown", `(() => { const r = document.getElementById("v-rec"); return !!r && !r.hidden && r.dataset.state === "on"; })()`)
	start := time.Now()
	shot(t, w.engineer, "recording-viewer")

	// The customer's screen goes through known colours, 4 s each.
	colours := []struct {
		hex string
		rgb [3]int
	}{{"#c0392b", [3]int{0xc0, 0x39, 0x2b}}, {"#27ae60", [3]int{0x27, 0xae, 0x60}}, {"#2962ff", [3]int{0x29, 0x62, 0xff}}, {"#f1c40f", [3]int{0xf1, 0xc4, 0x0f}}}
	var shown []screenAt
	for _, col := range colours {
		setRoot(col.hex)
		w.waitPixels(t, 5*time.Second, "colour "+col.hex+" in the live viewer")
		at := time.Now()
		stride, pix := w.grab(t)
		shown = append(shown, screenAt{at: at, colour: col.rgb, stride: stride, pix: pix})
		time.Sleep(4*time.Second - time.Since(at))
	}
	time.Sleep(3 * time.Second) // the last chunks go up
	chunks := eval[string](t, w.engineer, `document.getElementById("v-rec").dataset.chunks`)
	t.Logf("recorded %v in %s chunks", time.Since(start).Round(time.Second), chunks)

	// The engineer ends the session and opens its page: the recording is
	// listed, and its last seconds were saved before the page left.
	endAt := time.Now()
	do(t, w.engineer, 10*time.Second, "end", chromedp.Click(chromedp.CSS(`#v-toolbar button.danger`)), chromedp.WaitVisible(chromedp.CSS(`table.audit`)))
	c.waitExit(t, 5*time.Second)
	do(t, w.engineer, 10*time.Second, "recording listed", chromedp.WaitVisible(chromedp.CSS(`#recording-play`)))
	shot(t, w.engineer, "recording-session-detail")
	do(t, w.engineer, 20*time.Second, "play the recording",
		chromedp.Click(chromedp.CSS(`#recording-play`)),
		chromedp.WaitVisible(chromedp.CSS(`#p-controls`)),
	)
	waitJS(t, w.engineer, 20*time.Second, "recording loaded", `!document.getElementById("p-play").disabled`)
	if d := eval[string](t, w.engineer, `document.getElementById("viewer").dataset.damaged || ""`); d != "" {
		t.Fatalf("an intact recording says %q", d)
	}
	endMs := eval[int](t, w.engineer, `Number(document.getElementById("p-seek").max)`)
	t.Logf("recording length %d ms; time shown %q", endMs, eval[string](t, w.engineer, `document.getElementById("p-time").textContent`))
	if lived := int(endAt.Sub(start) / time.Millisecond); endMs < lived-300 {
		t.Fatalf("the recording lasts %d ms, the session %d ms after its first frame: its end was lost", endMs, lived)
	}

	// Recording time is the viewer's clock from its first frame, which
	// came just before start: seek to the middle of each colour's 4 s.
	seekTo := func(ms int) {
		do(t, w.engineer, 10*time.Second, fmt.Sprintf("seek to %d ms", ms), chromedp.Evaluate[chromedp.Void](fmt.Sprintf(
			`(() => { const s = document.getElementById("p-seek"); s.value = %d; s.dispatchEvent(new Event("input")); s.dispatchEvent(new Event("change")); })()`, ms)))
		waitJS(t, w.engineer, 15*time.Second, "seeked", fmt.Sprintf(`Math.abs(Number(document.getElementById("viewer").dataset.pos) - %d) < 150`, ms))
	}
	for _, i := range []int{2, 0, 3, 1} {
		ms := int(shown[i].at.Sub(start)/time.Millisecond) + 2000
		seekTo(ms)
		if bad, n := w.canvasMismatch(t, shown[i], false); bad > 0 {
			w.canvasMismatch(t, shown[i], true)
			t.Fatalf("at %d ms (colour %d): %d of %d sampled pixels differ from the screen then", ms, i, bad, n)
		}
		t.Logf("seek to %s: the picture is what the screen showed then (colour %v)", eval[string](t, w.engineer, `document.getElementById("p-time").textContent`), shown[i].colour)
	}
	shot(t, w.engineer, "recording-playback")

	// Play at 2×: the recording runs twice as fast as the wall clock.
	seekTo(0)
	do(t, w.engineer, 5*time.Second, "2× and play",
		chromedp.Click(chromedp.CSS(`#p-speed button[data-speed="2"]`)),
		chromedp.Click(chromedp.CSS(`#p-play`)))
	waitJS(t, w.engineer, 5*time.Second, "playing", `document.getElementById("viewer").dataset.playing === "true"`)
	t0 := time.Now()
	p0 := eval[int](t, w.engineer, `Number(document.getElementById("viewer").dataset.pos)`)
	time.Sleep(2 * time.Second)
	p1 := eval[int](t, w.engineer, `Number(document.getElementById("viewer").dataset.pos)`)
	rate := float64(p1-p0) / float64(time.Since(t0).Milliseconds())
	if rate < 1.6 || rate > 2.4 {
		t.Fatalf("at 2× the recording advanced %d ms in %v", p1-p0, time.Since(t0))
	}
	do(t, w.engineer, 5*time.Second, "pause", chromedp.Click(chromedp.CSS(`#p-play`)))
	waitJS(t, w.engineer, 5*time.Second, "paused", `document.getElementById("viewer").dataset.playing === "false"`)

	// A chunk damaged on disk: the recording plays up to it and says after when.
	sessURL := eval[string](t, w.engineer, `document.querySelector(".v-back").href`)
	id := sessURL[strings.LastIndex(sessURL, "/")+1:]
	files, err := filepath.Glob(filepath.Join(w.srv.data, "blobs", "recordings", id, "*.rec"))
	if err != nil || len(files) < 4 {
		t.Fatalf("chunk files %v, %v", files, err)
	}
	victim := files[len(files)/2]
	b, err := os.ReadFile(victim)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(victim, b[:len(b)/2], 0o600); err != nil {
		t.Fatal(err)
	}
	do(t, w.engineer, 20*time.Second, "reload playback", chromedp.Reload())
	waitJS(t, w.engineer, 20*time.Second, "damage said", `/^The recording is damaged after \d\d:\d\d/.test(document.getElementById("viewer").dataset.damaged || "")`)
	msg := eval[string](t, w.engineer, `document.getElementById("p-damaged").textContent`)
	short := eval[int](t, w.engineer, `Number(document.getElementById("p-seek").max)`)
	if short <= 0 || short >= endMs || eval[bool](t, w.engineer, `document.getElementById("p-damaged").hidden`) {
		t.Fatalf("damaged recording: plays %d of %d ms, message %q", short, endMs, msg)
	}
	t.Logf("damaged chunk %s: %q, plays %d of %d ms", filepath.Base(victim), msg, short, endMs)
	seekTo(short / 2)
	shot(t, w.engineer, "recording-damaged")
}
