//go:build linux

package capture

import (
	"errors"
	"fmt"
	"image"
	"sync"
	"time"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/damage"
	"github.com/jezek/xgb/shm"
	"github.com/jezek/xgb/xfixes"
	"github.com/jezek/xgb/xproto"
)

// auditEvery is how often Capture grabs the whole screen although DAMAGE
// reported only part of it, to check that DAMAGE misses nothing: with some
// compositing window managers and drivers it does (x11vnc warns of
// compiz; TigerVNC issue 1838 with NVIDIA), and a screen that silently
// stops updating is worse than polling.
const auditEvery = 2 * time.Second

// x11 captures the default screen's root window over one connection kept
// for the whole session: opening a connection and a shared-memory segment
// per frame (as kbinani/screenshot does) costs tens of milliseconds.
//
// With the DAMAGE extension it learns which areas changed: Capture takes
// the damage accumulated since the last Capture, grabs only the rows it
// covers into the persistent frame buffer, and reports it in Frame.Damage.
// A goroutine reads the connection's events (damage, pointer image, window
// and screen geometry) and signals Changed.
type x11 struct {
	conn         *xgb.Conn
	root         xproto.Window
	depth        byte
	seg          *segment // nil when MIT-SHM is unavailable (remote display)
	xfixes       bool
	cursorEvents bool // XFixes reports pointer image changes

	// Owned by Capture.
	rootW     int
	rootH     int
	area      image.Rectangle // the part of the root captured: a display, or all of it
	w, h      int             // area's size
	damage    damage.Damage   // 0 without DAMAGE, or once it proved incomplete
	region    xfixes.Region   // receives the damage each Capture takes
	synced    []byte          // the buffer holding the whole screen as of the last Capture; nil if none
	lastAudit time.Time
	suspect   []span // rows the last audit found changed without damage
	frame     Frame
	plain     []byte // GetImage buffer when SHM is unavailable
	audit     []byte // the frame buffer before an audit's grab
	rects     []image.Rectangle
	moves     []Move
	spans     []span
	cookies   []shm.GetImageCookie

	// Owned by Cursor.
	last       Cursor // the last pointer image read, without its pixels
	lastSerial uint32
	sentShape  bool
	shapeStale bool // an image change was heard and not read yet

	changed    chan struct{}
	readerDone chan struct{}

	// areaMu guards want, the area SetArea asked for; Capture fits it to
	// the root window.
	areaMu sync.Mutex
	want   image.Rectangle

	exts displayExts

	// evMu guards heard, shared by the event reader with Capture and Cursor.
	evMu  sync.Mutex
	heard heard
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
	x := &x11{
		conn: c, root: screen.Root, depth: screen.RootDepth,
		changed:    make(chan struct{}, 1),
		readerDone: make(chan struct{}),
		heard:      heard{windows: make(map[xproto.Window]topLevel)},
		rects:      make([]image.Rectangle, 0, 16),
	}
	if x.depth != 24 && x.depth != 32 {
		c.Close()
		return nil, fmt.Errorf("%w: root depth %d (need 24 or 32)", ErrUnsupported, x.depth)
	}
	// Root ConfigureNotify tells when RandR resizes the screen, without a
	// round trip per frame; its children's tell when windows move.
	err = xproto.ChangeWindowAttributesChecked(c, x.root, xproto.CwEventMask,
		[]uint32{xproto.EventMaskStructureNotify | xproto.EventMaskSubstructureNotify}).Check()
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
			x.seg, _ = newSegment(c, x.rootW*x.rootH*4) // nil: fall back to GetImage
		}
	}
	if xfixes.Init(c) == nil {
		_, err := xfixes.QueryVersion(c, 4, 0).Reply()
		x.xfixes = err == nil
	}
	if x.xfixes {
		x.cursorEvents = xfixes.SelectCursorInputChecked(c, x.root, xfixes.CursorNotifyMaskDisplayCursor).Check() == nil
		x.watchDamage()
	}
	if err := x.watchTopLevels(); err != nil {
		c.Close()
		return nil, fmt.Errorf("capture: list windows: %w", err)
	}
	if x.damage == 0 {
		x.quietLocked() // the reader is not running yet
	}
	go x.readEvents()
	return x, nil
}

// watchDamage starts tracking damage to the root window and its
// descendants. The NonEmpty level sends one event when damage appears
// after Capture took it all, not one per drawing. Without DAMAGE (an old
// or remote server) x.damage stays 0 and Capture grabs everything: a
// complete fallback, so the reason is not kept.
func (x *x11) watchDamage() {
	if damage.Init(x.conn) != nil {
		return
	}
	if _, err := damage.QueryVersion(x.conn, 1, 1).Reply(); err != nil {
		return
	}
	region, err := xfixes.NewRegionId(x.conn)
	if err != nil || xfixes.CreateRegionChecked(x.conn, region, nil).Check() != nil {
		return
	}
	d, err := damage.NewDamageId(x.conn)
	if err != nil || damage.CreateChecked(x.conn, d, xproto.Drawable(x.root), damage.ReportLevelNonEmpty).Check() != nil {
		return
	}
	x.damage, x.region = d, region
}

func (x *x11) querySize() error {
	g, err := xproto.GetGeometry(x.conn, xproto.Drawable(x.root)).Reply()
	if err != nil {
		return fmt.Errorf("capture: root geometry: %w", err)
	}
	x.rootW, x.rootH = int(g.Width), int(g.Height)
	x.fitArea()
	return nil
}

// SetArea implements Areas. It is safe from any goroutine: the next
// Capture takes it.
func (x *x11) SetArea(r image.Rectangle) {
	x.areaMu.Lock()
	x.want = r.Canon()
	x.areaMu.Unlock()
	x.evMu.Lock()
	x.notifyLocked() // capture the new area now, not at the next change
	x.evMu.Unlock()
}

// fitArea makes the captured area the wanted one within the root window,
// or the whole root when none is wanted or it lies outside. A new area
// starts over with a whole grab.
func (x *x11) fitArea() {
	root := image.Rect(0, 0, x.rootW, x.rootH)
	x.areaMu.Lock()
	a := x.want.Intersect(root)
	x.areaMu.Unlock()
	if a.Empty() {
		a = root
	}
	if a != x.area {
		x.area, x.w, x.h = a, a.Dx(), a.Dy()
		x.synced = nil
	}
}

// Capture grabs what changed of the captured area of the root window
// since the last Capture (all of it the first time, and after the area
// changed).
func (x *x11) Capture() (*Frame, error) {
	n, moves := x.takeNews(x.moves[:0], x.area)
	x.moves = moves
	if n.resized && (n.w != x.rootW || n.h != x.rootH) {
		x.rootW, x.rootH = n.w, n.h
		x.synced = nil
	}
	x.fitArea() // a new area is grabbed whole: the moves go unused
	if n.lost {
		x.synced = nil
	}
	f, err := x.grab(moves)
	if err != nil {
		// The screen may have shrunk between the resize and its event.
		if qerr := x.querySize(); qerr != nil {
			return nil, errors.Join(err, qerr)
		}
		f, err = x.grab(nil)
	}
	return f, err
}

// grab brings the frame buffer up to date. moves are the windows that moved
// since the last Capture.
func (x *x11) grab(moves []Move) (*Frame, error) {
	w, h := x.w, x.h
	buf := x.buffer(w * h * 4)
	synced := x.synced != nil && len(x.synced) == len(buf) && &x.synced[0] == &buf[0]
	x.synced = nil // until this grab succeeds
	x.frame = Frame{Width: w, Height: h, Stride: w * 4, Pix: buf, Origin: x.area.Min}
	whole := []span{{0, h}}
	if x.damage == 0 {
		if err := x.grabSpans(buf, whole); err != nil {
			return nil, err
		}
		if synced {
			x.frame.Moves = moves
		}
		x.synced = buf
		return &x.frame, nil
	}

	// Take the damage before grabbing: whatever is drawn from now on is
	// reported next time, even if this grab already shows it.
	sub := damage.SubtractChecked(x.conn, x.damage, 0, x.region)
	fetch := xfixes.FetchRegion(x.conn, x.region)
	if !synced {
		// Nothing to compare with: the whole screen, in the same round trip.
		err := x.grabSpans(buf, whole)
		_, ferr := fetch.Reply()
		if err = errors.Join(err, tookDamage(ferr, sub.Check())); err != nil {
			return nil, err
		}
		x.synced, x.lastAudit, x.suspect = buf, time.Now(), x.suspect[:0]
		return &x.frame, nil
	}
	r, err := fetch.Reply()
	if err = tookDamage(err, sub.Check()); err != nil {
		return nil, err
	}
	x.rects = clipRects(x.rects[:0], r.Rectangles, x.area)
	x.spans = rowSpans(x.spans[:0], x.rects)

	if len(x.suspect) > 0 && !covered(x.suspect, x.spans) {
		// The last audit saw rows change that DAMAGE did not report then,
		// nor since: it misses changes on this screen. Poll instead.
		x.stopDamage()
		if err := x.grabSpans(buf, whole); err != nil {
			return nil, err
		}
		x.synced = buf
		return &x.frame, nil
	}
	x.suspect = x.suspect[:0]
	if time.Since(x.lastAudit) >= auditEvery {
		if err := x.auditGrab(buf); err != nil {
			return nil, err
		}
	} else if err := x.grabSpans(buf, x.spans); err != nil {
		return nil, err
	}
	x.synced = buf
	x.frame.Damage, x.frame.Moves = x.rects, moves
	return &x.frame, nil
}

// tookDamage wraps the errors of taking the damage, if any.
func tookDamage(fetchErr, subtractErr error) error {
	if err := errors.Join(fetchErr, subtractErr); err != nil {
		return fmt.Errorf("capture: take damage: %w", err)
	}
	return nil
}

// buffer returns the frame buffer for size bytes: the shared-memory
// segment, or the GetImage buffer without one.
func (x *x11) buffer(size int) []byte {
	if x.seg != nil && size > len(x.seg.mem) {
		// Grown screen. Without a new segment, GetImage still works. A new
		// segment may be mapped where the old one was: forget what it held.
		x.synced = nil
		_ = x.seg.close(x.conn) // the connection is what fails; the grab will tell
		x.seg, _ = newSegment(x.conn, size)
	}
	if x.seg != nil {
		return x.seg.mem[:size]
	}
	// Its own buffer: frame.Pix may still point into a freed SHM segment.
	if cap(x.plain) < size {
		x.plain = make([]byte, size)
	}
	return x.plain[:size]
}

// grabSpans reads full-width bands of rows of the screen into the same
// rows of buf. With SHM each band lands at its offset in the segment, all
// requests in one round trip.
func (x *x11) grabSpans(buf []byte, spans []span) error {
	w := x.w
	if x.seg == nil {
		for _, s := range spans {
			if err := x.grabPlain(buf, s); err != nil {
				return err
			}
		}
		return nil
	}
	x.cookies = x.cookies[:0]
	for _, s := range spans {
		x.cookies = append(x.cookies, shm.GetImage(x.conn, xproto.Drawable(x.root), int16(x.area.Min.X), int16(x.area.Min.Y+s.y0),
			uint16(w), uint16(s.y1-s.y0), 0xffffffff, xproto.ImageFormatZPixmap, x.seg.id, uint32(s.y0*w*4)))
	}
	var err error
	for i, c := range x.cookies {
		if _, rerr := c.Reply(); rerr != nil && err == nil {
			err = fmt.Errorf("capture: shm get image %dx%d at row %d: %w", w, spans[i].y1-spans[i].y0, spans[i].y0, rerr)
		}
	}
	return err
}

// grabPlain reads rows through the socket, in bands so no reply exceeds
// the core protocol's 32-bit length limits on large screens.
func (x *x11) grabPlain(pix []byte, s span) error {
	w := x.w
	band := max(1, (16<<20)/(w*4))
	for y := s.y0; y < s.y1; y += band {
		n := min(band, s.y1-y)
		r, err := xproto.GetImage(x.conn, xproto.ImageFormatZPixmap, xproto.Drawable(x.root),
			int16(x.area.Min.X), int16(x.area.Min.Y+y), uint16(w), uint16(n), 0xffffffff).Reply()
		if err != nil {
			return fmt.Errorf("capture: get image %dx%d: %w", w, n, err)
		}
		if len(r.Data) < w*n*4 {
			return fmt.Errorf("capture: get image returned %d bytes for %dx%d", len(r.Data), w, n)
		}
		copy(pix[y*w*4:], r.Data[:w*n*4])
	}
	return nil
}

// Cursor reads the pointer position and image with XFixes. Without XFixes
// it reports the position only, with no image. While XFixes reports image
// changes, an unchanged image costs a QueryPointer, not the image.
func (x *x11) Cursor() (Cursor, error) {
	if x.xfixes {
		x.evMu.Lock()
		x.shapeStale = x.shapeStale || x.heard.cursor
		x.heard.cursor = false
		x.evMu.Unlock()
	}
	if !x.xfixes || (x.cursorEvents && x.sentShape && !x.shapeStale) {
		p, err := xproto.QueryPointer(x.conn, x.root).Reply()
		if err != nil {
			return Cursor{}, fmt.Errorf("capture: query pointer: %w", err)
		}
		if !x.xfixes {
			return Cursor{X: int(p.RootX), Y: int(p.RootY), Visible: p.SameScreen}, nil
		}
		c := x.last
		c.X, c.Y = int(p.RootX), int(p.RootY)
		return c, nil
	}
	r, err := xfixes.GetCursorImage(x.conn).Reply()
	if err != nil {
		return Cursor{}, fmt.Errorf("capture: cursor image: %w", err)
	}
	x.shapeStale = false
	rgba, w, h, hx, hy := argbToRGBA(r.CursorImage, int(r.Width), int(r.Height), int(r.Xhot), int(r.Yhot))
	c := Cursor{
		X: int(r.X), Y: int(r.Y), Visible: anyOpaque(rgba), Serial: r.CursorSerial,
		HotX: hx, HotY: hy, W: w, H: h,
	}
	x.last = c
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
	<-x.readerDone
	return err
}
