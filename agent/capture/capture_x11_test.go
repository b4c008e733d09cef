//go:build linux

package capture

import (
	"bytes"
	"image"
	"testing"
	"time"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"

	"tether/agent/capture/xvfbtest"
)

// paint fills the root with rootColour and maps an override-redirect
// window filled with boxColour at box.
func paint(t *testing.T, display string, rootColour, boxColour uint32, box xproto.Rectangle) {
	t.Helper()
	c, err := xgb.NewConnDisplay(display)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	s := xproto.Setup(c).DefaultScreen(c)
	if err := xproto.ChangeWindowAttributesChecked(c, s.Root, xproto.CwBackPixel, []uint32{rootColour}).Check(); err != nil {
		t.Fatal(err)
	}
	if err := xproto.ClearAreaChecked(c, false, s.Root, 0, 0, 0, 0).Check(); err != nil {
		t.Fatal(err)
	}
	wid, err := xproto.NewWindowId(c)
	if err != nil {
		t.Fatal(err)
	}
	err = xproto.CreateWindowChecked(c, s.RootDepth, wid, s.Root, box.X, box.Y, box.Width, box.Height, 0,
		xproto.WindowClassInputOutput, s.RootVisual, xproto.CwBackPixel|xproto.CwOverrideRedirect,
		[]uint32{boxColour, 1}).Check()
	if err != nil {
		t.Fatal(err)
	}
	if err := xproto.MapWindowChecked(c, wid).Check(); err != nil {
		t.Fatal(err)
	}
	if err := xproto.WarpPointerChecked(c, 0, s.Root, 0, 0, 0, 0, 300, 200).Check(); err != nil {
		t.Fatal(err)
	}
}

func pixel(f *Frame, x, y int) uint32 {
	i := y*f.Stride + x*4
	return uint32(f.Pix[i+2])<<16 | uint32(f.Pix[i+1])<<8 | uint32(f.Pix[i])
}

func TestX11Capture(t *testing.T) {
	display := xvfbtest.Start(t, 1920, 1080)
	box := xproto.Rectangle{X: 100, Y: 50, Width: 200, Height: 100}
	paint(t, display, 0x123456, 0xabcdef, box)

	x, err := openX11(display)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	if x.seg == nil {
		t.Error("MIT-SHM not used on a local Xvfb")
	}

	// The box window is drawn by the server asynchronously to our requests;
	// poll until it shows.
	var f *Frame
	for deadline := time.Now().Add(5 * time.Second); ; {
		if f, err = x.Capture(); err != nil {
			t.Fatal(err)
		}
		if pixel(f, 100, 50) == 0xabcdef || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if f.Width != 1920 || f.Height != 1080 || f.Stride != 1920*4 || len(f.Pix) != 1920*1080*4 {
		t.Fatalf("frame %dx%d stride %d len %d", f.Width, f.Height, f.Stride, len(f.Pix))
	}
	tests := []struct {
		name string
		x, y int
		want uint32
	}{
		{"root top left", 0, 0, 0x123456},
		{"root bottom right", 1919, 1079, 0x123456},
		{"box top left", 100, 50, 0xabcdef},
		{"box bottom right", 299, 149, 0xabcdef},
		{"right of box", 300, 149, 0x123456},
		{"below box", 299, 150, 0x123456},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := pixel(f, tt.x, tt.y); got != tt.want {
				t.Errorf("pixel(%d,%d) = %06x, want %06x", tt.x, tt.y, got, tt.want)
			}
		})
	}

	t.Run("plain GetImage fallback matches SHM", func(t *testing.T) {
		shmPix := bytes.Clone(f.Pix)
		if err := x.seg.close(x.conn); err != nil {
			t.Fatal(err)
		}
		x.seg = nil
		g, err := x.Capture()
		if err != nil {
			t.Fatal(err)
		}
		if g.Width != 1920 || g.Height != 1080 {
			t.Fatalf("fallback frame %dx%d", g.Width, g.Height)
		}
		// The X pad byte is undefined; compare B, G, R only.
		for i := 0; i < len(shmPix); i += 4 {
			if !bytes.Equal(shmPix[i:i+3], g.Pix[i:i+3]) {
				t.Fatalf("pixel %d differs: shm %v plain %v", i/4, shmPix[i:i+3], g.Pix[i:i+3])
			}
		}
	})

	t.Run("cursor", func(t *testing.T) {
		c, err := x.Cursor()
		if err != nil {
			t.Fatal(err)
		}
		if c.X != 300 || c.Y != 200 {
			t.Errorf("cursor at %d,%d, want 300,200", c.X, c.Y)
		}
		if c.W <= 0 || c.H <= 0 || c.W > 96 || c.H > 96 || c.HotX > c.W || c.HotY > c.H {
			t.Errorf("cursor %dx%d hot %d,%d", c.W, c.H, c.HotX, c.HotY)
		}
		if len(c.RGBA) != c.W*c.H*4 || !c.Visible {
			t.Errorf("first cursor image %d bytes, visible %v", len(c.RGBA), c.Visible)
		}
		again, err := x.Cursor()
		if err != nil {
			t.Fatal(err)
		}
		if again.RGBA != nil || again.Serial != c.Serial {
			t.Errorf("unchanged cursor resent its image (serial %d → %d)", c.Serial, again.Serial)
		}
	})
}

// BenchmarkCaptureX11 measures one Capture of a 1080p screen: "full" after
// the whole screen changed, "typing" after a character-sized cell changed,
// "idle" when nothing did. The drawing is outside the timed part.
func BenchmarkCaptureX11(b *testing.B) {
	display := xvfbtest.Start(b, 1920, 1080)
	x, err := openX11(display)
	if err != nil {
		b.Fatal(err)
	}
	defer x.Close()
	if x.seg == nil {
		b.Fatal("MIT-SHM unavailable")
	}
	d := newDrawer(b, display)
	for _, bc := range []struct {
		name string
		draw func(i int)
	}{
		{"full", func(i int) { d.fill(uint32(i), image.Rect(0, 0, 1920, 1080)) }},
		{"typing", func(i int) {
			col, row := i%200, i/200%50
			d.fill(uint32(i)*0x10101, image.Rect(100+col*9, 100+row*17, 109+col*9, 117+row*17))
		}},
		{"idle", nil},
	} {
		b.Run(bc.name, func(b *testing.B) {
			if _, err := x.Capture(); err != nil {
				b.Fatal(err)
			}
			for i := 0; b.Loop(); i++ {
				if bc.draw != nil {
					b.StopTimer()
					bc.draw(i)
					b.StartTimer()
				}
				if _, err := x.Capture(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkCaptureX11NoSHM(b *testing.B) {
	display := xvfbtest.Start(b, 1920, 1080)
	x, err := openX11(display)
	if err != nil {
		b.Fatal(err)
	}
	defer x.Close()
	if x.seg != nil {
		if err := x.seg.close(x.conn); err != nil {
			b.Fatal(err)
		}
		x.seg = nil
	}
	b.SetBytes(1920 * 1080 * 4)
	for b.Loop() {
		if _, err := x.Capture(); err != nil {
			b.Fatal(err)
		}
	}
}

// drawer draws on the root window of a display over its own connection, as
// another client would.
type drawer struct {
	tb   testing.TB
	c    *xgb.Conn
	root xproto.Window
	gc   xproto.Gcontext
}

func newDrawer(tb testing.TB, display string) *drawer {
	tb.Helper()
	c, root, gc := xvfbtest.RootGC(tb, display)
	return &drawer{tb: tb, c: c, root: root, gc: gc}
}

// fill paints r in colour (0xRRGGBB) and returns once the server did it.
func (d *drawer) fill(colour uint32, r image.Rectangle) {
	d.tb.Helper()
	if err := xproto.ChangeGCChecked(d.c, d.gc, xproto.GcForeground, []uint32{colour & 0xffffff}).Check(); err != nil {
		d.tb.Fatal(err)
	}
	rect := xproto.Rectangle{X: int16(r.Min.X), Y: int16(r.Min.Y), Width: uint16(r.Dx()), Height: uint16(r.Dy())}
	if err := xproto.PolyFillRectangleChecked(d.c, xproto.Drawable(d.root), d.gc, []xproto.Rectangle{rect}).Check(); err != nil {
		d.tb.Fatal(err)
	}
}

// fillOn paints r of drawable dr in colour and returns once the server did.
func (d *drawer) fillOn(dr xproto.Drawable, colour uint32, r image.Rectangle) {
	d.tb.Helper()
	if err := xproto.ChangeGCChecked(d.c, d.gc, xproto.GcForeground, []uint32{colour & 0xffffff}).Check(); err != nil {
		d.tb.Fatal(err)
	}
	rect := xproto.Rectangle{X: int16(r.Min.X), Y: int16(r.Min.Y), Width: uint16(r.Dx()), Height: uint16(r.Dy())}
	if err := xproto.PolyFillRectangleChecked(d.c, dr, d.gc, []xproto.Rectangle{rect}).Check(); err != nil {
		d.tb.Fatal(err)
	}
}

// window maps a top-level window at r with a background of colour.
func (d *drawer) window(colour uint32, r image.Rectangle) xproto.Window {
	d.tb.Helper()
	s := xproto.Setup(d.c).DefaultScreen(d.c)
	wid, err := xproto.NewWindowId(d.c)
	if err != nil {
		d.tb.Fatal(err)
	}
	err = xproto.CreateWindowChecked(d.c, s.RootDepth, wid, d.root, int16(r.Min.X), int16(r.Min.Y),
		uint16(r.Dx()), uint16(r.Dy()), 0, xproto.WindowClassInputOutput, s.RootVisual,
		xproto.CwBackPixel, []uint32{colour}).Check()
	if err != nil {
		d.tb.Fatal(err)
	}
	if err := xproto.MapWindowChecked(d.c, wid).Check(); err != nil {
		d.tb.Fatal(err)
	}
	return wid
}

// configure moves and sizes a window to r.
func (d *drawer) configure(win xproto.Window, r image.Rectangle) {
	d.tb.Helper()
	err := xproto.ConfigureWindowChecked(d.c, win,
		xproto.ConfigWindowX|xproto.ConfigWindowY|xproto.ConfigWindowWidth|xproto.ConfigWindowHeight,
		[]uint32{uint32(int32(r.Min.X)), uint32(int32(r.Min.Y)), uint32(r.Dx()), uint32(r.Dy())}).Check()
	if err != nil {
		d.tb.Fatal(err)
	}
}

// rootConfigure tells the root window's StructureNotify listeners that the
// screen is now w×h, as RandR does after a resize.
func (d *drawer) rootConfigure(w, h int) {
	d.tb.Helper()
	ev := xproto.ConfigureNotifyEvent{Event: d.root, Window: d.root, Width: uint16(w), Height: uint16(h)}
	err := xproto.SendEventChecked(d.c, false, d.root, xproto.EventMaskStructureNotify, string(ev.Bytes())).Check()
	if err != nil {
		d.tb.Fatal(err)
	}
}
