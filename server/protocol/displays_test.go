package protocol

import (
	"bytes"
	"errors"
	"image"
	"reflect"
	"strings"
	"testing"
)

func sampleDisplays() []Message {
	return []Message{
		&Displays{Selected: 0, List: []Display{
			{X: 0, Y: 0, Width: 1920, Height: 1080, Flags: DisplayPrimary, Name: "DP-1"},
			{X: -1280, Y: 200, Width: 1280, Height: 1024, Name: `\\.\DISPLAY2`},
		}},
		&Displays{Selected: AllDisplays, List: []Display{{Width: 800, Height: 600}}},
		&SelectDisplay{Index: 1},
		&SelectDisplay{Index: AllDisplays},
	}
}

func TestDisplaysRoundTrip(t *testing.T) {
	for _, m := range sampleDisplays() {
		b, err := Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		if len(b) != m.MarshalSize() {
			t.Fatalf("%s: wrote %d bytes, MarshalSize %d", m.Type(), len(b), m.MarshalSize())
		}
		got, err := Unmarshal(b)
		if err != nil {
			t.Fatalf("%s: %v", m.Type(), err)
		}
		if !reflect.DeepEqual(got, m) {
			t.Fatalf("got %#v, want %#v", got, m)
		}
		// Every strict prefix fails cleanly.
		for i := range len(b) {
			if _, err := Unmarshal(b[:i]); err == nil {
				t.Fatalf("%s: prefix of %d bytes accepted", m.Type(), i)
			}
		}
		if _, err := Unmarshal(append(b, 0)); !errors.Is(err, ErrTrailing) {
			t.Fatalf("%s: trailing byte: %v", m.Type(), err)
		}
	}
}

func TestDisplaysRefused(t *testing.T) {
	one := Display{Width: 100, Height: 100}
	many := make([]Display, MaxDisplays+1)
	for i := range many {
		many[i] = one
	}
	for name, m := range map[string]*Displays{
		"empty":        {},
		"too many":     {List: many},
		"selected out": {Selected: 1, List: []Display{one}},
		"zero width":   {List: []Display{{Height: 5}}},
		"flags":        {List: []Display{{Width: 1, Height: 1, Flags: 2}}},
		"long name":    {List: []Display{{Width: 1, Height: 1, Name: strings.Repeat("x", MaxDisplayName+1)}}},
		"bad utf-8":    {List: []Display{{Width: 1, Height: 1, Name: "\xff"}}},
	} {
		if _, err := Marshal(m); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: marshal: %v", name, err)
		}
	}
	// The decoder refuses the same without trusting the encoder: a count of
	// zero, a count past the limit, a selection past the list.
	good, err := Marshal(&Displays{List: []Display{one}})
	if err != nil {
		t.Fatal(err)
	}
	for name, edit := range map[string]func(b []byte){
		"count 0":     func(b []byte) { b[3] = 0 },
		"count 17":    func(b []byte) { b[3] = MaxDisplays + 1 },
		"selected 1":  func(b []byte) { b[2] = 1 },
		"height 0":    func(b []byte) { b[14], b[15] = 0, 0 },
		"flag 0x80":   func(b []byte) { b[16] = 0x80 },
		"name length": func(b []byte) { b[17] = 5 },
	} {
		b := bytes.Clone(good)
		edit(b)
		if _, err := Unmarshal(b); err == nil {
			t.Errorf("%s: accepted %x", name, b)
		}
	}
}

func TestDisplaysBounds(t *testing.T) {
	m := &Displays{List: []Display{
		{X: 0, Y: 0, Width: 1920, Height: 1080, Flags: DisplayPrimary},
		{X: -1280, Y: 200, Width: 1280, Height: 1024},
	}}
	if got, want := m.Bounds(), image.Rect(0, 0, 1920, 1080); got != want {
		t.Errorf("display 0: %v, want %v", got, want)
	}
	m.Selected = 1
	if got, want := m.Bounds(), image.Rect(-1280, 200, 0, 1224); got != want {
		t.Errorf("display 1: %v, want %v", got, want)
	}
	m.Selected = AllDisplays
	if got, want := m.Bounds(), image.Rect(-1280, 0, 1920, 1224); got != want {
		t.Errorf("all: %v, want %v", got, want)
	}
}

// FuzzDisplays feeds arbitrary bytes to the decoder of the display
// messages: it must never panic, and whatever it accepts must re-encode to
// the same bytes.
func FuzzDisplays(f *testing.F) {
	for _, m := range sampleDisplays() {
		b, err := Marshal(m)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
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
