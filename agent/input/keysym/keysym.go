// Package keysym converts between Unicode characters, DOM key names and X11
// keysyms, and reads the core keyboard mapping the way X clients do. It is
// pure (no X connection) so it is tested on every OS; the X11 injector and
// the e2e test window both use it.
package keysym

import "unicode"

// NoSymbol is the keysym of an unused mapping slot.
const NoSymbol = 0

// unicodeBase is where X puts keysyms that are a Unicode code point plus it
// (X11 keysymdef.h, "Unicode" section).
const unicodeBase = 0x01000000

// Keysyms the injector needs by name (values from X11/keysymdef.h).
const (
	BackSpace      = 0xff08
	Tab            = 0xff09
	Return         = 0xff0d
	ShiftL         = 0xffe1
	ShiftR         = 0xffe2
	ControlL       = 0xffe3
	ControlR       = 0xffe4
	CapsLock       = 0xffe5
	AltL           = 0xffe9
	AltR           = 0xffea
	SuperL         = 0xffeb
	SuperR         = 0xffec
	ISOLevel3Shift = 0xfe03
	ModeSwitch     = 0xff7e
	keypadZero     = 0xffb0
	keypadNine     = 0xffb9
	keypadSpace    = 0xff80
	keypadMultiply = 0xffaa
	keypadDivide   = 0xffaf
	keypadEqual    = 0xffbd
)

// reverse maps legacy keysyms back to their characters; built once from the
// generated table.
var reverse = func() map[uint32]rune {
	m := make(map[uint32]rune, len(legacy))
	for r, ks := range legacy {
		m[ks] = r
	}
	return m
}()

// FromRune returns the keysym for character r: Latin-1 characters are their
// own keysym, characters X named before Unicode get that legacy keysym
// (so a Russian layout's Cyrillic_zhe matches "ж"), the rest 0x01000000+r.
func FromRune(r rune) uint32 {
	switch {
	case r >= 0x20 && r <= 0x7e, r >= 0xa0 && r <= 0xff:
		return uint32(r)
	}
	if ks, ok := legacy[r]; ok {
		return ks
	}
	return unicodeBase + uint32(r)
}

// ToRune returns the printable character keysym ks types, if any. Keypad
// digits and operators count as their characters.
func ToRune(ks uint32) (rune, bool) {
	switch {
	case ks >= 0x20 && ks <= 0x7e, ks >= 0xa0 && ks <= 0xff:
		return rune(ks), true
	case ks >= keypadZero && ks <= keypadNine:
		return rune('0' + ks - keypadZero), true
	case ks == keypadSpace:
		return ' ', true
	case ks >= keypadMultiply && ks <= keypadDivide:
		return rune("*+,-./"[ks-keypadMultiply]), true
	case ks == keypadEqual:
		return '=', true
	case ks > unicodeBase && ks <= unicodeBase+unicode.MaxRune:
		r := rune(ks - unicodeBase)
		return r, unicode.IsPrint(r)
	}
	r, ok := reverse[ks]
	return r, ok
}
