//go:build windows

package capture

import (
	"image"
	"strings"
	"testing"
	"time"
)

// TestGDIDisplaysAndArea: the displays list has the primary monitor at 0,0
// of the virtual screen with the screen's size and a device name, and a
// chosen area is captured alone, at its origin.
func TestGDIDisplaysAndArea(t *testing.T) {
	const x, y, w, h = 120, 60, 160, 90
	showBox(t, x, y, w, h, 0x3366cc)
	c, err := Open()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	a, ok := c.(Areas)
	if !ok {
		t.Fatal("the GDI capturer does not implement Areas")
	}
	ds, err := a.Displays()
	if err != nil {
		t.Fatal(err)
	}
	screen := image.Rect(0, 0, int(metric(smCXScreen)), int(metric(smCYScreen)))
	var primary *Display
	for i := range ds {
		if ds[i].Primary {
			primary = &ds[i]
		}
	}
	if primary == nil || primary.Bounds != screen || !strings.HasPrefix(primary.Name, `\\.\`) {
		t.Fatalf("displays %+v, want a primary one at %v named \\\\.\\…", ds, screen)
	}

	// The box's colour as a capture of the whole primary monitor sees it
	// (the test window class keeps the brush of the first test that made
	// it), then the area around the box alone.
	var want uint32
	deadline := time.Now().Add(5 * time.Second)
	for {
		f, err := c.Capture()
		if err != nil {
			t.Fatal(err)
		}
		want = pixel(f, x, y)
		if want == pixel(f, x+w-1, y+h-1) && want != pixel(f, x-1, y) && want != pixel(f, x+w, y+h-1) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the box does not show")
		}
		time.Sleep(20 * time.Millisecond)
	}
	a.SetArea(image.Rect(x, y, x+w, y+h))
	f, err := c.Capture()
	if err != nil {
		t.Fatal(err)
	}
	if f.Width != w || f.Height != h || f.Origin != image.Pt(x, y) {
		t.Fatalf("area frame %dx%d at %v, want %dx%d at %d,%d", f.Width, f.Height, f.Origin, w, h, x, y)
	}
	for _, p := range [][2]int{{0, 0}, {w - 1, 0}, {0, h - 1}, {w - 1, h - 1}, {w / 2, h / 2}} {
		if got := pixel(f, p[0], p[1]); got != want {
			t.Fatalf("area pixel %v is %06x, want the box's %06x", p, got, want)
		}
	}

	// Outside the virtual screen: the primary monitor again.
	a.SetArea(image.Rect(-100000, 0, -99000, 100))
	f, err = c.Capture()
	if err != nil {
		t.Fatal(err)
	}
	if f.Width != screen.Dx() || f.Height != screen.Dy() || f.Origin != (image.Point{}) {
		t.Fatalf("area outside the screen: %dx%d at %v, want the primary monitor", f.Width, f.Height, f.Origin)
	}
}
