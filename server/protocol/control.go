package protocol

import "fmt"

// Level is what the customer allowed.
type Level uint8

const (
	LevelView    Level = 0 // the engineer sees the screen; input is ignored
	LevelControl Level = 1 // the engineer may also use mouse and keyboard
)

// String returns the level's name as used in signaling and the store.
func (l Level) String() string {
	if l == LevelControl {
		return "control"
	}
	return "view"
}

// ParseLevel reads a level name ("view" or "control").
func ParseLevel(s string) (Level, error) {
	switch s {
	case "view":
		return LevelView, nil
	case "control":
		return LevelControl, nil
	}
	return 0, fmt.Errorf("%w: level %q", ErrInvalid, s)
}

// Hello is the agent's first message on a session path, repeated when the
// granted level or the screen size changes.
type Hello struct {
	Level         Level
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
	if err := putHeader(buf, TypeHello, m.MarshalSize()); err != nil {
		return 0, err
	}
	w := writer{b: buf, n: headerSize}
	w.u8(uint8(m.Level))
	w.u16(m.Width)
	w.u16(m.Height)
	w.str(m.OS)
	return w.n, nil
}

func (m *Hello) unmarshalPayload(p []byte) error {
	r := reader{b: p}
	l := r.u8()
	m.Width, m.Height = r.u16(), r.u16()
	m.OS = r.str(maxShortString)
	if err := r.done(); err != nil {
		return err
	}
	if l > uint8(LevelControl) {
		return fmt.Errorf("%w: level %d", ErrInvalid, l)
	}
	m.Level = Level(l)
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
