package session

import (
	"image"
	"log/slog"
	"sync"

	"tether/server/protocol"
)

// dispatcher hands the viewer's input to the Injector, but only within the
// customer's grants (the pointer needs limited control or control, keys
// need control; protocol.Type.Route): the agent enforces them itself,
// whatever the server relays. It is called from the viewer's receive
// goroutine and configured from the owner, hence the mutex.
type dispatcher struct {
	log   *slog.Logger
	scope *scoper // what the customer shares; nil: the whole screen

	mu     sync.Mutex
	inj    Injector // nil until control is first granted
	grants protocol.Grants
	paused bool // the customer paused: input is dropped whatever the grants
	// area is the part of the desktop the viewer is shown (one display, or
	// all): its coordinates are relative to it. Empty until the first frame.
	area image.Rectangle
	last *protocol.MouseMove // the last pointer position placed, in frame pixels

	injected, dropped, failed int
}

func (d *dispatcher) setInjector(inj Injector) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.inj = inj
}

// setGrants changes the grants. Losing control (or keeping only limited
// control) releases every key and button the engineer held, so none stays
// stuck down on the customer's machine.
func (d *dispatcher) setGrants(g protocol.Grants) {
	d.mu.Lock()
	defer d.mu.Unlock()
	lost := func(want protocol.Grants) bool { return d.grants.Has(want) && !g.Has(want) }
	if lost(protocol.GrantControl) || lost(protocol.GrantLimited) {
		d.releaseLocked()
	}
	d.grants = g
}

// setPaused drops input while the customer paused, releasing what the
// engineer held.
func (d *dispatcher) setPaused(paused bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if paused && !d.paused {
		d.releaseLocked()
	}
	d.paused = paused
}

// setArea is stream.Options.OnArea.
func (d *dispatcher) setArea(a image.Rectangle) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.area = a
}

// release lets go of everything held (the viewer left or the session ends).
func (d *dispatcher) release() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.releaseLocked()
}

func (d *dispatcher) releaseLocked() {
	if d.inj == nil {
		return
	}
	if err := d.inj.ReleaseAll(); err != nil {
		d.log.Warn("release input", "err", err)
	}
}

func (d *dispatcher) close() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.inj == nil {
		return
	}
	d.releaseLocked()
	if err := d.inj.Close(); err != nil {
		d.log.Info("close input", "err", err)
	}
	d.inj = nil
}

// counts returns how many input messages were injected, dropped (beyond
// the grants) and failed.
func (d *dispatcher) counts() (injected, dropped, failed int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.injected, d.dropped, d.failed
}

// handle performs one input message. Errors are logged and counted, not
// returned: one key the system refused should not end the session.
func (d *dispatcher) handle(m protocol.Message) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, need := m.Type().Route(); !d.grants.Has(need) || d.paused || d.inj == nil {
		d.dropped++
		return
	}
	var err error
	switch m := m.(type) {
	case *protocol.MouseMove:
		x, y, ok := d.place(m.X, m.Y)
		if !ok {
			d.dropped++
			return
		}
		err = d.inj.MouseMove(x, y)
	case *protocol.MouseButton:
		// The button happens where the viewer saw the pointer, even if a
		// move before it was coalesced away.
		x, y, ok := d.place(m.X, m.Y)
		if !ok && m.Down {
			d.dropped++
			return
		}
		if ok {
			err = d.inj.MouseMove(x, y)
		}
		if err == nil {
			err = d.inj.MouseButton(m.Button, m.Down)
		}
	case *protocol.Wheel:
		if !d.wheelPlaced() {
			d.dropped++
			return
		}
		err = d.inj.Wheel(int(m.DX), int(m.DY))
	case *protocol.Key:
		if d.scope != nil && !d.scope.keyAllowed(m.Down) {
			d.dropped++
			return
		}
		err = d.inj.Key(*m)
	default:
		d.dropped++
		return
	}
	if err != nil {
		d.failed++
		d.log.Debug("inject input", "type", m.Type(), "err", err)
		return
	}
	d.injected++
}

// origin is the top left corner of the area shown on the desktop.
func (d *dispatcher) origin() image.Point {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.area.Min
}

// clamp maps a point of the picture the viewer shows onto the desktop,
// within the area shown: a click on display 2 lands on display 2, and a
// point past its edge stays on it.
func (d *dispatcher) clamp(x, y uint16) (int, int) {
	cx, cy := int(x), int(y)
	if !d.area.Empty() {
		cx = d.area.Min.X + min(cx, d.area.Dx()-1)
		cy = d.area.Min.Y + min(cy, d.area.Dy()-1)
	}
	return cx, cy
}
