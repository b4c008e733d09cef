package input

// vkKey is a Windows virtual key and whether it is an "extended" key,
// which SendInput must flag (KEYEVENTF_EXTENDEDKEY) or Windows takes the
// numeric-keypad twin (Home vs Numpad7).
type vkKey struct {
	VK       uint16
	Extended bool
}

// vkNamedCodes maps DOM codes of non-printable keys to virtual keys
// (https://learn.microsoft.com/windows/win32/inputdev/virtual-key-codes).
var vkNamedCodes = map[string]vkKey{
	"Enter": {0x0D, false}, "Tab": {0x09, false}, "Backspace": {0x08, false}, "Escape": {0x1B, false},
	"Delete": {0x2E, true}, "Insert": {0x2D, true}, "Home": {0x24, true}, "End": {0x23, true},
	"PageUp": {0x21, true}, "PageDown": {0x22, true},
	"ArrowLeft": {0x25, true}, "ArrowUp": {0x26, true}, "ArrowRight": {0x27, true}, "ArrowDown": {0x28, true},
	"ShiftLeft": {0xA0, false}, "ShiftRight": {0xA1, false},
	"ControlLeft": {0xA2, false}, "ControlRight": {0xA3, true},
	"AltLeft": {0xA4, false}, "AltRight": {0xA5, true}, // AltGr on layouts that have it
	"MetaLeft": {0x5B, true}, "MetaRight": {0x5C, true}, "OSLeft": {0x5B, true}, "OSRight": {0x5C, true},
	"CapsLock": {0x14, false}, "NumLock": {0x90, true}, "ScrollLock": {0x91, false},
	"PrintScreen": {0x2C, true}, "Pause": {0x13, false}, "ContextMenu": {0x5D, true}, "Space": {0x20, false},
	"NumpadDecimal": {0x6E, false}, "NumpadAdd": {0x6B, false}, "NumpadSubtract": {0x6D, false},
	"NumpadMultiply": {0x6A, false}, "NumpadDivide": {0x6F, true}, "NumpadEnter": {0x0D, true},
	"NumpadComma":     {0x6C, false},
	"AudioVolumeMute": {0xAD, true}, "AudioVolumeDown": {0xAE, true}, "AudioVolumeUp": {0xAF, true},
	"MediaPlayPause": {0xB3, true}, "MediaStop": {0xB2, true},
	"MediaTrackNext": {0xB0, true}, "MediaTrackPrevious": {0xB1, true},
}

// vkNamedKeys maps DOM key names to virtual keys for events without a code.
var vkNamedKeys = map[string]vkKey{
	"Enter": {0x0D, false}, "Tab": {0x09, false}, "Backspace": {0x08, false}, "Escape": {0x1B, false},
	"Delete": {0x2E, true}, "Insert": {0x2D, true}, "Home": {0x24, true}, "End": {0x23, true},
	"PageUp": {0x21, true}, "PageDown": {0x22, true},
	"ArrowLeft": {0x25, true}, "ArrowUp": {0x26, true}, "ArrowRight": {0x27, true}, "ArrowDown": {0x28, true},
	"Shift": {0xA0, false}, "Control": {0xA2, false}, "Alt": {0xA4, false}, "AltGraph": {0xA5, true},
	"Meta": {0x5B, true}, "CapsLock": {0x14, false}, "NumLock": {0x90, true}, "ScrollLock": {0x91, false},
	"PrintScreen": {0x2C, true}, "Pause": {0x13, false}, "ContextMenu": {0x5D, true},
}

// vkPrintableCodes maps the punctuation positions of a US keyboard to their
// OEM virtual keys, for shortcuts whose character the layout lacks.
var vkPrintableCodes = map[string]uint16{
	"Minus": 0xBD, "Equal": 0xBB, "BracketLeft": 0xDB, "BracketRight": 0xDD, "Backslash": 0xDC,
	"Semicolon": 0xBA, "Quote": 0xDE, "Backquote": 0xC0, "Comma": 0xBC, "Period": 0xBE, "Slash": 0xBF,
	"IntlBackslash": 0xE2,
}

// vkForCode returns the virtual key of a named key from its DOM code, with
// Numpad digits as VK_NUMPAD0-9 and F1-F24 as VK_F1-VK_F24.
func vkForCode(code string) (vkKey, bool) {
	if k, ok := vkNamedCodes[code]; ok {
		return k, true
	}
	if len(code) == 7 && code[:6] == "Numpad" && code[6] >= '0' && code[6] <= '9' {
		return vkKey{VK: 0x60 + uint16(code[6]-'0')}, true
	}
	if n, ok := fKey(code); ok {
		return vkKey{VK: 0x70 + uint16(n-1)}, true
	}
	return vkKey{}, false
}

// vkForKeyName returns the virtual key of a named DOM key value.
func vkForKeyName(key string) (vkKey, bool) {
	if k, ok := vkNamedKeys[key]; ok {
		return k, true
	}
	if n, ok := fKey(key); ok {
		return vkKey{VK: 0x70 + uint16(n-1)}, true
	}
	return vkKey{}, false
}

// vkForPrintableCode returns the virtual key at a printable DOM code's
// position on a US keyboard: KeyC → 'C', Digit1 → '1', Slash → VK_OEM_2.
func vkForPrintableCode(code string) (uint16, bool) {
	switch {
	case len(code) == 4 && code[:3] == "Key" && code[3] >= 'A' && code[3] <= 'Z':
		return uint16(code[3]), true
	case len(code) == 6 && code[:5] == "Digit" && code[5] >= '0' && code[5] <= '9':
		return uint16(code[5]), true
	}
	vk, ok := vkPrintableCodes[code]
	return vk, ok
}

// fKey parses "F1".."F24".
func fKey(s string) (int, bool) {
	if len(s) < 2 || len(s) > 3 || s[0] != 'F' || s[1] == '0' {
		return 0, false
	}
	n := 0
	for _, c := range s[1:] {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, n >= 1 && n <= 24
}

// utf16Units splits r into the UTF-16 code units KEYEVENTF_UNICODE takes:
// one, or a surrogate pair above U+FFFF.
func utf16Units(r rune) []uint16 {
	if r < 0x10000 {
		return []uint16{uint16(r)}
	}
	r -= 0x10000
	return []uint16{0xD800 + uint16(r>>10), 0xDC00 + uint16(r&0x3FF)}
}

// absolute converts a screen pixel to SendInput's absolute coordinates,
// 0..65535 across the virtual desktop whose top-left is (left, top) and
// size w×h (MOUSEEVENTF_VIRTUALDESK). Windows maps a coordinate back to
// pixel v*size/65536, so aim at the pixel's centre: every pixel is
// reachable and rounding either way lands on it.
func absolute(x, y, left, top, w, h int) (int32, int32) {
	norm := func(p, origin, size int) int32 {
		if size <= 0 {
			return 0
		}
		p = min(max(p-origin, 0), size-1)
		return int32((2*p + 1) * 65536 / (2 * size))
	}
	return norm(x, left, w), norm(y, top, h)
}
