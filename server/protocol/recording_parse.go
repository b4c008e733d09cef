package protocol

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Recordings of a live session (the engineer's viewer records what it was
// shown, see docs/architecture.md "Recording") use the format of
// recording.go and travel in chunks: each chunk is a recording of its own
// (header and entries) whose times count from the start of the whole
// recording, so that chunks concatenated without their headers after the
// first are the recording.

// RecordingHeaderSize is the size of a recording's header.
const RecordingHeaderSize = len(recordingMagic) + 1

// recordingEntryHeader is an entry's time and length.
const recordingEntryHeader = 8

// ErrRecordingDamaged is returned for a recording that does not parse to
// its end: what comes before the damage is still good.
var ErrRecordingDamaged = errors.New("protocol: recording damaged")

// Recorded is one entry of a recording: a session message and when it
// came, in milliseconds since the recording started.
type Recorded struct {
	Millis uint32
	Msg    []byte
}

// Recorded reports whether messages of type t go into a recording: those
// that draw the screen and the pointer, as the agent sends them.
func (t Type) Recorded() bool {
	switch t {
	case TypeHello, TypeUpdate, TypePhoto, TypeFrameEnd, TypeCursorPos, TypeCursorShape:
		return true
	}
	return false
}

// RecordingHeader returns the header of a recording made with this build.
func RecordingHeader() []byte { return append([]byte(recordingMagic), Version) }

// AppendRecorded appends one entry to a recording (or chunk) being built in
// memory; the caller wrote RecordingHeader first.
func AppendRecorded(b []byte, millis uint32, msg []byte) ([]byte, error) {
	if len(msg) > MaxMessageSize {
		return b, fmt.Errorf("%w: recorded message of %d bytes", ErrTooLarge, len(msg))
	}
	b = binary.BigEndian.AppendUint32(b, millis)
	b = binary.BigEndian.AppendUint32(b, uint32(len(msg)))
	return append(b, msg...), nil
}

// ParseRecording reads a whole recording held in memory. It returns every
// entry up to the first one that is cut short, too large, of a type that
// is not recorded, or earlier than the one before it; err then wraps
// ErrRecordingDamaged and says where. The messages are slices of b, and a
// recording of an older version of the same layout has their version
// bytes rewritten in b (see sameLayout).
func ParseRecording(b []byte) ([]Recorded, error) {
	if len(b) < RecordingHeaderSize || string(b[:len(recordingMagic)]) != recordingMagic {
		return nil, fmt.Errorf("%w: not a recording", ErrRecordingDamaged)
	}
	from := b[len(recordingMagic)]
	if !sameLayout(from) {
		return nil, fmt.Errorf("%w: made with version %d, this build reads version %d", ErrRecordingVersion, from, Version)
	}
	var out []Recorded
	var last uint32
	for off := RecordingHeaderSize; off < len(b); {
		if len(b)-off < recordingEntryHeader {
			return out, fmt.Errorf("%w: entry %d cut short at byte %d", ErrRecordingDamaged, len(out), off)
		}
		ms := binary.BigEndian.Uint32(b[off:])
		n := binary.BigEndian.Uint32(b[off+4:])
		if n < headerSize || n > MaxMessageSize || uint64(len(b)-off-recordingEntryHeader) < uint64(n) {
			return out, fmt.Errorf("%w: entry %d at byte %d has a bad length (%d)", ErrRecordingDamaged, len(out), off, n)
		}
		if ms < last {
			return out, fmt.Errorf("%w: entry %d at byte %d goes back in time (%d ms after %d ms)", ErrRecordingDamaged, len(out), off, ms, last)
		}
		msg := b[off+recordingEntryHeader : off+recordingEntryHeader+int(n)]
		if msg[0] == from {
			msg[0] = Version
		}
		if msg[0] != Version || !Type(msg[1]).Recorded() {
			return out, fmt.Errorf("%w: entry %d at byte %d is not a recorded message", ErrRecordingDamaged, len(out), off)
		}
		out = append(out, Recorded{Millis: ms, Msg: msg})
		last = ms
		off += recordingEntryHeader + int(n)
	}
	return out, nil
}

// RecordingSummary describes a checked recording or chunk.
type RecordingSummary struct {
	Entries        int
	FirstMs, EndMs uint32
	// Keyframes are the times of the full frames, the Updates that start
	// the deflate stream again (UpdateReset): playback can start there.
	Keyframes []uint32
}

// CheckRecording parses a recording (or chunk) and decodes every message,
// as a server does before keeping an uploaded chunk: any damage is an
// error.
func CheckRecording(b []byte) (RecordingSummary, error) {
	entries, err := ParseRecording(b)
	if err != nil {
		return RecordingSummary{}, err
	}
	s := RecordingSummary{Entries: len(entries)}
	for i, e := range entries {
		m, err := Unmarshal(e.Msg)
		if err != nil {
			return RecordingSummary{}, fmt.Errorf("%w: entry %d: %v", ErrRecordingDamaged, i, err)
		}
		if u, ok := m.(*Update); ok && u.Reset() {
			s.Keyframes = append(s.Keyframes, e.Millis)
		}
	}
	if len(entries) > 0 {
		s.FirstMs, s.EndMs = entries[0].Millis, entries[len(entries)-1].Millis
	}
	return s, nil
}
