package protocol

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Version is the wire version this build speaks. A peer that receives a
// message with another version closes the connection with ErrVersion.
// Version 2 replaced the consent level with grants (Hello, signaling);
// version 3 replaced tiles with deflated drawing operations and photos;
// version 4 seals relayed messages end to end (seal.go) after a key
// exchange in signaling (SigKey), and authenticates the SDP fingerprints.
// The layout of the session messages themselves did not change in 4.
const Version uint8 = 4

// sameLayout lists older versions whose session messages are laid out as
// Version's, so that recordings made with them still replay.
func sameLayout(v uint8) bool { return v == 3 || v == Version }

// MaxMessageSize bounds one session message. Browsers accept data-channel
// messages up to 256 KiB; staying at 64 KiB keeps every path (SCTP, relay
// websocket) well inside its limits and keeps input from queueing behind
// huge frame messages.
const MaxMessageSize = 64 << 10

// Type identifies a session message.
type Type uint8

// Session message types. Values are part of the wire contract: never reuse one.
const (
	TypeHello Type = 1 // agent → viewer: screen size and granted level
	// 2 was Tiles (version 2's codec): retired, never reuse it.
	TypeFrameEnd    Type = 3  // agent → viewer: the frame is complete, paint it
	TypeCursorPos   Type = 4  // agent → viewer: pointer position
	TypeCursorShape Type = 5  // agent → viewer: pointer image
	TypeFrameAck    Type = 6  // viewer → agent: frame painted (flow control)
	TypeUpdate      Type = 7  // agent → viewer: deflated drawing operations of one frame
	TypePhoto       Type = 8  // agent → viewer: a lossy rectangle of one frame
	TypeMouseMove   Type = 10 // viewer → agent
	TypeMouseButton Type = 11 // viewer → agent
	TypeWheel       Type = 12 // viewer → agent
	TypeKey         Type = 13 // viewer → agent
	TypeRequestFull Type = 20 // viewer → agent: send a full frame
	TypePing        Type = 21 // either way: echo my timestamp
	TypePong        Type = 22 // the echo of a Ping
	// 45–49: displays (displays.go).
	TypeDisplays      Type = 45 // agent → viewer: the customer's displays and the one shown
	TypeSelectDisplay Type = 46 // viewer → agent: show this display, or all
	TypeScope         Type = 50 // agent → viewer: the screen or one window is shared, windows hidden
	TypePoint         Type = 51 // viewer → agent: a stroke shown on the customer's screen (view-only too)
	TypePaused        Type = 60 // agent → viewer: the customer paused or resumed (trust.go)
	// 40-44: clipboard (clipboard.go).
	TypeClipboardText     Type = 40 // either way: copied text, with GrantClipboard
	TypeClipboardTooLarge Type = 41 // agent → viewer: the customer copied more than MaxClipboardText
)

func (t Type) String() string {
	switch t {
	case TypeHello:
		return "hello"
	case TypeFrameEnd:
		return "frame-end"
	case TypeUpdate:
		return "update"
	case TypePhoto:
		return "photo"
	case TypeCursorPos:
		return "cursor-pos"
	case TypeCursorShape:
		return "cursor-shape"
	case TypeFrameAck:
		return "frame-ack"
	case TypeMouseMove:
		return "mouse-move"
	case TypeMouseButton:
		return "mouse-button"
	case TypeWheel:
		return "wheel"
	case TypeKey:
		return "key"
	case TypeRequestFull:
		return "request-full"
	case TypePing:
		return "ping"
	case TypePong:
		return "pong"
	case TypeDisplays:
		return "displays"
	case TypeSelectDisplay:
		return "select-display"
	case TypeFileOffer:
		return "file-offer"
	case TypeFileAnswer:
		return "file-answer"
	case TypeFileChunk:
		return "file-chunk"
	case TypeFileAck:
		return "file-ack"
	case TypeFileEnd:
		return "file-end"
	case TypeFileResult:
		return "file-result"
	case TypeFileCancel:
		return "file-cancel"
	case TypeScope:
		return "scope"
	case TypePoint:
		return "point"
	case TypePaused:
		return "paused"
	case TypeClipboardText:
		return "clipboard-text"
	case TypeClipboardTooLarge:
		return "clipboard-too-large"
	}
	return fmt.Sprintf("type(%d)", uint8(t))
}

// Sender is the end of a session that may send a message type.
type Sender uint8

const (
	SenderAgent Sender = 1 << iota
	SenderViewer
)

// Route says who may send a message of type t and which grant it needs.
// The relay forwards a message only from its sender, only after consent,
// and only while the customer's grants include need; a type with no route
// (from == 0) is unknown and refused.
func (t Type) Route() (from Sender, need Grants) {
	switch t {
	case TypeHello, TypeUpdate, TypePhoto, TypeFrameEnd, TypeCursorPos, TypeCursorShape:
		return SenderAgent, GrantView
	case TypeFrameAck, TypeRequestFull:
		return SenderViewer, GrantView
	case TypeMouseMove, TypeMouseButton, TypeWheel:
		// The pointer needs limited control, which control implies.
		return SenderViewer, GrantLimited
	case TypeKey:
		return SenderViewer, GrantControl
	case TypePing, TypePong:
		return SenderAgent | SenderViewer, GrantView
	case TypeDisplays:
		return SenderAgent, GrantView
	case TypeSelectDisplay:
		return SenderViewer, GrantView
	case TypeFileOffer, TypeFileAnswer, TypeFileChunk, TypeFileAck, TypeFileEnd, TypeFileResult, TypeFileCancel:
		return SenderAgent | SenderViewer, GrantView | GrantFiles
	case TypeScope:
		return SenderAgent, GrantView
	case TypePoint:
		// Pointing needs no control: it shows, it never acts.
		return SenderViewer, GrantView
	case TypePaused:
		return SenderAgent, GrantView
	case TypeClipboardText:
		return SenderAgent | SenderViewer, GrantView | GrantClipboard
	case TypeClipboardTooLarge:
		return SenderAgent, GrantView | GrantClipboard
	}
	return 0, 0
}

// Errors returned by decoders. A peer that sees one closes the connection
// with the error as the reason.
var (
	ErrShort    = errors.New("protocol: message too short")
	ErrVersion  = errors.New("protocol: unsupported version")
	ErrType     = errors.New("protocol: unknown message type")
	ErrTooLarge = errors.New("protocol: message too large")
	ErrInvalid  = errors.New("protocol: invalid field")
	ErrTrailing = errors.New("protocol: trailing bytes")
)

// Header is the first two bytes of every session message.
//
//	 0                   1
//	 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|    version    |     type      |  payload ...
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
const headerSize = 2

// Message is any session message.
type Message interface {
	// Type is the message's wire type.
	Type() Type
	// MarshalSize is the encoded size including the header.
	MarshalSize() int
	// MarshalTo writes the message, header included, into buf, which must
	// hold MarshalSize bytes, and returns the bytes written.
	MarshalTo(buf []byte) (int, error)
	// unmarshalPayload decodes the payload after the header.
	unmarshalPayload(p []byte) error
}

// Marshal encodes m into a new buffer.
func Marshal(m Message) ([]byte, error) {
	buf := make([]byte, m.MarshalSize())
	n, err := m.MarshalTo(buf)
	if err != nil {
		return nil, err
	}
	return buf[:n], nil
}

// PeekType returns the type of an encoded message after checking its header.
func PeekType(b []byte) (Type, error) {
	if len(b) < headerSize {
		return 0, ErrShort
	}
	if len(b) > MaxMessageSize {
		return 0, ErrTooLarge
	}
	if b[0] != Version {
		return 0, fmt.Errorf("%w: %d", ErrVersion, b[0])
	}
	return Type(b[1]), nil
}

// Unmarshal decodes one session message. Slices inside the result (tile data,
// cursor pixels) alias b; copy them if b is reused.
func Unmarshal(b []byte) (Message, error) {
	t, err := PeekType(b)
	if err != nil {
		return nil, err
	}
	var m Message
	switch t {
	case TypeHello:
		m = &Hello{}
	case TypeFrameEnd:
		m = &FrameEnd{}
	case TypeUpdate:
		m = &Update{}
	case TypePhoto:
		m = &Photo{}
	case TypeCursorPos:
		m = &CursorPos{}
	case TypeCursorShape:
		m = &CursorShape{}
	case TypeFrameAck:
		m = &FrameAck{}
	case TypeMouseMove:
		m = &MouseMove{}
	case TypeMouseButton:
		m = &MouseButton{}
	case TypeWheel:
		m = &Wheel{}
	case TypeKey:
		m = &Key{}
	case TypeRequestFull:
		m = &RequestFull{}
	case TypePing:
		m = &Ping{}
	case TypePong:
		m = &Pong{}
	case TypeDisplays:
		m = &Displays{}
	case TypeSelectDisplay:
		m = &SelectDisplay{}
	case TypeFileOffer:
		m = &FileOffer{}
	case TypeFileAnswer:
		m = &FileAnswer{}
	case TypeFileChunk:
		m = &FileChunk{}
	case TypeFileAck:
		m = &FileAck{}
	case TypeFileEnd:
		m = &FileEnd{}
	case TypeFileResult:
		m = &FileResult{}
	case TypeFileCancel:
		m = &FileCancel{}
	case TypeScope:
		m = &Scope{}
	case TypePoint:
		m = &Point{}
	case TypePaused:
		m = &Paused{}
	case TypeClipboardText:
		m = &ClipboardText{}
	case TypeClipboardTooLarge:
		m = &ClipboardTooLarge{}
	default:
		return nil, fmt.Errorf("%w: %d", ErrType, uint8(t))
	}
	if err := m.unmarshalPayload(b[headerSize:]); err != nil {
		return nil, fmt.Errorf("%s: %w", t, err)
	}
	return m, nil
}

func putHeader(buf []byte, t Type, size int) error {
	if len(buf) < size {
		return fmt.Errorf("%w: buffer %d < %d", ErrShort, len(buf), size)
	}
	if size > MaxMessageSize {
		return ErrTooLarge
	}
	buf[0] = Version
	buf[1] = uint8(t)
	return nil
}

// reader is a bounds-checked cursor over a payload. The first failed read
// latches err; later reads return zero values.
type reader struct {
	b   []byte
	err error
}

func (r *reader) need(n int) bool {
	if r.err != nil {
		return false
	}
	if n < 0 || len(r.b) < n {
		r.err = ErrShort
		return false
	}
	return true
}

func (r *reader) u8() uint8 {
	if !r.need(1) {
		return 0
	}
	v := r.b[0]
	r.b = r.b[1:]
	return v
}

func (r *reader) u16() uint16 {
	if !r.need(2) {
		return 0
	}
	v := binary.BigEndian.Uint16(r.b)
	r.b = r.b[2:]
	return v
}

func (r *reader) u32() uint32 {
	if !r.need(4) {
		return 0
	}
	v := binary.BigEndian.Uint32(r.b)
	r.b = r.b[4:]
	return v
}

func (r *reader) u64() uint64 {
	if !r.need(8) {
		return 0
	}
	v := binary.BigEndian.Uint64(r.b)
	r.b = r.b[8:]
	return v
}

func (r *reader) bytes(n int) []byte {
	if !r.need(n) {
		return nil
	}
	v := r.b[:n:n]
	r.b = r.b[n:]
	return v
}

// str reads a string with a one-byte length prefix.
func (r *reader) str(max int) string {
	n := int(r.u8())
	if r.err == nil && n > max {
		r.err = fmt.Errorf("%w: string of %d bytes", ErrInvalid, n)
		return ""
	}
	return string(r.bytes(n))
}

// done reports the latched error, or ErrTrailing if bytes remain.
func (r *reader) done() error {
	if r.err != nil {
		return r.err
	}
	if len(r.b) != 0 {
		return ErrTrailing
	}
	return nil
}

// writer appends big-endian fields into a pre-sized buffer.
type writer struct {
	b []byte
	n int
}

func (w *writer) u8(v uint8) { w.b[w.n] = v; w.n++ }
func (w *writer) u16(v uint16) {
	binary.BigEndian.PutUint16(w.b[w.n:], v)
	w.n += 2
}
func (w *writer) u32(v uint32) {
	binary.BigEndian.PutUint32(w.b[w.n:], v)
	w.n += 4
}
func (w *writer) u64(v uint64) {
	binary.BigEndian.PutUint64(w.b[w.n:], v)
	w.n += 8
}
func (w *writer) bytes(v []byte) { w.n += copy(w.b[w.n:], v) }
func (w *writer) str(v string) {
	w.u8(uint8(len(v)))
	w.n += copy(w.b[w.n:], v)
}
