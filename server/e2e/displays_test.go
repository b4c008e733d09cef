//go:build linux

package e2e

import (
	"context"
	"fmt"
	"image"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/jezek/xgb/xproto"

	"tether/agent/capture"
	"tether/agent/capture/xvfbtest"
)

// The customer's desk in TestSwitchBetweenTwoMonitors: one 2048×768 Xvfb
// screen split into two RandR monitors, as `xrandr --setmonitor` does.
const monW, monH = 1024, 768

// rightBackground is the root window's colour on display 2, around the
// second application window; display 1 is covered by the first.
const rightBackground = 0x2e6b8f

// TestSwitchBetweenTwoMonitors: the customer has two monitors, each showing
// something else. The engineer's viewer lists two displays and shows the
// primary one, display 1; switches to display 2 (the canvas shows exactly
// display 2's pixels); a click there lands on the application on display 2
// at the right place of the customer's screen; "All displays" shows both
// as one 2048×768 picture. Then the screen pops out into a window of its
// own, still live, and comes back when that window closes.
func TestSwitchBetweenTwoMonitors(t *testing.T) {
	var second *testWindow
	w := newWorldOn(t, 2*monW, monH, func(w *world) *testWindow {
		xvfbtest.SetMonitors(t, w.display,
			xvfbtest.Monitor{Name: "DP-1", X: 0, Y: 0, W: monW, H: monH, Primary: true},
			xvfbtest.Monitor{Name: "DP-2", X: monW, Y: 0, W: monW, H: monH})
		c, root, gc := xvfbtest.RootGC(t, w.display)
		if err := xproto.ChangeGCChecked(c, gc, xproto.GcForeground, []uint32{rightBackground}).Check(); err != nil {
			t.Fatal(err)
		}
		if err := xproto.PolyFillRectangleChecked(c, xproto.Drawable(root), gc,
			[]xproto.Rectangle{{X: monW, Y: 0, Width: monW, Height: monH}}).Check(); err != nil {
			t.Fatal(err)
		}
		first := startTestWindow(t, w.a.testwin, w.display, "-x", "0", "-y", "0", "-width", strconv.Itoa(monW), "-height", strconv.Itoa(monH))
		// Smaller and off the corner: display 2 does not look like display 1.
		second = startTestWindow(t, w.a.testwin, w.display, "-x", strconv.Itoa(monW+100), "-y", "84", "-width", "800", "-height", "600")
		return first
	})
	link, _ := w.newSession(t, "Dana Dual")
	cust := newBrowser(t)
	do(t, cust, 20*time.Second, "open invitation", chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS(`#downloads`)))
	c := w.downloadAndRun(t, cust)
	c.approve(t, "control")
	waitJS(t, w.engineer, 15*time.Second, "first frame", `Number(document.getElementById("viewer").dataset.frames) > 0`)

	display1 := image.Rect(0, 0, monW, monH)
	display2 := image.Rect(monW, 0, 2*monW, monH)
	const screen = `document.getElementById("v-screen")`

	// Two displays listed; the primary one, display 1, is shown.
	waitJS(t, w.engineer, 10*time.Second, "two displays listed", `document.getElementById("viewer").dataset.displays === "2" && !document.getElementById("v-displays").hidden`)
	w.waitShows(t, screen, display1, "display 1")
	if got := eval[string](t, w.engineer, `document.getElementById("v-display").textContent`); got != "Display 1" {
		t.Fatalf("picker button says %q, want Display 1", got)
	}
	do(t, w.engineer, 5*time.Second, "open the picker", chromedp.Click(chromedp.CSS(`#v-display`)), chromedp.WaitVisible(chromedp.CSS(`#v-display-menu`)))
	items := eval[[]string](t, w.engineer, `[...document.querySelectorAll("#v-display-menu .v-menu-item")].map(e => e.getAttribute("aria-checked") + " " + e.innerText.replace(/\s+/g, " ").trim())`)
	wantItems := []string{"true ✓ Display 1 1024×768 · primary", "false Display 2 1024×768", "false All displays 2048×768"}
	if fmt.Sprint(items) != fmt.Sprint(wantItems) {
		t.Fatalf("picker lists %q, want %q", items, wantItems)
	}
	shot(t, w.engineer, "displays-picker")

	// Display 2.
	frames := eval[int](t, w.engineer, `Number(document.getElementById("viewer").dataset.frames)`)
	switchAt := time.Now()
	do(t, w.engineer, 5*time.Second, "choose display 2", chromedp.Click(chromedp.CSS(`#v-display-menu [data-display="1"]`)))
	waitJS(t, w.engineer, 10*time.Second, "display 2 chosen", fmt.Sprintf(`document.getElementById("viewer").dataset.display === "1" && document.getElementById("v-display").textContent === "Display 2" &&
		Number(document.getElementById("viewer").dataset.frames) > %d`, frames))
	t.Logf("display 2 chosen: its first frame painted %v after the click", time.Since(switchAt).Round(time.Millisecond))
	w.waitShows(t, screen, display2, "display 2")
	// Its top left corner is display 2's background, not display 1's
	// application.
	if px := eval[[]int](t, w.engineer, `[...`+screen+`.getContext("2d").getImageData(10, 10, 1, 1).data].slice(0, 3)`); fmt.Sprint(px) != fmt.Sprint([]int{0x2e, 0x6b, 0x8f}) {
		t.Fatalf("display 2 at 10,10 shows %v, want its background 2e6b8f", px)
	}
	shot(t, w.engineer, "displays-second")

	// A click on display 2 lands on the application there, at the place
	// of the customer's screen the engineer saw under the pointer.
	w.clickRemote(t, 300, 234)
	second.waitFor(t, 5*time.Second, "button", func(ev map[string]any) bool {
		x, _ := ev["root_x"].(float64)
		y, _ := ev["root_y"].(float64)
		return abs(int(x)-(monW+300)) <= 1 && abs(int(y)-234) <= 1
	})

	// All displays: one picture of both.
	do(t, w.engineer, 5*time.Second, "open the picker", chromedp.Click(chromedp.CSS(`#v-display`)), chromedp.WaitVisible(chromedp.CSS(`#v-display-menu`)))
	switchAt = time.Now()
	do(t, w.engineer, 5*time.Second, "choose all displays", chromedp.Click(chromedp.CSS(`#v-display-menu [data-display="all"]`)))
	waitJS(t, w.engineer, 10*time.Second, "all displays chosen", `document.getElementById("viewer").dataset.display === "all" && `+screen+`.width === 2048`)
	t.Logf("all displays chosen: the canvas was 2048×768 %v after the click", time.Since(switchAt).Round(time.Millisecond))
	w.waitShows(t, screen, image.Rect(0, 0, 2*monW, monH), "all displays")
	shot(t, w.engineer, "displays-all")

	// Pop out: the screen moves into a window of its own and stays live.
	do(t, w.engineer, 5*time.Second, "pop out", chromedp.Click(chromedp.CSS(`#v-popout`)))
	waitJS(t, w.engineer, 10*time.Second, "screen in its own window", `document.getElementById("viewer").dataset.popout === "open" &&
		!document.getElementById("v-stage") && !!window.tetherDisplays.popup().document.getElementById("v-screen")`)
	popped := `window.tetherDisplays.popup().document.getElementById("v-screen")`
	before := eval[int](t, w.engineer, `Number(document.getElementById("viewer").dataset.frames)`)
	w.fillRoot(t, image.Rect(monW+900, 700, monW+1000, 760), 0xd04020) // on display 2, outside the application
	waitJS(t, w.engineer, 10*time.Second, "frames in the pop-out window", fmt.Sprintf(`Number(document.getElementById("viewer").dataset.frames) > %d`, before))
	w.waitShows(t, popped, image.Rect(0, 0, 2*monW, monH), "all displays in the pop-out window")
	if box := eval[[]float64](t, w.engineer, `(() => { const r = `+popped+`.getBoundingClientRect(); return [r.width, r.height]; })()`); box[0] < 100 || box[1] < 50 {
		t.Fatalf("the canvas in the pop-out window is %v CSS pixels", box)
	}
	shot(t, w.engineer, "displays-popped")
	// Control works there too: a click in the pop-out window lands on the
	// application on display 2.
	pop := w.popoutTab(t)
	shot(t, pop, "displays-popout")
	r := eval[[]float64](t, pop, `(() => { const c = document.getElementById("v-screen"); const r = c.getBoundingClientRect(); return [r.left, r.top, r.width / c.width, r.height / c.height]; })()`)
	rx, ry := monW+500, 300 // all displays: display 2's application
	do(t, pop, 5*time.Second, "click in the pop-out window", chromedp.MouseClickXY(r[0]+(float64(rx)+0.5)*r[2], r[1]+(float64(ry)+0.5)*r[3]))
	second.waitFor(t, 5*time.Second, "button", func(ev map[string]any) bool {
		x, _ := ev["root_x"].(float64)
		y, _ := ev["root_y"].(float64)
		return abs(int(x)-rx) <= 2 && abs(int(y)-ry) <= 2 // the window is scaled down: a remote pixel is less than a CSS pixel
	})

	// Closing the window brings the screen back; the session goes on.
	eval[bool](t, w.engineer, `(window.tetherDisplays.popup().close(), true)`)
	waitJS(t, w.engineer, 10*time.Second, "screen back in the page", `document.getElementById("viewer").dataset.popout === "" &&
		!!document.getElementById("v-stage") && !document.getElementById("v-popped") && window.tetherDisplays.popup() === null`)
	w.fillRoot(t, image.Rect(monW+900, 700, monW+1000, 760), 0x40d020)
	w.waitShows(t, screen, image.Rect(0, 0, 2*monW, monH), "all displays back in the page")
	if st := eval[string](t, w.engineer, `document.getElementById("viewer").dataset.state`); st != "streaming" {
		t.Fatalf("viewer %s after the pop-out window closed", st)
	}

	do(t, c.page, 10*time.Second, "stop", chromedp.Click(chromedp.CSS(`#stop`)))
	c.waitExit(t, 5*time.Second)
	waitJS(t, w.engineer, 5*time.Second, "viewer ended", `document.getElementById("viewer").dataset.state === "ended"`)
}

// waitShows waits until the canvas canvasJS is the size of area and shows
// its pixels of the customer's screen.
func (w *world) waitShows(t testing.TB, canvasJS string, area image.Rectangle, what string) {
	t.Helper()
	waitJS(t, w.engineer, 10*time.Second, what+" size", fmt.Sprintf(`(() => { const c = %s; return !!c && c.width === %d && c.height === %d; })()`, canvasJS, area.Dx(), area.Dy()))
	var bad, n int
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(200 * time.Millisecond) {
		if bad, n = w.areaMismatch(t, canvasJS, area); bad == 0 {
			return
		}
	}
	t.Fatalf("%s: %d of %d sampled pixels differ from the customer's screen", what, bad, n)
}

// areaMismatch samples area of the customer's screen and the same pixels
// of the canvas, which shows area from its top left corner.
func (w *world) areaMismatch(t testing.TB, canvasJS string, area image.Rectangle) (bad, n int) {
	t.Helper()
	t.Setenv("DISPLAY", w.display)
	cp, err := capture.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer cp.Close()
	f, err := cp.Capture() // the whole screen: no area chosen
	if err != nil {
		t.Fatal(err)
	}
	var pts [][2]int
	for y := area.Min.Y + 5; y < area.Max.Y; y += 61 {
		for x := area.Min.X + 3; x < area.Max.X; x += 97 {
			pts = append(pts, [2]int{x - area.Min.X, y - area.Min.Y})
		}
	}
	js := fmt.Sprintf(`(() => { const c = %s; const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
		return %s.map(([x, y]) => { const i = (y * c.width + x) * 4; return [d[i], d[i+1], d[i+2]]; }); })()`, canvasJS, pointsJS(pts))
	got := eval[[][3]int](t, w.engineer, js)
	for i, p := range pts {
		o := (p[1]+area.Min.Y)*f.Stride + (p[0]+area.Min.X)*4
		want := [3]int{int(f.Pix[o+2]), int(f.Pix[o+1]), int(f.Pix[o])}
		if i >= len(got) || got[i] != want {
			bad++
		}
	}
	return bad, len(pts)
}

// fillRoot paints r of the customer's root window (where no window covers
// it) in colour 0xRRGGBB.
func (w *world) fillRoot(t testing.TB, r image.Rectangle, color uint32) {
	t.Helper()
	c, root, gc := xvfbtest.RootGC(t, w.display)
	if err := xproto.ChangeGCChecked(c, gc, xproto.GcForeground, []uint32{color}).Check(); err != nil {
		t.Fatal(err)
	}
	if err := xproto.PolyFillRectangleChecked(c, xproto.Drawable(root), gc, []xproto.Rectangle{{
		X: int16(r.Min.X), Y: int16(r.Min.Y), Width: uint16(r.Dx()), Height: uint16(r.Dy())}}).Check(); err != nil {
		t.Fatal(err)
	}
}

// popoutTab attaches to the engineer's pop-out window, to act in it as the
// engineer would. chromedp closes a target when the context attached to it
// ends, so that context lives until the test's end.
func (w *world) popoutTab(t testing.TB) context.Context {
	t.Helper()
	targets, err := chromedp.Targets(w.engineer)
	if err != nil {
		t.Fatalf("list the browser's windows: %v", err)
	}
	for _, tg := range targets {
		if tg.Type == "page" && tg.URL == "about:blank" && tg.OpenerID != "" {
			ctx, cancel := chromedp.NewContext(w.engineer, chromedp.WithTargetID(tg.TargetID))
			t.Cleanup(cancel)
			if err := chromedp.Do(ctx, chromedp.Sleep(0)); err != nil {
				t.Fatalf("attach to the pop-out window: %v", err)
			}
			return ctx
		}
	}
	t.Fatal("no pop-out window among the browser's targets")
	return nil
}
