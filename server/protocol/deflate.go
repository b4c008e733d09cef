package protocol

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/klauspost/compress/flate"
)

// UpdateLevel is the deflate level of the agent's Update stream: level 5
// measured within a few percent of level 9 on screens of text at a third
// of its CPU (server/protocol/codecbench, docs/codec.md).
const UpdateLevel = 5

// UpdateEncoder deflates the operations of frames into Update messages,
// over one deflate stream that lasts until Reset.
type UpdateEncoder struct {
	// Level is the deflate level; zero means UpdateLevel.
	Level int

	fw    *flate.Writer
	out   bytes.Buffer
	reset bool
	buf   []byte
}

// Reset starts a new stream: the next message carries UpdateReset.
func (e *UpdateEncoder) Reset() { e.reset = true }

// Encode deflates ops (at most MaxUpdateRaw bytes of whole operations) as
// one Update of frame seq on a w×h screen and returns the marshalled
// message, valid until the next call.
func (e *UpdateEncoder) Encode(seq uint32, w, h int, ops []byte) ([]byte, error) {
	return e.encode(seq, w, h, ops, nil)
}

// EncodeEnd is Encode for the last message of a frame, which then carries
// end (UpdateEnd) instead of a FrameEnd message following it.
func (e *UpdateEncoder) EncodeEnd(seq uint32, w, h int, ops []byte, end FrameEnd) ([]byte, error) {
	return e.encode(seq, w, h, ops, &end)
}

func (e *UpdateEncoder) encode(seq uint32, w, h int, ops []byte, end *FrameEnd) ([]byte, error) {
	if len(ops) > MaxUpdateRaw {
		return nil, fmt.Errorf("%w: %d bytes of operations", ErrTooLarge, len(ops))
	}
	flags := uint8(0)
	if e.fw == nil || e.reset {
		level := e.Level
		if level == 0 {
			level = UpdateLevel
		}
		e.out.Reset()
		if e.fw == nil {
			fw, err := flate.NewWriter(&e.out, level)
			if err != nil {
				return nil, fmt.Errorf("protocol: deflate: %w", err)
			}
			e.fw = fw
		} else {
			e.fw.Reset(&e.out)
		}
		e.reset = false
		flags |= UpdateReset
	}
	e.out.Reset()
	if _, err := e.fw.Write(ops); err != nil {
		return nil, fmt.Errorf("protocol: deflate: %w", err)
	}
	// A sync flush ends the message on a byte boundary with everything
	// decodable, while the stream and its window go on.
	if err := e.fw.Flush(); err != nil {
		return nil, fmt.Errorf("protocol: deflate: %w", err)
	}
	m := Update{Seq: seq, Width: uint16(w), Height: uint16(h), Flags: flags, RawLen: uint32(len(ops)), Data: e.out.Bytes()}
	if end != nil {
		m.Flags |= UpdateEnd
		m.EncodeMicros = end.EncodeMicros
		if end.Full() {
			m.Flags |= UpdateFull
		}
	}
	if cap(e.buf) < m.MarshalSize() {
		e.buf = make([]byte, MaxMessageSize)
	}
	n, err := m.MarshalTo(e.buf)
	if err != nil {
		return nil, err
	}
	return e.buf[:n], nil
}

// ErrInflate is returned by Inflater once its stream is broken; only a
// message with UpdateReset repairs it.
var ErrInflate = errors.New("protocol: update stream broken")

// Inflater reads the operations out of Update messages, keeping the deflate
// stream across them. One Inflater serves one goroutine.
type Inflater struct {
	in     bytes.Buffer // compressed bytes not yet read by fr
	fr     io.ReadCloser
	broken bool
	raw    []byte
}

// Inflate returns the operations of m, valid until the next call. Messages
// of a broken stream fail with ErrInflate until one starts a new stream.
func (d *Inflater) Inflate(m *Update) ([]byte, error) {
	if m.Reset() {
		d.in.Reset()
		if d.fr == nil {
			d.fr = flate.NewReader(&d.in)
		} else if err := d.fr.(flate.Resetter).Reset(&d.in, nil); err != nil {
			return nil, fmt.Errorf("protocol: inflate: %w", err)
		}
		d.broken = false
	}
	if d.fr == nil || d.broken {
		return nil, ErrInflate
	}
	if m.RawLen > MaxUpdateRaw {
		d.broken = true
		return nil, fmt.Errorf("%w: %d raw bytes", ErrInvalid, m.RawLen)
	}
	d.in.Write(m.Data)
	if cap(d.raw) < int(m.RawLen) {
		d.raw = make([]byte, MaxUpdateRaw)
	}
	raw := d.raw[:m.RawLen]
	// The sync flush ending the message makes the inflater hand out all of
	// it. Rarely, when the output filled its window exactly at the end, the
	// flush marker stays unread until the next message: that is fine.
	if _, err := io.ReadFull(d.fr, raw); err != nil {
		d.broken = true
		return nil, fmt.Errorf("%w: %v", ErrInflate, err)
	}
	return raw, nil
}
