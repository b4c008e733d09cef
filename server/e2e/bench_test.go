//go:build linux

package e2e

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// BenchmarkConsentToFirstFrame measures, per session, the time from the
// customer's click on "Allow full control" to the first frame painted in the
// engineer's viewer (peer-to-peer on loopback). Each iteration is a whole
// session: invitation, download, agent start, consent.
func BenchmarkConsentToFirstFrame(b *testing.B) {
	w := newWorld(b)
	var ms []float64
	for i := 0; i < b.N; i++ {
		link, _ := w.newSession(b, fmt.Sprintf("Bench %d", i))
		cust := newBrowser(b)
		do(b, cust, 20*time.Second, "open invitation", chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS(`#downloads`)))
		c := w.downloadAndRun(b, cust)
		at := c.approve(b, "control")
		waitJS(b, w.engineer, 10*time.Second, "first frame", `Number(document.getElementById("viewer").dataset.frames) > 0`)
		ms = append(ms, float64(time.Since(at).Microseconds())/1000)
		do(b, w.engineer, 10*time.Second, "end", chromedp.Click(chromedp.CSS(`#v-toolbar button.danger`)))
		c.waitExit(b, 5*time.Second)
	}
	b.ReportMetric(median(ms), "ms/first-frame")
}

// BenchmarkClickToPixel measures the round trip of a click: from the
// pointerdown in the engineer's canvas, through the data channel, XTest, the
// application repainting, capture, encode, back to the pixel changing in the
// canvas. The test window paints a square at every click (-mark).
func BenchmarkClickToPixel(b *testing.B) {
	w := newWorldSized(b, 1920, 1080, []string{"-mark"})
	link, _ := w.newSession(b, "Latency")
	cust := newBrowser(b)
	do(b, cust, 20*time.Second, "open invitation", chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS(`#downloads`)))
	c := w.downloadAndRun(b, cust)
	c.approve(b, "control")
	waitJS(b, w.engineer, 10*time.Second, "first frame", `Number(document.getElementById("viewer").dataset.frames) > 0`)
	const x, y = 960, 540
	// The page records when the pointerdown happened and when the pixel under
	// it changed, on its own clock, so polling adds no error.
	eval[bool](b, w.engineer, fmt.Sprintf(`(() => {
		const v = document.getElementById("viewer"), c = document.getElementById("v-screen"), g = c.getContext("2d");
		const px = () => g.getImageData(%d, %d, 1, 1).data.join(",");
		window.__lat = {down: 0, changed: 0, before: ""};
		c.addEventListener("pointerdown", () => { window.__lat.down = performance.now(); window.__lat.changed = 0; window.__lat.before = px(); }, true);
		new MutationObserver(() => {
			const l = window.__lat;
			if (l.down && !l.changed && px() !== l.before) l.changed = performance.now();
		}).observe(v, {attributes: true, attributeFilter: ["data-frames"]});
		return true; })()`, x, y))
	var ms []float64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		w.clickRemote(b, x, y)
		waitJS(b, w.engineer, 5*time.Second, "pixel change", `window.__lat.changed > 0`)
		ms = append(ms, eval[float64](b, w.engineer, `window.__lat.changed - window.__lat.down`))
	}
	b.StopTimer()
	b.ReportMetric(median(ms), "ms/click-to-pixel")
	do(b, w.engineer, 10*time.Second, "end", chromedp.Click(chromedp.CSS(`#v-toolbar button.danger`)))
	c.waitExit(b, 5*time.Second)
}

// BenchmarkTypingFrameRate types at 25 characters a second into a 1080p
// screen (the test window paints a cell per key) and reports the frames per
// second the engineer's viewer painted while typing, and the time from the
// last key to its pixels.
func BenchmarkTypingFrameRate(b *testing.B) {
	w := newWorldSized(b, 1920, 1080, []string{"-echo"})
	link, _ := w.newSession(b, "Typing")
	cust := newBrowser(b)
	do(b, cust, 20*time.Second, "open invitation", chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS(`#downloads`)))
	c := w.downloadAndRun(b, cust)
	c.approve(b, "control")
	waitJS(b, w.engineer, 10*time.Second, "first frame", `Number(document.getElementById("viewer").dataset.frames) > 0`)
	w.clickRemote(b, 5, 5) // focus the canvas
	const keys = 50
	var fps []float64
	for i := 0; i < b.N; i++ {
		before := eval[int](b, w.engineer, `Number(document.getElementById("viewer").dataset.frames)`)
		start := time.Now()
		for k := 0; k < keys; k++ {
			do(b, w.engineer, 5*time.Second, "key", chromedp.KeyEvent("x"))
			// Pace the keys like a fast typist (25 a second); this sets the
			// input rate, it does not wait for a result.
			time.Sleep(time.Until(start.Add(time.Duration(k+1) * 40 * time.Millisecond)))
		}
		elapsed := time.Since(start)
		after := eval[int](b, w.engineer, `Number(document.getElementById("viewer").dataset.frames)`)
		fps = append(fps, float64(after-before)/elapsed.Seconds())
	}
	b.ReportMetric(median(fps), "fps-while-typing")
	do(b, w.engineer, 10*time.Second, "end", chromedp.Click(chromedp.CSS(`#v-toolbar button.danger`)))
	c.waitExit(b, 5*time.Second)
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}
