// Package input injects the engineer's mouse and keyboard into the
// customer's session: XTest on X11, SendInput on Windows. Key events carry
// both the DOM key and code; printable keys are typed as the character the
// engineer's layout produced, named keys are mapped from their code.
package input

import (
	"errors"
	"unicode"
	"unicode/utf8"

	"tether/server/protocol"
)

// ErrUnsupported is returned by Open where no injection backend exists.
var ErrUnsupported = errors.New("input: not supported on this platform")

// Injector injects input into the customer's session.
type Injector interface {
	MouseMove(x, y int) error
	MouseButton(b protocol.Button, down bool) error
	// Wheel scrolls by protocol.WheelNotch units per detent; positive dy
	// scrolls down, positive dx right.
	Wheel(dx, dy int) error
	// Key presses or releases k, using k.Key (DOM KeyboardEvent.key) and
	// k.Code (KeyboardEvent.code).
	Key(k protocol.Key) error
	// ReleaseAll releases every key and button this injector holds down
	// (on stop, or when the customer switches to view only).
	ReleaseAll() error
	Close() error
}

// maxWheelClicks bounds the clicks one Wheel call may emit, so a bogus
// delta cannot flood the session.
const maxWheelClicks = 50

// printable returns the single printable character a DOM key value names,
// if it is one ("é", "A", " "), as opposed to a named key ("Enter").
func printable(key string) (rune, bool) {
	r, n := utf8.DecodeRuneInString(key)
	if n == 0 || n != len(key) || r == utf8.RuneError || !unicode.IsPrint(r) {
		return 0, false
	}
	return r, true
}

// composedOnSpace reports whether k is a character composed on the space
// bar rather than a space: a dead key followed by Space types the accent
// itself (key "^", "`" or "´" on code "Space"), which must be typed as
// that character, not as the space bar its code names.
func composedOnSpace(k protocol.Key) bool {
	r, ok := printable(k.Key)
	return k.Code == "Space" && ok && r != ' '
}

// isShortcut reports whether a key with mods held is a shortcut (Ctrl+C)
// rather than text. AltGr typing on Windows reports Ctrl+Alt too, so AltGr
// wins.
func isShortcut(mods uint8) bool {
	return mods&(protocol.ModCtrl|protocol.ModAlt|protocol.ModMeta) != 0 && mods&protocol.ModAltGr == 0
}

// heldID names a held key: its physical code, or the key for events from
// virtual keyboards that have none.
func heldID(k protocol.Key) string {
	if k.Code != "" {
		return k.Code
	}
	return "key:" + k.Key
}

// wheelAccum turns Wheel deltas into whole clicks, keeping remainders so
// smooth-scrolling touchpads (a few units per event) still scroll.
type wheelAccum struct{ x, y int }

// add returns the clicks to emit on each axis (negative: up/left).
func (a *wheelAccum) add(dx, dy int) (cx, cy int) {
	step := func(acc *int, d int) int {
		*acc += d
		n := *acc / protocol.WheelNotch
		*acc -= n * protocol.WheelNotch
		return max(-maxWheelClicks, min(maxWheelClicks, n))
	}
	return step(&a.x, dx), step(&a.y, dy)
}
