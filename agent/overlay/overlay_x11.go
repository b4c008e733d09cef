//go:build linux

package overlay

import (
	"fmt"
	"image"
	"io"
	"log"
	"sync"
	"time"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/shape"
	"github.com/jezek/xgb/xproto"
)

// Color is the strokes' colour (0xRRGGBB): a red that shows on light and
// dark screens alike.
const Color = 0xE5322D

// Overlay is one override-redirect window on the X display, as large as
// the screen, whose bounding shape is the strokes (so only they show) and
// whose input shape is empty (so it never takes a click). It is mapped
// while strokes are shown.
type Overlay struct {
	mu     sync.Mutex
	conn   *xgb.Conn
	win    xproto.Window
	mapped bool
	s      strokes
	timer  *time.Timer
	closed bool
}

var quietXGB sync.Once

// Open connects to $DISPLAY and prepares the (unmapped) overlay window.
func Open() (*Overlay, error) { return open("") }

func open(display string) (*Overlay, error) {
	quietXGB.Do(func() { xgb.Logger = log.New(io.Discard, "", 0) })
	c, err := xgb.NewConnDisplay(display)
	if err != nil {
		return nil, fmt.Errorf("overlay: connect to X: %w", err)
	}
	if err := shape.Init(c); err != nil {
		c.Close()
		return nil, fmt.Errorf("%w: no SHAPE extension: %w", ErrUnsupported, err)
	}
	s := xproto.Setup(c).DefaultScreen(c)
	win, err := xproto.NewWindowId(c)
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("overlay: window id: %w", err)
	}
	err = xproto.CreateWindowChecked(c, s.RootDepth, win, s.Root, 0, 0, s.WidthInPixels, s.HeightInPixels, 0,
		xproto.WindowClassInputOutput, s.RootVisual, xproto.CwBackPixel|xproto.CwOverrideRedirect,
		[]uint32{Color, 1}).Check()
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("overlay: create window: %w", err)
	}
	o := &Overlay{conn: c, win: win}
	// No input shape: every click and scroll passes through to the
	// windows below; override-redirect windows never get the focus.
	if err := shape.RectanglesChecked(c, shape.SoSet, shape.SkInput, xproto.ClipOrderingUnsorted, win, 0, 0, nil).Check(); err != nil {
		c.Close()
		return nil, fmt.Errorf("overlay: input shape: %w", err)
	}
	if err := o.reshapeLocked(); err != nil {
		c.Close()
		return nil, err
	}
	return o, nil
}

// Window is the overlay's X window id.
func (o *Overlay) Window() uint32 { return uint32(o.win) }

// Draw adds pts (screen pixels) to stroke id and shows it on top of every
// window; end needs nothing more: the stroke fades Life after its last
// point either way.
func (o *Overlay) Draw(id uint16, pts []image.Point, end bool) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		return fmt.Errorf("overlay: closed")
	}
	if len(pts) == 0 {
		return nil
	}
	now := time.Now()
	o.s.draw(id, pts, now)
	o.s.prune(now)
	if err := o.reshapeLocked(); err != nil {
		return err
	}
	if !o.mapped {
		if err := xproto.MapWindowChecked(o.conn, o.win).Check(); err != nil {
			return fmt.Errorf("overlay: map: %w", err)
		}
		o.mapped = true
	}
	// Stay above windows mapped since.
	xproto.ConfigureWindow(o.conn, o.win, xproto.ConfigWindowStackMode, []uint32{xproto.StackModeAbove})
	o.scheduleLocked(now)
	return nil
}

// Clear removes every stroke now.
func (o *Overlay) Clear() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.s.list = nil
	return o.updateLocked()
}

func (o *Overlay) scheduleLocked(now time.Time) {
	_, next := o.s.prune(now)
	if next.IsZero() {
		return
	}
	if o.timer != nil {
		o.timer.Stop()
	}
	o.timer = time.AfterFunc(next.Sub(now), o.expire)
}

func (o *Overlay) expire() {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		return
	}
	now := time.Now()
	if dropped, _ := o.s.prune(now); dropped {
		_ = o.updateLocked() // the next Draw reports a broken connection
	}
	o.scheduleLocked(now)
}

// updateLocked reshapes to the strokes left and unmaps when none is.
func (o *Overlay) updateLocked() error {
	if len(o.s.list) == 0 && o.mapped {
		o.mapped = false
		if err := xproto.UnmapWindowChecked(o.conn, o.win).Check(); err != nil {
			return fmt.Errorf("overlay: unmap: %w", err)
		}
	}
	return o.reshapeLocked()
}

func (o *Overlay) reshapeLocked() error {
	rs := o.s.rects()
	xr := make([]xproto.Rectangle, 0, len(rs))
	for _, r := range rs {
		r = r.Canon()
		if r.Min.X < -0x8000 || r.Min.Y < -0x8000 || r.Max.X > 0x7fff || r.Max.Y > 0x7fff {
			continue
		}
		xr = append(xr, xproto.Rectangle{X: int16(r.Min.X), Y: int16(r.Min.Y), Width: uint16(r.Dx()), Height: uint16(r.Dy())})
	}
	if err := shape.RectanglesChecked(o.conn, shape.SoSet, shape.SkBounding, xproto.ClipOrderingUnsorted, o.win, 0, 0, xr).Check(); err != nil {
		return fmt.Errorf("overlay: shape: %w", err)
	}
	return nil
}

// Close removes the overlay.
func (o *Overlay) Close() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		return nil
	}
	o.closed = true
	if o.timer != nil {
		o.timer.Stop()
	}
	xproto.DestroyWindow(o.conn, o.win)
	o.conn.Close()
	return nil
}
