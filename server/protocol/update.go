package protocol

import (
	"fmt"
	"image"
)

// MaxUpdateRaw bounds the inflated size of one Update's operations. The
// encoder ends a message before its operations pass it, so even
// incompressible operations deflate to less than MaxMessageSize.
const MaxUpdateRaw = 60 << 10

// Update flags.
const (
	// UpdateReset marks the first message of a new deflate stream: the
	// viewer drops its inflate state before this message. The agent resets
	// on the first frame, on every full frame and after the viewer asked
	// for one.
	UpdateReset uint8 = 1 << 0
	// UpdateEnd makes the message also the frame's FrameEnd, which then
	// does not follow: a frame of one message (typing, a blinking caret)
	// costs one message, not two. EncodeMicros is then present.
	UpdateEnd uint8 = 1 << 1
	// UpdateFull, with UpdateEnd, is FrameEnd's FlagFull.
	UpdateFull uint8 = 1 << 2
)

// Update carries drawing operations of frame Seq on a screen of
// Width×Height, as one chunk of a deflate stream (RFC 1951) that persists
// across messages, like the zlib streams of RFB's Tight encoding: glyphs and
// UI pieces sent once compress to back-references later. Each message ends
// with a sync flush, so it inflates to exactly RawLen bytes of operations
// without waiting for the next (see Ops for their layout).
//
//	+--------+--------+--------+--------+
//	|               seq (u32)           |
//	+--------+--------+--------+--------+
//	|   width (u16)   |  height (u16)   |
//	+--------+--------+--------+--------+
//	|  flags |      raw length (u32)      ..
//	+--------+--------+--------+--------+
//	 ..      | encode micros (u32), with UpdateEnd only ..
//	+--------+--------+--------+--------+
//	 ..      |  deflate data ...
//	+--------+
type Update struct {
	Seq           uint32
	Width, Height uint16
	Flags         uint8
	RawLen        uint32
	// EncodeMicros is FrameEnd's, sent with UpdateEnd.
	EncodeMicros uint32
	Data         []byte
}

// UpdateOverhead is the size of an Update without deflate data.
const UpdateOverhead = headerSize + 4 + 2 + 2 + 1 + 4

func (*Update) Type() Type { return TypeUpdate }
func (m *Update) MarshalSize() int {
	if m.Ends() {
		return UpdateOverhead + 4 + len(m.Data)
	}
	return UpdateOverhead + len(m.Data)
}
func (m *Update) Reset() bool { return m.Flags&UpdateReset != 0 }

// Ends reports whether the message also ends its frame (UpdateEnd).
func (m *Update) Ends() bool { return m.Flags&UpdateEnd != 0 }

// FrameEnd is the end of frame the message carries when it Ends.
func (m *Update) FrameEnd() FrameEnd {
	e := FrameEnd{Seq: m.Seq, Width: m.Width, Height: m.Height, EncodeMicros: m.EncodeMicros}
	if m.Flags&UpdateFull != 0 {
		e.Flags |= FlagFull
	}
	return e
}

func (m *Update) MarshalTo(buf []byte) (int, error) {
	if err := putHeader(buf, TypeUpdate, m.MarshalSize()); err != nil {
		return 0, err
	}
	if m.RawLen > MaxUpdateRaw {
		return 0, fmt.Errorf("%w: %d bytes of operations", ErrTooLarge, m.RawLen)
	}
	w := writer{b: buf, n: headerSize}
	w.u32(m.Seq)
	w.u16(m.Width)
	w.u16(m.Height)
	w.u8(m.Flags)
	w.u32(m.RawLen)
	if m.Ends() {
		w.u32(m.EncodeMicros)
	}
	w.bytes(m.Data)
	return w.n, nil
}

func (m *Update) unmarshalPayload(p []byte) error {
	r := reader{b: p}
	m.Seq = r.u32()
	m.Width = r.u16()
	m.Height = r.u16()
	m.Flags = r.u8()
	m.RawLen = r.u32()
	if r.err != nil {
		return r.err
	}
	if m.Flags&^(UpdateReset|UpdateEnd|UpdateFull) != 0 || m.Flags&UpdateFull != 0 && !m.Ends() ||
		m.RawLen > MaxUpdateRaw || m.Width == 0 || m.Height == 0 {
		return fmt.Errorf("%w: update flags %#x, %d raw bytes on %dx%d", ErrInvalid, m.Flags, m.RawLen, m.Width, m.Height)
	}
	if m.Ends() {
		m.EncodeMicros = r.u32()
	}
	m.Data = r.bytes(len(r.b))
	return r.done()
}

// PhotoFormat names how a Photo's Data encodes its pixels.
type PhotoFormat uint8

// PhotoJPEG is a baseline JFIF image, which every browser decodes natively
// (createImageBitmap) off the wasm thread.
const PhotoJPEG PhotoFormat = 1

// Photo carries one lossy rectangle of frame Seq: parts of the screen that
// change often and hold many colours (video, photos), where an exact copy
// would cost far more than the eye can tell. The agent sends the same area
// again losslessly once it stays still.
//
//	+--------+--------+--------+--------+
//	|               seq (u32)           |
//	+--------+--------+--------+--------+
//	|   width (u16)   |  height (u16)   |
//	+--------+--------+--------+--------+
//	|     x (u16)     |     y (u16)     |
//	+--------+--------+--------+--------+
//	|     w (u16)     |     h (u16)     |
//	+--------+--------+--------+--------+
//	| format |  image data ...
//	+--------+
type Photo struct {
	Seq           uint32
	Width, Height uint16
	X, Y, W, H    uint16
	Format        PhotoFormat
	Data          []byte
}

// PhotoOverhead is the size of a Photo without image data.
const PhotoOverhead = headerSize + 4 + 2*6 + 1

func (*Photo) Type() Type         { return TypePhoto }
func (m *Photo) MarshalSize() int { return PhotoOverhead + len(m.Data) }

// Rect is the screen area the photo paints.
func (m *Photo) Rect() image.Rectangle {
	return image.Rect(int(m.X), int(m.Y), int(m.X)+int(m.W), int(m.Y)+int(m.H))
}

func (m *Photo) MarshalTo(buf []byte) (int, error) {
	if err := putHeader(buf, TypePhoto, m.MarshalSize()); err != nil {
		return 0, err
	}
	if err := m.check(); err != nil {
		return 0, err
	}
	w := writer{b: buf, n: headerSize}
	w.u32(m.Seq)
	w.u16(m.Width)
	w.u16(m.Height)
	w.u16(m.X)
	w.u16(m.Y)
	w.u16(m.W)
	w.u16(m.H)
	w.u8(uint8(m.Format))
	w.bytes(m.Data)
	return w.n, nil
}

func (m *Photo) check() error {
	if m.Format != PhotoJPEG {
		return fmt.Errorf("%w: photo format %d", ErrInvalid, m.Format)
	}
	if m.W == 0 || m.H == 0 || int(m.X)+int(m.W) > int(m.Width) || int(m.Y)+int(m.H) > int(m.Height) {
		return fmt.Errorf("%w: photo %dx%d+%d+%d outside %dx%d", ErrInvalid, m.W, m.H, m.X, m.Y, m.Width, m.Height)
	}
	return nil
}

func (m *Photo) unmarshalPayload(p []byte) error {
	r := reader{b: p}
	m.Seq = r.u32()
	m.Width, m.Height = r.u16(), r.u16()
	m.X, m.Y, m.W, m.H = r.u16(), r.u16(), r.u16(), r.u16()
	m.Format = PhotoFormat(r.u8())
	if r.err != nil {
		return r.err
	}
	if err := m.check(); err != nil {
		return err
	}
	m.Data = r.bytes(len(r.b))
	return r.done()
}
