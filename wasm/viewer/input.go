package viewer

import (
	"time"

	"tether/server/protocol"
)

// moveEvery bounds mouse moves to about one per display frame: enough for
// smooth pointer motion, without flooding the input channel at the
// 1000 Hz some mice report.
const moveEvery = 8 * time.Millisecond

// inputState is the owner goroutine's input bookkeeping.
type inputState struct {
	held       heldKeys
	buttons    uint8 // bit per protocol.Button sent down
	x, y       uint16
	wheel      WheelAccumulator
	pending    *protocol.MouseMove
	lastMove   time.Time
	timerArmed bool
	// parked is the paste shortcut's key-down while it waits for the
	// page's paste event (clipboard.go); parkGen tells its timer apart.
	parked  *protocol.Key
	parkGen int
}

func (s *inputState) reset() {
	s.held.releaseAll()
	s.parked = nil
	s.buttons = 0
	s.pending = nil
	s.wheel.Reset()
}

// The methods below are the DOM's entry points. They may be called from JS
// callbacks: they only post to the owner goroutine. Input is dropped there
// unless the customer granted control.

// MouseMove reports the pointer at remote x, y.
func (v *Viewer) MouseMove(x, y uint16) { v.q.push(func() { v.onMove(x, y) }) }

// MouseButton reports a button press or release at remote x, y.
func (v *Viewer) MouseButton(b protocol.Button, down bool, x, y uint16) {
	v.q.push(func() { v.onButton(b, down, x, y) })
}

// Wheel reports a WheelEvent's deltas and deltaMode.
func (v *Viewer) Wheel(dx, dy float64, mode int) { v.q.push(func() { v.onWheel(dx, dy, mode) }) }

// Key reports a keydown (down) or keyup that IgnoreKey let through.
func (v *Viewer) Key(k protocol.Key) { v.q.push(func() { v.onKey(k) }) }

// Blur releases every held key and button: the canvas lost focus, so the
// matching keyup/mouseup will never reach it.
func (v *Viewer) Blur() { v.q.push(v.onBlur) }

// control: the customer allows the keyboard (full control).
func (v *Viewer) control() bool { return v.grants.Has(protocol.GrantControl) && !v.ended }

// pointer: the customer allows the mouse (limited control, or control,
// which implies it). With limited control only, the viewer sends pointer
// events and no keys.
func (v *Viewer) pointer() bool { return v.grants.Has(protocol.GrantLimited) && !v.ended }

func (v *Viewer) onMove(x, y uint16) {
	if !v.pointer() {
		return
	}
	v.in.x, v.in.y = x, y
	v.in.pending = &protocol.MouseMove{X: x, Y: y}
	wait := moveEvery - time.Since(v.in.lastMove)
	if wait <= 0 {
		v.flushMove()
		return
	}
	if !v.in.timerArmed {
		v.in.timerArmed = true
		time.AfterFunc(wait, func() {
			v.q.push(func() {
				v.in.timerArmed = false
				v.flushMove()
			})
		})
	}
}

func (v *Viewer) flushMove() {
	if v.in.pending == nil || !v.pointer() {
		return
	}
	m := v.in.pending
	v.in.pending = nil
	v.in.lastMove = time.Now()
	v.sendLogged(m)
}

func (v *Viewer) onButton(b protocol.Button, down bool, x, y uint16) {
	if !v.pointer() || b > protocol.ButtonForward {
		return
	}
	bit := uint8(1) << b
	if !down && v.in.buttons&bit == 0 {
		return // the press happened outside the canvas
	}
	v.flushMove()
	if down {
		v.in.buttons |= bit
	} else {
		v.in.buttons &^= bit
	}
	v.in.x, v.in.y = x, y
	v.sendLogged(&protocol.MouseButton{Button: b, Down: down, X: x, Y: y})
}

func (v *Viewer) onWheel(dx, dy float64, mode int) {
	if !v.pointer() {
		return
	}
	if w, ok := v.in.wheel.Add(dx, dy, mode); ok {
		v.flushMove()
		v.sendLogged(&w)
	}
}

func (v *Viewer) onKey(k protocol.Key) {
	if !v.control() || !v.in.held.track(k) {
		return
	}
	v.flushMove()
	v.flushPaste() // a held-back paste shortcut goes before any later key
	if v.parkPaste(k) {
		return
	}
	v.sendLogged(&k)
}

func (v *Viewer) onBlur() {
	if !v.pointer() {
		return
	}
	v.flushMove()
	v.flushPaste()
	for _, k := range v.in.held.releaseAll() {
		if v.control() {
			v.sendLogged(&k)
		}
	}
	for b := protocol.ButtonLeft; b <= protocol.ButtonForward; b++ {
		if v.in.buttons&(1<<b) != 0 {
			v.sendLogged(&protocol.MouseButton{Button: b, Down: false, X: v.in.x, Y: v.in.y})
		}
	}
	v.in.buttons = 0
	v.in.wheel.Reset()
}
