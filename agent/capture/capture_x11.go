//go:build linux

package capture

import (
	"errors"
	"fmt"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/shm"
	"github.com/jezek/xgb/xfixes"
	"github.com/jezek/xgb/xproto"
)

// x11 captures the default screen's root window over one connection kept
// for the whole session: opening a connection and a shared-memory segment
// per frame (as kbinani/screenshot does) costs tens of milliseconds.
type x11 struct {
	conn   *xgb.Conn
	root   xproto.Window
	depth  byte
	w, h   int
	seg    *segment // nil when MIT-SHM is unavailable (remote display)
	xfixes bool

	frame      Frame
	plain      []byte // GetImage buffer when SHM is unavailable
	lastSerial uint32
	sentShape  bool
}

// Open connects to the X server on $DISPLAY.
func Open() (Capturer, error) { return openX11("") }

// openX11 connects to display ("" for $DISPLAY).
func openX11(display string) (*x11, error) {
	c, err := xgb.NewConnDisplay(display)
	if err != nil {
		return nil, fmt.Errorf("capture: connect to X: %w", err)
	}
	screen := xproto.Setup(c).DefaultScreen(c)
	x := &x11{conn: c, root: screen.Root, depth: screen.RootDepth}
	if x.depth != 24 && x.depth != 32 {
		c.Close()
		return nil, fmt.Errorf("%w: root depth %d (need 24 or 32)", ErrUnsupported, x.depth)
	}
	// Root ConfigureNotify tells us when RandR resizes the screen, without a
	// round trip per frame.
	err = xproto.ChangeWindowAttributesChecked(c, x.root, xproto.CwEventMask,
		[]uint32{xproto.EventMaskStructureNotify}).Check()
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("capture: watch root window: %w", err)
	}
	if err := x.querySize(); err != nil {
		c.Close()
		return nil, err
	}
	if shm.Init(c) == nil {
		if _, err := shm.QueryVersion(c).Reply(); err == nil {
			x.seg, _ = newSegment(c, x.w*x.h*4) // nil: fall back to GetImage
		}
	}
	if xfixes.Init(c) == nil {
		_, err := xfixes.QueryVersion(c, 4, 0).Reply()
		x.xfixes = err == nil
	}
	return x, nil
}

func (x *x11) querySize() error {
	g, err := xproto.GetGeometry(x.conn, xproto.Drawable(x.root)).Reply()
	if err != nil {
		return fmt.Errorf("capture: root geometry: %w", err)
	}
	x.w, x.h = int(g.Width), int(g.Height)
	return nil
}

// drainEvents applies root resizes reported since the last frame.
func (x *x11) drainEvents() {
	for {
		ev, xerr := x.conn.PollForEvent()
		if ev == nil && xerr == nil {
			return
		}
		if cn, ok := ev.(xproto.ConfigureNotifyEvent); ok && cn.Window == x.root {
			x.w, x.h = int(cn.Width), int(cn.Height)
		}
	}
}

// Capture grabs the whole root window.
func (x *x11) Capture() (*Frame, error) {
	x.drainEvents()
	f, err := x.grab()
	if err != nil {
		// The screen may have shrunk between the resize and its event.
		if qerr := x.querySize(); qerr != nil {
			return nil, errors.Join(err, qerr)
		}
		f, err = x.grab()
	}
	return f, err
}

func (x *x11) grab() (*Frame, error) {
	w, h := x.w, x.h
	size := w * h * 4
	if x.seg != nil && size > len(x.seg.mem) {
		if err := x.seg.close(x.conn); err != nil {
			return nil, err
		}
		seg, err := newSegment(x.conn, size)
		if err != nil {
			return nil, err
		}
		x.seg = seg
	}
	if x.seg != nil {
		_, err := shm.GetImage(x.conn, xproto.Drawable(x.root), 0, 0, uint16(w), uint16(h),
			0xffffffff, xproto.ImageFormatZPixmap, x.seg.id, 0).Reply()
		if err != nil {
			return nil, fmt.Errorf("capture: shm get image %dx%d: %w", w, h, err)
		}
		x.frame = Frame{Width: w, Height: h, Stride: w * 4, Pix: x.seg.mem[:size]}
		return &x.frame, nil
	}
	return x.grabPlain(w, h)
}

// grabPlain reads the image through the socket, in bands so no reply
// exceeds the core protocol's 32-bit length limits on large screens.
func (x *x11) grabPlain(w, h int) (*Frame, error) {
	size := w * h * 4
	// Its own buffer: frame.Pix may still point into a freed SHM segment.
	if cap(x.plain) < size {
		x.plain = make([]byte, size)
	}
	pix := x.plain[:size]
	band := max(1, (16<<20)/(w*4))
	for y := 0; y < h; y += band {
		n := min(band, h-y)
		r, err := xproto.GetImage(x.conn, xproto.ImageFormatZPixmap, xproto.Drawable(x.root),
			0, int16(y), uint16(w), uint16(n), 0xffffffff).Reply()
		if err != nil {
			return nil, fmt.Errorf("capture: get image %dx%d: %w", w, n, err)
		}
		if len(r.Data) < w*n*4 {
			return nil, fmt.Errorf("capture: get image returned %d bytes for %dx%d", len(r.Data), w, n)
		}
		copy(pix[y*w*4:], r.Data[:w*n*4])
	}
	x.frame = Frame{Width: w, Height: h, Stride: w * 4, Pix: pix}
	return &x.frame, nil
}

// Cursor reads the pointer position and image with XFixes. Without XFixes
// it reports the position only, with no image.
func (x *x11) Cursor() (Cursor, error) {
	if !x.xfixes {
		p, err := xproto.QueryPointer(x.conn, x.root).Reply()
		if err != nil {
			return Cursor{}, fmt.Errorf("capture: query pointer: %w", err)
		}
		return Cursor{X: int(p.RootX), Y: int(p.RootY), Visible: p.SameScreen}, nil
	}
	r, err := xfixes.GetCursorImage(x.conn).Reply()
	if err != nil {
		return Cursor{}, fmt.Errorf("capture: cursor image: %w", err)
	}
	rgba, w, h, hx, hy := argbToRGBA(r.CursorImage, int(r.Width), int(r.Height), int(r.Xhot), int(r.Yhot))
	c := Cursor{
		X: int(r.X), Y: int(r.Y), Visible: anyOpaque(rgba), Serial: r.CursorSerial,
		HotX: hx, HotY: hy, W: w, H: h,
	}
	if !x.sentShape || r.CursorSerial != x.lastSerial {
		c.RGBA = rgba
		x.sentShape, x.lastSerial = true, r.CursorSerial
	}
	return c, nil
}

// Close frees the shared-memory segment and the connection.
func (x *x11) Close() error {
	var err error
	if x.seg != nil {
		err = x.seg.close(x.conn)
		x.seg = nil
	}
	x.conn.Close()
	return err
}
