package input

import (
	"testing"

	"tether/server/protocol"
)

func TestPrintable(t *testing.T) {
	tests := []struct {
		key  string
		r    rune
		want bool
	}{
		{"a", 'a', true}, {"é", 'é', true}, {" ", ' ', true}, {"€", '€', true}, {"😀", '😀', true},
		{"Enter", 0, false}, {"", 0, false}, {"ab", 0, false}, {"\t", 0, false}, {"\xff", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			r, ok := printable(tt.key)
			if ok != tt.want || ok && r != tt.r {
				t.Errorf("printable(%q) = %q %v", tt.key, r, ok)
			}
		})
	}
}

func TestIsShortcut(t *testing.T) {
	tests := []struct {
		name string
		mods uint8
		want bool
	}{
		{"none", 0, false},
		{"shift", protocol.ModShift, false},
		{"ctrl", protocol.ModCtrl, true},
		{"alt", protocol.ModAlt, true},
		{"meta", protocol.ModMeta, true},
		{"altgr as ctrl+alt", protocol.ModCtrl | protocol.ModAlt | protocol.ModAltGr, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := isShortcut(tt.mods); got != tt.want {
				t.Errorf("isShortcut = %v", got)
			}
		})
	}
}

func TestWheelAccum(t *testing.T) {
	var a wheelAccum
	steps := []struct {
		dx, dy, cx, cy int
	}{
		{0, 120, 0, 1},
		{0, 60, 0, 0},
		{0, 60, 0, 1},
		{0, -250, 0, -2},
		{0, 10, 0, 0}, // -10 + 10 = 0 left over
		{-120, 0, -1, 0},
		{0, 120 * 1000, 0, maxWheelClicks},
	}
	for i, s := range steps {
		cx, cy := a.add(s.dx, s.dy)
		if cx != s.cx || cy != s.cy {
			t.Errorf("step %d: add(%d,%d) = %d,%d, want %d,%d", i, s.dx, s.dy, cx, cy, s.cx, s.cy)
		}
	}
}

func TestHeldID(t *testing.T) {
	if got := heldID(protocol.Key{Key: "a", Code: "KeyA"}); got != "KeyA" {
		t.Errorf("heldID = %q", got)
	}
	if got := heldID(protocol.Key{Key: "a"}); got != "key:a" {
		t.Errorf("heldID = %q", got)
	}
}

func TestComposedOnSpace(t *testing.T) {
	for _, tt := range []struct {
		key, code string
		want      bool
	}{
		{"^", "Space", true}, {"`", "Space", true}, {"´", "Space", true},
		{" ", "Space", false}, {"Unidentified", "Space", false}, {"^", "Digit6", false},
	} {
		if got := composedOnSpace(protocol.Key{Key: tt.key, Code: tt.code}); got != tt.want {
			t.Errorf("composedOnSpace(%q, %q) = %v", tt.key, tt.code, got)
		}
	}
}
