//go:build linux

package capture

import (
	"image"
	"testing"

	"github.com/jezek/xgb/xproto"

	"tether/agent/capture/xvfbtest"
)

// TestDisplaysAndArea: a 1600×600 Xvfb screen split into two RandR
// monitors lists as two displays with their names and the primary flag;
// capturing the second one returns its pixels only, at its origin, with
// damage relative to it, and the empty area goes back to the whole screen.
func TestDisplaysAndArea(t *testing.T) {
	display := xvfbtest.Start(t, 1600, 600)
	xvfbtest.SetMonitors(t, display,
		xvfbtest.Monitor{Name: "LEFT", X: 0, Y: 0, W: 800, H: 600, Primary: true},
		xvfbtest.Monitor{Name: "RIGHT", X: 800, Y: 0, W: 800, H: 600})
	c, root, gc := xvfbtest.RootGC(t, display)
	fill := func(color uint32, r image.Rectangle) {
		t.Helper()
		if err := xproto.ChangeGCChecked(c, gc, xproto.GcForeground, []uint32{color}).Check(); err != nil {
			t.Fatal(err)
		}
		if err := xproto.PolyFillRectangleChecked(c, xproto.Drawable(root), gc, []xproto.Rectangle{{
			X: int16(r.Min.X), Y: int16(r.Min.Y), Width: uint16(r.Dx()), Height: uint16(r.Dy())}}).Check(); err != nil {
			t.Fatal(err)
		}
	}
	fill(0x204060, image.Rect(0, 0, 800, 600))
	fill(0xc08020, image.Rect(800, 0, 1600, 600))

	x := openTest(t, display)
	ds, err := x.Displays()
	if err != nil {
		t.Fatal(err)
	}
	want := []Display{
		{Bounds: image.Rect(0, 0, 800, 600), Primary: true, Name: "LEFT"},
		{Bounds: image.Rect(800, 0, 1600, 600), Name: "RIGHT"},
	}
	if len(ds) != 2 || ds[0] != want[0] || ds[1] != want[1] {
		t.Fatalf("displays %+v, want %+v", ds, want)
	}

	pixel := func(f *Frame, px, py int) uint32 {
		o := py*f.Stride + px*4
		return uint32(f.Pix[o+2])<<16 | uint32(f.Pix[o+1])<<8 | uint32(f.Pix[o])
	}
	f, err := x.Capture()
	if err != nil {
		t.Fatal(err)
	}
	if f.Width != 1600 || f.Origin != (image.Point{}) {
		t.Fatalf("default capture %dx%d at %v, want the whole screen", f.Width, f.Height, f.Origin)
	}

	x.SetArea(ds[1].Bounds)
	waitChanged(t, x) // a new area is captured at once, not at the next change
	f, err = x.Capture()
	if err != nil {
		t.Fatal(err)
	}
	if f.Width != 800 || f.Height != 600 || f.Origin != image.Pt(800, 0) || f.Damage != nil {
		t.Fatalf("second display: %dx%d at %v, damage %v; want 800x600 at (800,0), whole", f.Width, f.Height, f.Origin, f.Damage)
	}
	if got := pixel(f, 0, 0); got != 0xc08020 {
		t.Fatalf("second display's first pixel %06x, want c08020", got)
	}
	if got := pixel(f, 799, 599); got != 0xc08020 {
		t.Fatalf("second display's last pixel %06x, want c08020", got)
	}

	// Drawing on the second display is reported relative to it; drawing
	// on the first is not reported at all.
	fill(0x00ff00, image.Rect(900, 100, 950, 120))
	fill(0xff0000, image.Rect(10, 10, 60, 60))
	waitChanged(t, x)
	f, err = x.Capture()
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Damage) == 0 {
		t.Fatal("no damage reported for the second display")
	}
	var u image.Rectangle
	for _, d := range f.Damage {
		u = u.Union(d)
	}
	if u != image.Rect(100, 100, 150, 120) {
		t.Fatalf("damage %v, want (100,100)-(150,120) of the second display", f.Damage)
	}
	if got := pixel(f, 120, 110); got != 0x00ff00 {
		t.Fatalf("drawn pixel %06x, want 00ff00", got)
	}

	// Out of the screen, or empty: the whole root again.
	x.SetArea(image.Rect(5000, 0, 6000, 100))
	f, err = x.Capture()
	if err != nil {
		t.Fatal(err)
	}
	if f.Width != 1600 || f.Height != 600 || f.Origin != (image.Point{}) {
		t.Fatalf("area outside the screen: %dx%d at %v, want the whole screen", f.Width, f.Height, f.Origin)
	}
	if got := pixel(f, 20, 20); got != 0xff0000 {
		t.Fatalf("first display pixel %06x, want ff0000", got)
	}
}
