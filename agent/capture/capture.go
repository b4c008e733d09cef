// Package capture reads the customer's screen and pointer: X11 (MIT-SHM on
// one persistent connection) on Linux, GDI on Windows.
package capture

import (
	"errors"
	"image"
)

// ErrUnsupported is returned by Open where no capture backend exists.
var ErrUnsupported = errors.New("capture: not supported on this platform")

// Frame is one screen image: BGRA byte order (B, G, R, X per pixel, the
// order X11 ZPixmap depth 24/32 and Windows GDI give), rows top to bottom.
// Pix, Damage and Moves are valid until the next Capture or Close call.
type Frame struct {
	Width, Height, Stride int
	Pix                   []byte
	// Origin is where the frame's top left pixel is on the desktop (see
	// Areas): 0,0 unless a part of the desktop is captured.
	Origin image.Point
	// Damage lists the screen areas that may have changed since the previous
	// Capture; nil means unknown (compare everything). An empty non-nil slice
	// means nothing changed.
	Damage []image.Rectangle
	// Moves are windows the platform saw move since the previous Capture:
	// the pixels of Src may now be at Dst (a hint; verify before use).
	Moves []Move
}

// Move is a window the platform saw move: its pixels that were at Src (on
// screen) before may now be at the rectangle of Src's size at Dst.
type Move struct {
	Src image.Rectangle
	Dst image.Point
}

// Cursor is the pointer's position and image.
type Cursor struct {
	X, Y    int // pointer position (hot spot) in desktop coordinates, whatever area is captured
	Visible bool
	Serial  uint32 // changes whenever the image changes
	HotX    int
	HotY    int
	W, H    int
	RGBA    []byte // straight-alpha RGBA, W*H*4; nil if unchanged since the last call
}

// Capturer captures one screen. It is not safe for concurrent use.
type Capturer interface {
	Capture() (*Frame, error)
	Cursor() (Cursor, error)
	Close() error
}

// Notifier is implemented by a Capturer that hears from the platform when
// the screen or the pointer image changes (X11 with DAMAGE), so its user
// can sleep instead of polling.
type Notifier interface {
	// Changed receives a value when the screen or the pointer image may
	// have changed since the last Capture; one value stands for any number
	// of changes. It is safe to call from any goroutine. The channel is
	// closed when the Capturer can no longer tell (closed, or the platform's
	// reports proved incomplete): poll from then on.
	Changed() <-chan struct{}
}

// Display is one monitor of the desktop.
type Display struct {
	// Bounds is the monitor's rectangle in desktop coordinates: the X11
	// root window's, or Windows' virtual screen's (the primary monitor at
	// 0,0; others may lie at negative coordinates).
	Bounds  image.Rectangle
	Primary bool
	// Name is the platform's name for it ("DP-1", `\\.\DISPLAY2`), or "".
	Name string
}

// Areas is implemented by a Capturer that knows the desktop's displays and
// can capture one part of the desktop: one display, or all of them.
type Areas interface {
	// Displays lists the monitors, as the platform orders them. There is
	// always at least one. It is safe to call from any goroutine.
	Displays() ([]Display, error)
	// SetArea makes the following Captures cover r, in desktop
	// coordinates, within the desktop; the empty rectangle (or one outside
	// the desktop) means the default: the whole X11 root window, Windows'
	// primary monitor. Frame.Origin tells where each frame is. It is safe
	// to call from any goroutine; the next Capture takes it.
	SetArea(r image.Rectangle)
}
