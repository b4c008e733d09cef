package protocol

import "fmt"

// MaxCursorSize bounds a cursor image's width and height, so one CursorShape
// fits in MaxMessageSize.
const MaxCursorSize = 96

// Frame flags.
const (
	// FlagFull marks a frame that repainted every tile.
	FlagFull uint8 = 1 << 0
)

// FrameEnd closes frame Seq: the viewer paints what the Update and Photo
// messages of that frame carried.
//
//	+--------+--------+--------+--------+
//	|               seq (u32)           |
//	+--------+--------+--------+--------+
//	|  flags |   width (u16)   | height..
//	+--------+--------+--------+--------+
//	 ..(u16) |     encode micros (u32)   ..
//	+--------+--------+--------+--------+
type FrameEnd struct {
	Seq           uint32
	Flags         uint8
	Width, Height uint16
	// EncodeMicros is the agent's capture plus encode time for this frame.
	EncodeMicros uint32
}

func (*FrameEnd) Type() Type       { return TypeFrameEnd }
func (*FrameEnd) MarshalSize() int { return headerSize + 4 + 1 + 2 + 2 + 4 }
func (m *FrameEnd) Full() bool     { return m.Flags&FlagFull != 0 }
func (m *FrameEnd) MarshalTo(buf []byte) (int, error) {
	if err := putHeader(buf, TypeFrameEnd, m.MarshalSize()); err != nil {
		return 0, err
	}
	w := writer{b: buf, n: headerSize}
	w.u32(m.Seq)
	w.u8(m.Flags)
	w.u16(m.Width)
	w.u16(m.Height)
	w.u32(m.EncodeMicros)
	return w.n, nil
}

func (m *FrameEnd) unmarshalPayload(p []byte) error {
	r := reader{b: p}
	m.Seq = r.u32()
	m.Flags = r.u8()
	m.Width = r.u16()
	m.Height = r.u16()
	m.EncodeMicros = r.u32()
	return r.done()
}

// CursorPos places the remote pointer at X, Y in screen pixels. Serial names
// the CursorShape to draw; Visible is false when the pointer is hidden.
type CursorPos struct {
	X, Y    uint16
	Visible bool
	Serial  uint32
}

func (*CursorPos) Type() Type       { return TypeCursorPos }
func (*CursorPos) MarshalSize() int { return headerSize + 2 + 2 + 1 + 4 }
func (m *CursorPos) MarshalTo(buf []byte) (int, error) {
	if err := putHeader(buf, TypeCursorPos, m.MarshalSize()); err != nil {
		return 0, err
	}
	w := writer{b: buf, n: headerSize}
	w.u16(m.X)
	w.u16(m.Y)
	w.u8(boolByte(m.Visible))
	w.u32(m.Serial)
	return w.n, nil
}

func (m *CursorPos) unmarshalPayload(p []byte) error {
	r := reader{b: p}
	m.X = r.u16()
	m.Y = r.u16()
	v := r.u8()
	m.Serial = r.u32()
	if v > 1 {
		return fmt.Errorf("%w: visible=%d", ErrInvalid, v)
	}
	m.Visible = v == 1
	return r.done()
}

// CursorShape is a pointer image: W×H straight-alpha RGBA pixels with the
// hot spot at HotX, HotY. Serial identifies it for later CursorPos messages.
type CursorShape struct {
	Serial     uint32
	HotX, HotY uint16
	W, H       uint16
	RGBA       []byte
}

func (*CursorShape) Type() Type         { return TypeCursorShape }
func (m *CursorShape) MarshalSize() int { return headerSize + 4 + 8 + len(m.RGBA) }
func (m *CursorShape) MarshalTo(buf []byte) (int, error) {
	if err := putHeader(buf, TypeCursorShape, m.MarshalSize()); err != nil {
		return 0, err
	}
	if err := m.check(); err != nil {
		return 0, err
	}
	w := writer{b: buf, n: headerSize}
	w.u32(m.Serial)
	w.u16(m.HotX)
	w.u16(m.HotY)
	w.u16(m.W)
	w.u16(m.H)
	w.bytes(m.RGBA)
	return w.n, nil
}

func (m *CursorShape) check() error {
	if m.W > MaxCursorSize || m.H > MaxCursorSize || m.HotX > m.W || m.HotY > m.H {
		return fmt.Errorf("%w: cursor %dx%d hot %d,%d", ErrInvalid, m.W, m.H, m.HotX, m.HotY)
	}
	if len(m.RGBA) != int(m.W)*int(m.H)*4 {
		return fmt.Errorf("%w: cursor pixels %d bytes for %dx%d", ErrInvalid, len(m.RGBA), m.W, m.H)
	}
	return nil
}

func (m *CursorShape) unmarshalPayload(p []byte) error {
	r := reader{b: p}
	m.Serial = r.u32()
	m.HotX, m.HotY = r.u16(), r.u16()
	m.W, m.H = r.u16(), r.u16()
	if r.err != nil {
		return r.err
	}
	m.RGBA = r.bytes(len(r.b))
	if err := m.check(); err != nil {
		return err
	}
	return r.done()
}

func boolByte(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}

// FrameAck tells the agent the viewer has painted frame Seq. The agent keeps
// at most a few frames unacknowledged, so a slow path or a slow viewer lowers
// the frame rate instead of building a queue that adds latency. It works the
// same on the peer-to-peer and the relay path.
type FrameAck struct{ Seq uint32 }

func (*FrameAck) Type() Type       { return TypeFrameAck }
func (*FrameAck) MarshalSize() int { return headerSize + 4 }
func (m *FrameAck) MarshalTo(buf []byte) (int, error) {
	if err := putHeader(buf, TypeFrameAck, m.MarshalSize()); err != nil {
		return 0, err
	}
	w := writer{b: buf, n: headerSize}
	w.u32(m.Seq)
	return w.n, nil
}
func (m *FrameAck) unmarshalPayload(p []byte) error {
	r := reader{b: p}
	m.Seq = r.u32()
	return r.done()
}
