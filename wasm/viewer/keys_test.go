package viewer

import (
	"testing"

	"tether/server/protocol"
)

func TestIgnoreKey(t *testing.T) {
	tests := []struct {
		key       string
		composing bool
		keyCode   int
		want      bool
	}{
		{"a", false, 65, false},
		{"é", false, 50, false},
		{"Enter", false, 13, false},
		{"Dead", false, 192, true},
		{"Process", false, 229, true},
		{"あ", true, 0, true},
		{"a", false, 229, true},
		{"", false, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			if got := IgnoreKey(tt.key, tt.composing, tt.keyCode); got != tt.want {
				t.Errorf("IgnoreKey(%q, %v, %d) = %v", tt.key, tt.composing, tt.keyCode, got)
			}
		})
	}
}

func TestModifierBits(t *testing.T) {
	tests := []struct {
		name string
		m    ModifierState
		want uint8
	}{
		{"none", ModifierState{}, 0},
		{"shift", ModifierState{Shift: true}, protocol.ModShift},
		{"ctrl alt", ModifierState{Control: true, Alt: true}, protocol.ModCtrl | protocol.ModAlt},
		{"altgr caps meta", ModifierState{AltGraph: true, CapsLock: true, Meta: true}, protocol.ModAltGr | protocol.ModCapsLock | protocol.ModMeta},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.m.Bits(); got != tt.want {
				t.Errorf("Bits = %b, want %b", got, tt.want)
			}
		})
	}
}

func TestHeldKeys(t *testing.T) {
	var h heldKeys
	if h.track(protocol.Key{Down: false, Key: "a", Code: "KeyA"}) {
		t.Error("up without down was forwarded")
	}
	for _, k := range []protocol.Key{{Down: true, Key: "Shift", Code: "ShiftLeft"}, {Down: true, Key: "A", Code: "KeyA"}} {
		if !h.track(k) {
			t.Errorf("down %q not forwarded", k.Key)
		}
	}
	if !h.track(protocol.Key{Down: false, Key: "a", Code: "KeyA"}) {
		t.Error("up after down not forwarded")
	}
	ups := h.releaseAll()
	if len(ups) != 1 || ups[0].Code != "ShiftLeft" || ups[0].Down {
		t.Errorf("releaseAll = %+v, want one ShiftLeft up", ups)
	}
	if len(h.releaseAll()) != 0 {
		t.Error("second releaseAll not empty")
	}
}
