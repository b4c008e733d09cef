// Package desktop lists the customer's application windows and tells where
// one is, what covers it and whether it has the keyboard, so that the
// session can share one window only, black out windows the customer hides,
// and drop input outside the shared window. X11 (through the X protocol:
// _NET_CLIENT_LIST, _NET_WM_NAME and WM_NAME, the stacking order of the
// root's children) and Windows (EnumWindows, GetWindowText) are supported.
package desktop

import (
	"errors"
	"image"
)

// ErrUnsupported is returned by Open where windows cannot be listed.
var ErrUnsupported = errors.New("desktop: windows cannot be listed on this platform")

// ErrGone is returned for a window that no longer exists or is not shown.
var ErrGone = errors.New("desktop: the window is gone")

// ID names a top-level window for as long as it exists.
type ID uint64

// Window is one application window on the screen.
type Window struct {
	ID    ID     `json:"id"`
	Title string `json:"title"`
	// Rect is where it is on the screen, frame included, in the pixels of
	// the captured screen.
	Rect image.Rectangle `json:"-"`
}

// Layout is where a window is now and what covers it.
type Layout struct {
	Rect image.Rectangle
	// Above are the screen areas of the windows stacked above it (menus
	// and tooltips included), which hide parts of it.
	Above []image.Rectangle
}

// Desktop reads the customer's windows. Its methods may be called from
// several goroutines.
type Desktop interface {
	// List returns the shown, titled top-level windows, top-most first.
	List() ([]Window, error)
	// Layout tells where id is now and what covers it; ErrGone when it
	// was closed or hidden.
	Layout(id ID) (Layout, error)
	// Focused reports whether id (or a window inside it) has the keyboard.
	Focused(id ID) (bool, error)
	// Ignore leaves id out of every answer: the agent's own overlay,
	// which shows only the engineer's strokes and takes no input, covers
	// nothing.
	Ignore(id ID)
	Close() error
}

// Open connects to the customer's desktop.
func Open() (Desktop, error) { return open() }
