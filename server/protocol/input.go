package protocol

import "fmt"

// maxShortString bounds the strings inside input messages (KeyboardEvent.key
// and .code values are short; "MediaTrackPrevious" is among the longest).
const maxShortString = 32

// MouseMove moves the pointer to X, Y in remote screen pixels.
type MouseMove struct{ X, Y uint16 }

func (*MouseMove) Type() Type       { return TypeMouseMove }
func (*MouseMove) MarshalSize() int { return headerSize + 4 }
func (m *MouseMove) MarshalTo(buf []byte) (int, error) {
	if err := putHeader(buf, TypeMouseMove, m.MarshalSize()); err != nil {
		return 0, err
	}
	w := writer{b: buf, n: headerSize}
	w.u16(m.X)
	w.u16(m.Y)
	return w.n, nil
}
func (m *MouseMove) unmarshalPayload(p []byte) error {
	r := reader{b: p}
	m.X, m.Y = r.u16(), r.u16()
	return r.done()
}

// Button names a mouse button with the DOM's MouseEvent.button numbering.
type Button uint8

const (
	ButtonLeft    Button = 0
	ButtonMiddle  Button = 1
	ButtonRight   Button = 2
	ButtonBack    Button = 3
	ButtonForward Button = 4
)

// MouseButton presses or releases Button with the pointer at X, Y.
type MouseButton struct {
	Button Button
	Down   bool
	X, Y   uint16
}

func (*MouseButton) Type() Type       { return TypeMouseButton }
func (*MouseButton) MarshalSize() int { return headerSize + 1 + 1 + 4 }
func (m *MouseButton) MarshalTo(buf []byte) (int, error) {
	if err := putHeader(buf, TypeMouseButton, m.MarshalSize()); err != nil {
		return 0, err
	}
	w := writer{b: buf, n: headerSize}
	w.u8(uint8(m.Button))
	w.u8(boolByte(m.Down))
	w.u16(m.X)
	w.u16(m.Y)
	return w.n, nil
}
func (m *MouseButton) unmarshalPayload(p []byte) error {
	r := reader{b: p}
	b, d := r.u8(), r.u8()
	m.X, m.Y = r.u16(), r.u16()
	if err := r.done(); err != nil {
		return err
	}
	if b > uint8(ButtonForward) || d > 1 {
		return fmt.Errorf("%w: button %d down %d", ErrInvalid, b, d)
	}
	m.Button, m.Down = Button(b), d == 1
	return nil
}

// WheelNotch is one detent of a wheel in Wheel units, as on Windows.
const WheelNotch = 120

// Wheel scrolls by DX, DY in 1/120 notches; positive DY scrolls down,
// positive DX scrolls right (the DOM's WheelEvent sign convention).
type Wheel struct{ DX, DY int16 }

func (*Wheel) Type() Type       { return TypeWheel }
func (*Wheel) MarshalSize() int { return headerSize + 4 }
func (m *Wheel) MarshalTo(buf []byte) (int, error) {
	if err := putHeader(buf, TypeWheel, m.MarshalSize()); err != nil {
		return 0, err
	}
	w := writer{b: buf, n: headerSize}
	w.u16(uint16(m.DX))
	w.u16(uint16(m.DY))
	return w.n, nil
}
func (m *Wheel) unmarshalPayload(p []byte) error {
	r := reader{b: p}
	m.DX, m.DY = int16(r.u16()), int16(r.u16())
	return r.done()
}

// Modifier bits held while a key event happened.
const (
	ModShift uint8 = 1 << iota
	ModCtrl
	ModAlt
	ModMeta
	ModAltGr
	ModCapsLock
)

// Key presses or releases a key. Key is the DOM KeyboardEvent.key (the
// character or named key the engineer's layout produced, "é", "Enter") and
// Code is KeyboardEvent.code (the physical key, "KeyE", "Enter"). The agent
// types printable Key values as characters, so non-US text arrives intact,
// and maps named keys through Code.
type Key struct {
	Down bool
	Mods uint8
	Key  string
	Code string
}

func (*Key) Type() Type         { return TypeKey }
func (m *Key) MarshalSize() int { return headerSize + 1 + 1 + 1 + len(m.Key) + 1 + len(m.Code) }
func (m *Key) MarshalTo(buf []byte) (int, error) {
	if len(m.Key) > maxShortString || len(m.Code) > maxShortString {
		return 0, fmt.Errorf("%w: key %q code %q", ErrInvalid, m.Key, m.Code)
	}
	if err := putHeader(buf, TypeKey, m.MarshalSize()); err != nil {
		return 0, err
	}
	w := writer{b: buf, n: headerSize}
	w.u8(boolByte(m.Down))
	w.u8(m.Mods)
	w.str(m.Key)
	w.str(m.Code)
	return w.n, nil
}
func (m *Key) unmarshalPayload(p []byte) error {
	r := reader{b: p}
	d := r.u8()
	m.Mods = r.u8()
	m.Key = r.str(maxShortString)
	m.Code = r.str(maxShortString)
	if err := r.done(); err != nil {
		return err
	}
	if d > 1 {
		return fmt.Errorf("%w: down=%d", ErrInvalid, d)
	}
	m.Down = d == 1
	return nil
}

// IsInput reports whether m is an input message, which an agent in view-only
// mode must drop.
func IsInput(m Message) bool {
	switch m.(type) {
	case *MouseMove, *MouseButton, *Wheel, *Key:
		return true
	}
	return false
}
