//go:build linux

package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"

	"tether/agent/capture"
)

// The customer's desktop in these tests: two titled windows of one colour
// each, the second partly covering the first.
var (
	notesWin = testWinSpec{title: "Shared Notes", color: [3]int{0x30, 0x60, 0xe0}, x: 100, y: 100, w: 400, h: 300}
	mailWin  = testWinSpec{title: "Private Mail", color: [3]int{0x20, 0xa0, 0x40}, x: 400, y: 250, w: 300, h: 200}
)

type testWinSpec struct {
	title      string
	color      [3]int
	x, y, w, h int
}

func (s testWinSpec) args() []string {
	return []string{"-title", s.title, "-color", fmt.Sprintf("%02x%02x%02x", s.color[0], s.color[1], s.color[2]),
		"-x", fmt.Sprint(s.x), "-y", fmt.Sprint(s.y), "-width", fmt.Sprint(s.w), "-height", fmt.Sprint(s.h)}
}

// newTwoWindowWorld starts the notes window as the world's window and the
// mail window above it.
func newTwoWindowWorld(t *testing.T) (*world, *testWindow) {
	w := newWorldWith(t, notesWin.args())
	mail := startTestWindow(t, w.a.testwin, w.display, mailWin.args()...)
	return w, mail
}

// openConsent opens the agent's consent page in a tab of the customer's
// browser without answering yet.
func (c *customer) openConsent(t *testing.T) {
	page, cancel := chromedp.NewContext(c.ctx)
	t.Cleanup(cancel)
	if err := chromedp.Do(page, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("open a tab: %v", err)
	}
	c.page = page
	do(t, c.page, 20*time.Second, "open consent page", chromedp.Navigate(c.consent), chromedp.WaitVisible(chromedp.CSS(`#allow`)))
	waitJS(t, c.page, 10*time.Second, "windows listed", `!document.getElementById("scope").hidden && document.querySelectorAll("#scope-window option").length > 2`)
}

// canvasPixel reads the engineer's canvas at remote pixel (x, y).
func (w *world) canvasPixel(t *testing.T, x, y int) [3]int {
	return eval[[3]int](t, w.engineer, fmt.Sprintf(`(() => { const c = document.getElementById("v-screen");
		const d = c.getContext("2d").getImageData(%d, %d, 1, 1).data; return [d[0], d[1], d[2]]; })()`, x, y))
}

func (w *world) waitCanvasPixel(t *testing.T, x, y int, want [3]int, what string) {
	t.Helper()
	waitJS(t, w.engineer, 15*time.Second, what, fmt.Sprintf(`(() => { const c = document.getElementById("v-screen");
		if (c.width <= %d || c.height <= %d) return false;
		const d = c.getContext("2d").getImageData(%d, %d, 1, 1).data; return d[0] === %d && d[1] === %d && d[2] === %d; })()`,
		x, y, x, y, want[0], want[1], want[2]))
}

// TestShareOneWindowOnly: the customer shares the notes window alone. The
// engineer's canvas is that window's size and colour, the toolbar and the
// consent page both say what is shared, a click inside the window reaches
// it, and a click where the mail window covers it reaches nothing. Then
// the customer shares the whole screen again.
func TestShareOneWindowOnly(t *testing.T) {
	w, mail := newTwoWindowWorld(t)
	link, _ := w.newSession(t, "Window Customer")
	cust := newBrowser(t)
	do(t, cust, 20*time.Second, "open invitation", chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS(`#downloads`)))
	c := w.downloadAndRun(t, cust)
	c.openConsent(t)
	titles := eval[[]string](t, c.page, `Array.from(document.querySelectorAll("#scope-window option")).slice(1).map(o => o.textContent)`)
	if strings.Join(titles, "|") != "Private Mail|Shared Notes" {
		t.Fatalf("consent page lists %q, want the two windows top-most first", titles)
	}
	// As the customer picks it in the list.
	do(t, c.page, 10*time.Second, "choose the notes window",
		chromedp.Evaluate[chromedp.Void](`(() => { const s = document.getElementById("scope-window");
			s.value = Array.from(s.options).find(o => o.textContent === "Shared Notes").value;
			s.dispatchEvent(new Event("change")); })()`))
	waitJS(t, c.page, 10*time.Second, "the choice shown", `document.getElementById("scope-now").textContent === "Sharing: window \u201cShared Notes\u201d"`)
	shot(t, c.page, "customer-one-window")
	c.approve(t, "control")

	waitJS(t, w.engineer, 15*time.Second, "the canvas is the window's size",
		fmt.Sprintf(`(() => { const c = document.getElementById("v-screen"); return c.width === %d && c.height === %d; })()`, notesWin.w, notesWin.h))
	w.waitCanvasPixel(t, 20, 20, notesWin.color, "the window's colour")
	waitJS(t, w.engineer, 10*time.Second, "the toolbar says what is shared", `document.getElementById("v-scope").textContent === "Sharing: window \u201cShared Notes\u201d"`)
	// Where the mail window covers the notes, the engineer sees black.
	covered := [2]int{mailWin.x - notesWin.x + 50, mailWin.y - notesWin.y + 20}
	w.waitCanvasPixel(t, covered[0], covered[1], [3]int{0, 0, 0}, "the covered part black")
	shot(t, w.engineer, "viewer-one-window")

	// A click on the covered part would land in the mail window: dropped.
	w.clickRemote(t, covered[0], covered[1])
	// A click inside the window lands there, at the window's own point.
	w.clickRemote(t, 60, 40)
	w.win.waitFor(t, 5*time.Second, "button", func(ev map[string]any) bool {
		x, _ := ev["x"].(float64)
		y, _ := ev["y"].(float64)
		return abs(int(x)-60) <= 1 && abs(int(y)-40) <= 1
	})
	mail.mu.Lock()
	for _, ev := range mail.events {
		if ev["event"] == "button" {
			t.Errorf("a click outside the shared window reached the mail window: %v", ev)
		}
	}
	mail.mu.Unlock()
	w.win.mu.Lock()
	for _, ev := range w.win.events {
		if x, _ := ev["x"].(float64); ev["event"] == "button" && abs(int(x)-covered[0]) <= 1 {
			t.Errorf("the covered click reached the notes window: %v", ev)
		}
	}
	w.win.mu.Unlock()

	// Back to the whole screen: the canvas is the screen again.
	do(t, c.page, 5*time.Second, "share the whole screen", chromedp.Click(chromedp.CSS(`#scope-screen`)))
	waitJS(t, w.engineer, 15*time.Second, "the whole screen",
		fmt.Sprintf(`(() => { const c = document.getElementById("v-screen"); return c.width === %d && c.height === %d; })()`, w.sw, w.sh))
	waitJS(t, w.engineer, 10*time.Second, "the toolbar says the whole screen", `document.getElementById("v-scope").textContent === "Sharing: whole screen"`)
	w.waitPixels(t, 10*time.Second, "whole screen after the window")
}

// TestHiddenWindowIsBlackedOut: sharing the whole screen with the mail
// window hidden, the engineer sees black where it is and everything else
// as it is; once the customer shows it again, it appears.
func TestHiddenWindowIsBlackedOut(t *testing.T) {
	w, _ := newTwoWindowWorld(t)
	link, _ := w.newSession(t, "Privacy Customer")
	cust := newBrowser(t)
	do(t, cust, 20*time.Second, "open invitation", chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS(`#downloads`)))
	c := w.downloadAndRun(t, cust)
	c.openConsent(t)
	hide := eval[string](t, c.page, `Array.from(document.querySelectorAll("#scope-window option")).find(o => o.textContent === "Private Mail").value`)
	do(t, c.page, 10*time.Second, "hide the mail window", chromedp.Click(chromedp.CSS(`input[name=hide][value="`+hide+`"]`)))
	waitJS(t, c.page, 10*time.Second, "hidden count shown", `document.getElementById("scope-hidden-now").textContent === "1 window is hidden"`)
	shot(t, c.page, "customer-hidden-window")
	c.approve(t, "view")

	mid := [2]int{mailWin.x + mailWin.w/2, mailWin.y + mailWin.h/2}
	w.waitCanvasPixel(t, notesWin.x+20, notesWin.y+20, notesWin.color, "the notes window shown")
	w.waitCanvasPixel(t, mid[0], mid[1], [3]int{0, 0, 0}, "the mail window black")
	for _, p := range [][2]int{{mailWin.x + 1, mailWin.y + 1}, {mailWin.x + mailWin.w - 2, mailWin.y + mailWin.h - 2}} {
		if got := w.canvasPixel(t, p[0], p[1]); got != [3]int{0, 0, 0} {
			t.Errorf("mail window at %v shows %v to the engineer", p, got)
		}
	}
	waitJS(t, w.engineer, 10*time.Second, "the toolbar says a window is hidden", `document.getElementById("v-scope").textContent === "Sharing: whole screen \u00b7 1 window hidden"`)
	shot(t, w.engineer, "viewer-hidden-window")

	do(t, c.page, 5*time.Second, "show the mail window again", chromedp.Click(chromedp.CSS(`input[name=hide][value="`+hide+`"]`)))
	w.waitCanvasPixel(t, mid[0], mid[1], mailWin.color, "the mail window shown again")
	w.waitPixels(t, 10*time.Second, "the whole screen as it is")
}

// TestPointerOverlayShownToCustomer: in a view-only session the engineer
// turns on Point and draws a line; the customer's screen shows it on top
// of their window, no input reaches the window, and the line is gone a few
// seconds later.
func TestPointerOverlayShownToCustomer(t *testing.T) {
	w := newWorldWith(t, notesWin.args())
	link, _ := w.newSession(t, "Pointing Customer")
	cust := newBrowser(t)
	do(t, cust, 20*time.Second, "open invitation", chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS(`#downloads`)))
	c := w.downloadAndRun(t, cust)
	c.approve(t, "view")
	w.waitCanvasPixel(t, notesWin.x+20, notesWin.y+20, notesWin.color, "the screen shown")

	do(t, w.engineer, 5*time.Second, "turn on Point", chromedp.Click(chromedp.CSS(`#v-point`)))
	waitJS(t, w.engineer, 5*time.Second, "Point pressed", `document.getElementById("v-point").getAttribute("aria-pressed") === "true"`)
	r := eval[[]float64](t, w.engineer, `(() => { const c = document.getElementById("v-screen"); const r = c.getBoundingClientRect(); return [r.left, r.top, r.width / c.width, r.height / c.height]; })()`)
	at := func(x, y int) (float64, float64) { return r[0] + (float64(x)+0.5)*r[2], r[1] + (float64(y)+0.5)*r[3] }
	// A line across the notes window, from (150, 250) to (450, 250).
	const lineY = 250
	x0, y0 := at(150, lineY)
	steps := []chromedp.Action[chromedp.Void]{chromedp.MouseEvent(input.DispatchMouseEventTypeMousePressed, x0, y0, chromedp.ButtonLeft)}
	for x := 160; x <= 450; x += 10 {
		px, py := at(x, lineY)
		steps = append(steps, chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, px, py, chromedp.ButtonLeft))
	}
	x1, y1 := at(450, lineY)
	steps = append(steps, chromedp.MouseEvent(input.DispatchMouseEventTypeMouseReleased, x1, y1, chromedp.ButtonLeft))
	drawn := time.Now()
	do(t, w.engineer, 10*time.Second, "draw", steps...)
	shot(t, w.engineer, "viewer-pointing")

	overlay := [3]int{0xe5, 0x32, 0x2d}
	screenAt := func(x, y int) [3]int {
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
		o := y*f.Stride + x*4
		return [3]int{int(f.Pix[o+2]), int(f.Pix[o+1]), int(f.Pix[o])}
	}
	waitScreen := func(want [3]int, d time.Duration, what string) time.Time {
		t.Helper()
		for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
			if screenAt(300, lineY) == want {
				return time.Now()
			}
		}
		t.Fatalf("%s: the customer's screen at (300, %d) shows %v after %s", what, lineY, screenAt(300, lineY), d)
		return time.Time{}
	}
	shown := waitScreen(overlay, 15*time.Second, "the stroke on the customer's screen")
	t.Logf("the stroke appeared on the customer's screen %s after the engineer began drawing (31 mouse events driven one by one)", shown.Sub(drawn).Round(time.Millisecond))
	// The overlay is above the window only along the stroke.
	if got := screenAt(300, lineY+20); got != notesWin.color {
		t.Errorf("beside the stroke the customer sees %v, want the window's %v", got, notesWin.color)
	}
	gone := waitScreen(notesWin.color, 8*time.Second, "the stroke gone")
	t.Logf("the stroke was gone %s after the engineer began drawing", gone.Sub(drawn).Round(time.Millisecond))
	if gone.Sub(drawn) < 2*time.Second {
		t.Errorf("the stroke went after %s; it should stay a few seconds", gone.Sub(drawn))
	}
	w.win.mu.Lock()
	for _, ev := range w.win.events {
		if ev["event"] == "button" || ev["event"] == "key" {
			t.Errorf("pointing in view-only injected %v", ev)
		}
	}
	w.win.mu.Unlock()
}
