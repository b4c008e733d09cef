package viewer

import (
	"fmt"
	"unicode"
	"unicode/utf8"

	"tether/server/protocol"
)

// Key combinations the engineer's browser or system keeps for itself
// (Ctrl+Alt+Del, the Windows key, Alt+Tab, ...) are sent from the
// toolbar's "Send keys" menu as ordinary Key messages: the keys go down in
// order and come up in reverse.

// Combo is one entry of the Send keys menu.
type Combo struct {
	ID    string         // the command's detail
	Label string         // what the menu shows
	Note  string         // when it may not do what its name says
	Keys  []protocol.Key // pressed in order, released in reverse
}

var (
	keyCtrl   = protocol.Key{Key: "Control", Code: "ControlLeft"}
	keyAlt    = protocol.Key{Key: "Alt", Code: "AltLeft"}
	keyShift  = protocol.Key{Key: "Shift", Code: "ShiftLeft"}
	keyMeta   = protocol.Key{Key: "Meta", Code: "MetaLeft"}
	keyDelete = protocol.Key{Key: "Delete", Code: "Delete"}
	keyEscape = protocol.Key{Key: "Escape", Code: "Escape"}
	keyTab    = protocol.Key{Key: "Tab", Code: "Tab"}
	keyF4     = protocol.Key{Key: "F4", Code: "F4"}
	keyPrint  = protocol.Key{Key: "PrintScreen", Code: "PrintScreen"}
)

// Combos is the Send keys menu, in its order.
var Combos = []Combo{
	{ID: "ctrl-alt-del", Label: "Ctrl+Alt+Del", Keys: []protocol.Key{keyCtrl, keyAlt, keyDelete},
		Note: "Windows accepts Ctrl+Alt+Del only from a system service, so it ignores it from the support program; use Ctrl+Shift+Esc for the Task Manager. On Linux the desktop decides (often a log-out dialog)."},
	{ID: "ctrl-shift-esc", Label: "Ctrl+Shift+Esc", Note: "Task Manager on Windows", Keys: []protocol.Key{keyCtrl, keyShift, keyEscape}},
	{ID: "win", Label: "Windows key", Note: "the Start menu; Super on Linux", Keys: []protocol.Key{keyMeta}},
	{ID: "alt-tab", Label: "Alt+Tab", Keys: []protocol.Key{keyAlt, keyTab}},
	{ID: "alt-f4", Label: "Alt+F4", Note: "closes the active window", Keys: []protocol.Key{keyAlt, keyF4}},
	{ID: "ctrl-esc", Label: "Ctrl+Esc", Keys: []protocol.Key{keyCtrl, keyEscape}},
	{ID: "print-screen", Label: "Print Screen", Keys: []protocol.Key{keyPrint}},
}

// ComboByID finds a Send keys entry.
func ComboByID(id string) (Combo, bool) {
	for _, c := range Combos {
		if c.ID == id {
			return c, true
		}
	}
	return Combo{}, false
}

// Strokes are the Key messages of c: downs with the modifiers held so
// far, then ups in reverse.
func (c Combo) Strokes() []protocol.Key {
	var out []protocol.Key
	var mods uint8
	for _, k := range c.Keys {
		k.Down, k.Mods = true, mods
		out = append(out, k)
		mods |= modBit(k.Key)
	}
	for i := len(c.Keys) - 1; i >= 0; i-- {
		k := c.Keys[i]
		mods &^= modBit(k.Key)
		k.Down, k.Mods = false, mods
		out = append(out, k)
	}
	return out
}

func modBit(key string) uint8 {
	switch key {
	case "Control":
		return protocol.ModCtrl
	case "Alt":
		return protocol.ModAlt
	case "Shift":
		return protocol.ModShift
	case "Meta":
		return protocol.ModMeta
	}
	return 0
}

// MaxTypedText bounds one "Type text" request, in characters: each is two
// Key messages on the input channel.
const MaxTypedText = 4000

// TypeStrokes are the Key messages that type text character by
// character, whatever the engineer's or the customer's layout: each
// character as the key value, with no physical key, which the agent types
// as that character (an X11 keysym, temporarily bound to a spare keycode
// when the layout lacks it; KEYEVENTF_UNICODE on Windows). Line breaks
// press Enter and tabs Tab; other control characters are refused. This is
// how text from an input method (Chinese, Japanese, Korean) reaches the
// customer, since the screen canvas receives no composition.
func TypeStrokes(text string) ([]protocol.Key, error) {
	if !utf8.ValidString(text) {
		return nil, fmt.Errorf("the text is not valid UTF-8")
	}
	if n := utf8.RuneCountInString(text); n > MaxTypedText {
		return nil, fmt.Errorf("the text is too long to type (%d characters; at most %d)", n, MaxTypedText)
	}
	var out []protocol.Key
	for i, r := range []rune(text) {
		var k protocol.Key
		switch {
		case r == '\r':
			continue // \r\n types one Enter
		case r == '\n':
			k = protocol.Key{Key: "Enter", Code: "Enter"}
		case r == '\t':
			k = protocol.Key{Key: "Tab", Code: "Tab"}
		case !unicode.IsPrint(r) && !unicode.Is(unicode.Mn, r) && r != ' ':
			return nil, fmt.Errorf("character %d (%U) cannot be typed", i+1, r)
		default:
			k = protocol.Key{Key: string(r)}
		}
		k.Down = true
		out = append(out, k)
		k.Down = false
		out = append(out, k)
	}
	return out, nil
}

// Events the viewer emits for the page's keyboard script.
const (
	// EventKeysSent: a Send keys entry or typed text went out
	// (KeysSentEvent).
	EventKeysSent = "keys-sent"
	// EventKeysError: they could not be sent (ErrorEvent).
	EventKeysError = "keys-error"
)

// KeysSentEvent is the detail of EventKeysSent.
type KeysSentEvent struct {
	Label string `json:"label"`
}

// sendStrokes sends keys for the menu or typed text, after anything the
// engineer's own keyboard holds back.
func (v *Viewer) sendStrokes(label string, keys []protocol.Key) {
	if !v.control() {
		v.ui.Emit(EventKeysError, ErrorEvent{Message: "The customer has not allowed control."})
		return
	}
	v.flushMove()
	v.flushPaste()
	for i := range keys {
		if err := v.send(&keys[i]); err != nil {
			v.log.Warn("viewer: send keys", "err", err)
			v.ui.Emit(EventKeysError, ErrorEvent{Message: "Not connected to the customer's computer; the keys were not sent."})
			return
		}
	}
	v.ui.Emit(EventKeysSent, KeysSentEvent{Label: label})
}

func (v *Viewer) onSendKeys(id string) {
	c, ok := ComboByID(id)
	if !ok {
		v.log.Warn("viewer: unknown key combination", "id", id)
		return
	}
	v.sendStrokes(c.Label, c.Strokes())
}

func (v *Viewer) onTypeText(text string) {
	keys, err := TypeStrokes(text)
	if err != nil {
		v.ui.Emit(EventKeysError, ErrorEvent{Message: "Not typed: " + err.Error() + "."})
		return
	}
	v.sendStrokes(fmt.Sprintf("%d characters", utf8.RuneCountInString(text)), keys)
}
