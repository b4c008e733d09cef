package protocol

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func windowMessages() []Message {
	return []Message{
		&Scope{Kind: ScopeScreen},
		&Scope{Kind: ScopeScreen, Hidden: 2},
		&Scope{Kind: ScopeWindow, Hidden: 1, Title: "Terminal — ~/src"},
		&Point{Stroke: 7, Points: []XY{{1, 2}, {65535, 0}}},
		&Point{Stroke: 7, Flags: PointEnd, Points: []XY{{3, 4}}},
		&Point{Flags: PointClear, Points: []XY{}},
	}
}

func TestWindowMessagesRoundTrip(t *testing.T) {
	for _, m := range windowMessages() {
		b, err := Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		got, err := Unmarshal(b)
		if err != nil {
			t.Fatalf("%T: %v", m, err)
		}
		if !reflect.DeepEqual(got, m) {
			t.Fatalf("got %#v, want %#v", got, m)
		}
		for n := headerSize; n < len(b); n++ {
			if _, err := Unmarshal(b[:n]); err == nil {
				t.Fatalf("%T: prefix of %d bytes accepted", m, n)
			}
		}
		if _, err := Unmarshal(append(bytes.Clone(b), 0)); !errors.Is(err, ErrTrailing) {
			t.Fatalf("%T: trailing byte: %v", m, err)
		}
	}
}

func TestWindowMessagesRefuseOutOfBounds(t *testing.T) {
	bad := []Message{
		&Scope{Kind: 2},
		&Scope{Kind: ScopeScreen, Title: "a title for the whole screen"},
		&Scope{Kind: ScopeWindow, Title: strings.Repeat("x", MaxTitle+1)},
		&Point{Points: make([]XY, MaxPoints+1)},
		&Point{Flags: 4},
		&Point{Flags: PointClear, Points: []XY{{1, 1}}},
	}
	for _, m := range bad {
		if _, err := Marshal(m); !errors.Is(err, ErrInvalid) {
			t.Errorf("%#v: marshal %v, want ErrInvalid", m, err)
		}
	}
	// The same, forged on the wire.
	forged := [][]byte{
		{Version, byte(TypeScope), 2, 0, 0},
		{Version, byte(TypeScope), 0, 0, 1, 'x'},
		{Version, byte(TypeScope), 1, 0, 2, 0xff, 0xfe},
		append([]byte{Version, byte(TypePoint), 0, 1, 0, MaxPoints + 1}, make([]byte, 4*(MaxPoints+1))...),
		{Version, byte(TypePoint), 0, 1, 8, 0},
		{Version, byte(TypePoint), 0, 1, byte(PointClear), 1, 0, 1, 0, 1},
		{Version, byte(TypePoint), 0, 1, 0, 2, 0, 1, 0, 1},
	}
	for _, b := range forged {
		if _, err := Unmarshal(b); err == nil {
			t.Errorf("%x accepted", b)
		}
	}
}

func TestWindowMessagesRoutes(t *testing.T) {
	if from, need := TypeScope.Route(); from != SenderAgent || need != GrantView {
		t.Errorf("scope: from %v need %v", from, need)
	}
	// Pointing works in view-only: it needs view, never control.
	if from, need := TypePoint.Route(); from != SenderViewer || need != GrantView {
		t.Errorf("point: from %v need %v", from, need)
	}
}

func TestClipTitle(t *testing.T) {
	long := strings.Repeat("é", MaxTitle) // two bytes each
	got := ClipTitle(long)
	if len(got) > MaxTitle || !strings.HasPrefix(long, got) || len(got) < MaxTitle-1 {
		t.Fatalf("clipped to %d bytes", len(got))
	}
	if _, err := Marshal(&Scope{Kind: ScopeWindow, Title: got}); err != nil {
		t.Fatal(err)
	}
}

// FuzzWindowMessages: Scope and Point from untrusted bytes never panic and
// re-encode to the same bytes.
func FuzzWindowMessages(f *testing.F) {
	for _, m := range windowMessages() {
		b, err := Marshal(m)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) >= 2 {
			b[0] = Version
			if b[1]&1 == 0 {
				b[1] = byte(TypeScope)
			} else {
				b[1] = byte(TypePoint)
			}
		}
		m, err := Unmarshal(b)
		if err != nil {
			return
		}
		out, err := Marshal(m)
		if err != nil {
			t.Fatalf("decoded %T does not re-encode: %v", m, err)
		}
		if !bytes.Equal(out, b) {
			t.Fatalf("re-encoding differs:\n in %x\nout %x", b, out)
		}
	})
}
