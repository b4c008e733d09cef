package protocol

import (
	"fmt"
	"path"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Files move both ways in a session, only while the customer's grants
// include GrantFiles, on a lane of their own: the "files" data channel on
// peer-to-peer and TURN, and the relay's file lane (own queue on the server,
// own keys: SessionKeys.FileSealer), so that a large file neither delays the
// screen nor fills a relayed member's inbox.
//
// One transfer, sender S and receiver R (agent or viewer either way):
//
//	S → R  FileOffer{id, size, name}
//	R → S  FileAnswer{id, accept | refuse with a reason}
//	S → R  FileChunk{id, offset, data} ...   at most FileWindow chunks past the last ack
//	R → S  FileAck{id, offset}                bytes received and stored so far
//	S → R  FileEnd{id, sha256}                the hash of all the bytes, computed while sending
//	R → S  FileResult{id, ok | failed with a reason}
//	either FileCancel{id, sender, reason}     ends the transfer at any point
//
// The offer carries the size, the end carries the SHA-256: the sender hashes
// as it reads, in one pass, and the receiver compares with its own hash of
// what it stored. Ids are chosen by the sender, so an id names a transfer
// together with its direction.

// Session message types of the file lane (30–39).
const (
	TypeFileOffer  Type = 30 // sender → receiver: a file is coming
	TypeFileAnswer Type = 31 // receiver → sender: accepted or refused
	TypeFileChunk  Type = 32 // sender → receiver: bytes at an offset
	TypeFileAck    Type = 33 // receiver → sender: bytes stored so far
	TypeFileEnd    Type = 34 // sender → receiver: all sent; the hash
	TypeFileResult Type = 35 // receiver → sender: verified and saved, or failed
	TypeFileCancel Type = 36 // either end: the transfer is over
)

// FileLane reports whether t travels on the file lane.
func (t Type) FileLane() bool { return t >= 30 && t <= 39 }

// File transfer bounds.
const (
	// FileChunkSize is the data in one FileChunk: a message stays under
	// MaxMessageSize with its header.
	FileChunkSize = 60 << 10
	// FileWindow is how many chunks may be sent past the receiver's last
	// acknowledgement: about 1 MiB in flight, enough to fill a fast link
	// without letting a file queue far ahead of the screen.
	FileWindow = 16
	// MaxFileName bounds a file name on the wire, in bytes.
	MaxFileName = 255
	// maxFileReason bounds a refusal or failure reason.
	maxFileReason = 200
	// fileChunkHeader is a FileChunk's size without its data.
	fileChunkHeader = headerSize + 4 + 8
	// MaxFileChunkData is the most data one FileChunk can carry.
	MaxFileChunkData = MaxMessageSize - fileChunkHeader
)

// FileOffer announces a file.
//
//	+--------+--------+-------------------+-------------------------------+------+---------+
//	| ver    | type   | id (32)           | size (64)                     | len  | name    |
//	+--------+--------+-------------------+-------------------------------+------+---------+
type FileOffer struct {
	ID   uint32
	Size uint64
	Name string // as the sender knows it; the receiver cleans it (CleanFileName)
}

func (*FileOffer) Type() Type         { return TypeFileOffer }
func (m *FileOffer) MarshalSize() int { return headerSize + 4 + 8 + 1 + len(m.Name) }
func (m *FileOffer) MarshalTo(buf []byte) (int, error) {
	if err := checkFileText(m.Name, MaxFileName); err != nil || m.Name == "" {
		return 0, fmt.Errorf("%w: file name", ErrInvalid)
	}
	size := m.MarshalSize()
	if err := putHeader(buf, m.Type(), size); err != nil {
		return 0, err
	}
	w := writer{b: buf, n: headerSize}
	w.u32(m.ID)
	w.u64(m.Size)
	w.str(m.Name)
	return w.n, nil
}
func (m *FileOffer) unmarshalPayload(p []byte) error {
	r := reader{b: p}
	m.ID = r.u32()
	m.Size = r.u64()
	m.Name = r.str(MaxFileName)
	if err := r.done(); err != nil {
		return err
	}
	if m.Name == "" || checkFileText(m.Name, MaxFileName) != nil {
		return fmt.Errorf("%w: file name", ErrInvalid)
	}
	return nil
}

// FileAnswer accepts or refuses an offer; a refusal says why.
type FileAnswer struct {
	ID     uint32
	Accept bool
	Reason string
}

func (*FileAnswer) Type() Type         { return TypeFileAnswer }
func (m *FileAnswer) MarshalSize() int { return headerSize + 4 + 1 + 1 + len(m.Reason) }
func (m *FileAnswer) MarshalTo(buf []byte) (int, error) {
	return marshalVerdict(buf, m.Type(), m.ID, m.Accept, m.Reason)
}
func (m *FileAnswer) unmarshalPayload(p []byte) error {
	var err error
	m.ID, m.Accept, m.Reason, err = unmarshalVerdict(p)
	return err
}

// FileResult says whether the receiver verified and saved the file.
type FileResult struct {
	ID     uint32
	OK     bool
	Reason string
}

func (*FileResult) Type() Type         { return TypeFileResult }
func (m *FileResult) MarshalSize() int { return headerSize + 4 + 1 + 1 + len(m.Reason) }
func (m *FileResult) MarshalTo(buf []byte) (int, error) {
	return marshalVerdict(buf, m.Type(), m.ID, m.OK, m.Reason)
}
func (m *FileResult) unmarshalPayload(p []byte) error {
	var err error
	m.ID, m.OK, m.Reason, err = unmarshalVerdict(p)
	return err
}

// FileCancel ends a transfer. Sender tells which of the canceller's
// transfers it is: one it sends (true) or one it receives (false), since
// each end numbers its own.
type FileCancel struct {
	ID     uint32
	Sender bool
	Reason string
}

func (*FileCancel) Type() Type         { return TypeFileCancel }
func (m *FileCancel) MarshalSize() int { return headerSize + 4 + 1 + 1 + len(m.Reason) }
func (m *FileCancel) MarshalTo(buf []byte) (int, error) {
	return marshalVerdict(buf, m.Type(), m.ID, m.Sender, m.Reason)
}
func (m *FileCancel) unmarshalPayload(p []byte) error {
	var err error
	m.ID, m.Sender, m.Reason, err = unmarshalVerdict(p)
	return err
}

// A verdict is an id, a flag and a reason:
//
//	+--------+--------+-------------------+------+------+---------+
//	| ver    | type   | id (32)           | flag | len  | reason  |
//	+--------+--------+-------------------+------+------+---------+
func marshalVerdict(buf []byte, t Type, id uint32, flag bool, reason string) (int, error) {
	if err := checkFileText(reason, maxFileReason); err != nil {
		return 0, err
	}
	size := headerSize + 4 + 1 + 1 + len(reason)
	if err := putHeader(buf, t, size); err != nil {
		return 0, err
	}
	w := writer{b: buf, n: headerSize}
	w.u32(id)
	w.u8(boolByte(flag))
	w.str(reason)
	return w.n, nil
}

func unmarshalVerdict(p []byte) (uint32, bool, string, error) {
	r := reader{b: p}
	id := r.u32()
	flag := r.u8()
	reason := r.str(maxFileReason)
	if err := r.done(); err != nil {
		return 0, false, "", err
	}
	if flag > 1 {
		return 0, false, "", fmt.Errorf("%w: flag %d", ErrInvalid, flag)
	}
	if err := checkFileText(reason, maxFileReason); err != nil {
		return 0, false, "", err
	}
	return id, flag == 1, reason, nil
}

// FileChunk carries bytes of a file at an offset. Data aliases the buffer
// it was decoded from.
//
//	+--------+--------+-------------------+-------------------------------+---------+
//	| ver    | type   | id (32)           | offset (64)                   | data    |
//	+--------+--------+-------------------+-------------------------------+---------+
type FileChunk struct {
	ID     uint32
	Offset uint64
	Data   []byte
}

func (*FileChunk) Type() Type         { return TypeFileChunk }
func (m *FileChunk) MarshalSize() int { return fileChunkHeader + len(m.Data) }
func (m *FileChunk) MarshalTo(buf []byte) (int, error) {
	if len(m.Data) == 0 {
		return 0, fmt.Errorf("%w: empty chunk", ErrInvalid)
	}
	size := m.MarshalSize()
	if err := putHeader(buf, m.Type(), size); err != nil {
		return 0, err
	}
	w := writer{b: buf, n: headerSize}
	w.u32(m.ID)
	w.u64(m.Offset)
	w.bytes(m.Data)
	return w.n, nil
}
func (m *FileChunk) unmarshalPayload(p []byte) error {
	r := reader{b: p}
	m.ID = r.u32()
	m.Offset = r.u64()
	if r.err != nil {
		return r.err
	}
	if len(r.b) == 0 {
		return fmt.Errorf("%w: empty chunk", ErrInvalid)
	}
	m.Data = r.bytes(len(r.b))
	return r.done()
}

// FileAck acknowledges the bytes of a transfer stored so far.
type FileAck struct {
	ID     uint32
	Offset uint64
}

func (*FileAck) Type() Type       { return TypeFileAck }
func (*FileAck) MarshalSize() int { return headerSize + 4 + 8 }
func (m *FileAck) MarshalTo(buf []byte) (int, error) {
	if err := putHeader(buf, m.Type(), m.MarshalSize()); err != nil {
		return 0, err
	}
	w := writer{b: buf, n: headerSize}
	w.u32(m.ID)
	w.u64(m.Offset)
	return w.n, nil
}
func (m *FileAck) unmarshalPayload(p []byte) error {
	r := reader{b: p}
	m.ID = r.u32()
	m.Offset = r.u64()
	return r.done()
}

// FileEnd says all of a file was sent, with the SHA-256 of its bytes.
type FileEnd struct {
	ID     uint32
	SHA256 [32]byte
}

func (*FileEnd) Type() Type       { return TypeFileEnd }
func (*FileEnd) MarshalSize() int { return headerSize + 4 + 32 }
func (m *FileEnd) MarshalTo(buf []byte) (int, error) {
	if err := putHeader(buf, m.Type(), m.MarshalSize()); err != nil {
		return 0, err
	}
	w := writer{b: buf, n: headerSize}
	w.u32(m.ID)
	w.bytes(m.SHA256[:])
	return w.n, nil
}
func (m *FileEnd) unmarshalPayload(p []byte) error {
	r := reader{b: p}
	m.ID = r.u32()
	copy(m.SHA256[:], r.bytes(32))
	return r.done()
}

// checkFileText checks a name or reason: valid UTF-8 within max bytes.
func checkFileText(s string, max int) error {
	if len(s) > max || !utf8.ValidString(s) {
		return fmt.Errorf("%w: text of %d bytes", ErrInvalid, len(s))
	}
	return nil
}

// maxCleanName bounds a cleaned file name in bytes, extension included:
// below every common file system's 255.
const maxCleanName = 120

// reservedNames are names Windows refuses for a file, with any extension.
var reservedNames = map[string]bool{"CON": true, "PRN": true, "AUX": true, "NUL": true,
	"COM1": true, "COM2": true, "COM3": true, "COM4": true, "COM5": true, "COM6": true, "COM7": true, "COM8": true, "COM9": true,
	"LPT1": true, "LPT2": true, "LPT3": true, "LPT4": true, "LPT5": true, "LPT6": true, "LPT7": true, "LPT8": true, "LPT9": true}

// CleanFileName makes a name from the other end safe to save in a folder
// on any OS: only its last path element is kept (both / and \ separate), control
// characters and characters Windows forbids become "_", leading dots and
// trailing dots and spaces go (no hidden files, no "..", nothing Windows
// trims), a reserved device name (CON, NUL, COM1, …) gets "_" in front,
// and the result is at most 120 bytes, cut before the extension. It is
// never empty, ".", ".." or a path.
func CleanFileName(name string) string {
	name = strings.ToValidUTF8(name, "_")
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		switch {
		case unicode.IsControl(r), strings.ContainsRune(`<>:"|?*`, r):
			return '_'
		case unicode.Is(unicode.Cf, r): // invisible format characters (bidi overrides) that disguise an extension
			return '_'
		}
		return r
	}, name)
	name = strings.TrimLeft(name, ". ")
	name = strings.TrimRight(name, ". ")
	if name == "" {
		name = "file"
	}
	base := name
	if i := strings.IndexByte(base, '.'); i >= 0 {
		base = base[:i]
	}
	if reservedNames[strings.ToUpper(strings.TrimSpace(base))] {
		name = "_" + name
	}
	if len(name) > maxCleanName {
		ext := path.Ext(name)
		if len(ext) > 16 {
			ext = ""
		}
		keep := maxCleanName - len(ext)
		for keep > 0 && !utf8.RuneStart(name[keep]) {
			keep--
		}
		name = strings.TrimRight(name[:keep], ". ") + ext
	}
	return name
}
