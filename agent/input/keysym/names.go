package keysym

import (
	"strconv"
	"strings"
)

// namedCodes maps DOM KeyboardEvent.code values of keys that type no
// character to keysyms (https://www.w3.org/TR/uievents-code/). Printable
// positions (KeyA, Digit1, Minus) are absent on purpose: those are typed as
// the character the engineer's layout produced.
var namedCodes = map[string]uint32{
	"Enter": Return, "Tab": Tab, "Backspace": BackSpace, "Escape": 0xff1b,
	"Delete": 0xffff, "Insert": 0xff63, "Home": 0xff50, "End": 0xff57,
	"PageUp": 0xff55, "PageDown": 0xff56,
	"ArrowLeft": 0xff51, "ArrowUp": 0xff52, "ArrowRight": 0xff53, "ArrowDown": 0xff54,
	"ShiftLeft": ShiftL, "ShiftRight": ShiftR, "ControlLeft": ControlL, "ControlRight": ControlR,
	"AltLeft": AltL, "AltRight": AltR, "MetaLeft": SuperL, "MetaRight": SuperR,
	"OSLeft": SuperL, "OSRight": SuperR, // older Firefox
	"CapsLock": CapsLock, "NumLock": 0xff7f, "ScrollLock": 0xff14,
	"PrintScreen": 0xff61, "Pause": 0xff13, "ContextMenu": 0xff67, "Space": ' ',
	"NumpadDecimal": 0xffae, "NumpadAdd": 0xffab, "NumpadSubtract": 0xffad,
	"NumpadMultiply": keypadMultiply, "NumpadDivide": keypadDivide, "NumpadEnter": 0xff8d,
	"NumpadEqual": keypadEqual, "NumpadComma": 0xffac,
	"AudioVolumeMute": 0x1008ff12, "AudioVolumeDown": 0x1008ff11, "AudioVolumeUp": 0x1008ff13,
	"MediaPlayPause": 0x1008ff14, "MediaStop": 0x1008ff15,
	"MediaTrackPrevious": 0x1008ff16, "MediaTrackNext": 0x1008ff17,
}

// namedKeys maps DOM KeyboardEvent.key names to keysyms, for events whose
// code is empty or unknown (virtual keyboards, IMEs).
var namedKeys = map[string]uint32{
	"Enter": Return, "Tab": Tab, "Backspace": BackSpace, "Escape": 0xff1b,
	"Delete": 0xffff, "Insert": 0xff63, "Home": 0xff50, "End": 0xff57,
	"PageUp": 0xff55, "PageDown": 0xff56,
	"ArrowLeft": 0xff51, "ArrowUp": 0xff52, "ArrowRight": 0xff53, "ArrowDown": 0xff54,
	"Shift": ShiftL, "Control": ControlL, "Alt": AltL, "AltGraph": ISOLevel3Shift,
	"Meta": SuperL, "CapsLock": CapsLock, "NumLock": 0xff7f, "ScrollLock": 0xff14,
	"PrintScreen": 0xff61, "Pause": 0xff13, "ContextMenu": 0xff67,
}

// usCodeChars is the character on each printable DOM code on a US layout,
// used for shortcuts when the engineer's key has no counterpart on the
// customer's layout (Ctrl+С on a Russian layout still means Ctrl+C).
var usCodeChars = map[string]rune{
	"Minus": '-', "Equal": '=', "BracketLeft": '[', "BracketRight": ']',
	"Backslash": '\\', "IntlBackslash": '\\', "Semicolon": ';', "Quote": '\'',
	"Backquote": '`', "Comma": ',', "Period": '.', "Slash": '/',
}

// ForCode returns the keysym of a named (non-printable) key from its DOM
// code and key. key "AltGraph" on AltRight is ISO_Level3_Shift.
func ForCode(code, key string) (uint32, bool) {
	if code == "AltRight" && key == "AltGraph" {
		return ISOLevel3Shift, true
	}
	if ks, ok := namedCodes[code]; ok {
		return ks, true
	}
	if n, ok := strings.CutPrefix(code, "Numpad"); ok && len(n) == 1 && n[0] >= '0' && n[0] <= '9' {
		return keypadZero + uint32(n[0]-'0'), true
	}
	if n, ok := fNumber(code); ok {
		return 0xffbe + uint32(n-1), true // F1..F35 are consecutive
	}
	return NoSymbol, false
}

// ForKeyName returns the keysym for a named DOM key value ("Enter", "F5").
func ForKeyName(key string) (uint32, bool) {
	if ks, ok := namedKeys[key]; ok {
		return ks, true
	}
	if n, ok := fNumber(key); ok {
		return 0xffbe + uint32(n-1), true
	}
	return NoSymbol, false
}

func fNumber(s string) (int, bool) {
	d, ok := strings.CutPrefix(s, "F")
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(d)
	if err != nil || n < 1 || n > 24 || d[0] == '0' || d[0] == '+' {
		return 0, false
	}
	return n, true
}

// USChar returns the character a printable DOM code types on a US layout
// without Shift: KeyC → 'c', Digit1 → '1', Slash → '/'.
func USChar(code string) (rune, bool) {
	if len(code) == 4 && strings.HasPrefix(code, "Key") && code[3] >= 'A' && code[3] <= 'Z' {
		return rune(code[3] - 'A' + 'a'), true
	}
	if len(code) == 6 && strings.HasPrefix(code, "Digit") && code[5] >= '0' && code[5] <= '9' {
		return rune(code[5]), true
	}
	r, ok := usCodeChars[code]
	return r, ok
}
