//go:build linux

package overlay

import (
	"image"
	"testing"
	"time"

	"github.com/jezek/xgb/shape"
	"github.com/jezek/xgb/xproto"

	"tether/agent/capture/xvfbtest"
)

// TestOverlayShowsStrokesTakesNoInputAndFades: on a real X server the
// stroke's pixels show on the screen, the overlay's input shape is empty
// (every click passes through), and the stroke is gone after Life.
func TestOverlayShowsStrokesTakesNoInputAndFades(t *testing.T) {
	display := xvfbtest.Start(t, 320, 200)
	c, root, _ := xvfbtest.RootGC(t, display)
	o, err := open(display)
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	pixel := func(x, y int) uint32 {
		img, err := xproto.GetImage(c, xproto.ImageFormatZPixmap, xproto.Drawable(root), int16(x), int16(y), 1, 1, 0xffffffff).Reply()
		if err != nil {
			t.Fatal(err)
		}
		return uint32(img.Data[2])<<16 | uint32(img.Data[1])<<8 | uint32(img.Data[0])
	}
	before := pixel(100, 50)
	drawn := time.Now()
	if err := o.Draw(1, []image.Point{{40, 50}, {200, 50}}, true); err != nil {
		t.Fatal(err)
	}
	if got := pixel(100, 50); got != Color {
		t.Fatalf("on the stroke the screen shows %06x, want %06x", got, Color)
	}
	if got := pixel(100, 80); got != before {
		t.Fatalf("beside the stroke the screen shows %06x, want %06x", got, before)
	}
	if err := shape.Init(c); err != nil {
		t.Fatal(err)
	}
	in, err := shape.GetRectangles(c, xproto.Window(o.Window()), shape.SkInput).Reply()
	if err != nil {
		t.Fatal(err)
	}
	if in.RectanglesLen != 0 {
		t.Fatalf("the overlay takes input in %d rectangles", in.RectanglesLen)
	}
	for pixel(100, 50) == Color {
		if time.Since(drawn) > Life+2*time.Second {
			t.Fatalf("the stroke still shows %s after it was drawn", time.Since(drawn))
		}
		time.Sleep(50 * time.Millisecond)
	}
	if gone := time.Since(drawn); gone < Life-100*time.Millisecond {
		t.Fatalf("the stroke went after %s, before Life", gone)
	}
	attrs, err := xproto.GetWindowAttributes(c, xproto.Window(o.Window())).Reply()
	if err != nil {
		t.Fatal(err)
	}
	if attrs.MapState != xproto.MapStateUnmapped {
		t.Fatalf("the overlay is still mapped (%d) with no stroke", attrs.MapState)
	}
}

func TestStrokesOldestGoFirstBeyondTheBound(t *testing.T) {
	var ss strokes
	now := time.Now()
	for id := range uint16(4) {
		// About 2000 squares each.
		ss.draw(id, []image.Point{{0, int(id)}, {6000, int(id)}}, now)
	}
	ss.draw(9, []image.Point{{0, 9}, {45000, 9}}, now) // about 15000 more
	if n := len(ss.rects()); n > maxRects {
		t.Fatalf("%d rectangles kept, bound %d", n, maxRects)
	}
	if ss.list[0].id != 2 || ss.list[len(ss.list)-1].id != 9 {
		t.Fatalf("kept strokes %d…%d, want the oldest two dropped", ss.list[0].id, ss.list[len(ss.list)-1].id)
	}
	if dropped, next := ss.prune(now.Add(Life)); !dropped || !next.IsZero() || len(ss.list) != 0 {
		t.Fatalf("after Life: dropped %v, next %v, %d left", dropped, next, len(ss.list))
	}
}
