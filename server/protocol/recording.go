package protocol

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// A recording is the agent's side of a session as it went over the wire:
// the session messages with their times, after a header naming the protocol
// version they were encoded with. Decoding needs the exact message stream
// (the Update deflate stream spans messages), so a recording stores
// messages rather than pictures, which also keeps it small. Tests replay
// recordings of real screens (typing, scrolling) to prove the codec
// pixel-exact.
//
//	+--------+--------+--------+--------+--------+--------+--------+--------+
//	|  "TETHREC"  (7 bytes)                                       | version |
//	+--------+--------+--------+--------+--------+--------+--------+--------+
//	then per message:
//	+--------+--------+--------+--------+--------+--------+--------+--------+
//	|      millis since start (u32)     |         length (u32)              |
//	+--------+--------+--------+--------+--------+--------+--------+--------+
//	|  message (length bytes, a session message with its own header) ...
const recordingMagic = "TETHREC"

// ErrRecordingVersion is returned for a recording made with another protocol
// version: its messages cannot be decoded by this build.
var ErrRecordingVersion = errors.New("protocol: recording of another protocol version")

// RecordingWriter appends messages to a recording.
type RecordingWriter struct {
	w   io.Writer
	err error
}

// NewRecordingWriter writes the header to w.
func NewRecordingWriter(w io.Writer) (*RecordingWriter, error) {
	if _, err := io.WriteString(w, recordingMagic+string([]byte{Version})); err != nil {
		return nil, fmt.Errorf("protocol: recording header: %w", err)
	}
	return &RecordingWriter{w: w}, nil
}

// Write appends one marshalled message sent at millis since the start.
func (r *RecordingWriter) Write(millis uint32, msg []byte) error {
	if r.err != nil {
		return r.err
	}
	if len(msg) > MaxMessageSize {
		return fmt.Errorf("%w: recorded message of %d bytes", ErrTooLarge, len(msg))
	}
	var h [8]byte
	binary.BigEndian.PutUint32(h[:], millis)
	binary.BigEndian.PutUint32(h[4:], uint32(len(msg)))
	if _, err := r.w.Write(h[:]); err != nil {
		r.err = err
		return err
	}
	if _, err := r.w.Write(msg); err != nil {
		r.err = err
	}
	return r.err
}

// RecordingReader reads the messages of a recording back.
type RecordingReader struct {
	r    *bufio.Reader
	buf  []byte
	from uint8 // the version the recording was made with
}

// NewRecordingReader checks the header of a recording. A recording of
// another protocol version fails with ErrRecordingVersion, saying which,
// unless its messages have this version's layout (a version 3 recording).
func NewRecordingReader(r io.Reader) (*RecordingReader, error) {
	br := bufio.NewReader(r)
	var h [len(recordingMagic) + 1]byte
	if _, err := io.ReadFull(br, h[:]); err != nil {
		return nil, fmt.Errorf("protocol: not a recording: %w", err)
	}
	if string(h[:len(recordingMagic)]) != recordingMagic {
		return nil, fmt.Errorf("protocol: not a recording (header %q)", h[:len(recordingMagic)])
	}
	v := h[len(recordingMagic)]
	if !sameLayout(v) {
		return nil, fmt.Errorf("%w: made with version %d, this build reads version %d; record it again", ErrRecordingVersion, v, Version)
	}
	return &RecordingReader{r: br, from: v}, nil
}

// Next returns the next message and its time; the message is valid until
// the next call. It returns io.EOF after the last one.
func (r *RecordingReader) Next() (millis uint32, msg []byte, err error) {
	var h [8]byte
	if _, err := io.ReadFull(r.r, h[:]); err != nil {
		if errors.Is(err, io.EOF) {
			return 0, nil, io.EOF
		}
		return 0, nil, fmt.Errorf("protocol: recording entry: %w", err)
	}
	n := binary.BigEndian.Uint32(h[4:])
	if n > MaxMessageSize {
		return 0, nil, fmt.Errorf("%w: recorded message of %d bytes", ErrTooLarge, n)
	}
	if cap(r.buf) < int(n) {
		r.buf = make([]byte, MaxMessageSize)
	}
	msg = r.buf[:n]
	if _, err := io.ReadFull(r.r, msg); err != nil {
		return 0, nil, fmt.Errorf("protocol: recording truncated: %w", err)
	}
	if n > 0 && msg[0] == r.from {
		msg[0] = Version // same layout, see sameLayout
	}
	return binary.BigEndian.Uint32(h[:]), msg, nil
}
