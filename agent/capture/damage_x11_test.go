//go:build linux

package capture

import (
	"image"
	"slices"
	"testing"
	"time"

	"github.com/jezek/xgb/damage"
	"github.com/jezek/xgb/xproto"

	"tether/agent/capture/xvfbtest"
)

// signalWithin bounds how long a change may take to reach Changed; far
// more than it takes (about a millisecond), for loaded machines and -race.
const signalWithin = 5 * time.Second

// quietFor is how long Changed must stay silent to count as idle.
const quietFor = 300 * time.Millisecond

func openTest(t *testing.T, display string) *x11 {
	t.Helper()
	x, err := openX11(display)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := x.Close(); err != nil {
			t.Error(err)
		}
	})
	if x.damage == 0 {
		t.Fatal("DAMAGE not used on Xvfb")
	}
	return x
}

// waitChanged waits for a value on Changed and returns how long it took.
func waitChanged(t *testing.T, x *x11) time.Duration {
	t.Helper()
	start := time.Now()
	select {
	case _, ok := <-x.Changed():
		if !ok {
			t.Fatal("Changed closed")
		}
	case <-time.After(signalWithin):
		t.Fatalf("no change signalled within %v", signalWithin)
	}
	return time.Since(start)
}

func expectQuiet(t *testing.T, x *x11) {
	t.Helper()
	select {
	case <-x.Changed():
		t.Fatal("change signalled on an idle screen")
	case <-time.After(quietFor):
	}
}

func capt(t *testing.T, x *x11) *Frame {
	t.Helper()
	f, err := x.Capture()
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// captureUntil captures at each change signal until cond holds.
func captureUntil(t *testing.T, x *x11, what string, cond func(f *Frame) bool) *Frame {
	t.Helper()
	deadline := time.Now().Add(signalWithin)
	for {
		if f := capt(t, x); cond(f) {
			return f
		}
		select {
		case <-x.Changed():
		case <-time.After(time.Until(deadline)):
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// coveredBy reports whether rs together cover r.
func coveredBy(r image.Rectangle, rs []image.Rectangle) bool {
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if !slices.ContainsFunc(rs, func(d image.Rectangle) bool { return image.Pt(x, y).In(d) }) {
				return false
			}
		}
	}
	return true
}

// started opens a capturer on a fresh 640×480 screen and takes the first,
// full frame.
func started(t *testing.T) (*x11, *drawer) {
	t.Helper()
	display := xvfbtest.Start(t, 640, 480)
	d := newDrawer(t, display)
	// The pointer over the screen: grabbing where a software cursor is
	// drawn must not damage the screen.
	if err := xproto.WarpPointerChecked(d.c, 0, d.root, 0, 0, 0, 0, 320, 240).Check(); err != nil {
		t.Fatal(err)
	}
	x := openTest(t, display)
	// Creating the damage object damages the whole screen.
	waitChanged(t, x)
	if f := capt(t, x); f.Damage != nil || f.Moves != nil {
		t.Fatalf("first frame: damage %v moves %v, want nil (unknown)", f.Damage, f.Moves)
	}
	return x, d
}

func TestX11Damage(t *testing.T) {
	x, d := started(t)
	if f := capt(t, x); f.Damage == nil || len(f.Damage) != 0 {
		t.Fatalf("idle screen: damage %v, want empty", f.Damage)
	}
	expectQuiet(t, x)

	box := image.Rect(40, 30, 90, 70)
	start := time.Now()
	d.fill(0x00ff00, box)
	waitChanged(t, x)
	t.Logf("change signalled %v after the drawing request", time.Since(start))
	f := capt(t, x)
	if !coveredBy(box, f.Damage) {
		t.Errorf("damage %v does not cover the drawn %v", f.Damage, box)
	}
	for _, r := range f.Damage {
		if !r.In(image.Rect(0, 0, 640, 480)) || r.Empty() {
			t.Errorf("damage %v outside the screen or empty", r)
		}
	}
	if got := pixel(f, 40, 30); got != 0x00ff00 {
		t.Errorf("drawn pixel %06x, want 00ff00", got)
	}
	if got := pixel(f, 89, 69); got != 0x00ff00 {
		t.Errorf("drawn pixel %06x, want 00ff00", got)
	}
	if f := capt(t, x); f.Damage == nil || len(f.Damage) != 0 {
		t.Errorf("after the change was taken: damage %v, want empty", f.Damage)
	}
	expectQuiet(t, x)

	t.Run("inside a window", func(t *testing.T) {
		win := d.window(0x0000ff, image.Rect(200, 200, 300, 300))
		captureUntil(t, x, "the window to show", func(f *Frame) bool { return pixel(f, 299, 299) == 0x0000ff })
		d.fillOn(xproto.Drawable(win), 0xff0000, image.Rect(10, 10, 30, 20))
		waitChanged(t, x)
		f := capt(t, x)
		if !coveredBy(image.Rect(210, 210, 230, 220), f.Damage) {
			t.Errorf("damage %v does not cover the window's drawing at 210,210", f.Damage)
		}
		if got := pixel(f, 215, 215); got != 0xff0000 {
			t.Errorf("pixel %06x, want ff0000", got)
		}
	})
}

func TestX11Moves(t *testing.T) {
	x, d := started(t)
	win := d.window(0x0000ff, image.Rect(100, 100, 300, 250))
	captureUntil(t, x, "the window to show", func(f *Frame) bool { return pixel(f, 299, 249) == 0x0000ff })

	// The move and its pixels may come in different frames.
	var moves []Move
	var damaged []image.Rectangle
	d.configure(win, image.Rect(400, 300, 600, 450))
	captureUntil(t, x, "the move", func(f *Frame) bool {
		moves = append(moves, f.Moves...)
		damaged = append(damaged, f.Damage...)
		return len(moves) > 0 && pixel(f, 599, 449) == 0x0000ff
	})
	want := []Move{{Src: image.Rect(100, 100, 300, 250), Dst: image.Pt(400, 300)}}
	if !slices.Equal(moves, want) {
		t.Errorf("moves %v, want %v", moves, want)
	}
	if !coveredBy(image.Rect(100, 100, 300, 250), damaged) || !coveredBy(image.Rect(400, 300, 600, 450), damaged) {
		t.Errorf("damage %v misses the window's old or new place", damaged)
	}

	// Partly off the screen, then back: the source is what was on screen.
	moves = moves[:0]
	d.configure(win, image.Rect(-50, 10, 150, 160))
	captureUntil(t, x, "the move off screen", func(f *Frame) bool {
		moves = append(moves, f.Moves...)
		return len(moves) > 0 && pixel(f, 0, 10) == 0x0000ff
	})
	want = []Move{{Src: image.Rect(400, 300, 600, 450), Dst: image.Pt(-50, 10)}}
	if !slices.Equal(moves, want) {
		t.Errorf("moves %v, want %v", moves, want)
	}
	moves = moves[:0]
	d.configure(win, image.Rect(20, 10, 220, 160))
	captureUntil(t, x, "the move back", func(f *Frame) bool {
		moves = append(moves, f.Moves...)
		return len(moves) > 0 && pixel(f, 219, 159) == 0x0000ff
	})
	want = []Move{{Src: image.Rect(0, 10, 150, 160), Dst: image.Pt(70, 10)}}
	if !slices.Equal(moves, want) {
		t.Errorf("moves %v, want %v", moves, want)
	}

	// A resize is no move.
	moves = moves[:0]
	d.configure(win, image.Rect(30, 10, 130, 160))
	captureUntil(t, x, "the resize", func(f *Frame) bool {
		moves = append(moves, f.Moves...)
		return pixel(f, 130, 100) != 0x0000ff
	})
	if len(moves) != 0 {
		t.Errorf("resize reported as moves %v", moves)
	}
}

// TestTopLevelMoves checks how ConfigureNotify events of top-level windows
// become moves, without a server.
func TestTopLevelMoves(t *testing.T) {
	const a, b = xproto.Window(1), xproto.Window(2)
	x := &x11{heard: heard{windows: map[xproto.Window]topLevel{
		a: {r: image.Rect(0, 0, 100, 50), mapped: true},
		b: {r: image.Rect(10, 10, 20, 20)}, // unmapped
	}}}
	x.placed(a, image.Rect(10, 0, 110, 50))
	x.placed(a, image.Rect(20, 5, 120, 55)) // again before a Capture
	x.placed(b, image.Rect(30, 30, 40, 40))
	x.placed(3, image.Rect(0, 0, 5, 5)) // never seen before
	_, moves := x.takeNews(nil, image.Rect(0, 0, 640, 480))
	if want := []Move{{Src: image.Rect(0, 0, 100, 50), Dst: image.Pt(20, 5)}}; !slices.Equal(moves, want) {
		t.Errorf("moves %v, want %v", moves, want)
	}
	if _, moves := x.takeNews(nil, image.Rect(0, 0, 640, 480)); len(moves) != 0 {
		t.Errorf("moves reported twice: %v", moves)
	}
	x.placed(a, image.Rect(30, 5, 130, 55))
	x.placed(a, image.Rect(30, 5, 140, 55)) // then resized
	if _, moves := x.takeNews(nil, image.Rect(0, 0, 640, 480)); len(moves) != 0 {
		t.Errorf("moved and resized: moves %v, want none", moves)
	}
	x.placed(a, image.Rect(700, 5, 810, 55)) // off screen
	if _, moves := x.takeNews(nil, image.Rect(0, 0, 640, 480)); len(moves) != 1 {
		t.Errorf("moves %v, want the one off screen", moves)
	}
	x.placed(a, image.Rect(0, 0, 110, 50)) // back from off screen: nothing was visible
	if _, moves := x.takeNews(nil, image.Rect(0, 0, 640, 480)); len(moves) != 0 {
		t.Errorf("moves %v, want none from off screen", moves)
	}
}

// TestX11Resize resizes the screen as the capturer sees it, with
// ConfigureNotify events on the root window: Xvfb cannot change its size.
func TestX11Resize(t *testing.T) {
	x, d := started(t)
	d.fill(0x336699, image.Rect(0, 0, 640, 480))
	captureUntil(t, x, "the fill", func(f *Frame) bool { return pixel(f, 639, 479) == 0x336699 })

	d.rootConfigure(320, 240)
	f := captureUntil(t, x, "the smaller screen", func(f *Frame) bool { return f.Width == 320 })
	if f.Height != 240 || f.Stride != 320*4 || len(f.Pix) != 320*240*4 || f.Damage != nil {
		t.Fatalf("after shrinking: %dx%d stride %d, %d bytes, damage %v", f.Width, f.Height, f.Stride, len(f.Pix), f.Damage)
	}
	if got := pixel(f, 319, 239); got != 0x336699 {
		t.Errorf("pixel %06x, want 336699", got)
	}
	if f := capt(t, x); f.Damage == nil || len(f.Damage) != 0 {
		t.Errorf("after the resize frame: damage %v, want empty", f.Damage)
	}

	// Larger than the screen really is: the grab fails, Capture asks the
	// server for the size and grabs that.
	d.rootConfigure(800, 600)
	f = captureUntil(t, x, "the real size", func(f *Frame) bool { return f.Width == 640 && f.Damage == nil })
	if f.Height != 480 || pixel(f, 639, 479) != 0x336699 {
		t.Errorf("after the failed grab: %dx%d, pixel %06x", f.Width, f.Height, pixel(f, 639, 479))
	}
}

// TestX11Audit hides a change from DAMAGE: the audit finds it and reports
// it; when its damage never comes, Capture stops trusting DAMAGE and
// Changed closes.
func TestX11Audit(t *testing.T) {
	x, d := started(t)
	capt(t, x)
	hidden := func(colour uint32, r image.Rectangle) {
		t.Helper()
		d.fill(colour, r)
		waitChanged(t, x)
		// Take the damage away on the capturer's own connection.
		if err := damage.SubtractChecked(x.conn, x.damage, 0, 0).Check(); err != nil {
			t.Fatal(err)
		}
	}

	box := image.Rect(10, 100, 20, 110)
	hidden(0xff00ff, box)
	if f := capt(t, x); len(f.Damage) != 0 || pixel(f, 10, 100) == 0xff00ff {
		t.Fatalf("between audits: damage %v, pixel %06x: the change was not hidden", f.Damage, pixel(f, 10, 100))
	}
	x.lastAudit = time.Time{}
	f := capt(t, x)
	if !coveredBy(image.Rect(0, 100, 640, 110), f.Damage) || pixel(f, 10, 100) != 0xff00ff {
		t.Fatalf("audit: damage %v, pixel %06x; want rows 100-109 and the change", f.Damage, pixel(f, 10, 100))
	}

	t.Run("late damage", func(t *testing.T) {
		// The rows' damage comes after all (drawn again): DAMAGE is kept.
		d.fill(0xff00fe, box)
		waitChanged(t, x)
		if f := capt(t, x); f.Damage == nil || x.damage == 0 {
			t.Fatalf("damage %v after late damage; DAMAGE dropped", f.Damage)
		}
	})

	hidden(0x00ffff, box)
	x.lastAudit = time.Time{}
	capt(t, x)
	if f := capt(t, x); f.Damage != nil {
		t.Fatalf("damage %v after DAMAGE missed a change, want nil", f.Damage)
	}
	for deadline := time.After(signalWithin); ; {
		select {
		case _, ok := <-x.Changed():
			if ok {
				continue
			}
		case <-deadline:
			t.Fatal("Changed not closed after DAMAGE missed a change")
		}
		break
	}
	d.fill(0x123456, box)
	if f := capt(t, x); f.Damage != nil || pixel(f, 10, 100) != 0x123456 {
		t.Errorf("polling: damage %v, pixel %06x", f.Damage, pixel(f, 10, 100))
	}
}

func TestX11CursorEvents(t *testing.T) {
	x, d := started(t)
	first, err := x.Cursor()
	if err != nil {
		t.Fatal(err)
	}
	if first.RGBA == nil || first.X != 320 || first.Y != 240 {
		t.Fatalf("first cursor %+v", first)
	}
	if err := xproto.WarpPointerChecked(d.c, 0, d.root, 0, 0, 0, 0, 10, 20).Check(); err != nil {
		t.Fatal(err)
	}
	c, err := x.Cursor()
	if err != nil {
		t.Fatal(err)
	}
	if c.X != 10 || c.Y != 20 || c.RGBA != nil || c.Serial != first.Serial || c.W != first.W || c.Visible != first.Visible {
		t.Errorf("moved cursor %+v, want 10,20 with the first image's serial, size and visibility", c)
	}

	// A new pointer image: the hand from the cursor font.
	font, err := xproto.NewFontId(d.c)
	if err != nil {
		t.Fatal(err)
	}
	if err := xproto.OpenFontChecked(d.c, font, uint16(len("cursor")), "cursor").Check(); err != nil {
		t.Fatal(err)
	}
	cur, err := xproto.NewCursorId(d.c)
	if err != nil {
		t.Fatal(err)
	}
	const hand2 = 60
	if err := xproto.CreateGlyphCursorChecked(d.c, cur, font, font, hand2, hand2+1, 0, 0, 0, 0xffff, 0xffff, 0xffff).Check(); err != nil {
		t.Fatal(err)
	}
	if err := xproto.ChangeWindowAttributesChecked(d.c, d.root, xproto.CwCursor, []uint32{uint32(cur)}).Check(); err != nil {
		t.Fatal(err)
	}
	waitChanged(t, x)
	c, err = x.Cursor()
	if err != nil {
		t.Fatal(err)
	}
	if c.RGBA == nil || c.Serial == first.Serial {
		t.Errorf("after a new pointer image: serial %d (was %d), image %d bytes", c.Serial, first.Serial, len(c.RGBA))
	}
}
