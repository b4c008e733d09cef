package protocol

import (
	"bytes"
	"errors"
	"testing"
)

// testChunk builds a recording of a Hello, a keyframe at 0 ms, frames every
// 100 ms and a keyframe at 500 ms.
func testChunk(t testing.TB) []byte {
	t.Helper()
	b := RecordingHeader()
	add := func(ms uint32, m Message) {
		msg, err := Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		if b, err = AppendRecorded(b, ms, msg); err != nil {
			t.Fatal(err)
		}
	}
	add(0, &Hello{Grants: GrantView, Width: 64, Height: 48, OS: "linux"})
	for i := uint32(0); i < 10; i++ {
		flags := UpdateEnd
		if i == 0 || i == 5 {
			flags |= UpdateReset
		}
		add(i*100, &Update{Seq: i + 1, Width: 64, Height: 48, Flags: flags, Data: []byte{1, 2, 3}})
		add(i*100+1, &CursorPos{X: uint16(i), Y: 3})
	}
	return b
}

func TestRecordingChunkRoundTrip(t *testing.T) {
	b := testChunk(t)
	s, err := CheckRecording(bytes.Clone(b))
	if err != nil {
		t.Fatal(err)
	}
	if s.Entries != 21 || s.FirstMs != 0 || s.EndMs != 901 || len(s.Keyframes) != 2 || s.Keyframes[0] != 0 || s.Keyframes[1] != 500 {
		t.Fatalf("summary %+v", s)
	}
	entries, err := ParseRecording(bytes.Clone(b))
	if err != nil || len(entries) != 21 {
		t.Fatalf("%d entries, %v", len(entries), err)
	}
	m, err := Unmarshal(entries[3].Msg)
	if err != nil {
		t.Fatal(err)
	}
	if u, ok := m.(*Update); !ok || u.Seq != 2 || entries[3].Millis != 100 {
		t.Fatalf("entry 3: %#v at %d", m, entries[3].Millis)
	}
	// The streaming reader of recording.go reads the same bytes.
	r, err := NewRecordingReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	for i := range entries {
		ms, msg, err := r.Next()
		if err != nil || ms != entries[i].Millis || !bytes.Equal(msg, entries[i].Msg) {
			t.Fatalf("entry %d: streaming reader %d %x %v", i, ms, msg, err)
		}
	}
}

// TestDamagedRecordingPlaysToTheDamage: a cut, a flipped length, a message
// of the wrong kind or a step back in time keep every entry before it.
func TestDamagedRecordingPlaysToTheDamage(t *testing.T) {
	good := testChunk(t)
	all, err := ParseRecording(bytes.Clone(good))
	if err != nil {
		t.Fatal(err)
	}
	// Entry 7 starts after the header and seven entries.
	off := RecordingHeaderSize
	for _, e := range all[:7] {
		off += recordingEntryHeader + len(e.Msg)
	}
	for _, tc := range []struct {
		name string
		mod  func([]byte) []byte
		keep int
	}{
		{"cut in an entry", func(b []byte) []byte { return b[:off+5] }, 7},
		{"cut in a message", func(b []byte) []byte { return b[:off+recordingEntryHeader+3] }, 7},
		{"huge length", func(b []byte) []byte { b[off+4] = 0x7f; return b }, 7},
		{"back in time", func(b []byte) []byte { b[off], b[off+1], b[off+2], b[off+3] = 0, 0, 0, 0; return b }, 7},
		{"not a screen message", func(b []byte) []byte { b[off+recordingEntryHeader+1] = byte(TypeKey); return b }, 7},
		{"wrong version", func(b []byte) []byte { b[off+recordingEntryHeader] = 99; return b }, 7},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseRecording(tc.mod(bytes.Clone(good)))
			if !errors.Is(err, ErrRecordingDamaged) {
				t.Fatalf("err %v, want damaged", err)
			}
			if len(got) != tc.keep || got[len(got)-1].Millis != all[tc.keep-1].Millis {
				t.Fatalf("kept %d entries, want %d", len(got), tc.keep)
			}
			if _, err := CheckRecording(tc.mod(bytes.Clone(good))); !errors.Is(err, ErrRecordingDamaged) {
				t.Fatalf("CheckRecording: %v", err)
			}
		})
	}
	if _, err := ParseRecording([]byte("TETHREX\x04")); !errors.Is(err, ErrRecordingDamaged) {
		t.Fatalf("bad magic: %v", err)
	}
	if _, err := ParseRecording([]byte("TETHREC\x02")); !errors.Is(err, ErrRecordingVersion) {
		t.Fatalf("version 2: %v", err)
	}
	// A message that frames well but does not decode passes the parse and
	// fails the check.
	b := RecordingHeader()
	b, _ = AppendRecorded(b, 0, []byte{Version, byte(TypeHello), 1})
	if _, err := ParseRecording(bytes.Clone(b)); err != nil {
		t.Fatal(err)
	}
	if _, err := CheckRecording(b); !errors.Is(err, ErrRecordingDamaged) {
		t.Fatalf("undecodable hello: %v", err)
	}
}

func TestAppendRecordedBound(t *testing.T) {
	if _, err := AppendRecorded(nil, 0, make([]byte, MaxMessageSize+1)); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("oversized message: %v", err)
	}
}

// FuzzParseRecording: untrusted bytes (an uploaded chunk, a file from the
// blob store) never panic the parser, and what it returns lies inside the
// input in time order.
func FuzzParseRecording(f *testing.F) {
	f.Add(testChunk(f))
	f.Add(RecordingHeader())
	f.Add([]byte("TETHREC\x03\x00\x00\x00\x01\x00\x00\x00\x02\x03\x01"))
	f.Fuzz(func(t *testing.T, b []byte) {
		entries, err := ParseRecording(b)
		var last uint32
		for _, e := range entries {
			if e.Millis < last || len(e.Msg) < headerSize || len(e.Msg) > MaxMessageSize {
				t.Fatalf("entry %d ms, %d bytes after %d ms", e.Millis, len(e.Msg), last)
			}
			last = e.Millis
		}
		if err == nil {
			if _, err := CheckRecording(b); err != nil && !errors.Is(err, ErrRecordingDamaged) {
				t.Fatalf("check: %v", err)
			}
		}
	})
}
