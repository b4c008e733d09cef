//go:build linux

package e2e

import (
	"context"
	"fmt"
	"hash/maphash"
	"image"
	"testing"
	"time"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"
)

// xscreen is a connection to the benchmark's X display, for exact grabs
// of the screen and for finding and moving the workloads' windows.
type xscreen struct {
	c    *xgb.Conn
	root xproto.Window
	w, h int
}

func openX(t testing.TB, display string) *xscreen {
	t.Helper()
	c, err := xgb.NewConnDisplay(display)
	if err != nil {
		t.Fatalf("connect to %s: %v", display, err)
	}
	t.Cleanup(c.Close)
	s := xproto.Setup(c).DefaultScreen(c)
	if s.RootDepth != 24 {
		t.Fatalf("X screen depth %d, the grabs read 24-bit BGRX", s.RootDepth)
	}
	return &xscreen{c: c, root: s.Root, w: int(s.WidthInPixels), h: int(s.HeightInPixels)}
}

// grab reads r of the screen as it is now (GetImage is atomic with respect
// to other clients' drawing).
func (x *xscreen) grab(r image.Rectangle) (*image.RGBA, error) {
	rep, err := xproto.GetImage(x.c, xproto.ImageFormatZPixmap, xproto.Drawable(x.root),
		int16(r.Min.X), int16(r.Min.Y), uint16(r.Dx()), uint16(r.Dy()), ^uint32(0)).Reply()
	if err != nil {
		return nil, fmt.Errorf("GetImage %v: %w", r, err)
	}
	if len(rep.Data) < r.Dx()*r.Dy()*4 {
		return nil, fmt.Errorf("GetImage %v: %d bytes", r, len(rep.Data))
	}
	img := image.NewRGBA(r)
	for i := 0; i < r.Dx()*r.Dy(); i++ {
		img.Pix[i*4], img.Pix[i*4+1], img.Pix[i*4+2], img.Pix[i*4+3] = rep.Data[i*4+2], rep.Data[i*4+1], rep.Data[i*4], 255
	}
	return img, nil
}

func (x *xscreen) bounds() image.Rectangle { return image.Rect(0, 0, x.w, x.h) }

var screenSeed = maphash.MakeSeed()

// still waits until the screen has not changed for quiet, polling every
// 50 ms, for at most max.
func (x *xscreen) still(quiet, max time.Duration) error {
	deadline := time.Now().Add(max)
	var last uint64
	since := time.Now()
	for {
		img, err := x.grab(x.bounds())
		if err != nil {
			return err
		}
		h := maphash.Bytes(screenSeed, img.Pix)
		if h != last {
			last, since = h, time.Now()
		} else if time.Since(since) >= quiet {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the X screen still changes after %v", max)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// findWindow waits for a viewable top-level window titled title and
// returns it. Without a window manager, top-level windows are the root's
// children.
func (x *xscreen) findWindow(ctx context.Context, title string) (xproto.Window, error) {
	for {
		tree, err := xproto.QueryTree(x.c, x.root).Reply()
		if err != nil {
			return 0, err
		}
		for _, w := range tree.Children {
			a, err := xproto.GetWindowAttributes(x.c, w).Reply()
			if err != nil || a.MapState != xproto.MapStateViewable {
				continue
			}
			p, err := xproto.GetProperty(x.c, false, w, xproto.AtomWmName, xproto.GetPropertyTypeAny, 0, 256).Reply()
			if err == nil && string(p.Value) == title {
				return w, nil
			}
		}
		select {
		case <-ctx.Done():
			return 0, fmt.Errorf("no window titled %q: %w", title, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// gone waits until no viewable window is titled title.
func (x *xscreen) gone(ctx context.Context, title string) error {
	for {
		c, cancel := context.WithTimeout(ctx, time.Millisecond)
		_, err := x.findWindow(c, title)
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				return fmt.Errorf("window %q still shown: %w", title, ctx.Err())
			}
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("window %q still shown: %w", title, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// place moves and sizes a window, as xdotool windowmove/windowsize do.
func (x *xscreen) place(w xproto.Window, r image.Rectangle) error {
	return xproto.ConfigureWindowChecked(x.c, w,
		xproto.ConfigWindowX|xproto.ConfigWindowY|xproto.ConfigWindowWidth|xproto.ConfigWindowHeight,
		[]uint32{uint32(r.Min.X), uint32(r.Min.Y), uint32(r.Dx()), uint32(r.Dy())}).Check()
}

// move moves a window without waiting for the server's answer, so a
// workload's pace is its own.
func (x *xscreen) move(w xproto.Window, px, py int) {
	xproto.ConfigureWindow(x.c, w, xproto.ConfigWindowX|xproto.ConfigWindowY, []uint32{uint32(int32(px)), uint32(int32(py))})
}

// pointer warps the pointer to (px, py): with no window manager the
// keyboard focus follows the pointer (PointerRoot), so this is what points
// xdotool's keys at a window.
func (x *xscreen) pointer(px, py int) error {
	return xproto.WarpPointerChecked(x.c, 0, x.root, 0, 0, 0, 0, int16(px), int16(py)).Check()
}

// focusPointer gives the keyboard focus back to "whatever is under the
// pointer", the X server's default, in case a program took it.
func (x *xscreen) focusPointer() error {
	return xproto.SetInputFocusChecked(x.c, xproto.InputFocusPointerRoot, xproto.InputFocusPointerRoot, xproto.TimeCurrentTime).Check()
}

// background paints the root window one colour: Xvfb's default weave
// would make every exposed pixel a worst case for the codecs.
func (x *xscreen) background(rgb uint32) error {
	if err := xproto.ChangeWindowAttributesChecked(x.c, x.root, xproto.CwBackPixel, []uint32{rgb}).Check(); err != nil {
		return err
	}
	return xproto.ClearAreaChecked(x.c, false, x.root, 0, 0, 0, 0).Check()
}
