package protocol

import "fmt"

// Screen size bounds. A real screen, even three 4K monitors side by side,
// stays far inside them; an agent announcing more is broken or hostile, and
// a viewer that believed it would allocate gigabytes.
const (
	MaxScreenSide   = 16384
	MaxScreenPixels = 64 << 20 // 8192×8192
)

// CheckScreenSize refuses an empty or absurd screen size with a sentence a
// person can read.
func CheckScreenSize(w, h int) error {
	if w <= 0 || h <= 0 || w > MaxScreenSide || h > MaxScreenSide || w*h > MaxScreenPixels {
		return fmt.Errorf("%w: a screen of %d×%d pixels (at most %d pixels a side and %d megapixels are supported)",
			ErrInvalid, w, h, MaxScreenSide, MaxScreenPixels>>20)
	}
	return nil
}

// Hello is the agent's first message on a session path, repeated when the
// grants or the screen size change.
//
//	+--------+--------+--------+--------+--------+--------+---------+
//	| grants |   width (u16)   |  height (u16)   | os len | os ...  |
//	+--------+--------+--------+--------+--------+--------+---------+
type Hello struct {
	// Grants is what the customer allowed on their machine.
	Grants        Grants
	Width, Height uint16
	// OS is the agent's operating system ("linux", "windows", ...).
	OS string
}

func (*Hello) Type() Type         { return TypeHello }
func (m *Hello) MarshalSize() int { return headerSize + 1 + 2 + 2 + 1 + len(m.OS) }
func (m *Hello) MarshalTo(buf []byte) (int, error) {
	if len(m.OS) > maxShortString {
		return 0, fmt.Errorf("%w: os %q", ErrInvalid, m.OS)
	}
	if err := m.Grants.Valid(); err != nil {
		return 0, err
	}
	if err := putHeader(buf, TypeHello, m.MarshalSize()); err != nil {
		return 0, err
	}
	w := writer{b: buf, n: headerSize}
	w.u8(uint8(m.Grants))
	w.u16(m.Width)
	w.u16(m.Height)
	w.str(m.OS)
	return w.n, nil
}

func (m *Hello) unmarshalPayload(p []byte) error {
	r := reader{b: p}
	g := Grants(r.u8())
	m.Width, m.Height = r.u16(), r.u16()
	m.OS = r.str(maxShortString)
	if err := r.done(); err != nil {
		return err
	}
	if err := g.Valid(); err != nil {
		return err
	}
	m.Grants = g
	return nil
}

// RequestFull asks the agent to send every tile in its next frame.
type RequestFull struct{}

func (*RequestFull) Type() Type       { return TypeRequestFull }
func (*RequestFull) MarshalSize() int { return headerSize }
func (m *RequestFull) MarshalTo(buf []byte) (int, error) {
	if err := putHeader(buf, TypeRequestFull, headerSize); err != nil {
		return 0, err
	}
	return headerSize, nil
}
func (m *RequestFull) unmarshalPayload(p []byte) error {
	r := reader{b: p}
	return r.done()
}

// Ping carries the sender's clock in microseconds; the peer answers with a
// Pong holding the same value, so the sender measures round-trip time
// without comparing clocks.
type Ping struct{ Micros uint64 }

// Pong echoes a Ping.
type Pong struct{ Micros uint64 }

func (*Ping) Type() Type                          { return TypePing }
func (*Ping) MarshalSize() int                    { return headerSize + 8 }
func (m *Ping) MarshalTo(buf []byte) (int, error) { return marshalU64(buf, TypePing, m.Micros) }
func (m *Ping) unmarshalPayload(p []byte) error   { return unmarshalU64(p, &m.Micros) }

func (*Pong) Type() Type                          { return TypePong }
func (*Pong) MarshalSize() int                    { return headerSize + 8 }
func (m *Pong) MarshalTo(buf []byte) (int, error) { return marshalU64(buf, TypePong, m.Micros) }
func (m *Pong) unmarshalPayload(p []byte) error   { return unmarshalU64(p, &m.Micros) }

func marshalU64(buf []byte, t Type, v uint64) (int, error) {
	if err := putHeader(buf, t, headerSize+8); err != nil {
		return 0, err
	}
	w := writer{b: buf, n: headerSize}
	w.u64(v)
	return w.n, nil
}

func unmarshalU64(p []byte, v *uint64) error {
	r := reader{b: p}
	*v = r.u64()
	return r.done()
}
