package keysym

import "unicode"

// Mapping is a core keyboard mapping as GetKeyboardMapping returns it:
// PerKeycode keysyms for each keycode from Min on.
type Mapping struct {
	Min        byte
	PerKeycode int
	Syms       []uint32
}

// Level is the shift level a character sits at: Shift and/or ISO_Level3
// (AltGr) held.
type Level struct{ Shift, Level3 bool }

// Max returns the last keycode the mapping covers.
func (m *Mapping) Max() byte {
	if m.PerKeycode == 0 {
		return m.Min
	}
	n := len(m.Syms)/m.PerKeycode + int(m.Min) - 1
	return byte(min(n, 255))
}

// Row returns keycode kc's keysyms, or nil outside the mapping.
func (m *Mapping) Row(kc byte) []uint32 {
	if m.PerKeycode == 0 || kc < m.Min {
		return nil
	}
	i := int(kc-m.Min) * m.PerKeycode
	if i+m.PerKeycode > len(m.Syms) {
		return nil
	}
	return m.Syms[i : i+m.PerKeycode]
}

// Set replaces keycode kc's keysyms (after ChangeKeyboardMapping), padding
// with NoSymbol.
func (m *Mapping) Set(kc byte, syms []uint32) {
	row := m.Row(kc)
	for i := range row {
		row[i] = NoSymbol
		if i < len(syms) {
			row[i] = syms[i]
		}
	}
}

// Lookup returns the keysym keycode kc produces at level l, following the
// core protocol's rules (X11 protocol, "Keyboards"): group 1 is columns 0-1,
// ISO_Level3 uses columns 4-5 as XKB publishes them, a pair (K, NoSymbol)
// means (lower(K), upper(K)) for letters and (K, K) otherwise, and Caps
// Lock inverts Shift for letters.
func (m *Mapping) Lookup(kc byte, l Level, capsLock bool) uint32 {
	row := m.Row(kc)
	col := 0
	if l.Level3 {
		col = 4
	}
	if len(row) < col+2 {
		return NoSymbol
	}
	lo, hi := row[col], row[col+1]
	if lo == NoSymbol && hi == NoSymbol {
		return NoSymbol
	}
	r, isRune := ToRune(lo)
	cased := isRune && unicode.ToUpper(r) != unicode.ToLower(r)
	if hi == NoSymbol {
		hi = lo
		if cased {
			lo, hi = FromRune(unicode.ToLower(r)), FromRune(unicode.ToUpper(r))
		}
	}
	// Caps Lock only affects a lower/upper case pair.
	letter := false
	if cased {
		hr, _ := ToRune(hi)
		letter = hr == unicode.ToUpper(r) && hr != unicode.ToLower(r)
	}
	shift := l.Shift
	if capsLock && letter {
		shift = !shift
	}
	if shift {
		return hi
	}
	return lo
}

var levels = [...]Level{{}, {Shift: true}, {Level3: true}, {Shift: true, Level3: true}}

// FindRune returns the keycode and the lowest level that type r. Keypad
// keys are skipped (their meaning depends on Num Lock), and so is Level3
// unless the keyboard has an ISO_Level3_Shift key (withLevel3).
func (m *Mapping) FindRune(r rune, capsLock, withLevel3 bool) (byte, Level, bool) {
	for _, l := range levels {
		if l.Level3 && !withLevel3 {
			break
		}
		for kc := int(m.Min); kc <= int(m.Max()); kc++ {
			ks := m.Lookup(byte(kc), l, capsLock)
			if ks == NoSymbol || ks >= keypadSpace && ks <= keypadEqual {
				continue
			}
			if got, ok := ToRune(ks); ok && got == r {
				return byte(kc), l, true
			}
		}
	}
	return 0, Level{}, false
}

// FindKeysym returns the first keycode whose row holds ks, preferring
// keys where ks is in the first column.
func (m *Mapping) FindKeysym(ks uint32) (byte, bool) {
	for col := range m.PerKeycode {
		for kc := int(m.Min); kc <= int(m.Max()); kc++ {
			if row := m.Row(byte(kc)); row[col] == ks {
				return byte(kc), true
			}
		}
	}
	return 0, false
}

// Spare returns the keycodes with no keysyms at all, which an injector may
// bind to characters the layout lacks.
func (m *Mapping) Spare() []byte {
	var out []byte
	for kc := int(m.Min); kc <= int(m.Max()); kc++ {
		empty := true
		for _, ks := range m.Row(byte(kc)) {
			if ks != NoSymbol {
				empty = false
				break
			}
		}
		if empty {
			out = append(out, byte(kc))
		}
	}
	return out
}
