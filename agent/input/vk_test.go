package input

import (
	"slices"
	"testing"
)

func TestVK(t *testing.T) {
	tests := []struct {
		code string
		want vkKey
		ok   bool
	}{
		{"Enter", vkKey{0x0D, false}, true},
		{"NumpadEnter", vkKey{0x0D, true}, true},
		{"Home", vkKey{0x24, true}, true},
		{"Numpad7", vkKey{0x67, false}, true},
		{"F1", vkKey{0x70, false}, true},
		{"F24", vkKey{0x87, false}, true},
		{"F25", vkKey{}, false},
		{"F05", vkKey{}, false},
		{"AltRight", vkKey{0xA5, true}, true},
		{"KeyA", vkKey{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			got, ok := vkForCode(tt.code)
			if got != tt.want || ok != tt.ok {
				t.Errorf("vkForCode = %+v %v, want %+v %v", got, ok, tt.want, tt.ok)
			}
		})
	}
	if k, ok := vkForKeyName("F12"); !ok || k.VK != 0x7B {
		t.Errorf("vkForKeyName(F12) = %+v %v", k, ok)
	}
	for code, want := range map[string]uint16{"KeyC": 'C', "Digit9": '9', "Slash": 0xBF} {
		if got, ok := vkForPrintableCode(code); !ok || got != want {
			t.Errorf("vkForPrintableCode(%s) = %#x %v", code, got, ok)
		}
	}
}

func TestUTF16Units(t *testing.T) {
	tests := []struct {
		r    rune
		want []uint16
	}{
		{'a', []uint16{'a'}},
		{'€', []uint16{0x20AC}},
		{'😀', []uint16{0xD83D, 0xDE00}},
	}
	for _, tt := range tests {
		t.Run(string(tt.r), func(t *testing.T) {
			if got := utf16Units(tt.r); !slices.Equal(got, tt.want) {
				t.Errorf("utf16Units = %x, want %x", got, tt.want)
			}
		})
	}
}

func TestAbsolute(t *testing.T) {
	tests := []struct {
		name             string
		x, y, l, t, w, h int
		wantX, wantY     int32
	}{
		{"origin", 0, 0, 0, 0, 1920, 1080, 17, 30},
		{"far corner", 1919, 1079, 0, 0, 1920, 1080, 65518, 65505},
		{"second monitor left of primary", 0, 0, -1920, 0, 3840, 1080, 32776, 30},
		{"clamped", 5000, -5, 0, 0, 1920, 1080, 65518, 30},
		{"degenerate", 3, 3, 0, 0, 0, 0, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x, y := absolute(tt.x, tt.y, tt.l, tt.t, tt.w, tt.h)
			if x != tt.wantX || y != tt.wantY {
				t.Errorf("absolute = %d,%d, want %d,%d", x, y, tt.wantX, tt.wantY)
			}
		})
	}
	// Every pixel maps back to itself as Windows maps it (v*size/65536).
	for _, w := range []int{1024, 1920, 3840, 7680} {
		for px := range w {
			ax, _ := absolute(px, 0, 0, 0, w, 1080)
			if back := int(ax) * w / 65536; back != px {
				t.Fatalf("width %d: pixel %d → %d → %d", w, px, ax, back)
			}
		}
	}
}
