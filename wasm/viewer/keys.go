package viewer

import "tether/server/protocol"

// IgnoreKey reports whether a keydown/keyup must not be forwarded: dead keys
// (the agent receives the composed character from the next event instead)
// and IME composition, which browsers mark with isComposing, key "Process"
// or the legacy keyCode 229.
// https://www.w3.org/TR/uievents/#keys-dead and #keys-IME
func IgnoreKey(key string, composing bool, keyCode int) bool {
	return composing || key == "Dead" || key == "Process" || keyCode == 229 || key == ""
}

// ModifierState is KeyboardEvent.getModifierState for the modifiers the
// wire carries.
type ModifierState struct {
	Shift, Control, Alt, Meta, AltGraph, CapsLock bool
}

// Bits packs the state into protocol.Mod* bits.
func (m ModifierState) Bits() uint8 {
	var b uint8
	for _, f := range []struct {
		on  bool
		bit uint8
	}{
		{m.Shift, protocol.ModShift},
		{m.Control, protocol.ModCtrl},
		{m.Alt, protocol.ModAlt},
		{m.Meta, protocol.ModMeta},
		{m.AltGraph, protocol.ModAltGr},
		{m.CapsLock, protocol.ModCapsLock},
	} {
		if f.on {
			b |= f.bit
		}
	}
	return b
}

// heldKeys remembers keys sent down so that blur can release them; the
// agent would otherwise keep a modifier pressed on the customer's machine.
type heldKeys struct {
	keys map[string]protocol.Key // by Code, or Key when Code is empty
}

func keyID(k protocol.Key) string {
	if k.Code != "" {
		return k.Code
	}
	return "key:" + k.Key
}

// track records k and reports whether it should be sent: a key-up for a key
// that was never sent down (focus arrived while it was held) is dropped.
func (h *heldKeys) track(k protocol.Key) bool {
	if h.keys == nil {
		h.keys = make(map[string]protocol.Key)
	}
	id := keyID(k)
	if k.Down {
		h.keys[id] = k
		return true
	}
	if _, ok := h.keys[id]; !ok {
		return false
	}
	delete(h.keys, id)
	return true
}

// releaseAll returns key-ups for every held key and forgets them.
func (h *heldKeys) releaseAll() []protocol.Key {
	var ups []protocol.Key
	for id, k := range h.keys {
		ups = append(ups, protocol.Key{Down: false, Key: k.Key, Code: k.Code})
		delete(h.keys, id)
	}
	return ups
}
