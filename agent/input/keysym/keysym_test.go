package keysym

import "testing"

func TestRunes(t *testing.T) {
	tests := []struct {
		r  rune
		ks uint32
	}{
		{'a', 'a'}, {'Z', 'Z'}, {'~', '~'}, {'é', 0xe9}, {'ß', 0xdf},
		{'€', 0x20ac}, {'ж', 0x6d6}, {'Ł', 0x1a3}, {'☃', 0x1002603},
	}
	for _, tt := range tests {
		t.Run(string(tt.r), func(t *testing.T) {
			if got := FromRune(tt.r); got != tt.ks {
				t.Errorf("FromRune = %#x, want %#x", got, tt.ks)
			}
			if got, ok := ToRune(tt.ks); !ok || got != tt.r {
				t.Errorf("ToRune(%#x) = %q %v", tt.ks, got, ok)
			}
			if got, ok := ToRune(0x01000000 + uint32(tt.r)); !ok || got != tt.r {
				t.Errorf("ToRune(unicode form) = %q %v", got, ok)
			}
		})
	}
	for _, ks := range []uint32{Return, ShiftL, 0, 0xffff, 0x1f} {
		if r, ok := ToRune(ks); ok {
			t.Errorf("ToRune(%#x) = %q, want none", ks, r)
		}
	}
	if r, _ := ToRune(0xffb7); r != '7' {
		t.Errorf("KP_7 = %q", r)
	}
}

func TestForCode(t *testing.T) {
	tests := []struct {
		code, key string
		ks        uint32
		ok        bool
	}{
		{"Enter", "Enter", Return, true},
		{"NumpadEnter", "Enter", 0xff8d, true},
		{"AltRight", "Alt", AltR, true},
		{"AltRight", "AltGraph", ISOLevel3Shift, true},
		{"F1", "F1", 0xffbe, true},
		{"F12", "F12", 0xffc9, true},
		{"F24", "F24", 0xffd5, true},
		{"F25", "F25", 0, false},
		{"F0", "", 0, false},
		{"F01", "", 0, false},
		{"Numpad7", "7", 0xffb7, true},
		{"Space", " ", ' ', true},
		{"KeyA", "a", 0, false},
		{"Digit1", "!", 0, false},
		{"", "x", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.code+"/"+tt.key, func(t *testing.T) {
			ks, ok := ForCode(tt.code, tt.key)
			if ks != tt.ks || ok != tt.ok {
				t.Errorf("ForCode = %#x %v, want %#x %v", ks, ok, tt.ks, tt.ok)
			}
		})
	}
	if ks, ok := ForKeyName("F5"); !ok || ks != 0xffc2 {
		t.Errorf("ForKeyName(F5) = %#x %v", ks, ok)
	}
	if ks, ok := ForKeyName("AltGraph"); !ok || ks != ISOLevel3Shift {
		t.Errorf("ForKeyName(AltGraph) = %#x %v", ks, ok)
	}
}

func TestUSChar(t *testing.T) {
	for code, want := range map[string]rune{"KeyC": 'c', "KeyZ": 'z', "Digit0": '0', "Slash": '/', "Quote": '\''} {
		if got, ok := USChar(code); !ok || got != want {
			t.Errorf("USChar(%s) = %q %v", code, got, ok)
		}
	}
	for _, code := range []string{"Keya", "Enter", "Digit", "KeyAB"} {
		if _, ok := USChar(code); ok {
			t.Errorf("USChar(%s) found", code)
		}
	}
}

// usMap is a fragment of a US layout with an AltGr level and spares, as
// XKB publishes it: 6 keysyms per keycode, columns 4-5 are level 3-4.
func usMap() *Mapping {
	m := &Mapping{Min: 8, PerKeycode: 6}
	rows := [][]uint32{
		{},                               // 8: spare
		{'1', '!', '1', '!', 0xb9, 0xa1}, // 9
		{'e', 'E', 'e', 'E', 0x20ac, 0},  // 10: AltGr+e = €
		{'s', 0, 's', 0, 0xdf, 0},        // 11: (s, NoSymbol) = (s, S)
		{0xffb7, 0xff50},                 // 12: KP_7 / KP_Home
		{ShiftL},                         // 13
		{'-', '_'},                       // 14
		{},                               // 15: spare
	}
	for _, r := range rows {
		row := make([]uint32, 6)
		copy(row, r)
		m.Syms = append(m.Syms, row...)
	}
	return m
}

func TestMapping(t *testing.T) {
	m := usMap()
	if m.Max() != 15 {
		t.Fatalf("Max = %d", m.Max())
	}
	tests := []struct {
		r     rune
		caps  bool
		l3    bool
		kc    byte
		level Level
		ok    bool
	}{
		{'e', false, true, 10, Level{}, true},
		{'E', false, true, 10, Level{Shift: true}, true},
		{'E', true, true, 10, Level{}, true},
		{'e', true, true, 10, Level{Shift: true}, true},
		{'S', false, true, 11, Level{Shift: true}, true},
		{'€', false, true, 10, Level{Level3: true}, true},
		{'€', false, false, 0, Level{}, false},
		{'ß', false, true, 11, Level{Level3: true}, true},
		{'_', true, true, 14, Level{Shift: true}, true},
		{'7', false, true, 0, Level{}, false}, // keypad only
		{'ж', false, true, 0, Level{}, false},
	}
	for _, tt := range tests {
		t.Run(string(tt.r), func(t *testing.T) {
			kc, l, ok := m.FindRune(tt.r, tt.caps, tt.l3)
			if kc != tt.kc || l != tt.level || ok != tt.ok {
				t.Errorf("FindRune = %d %+v %v, want %d %+v %v", kc, l, ok, tt.kc, tt.level, tt.ok)
			}
		})
	}
	if kc, ok := m.FindKeysym(ShiftL); !ok || kc != 13 {
		t.Errorf("FindKeysym(Shift_L) = %d %v", kc, ok)
	}
	if got := m.Spare(); len(got) != 2 || got[0] != 8 || got[1] != 15 {
		t.Errorf("Spare = %v", got)
	}
	m.Set(8, []uint32{FromRune('ж'), FromRune('ж')})
	if kc, l, ok := m.FindRune('ж', false, false); !ok || kc != 8 || l != (Level{}) {
		t.Errorf("after Set: %d %+v %v", kc, l, ok)
	}
	if m.Row(7) != nil || m.Row(16) != nil {
		t.Error("Row outside mapping not nil")
	}
}
