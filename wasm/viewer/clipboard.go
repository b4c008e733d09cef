package viewer

import (
	"fmt"
	"strings"
	"time"

	"tether/server/protocol"
)

// Clipboard sync on the engineer's side. The agent sends what the
// customer copies (protocol.ClipboardText); the viewer hands it to the
// page (UI.Emit "clipboard"), whose script writes it to the engineer's
// clipboard with the async clipboard API, or shows it in a panel where the
// browser refuses. The engineer's text goes the other way when they paste
// into the screen (the paste shortcut waits for the page's paste event, so
// the text is on the customer's clipboard before the shortcut reaches
// their application) or send it from the panel. Everything here needs the
// customer's clipboard grant; the agent enforces it again on its side.

// Events the viewer emits for the page's clipboard script.
const (
	// EventClipboard: the customer copied text (ClipboardEvent).
	EventClipboard = "clipboard"
	// EventClipboardTooLarge: the customer copied more than the sync
	// carries (ClipboardTooLargeEvent).
	EventClipboardTooLarge = "clipboard-too-large"
	// EventClipboardSent: the engineer's text went to the customer's
	// clipboard (ClipboardEvent without the text).
	EventClipboardSent = "clipboard-sent"
	// EventClipboardError: the engineer's text could not be sent
	// (ErrorEvent).
	EventClipboardError = "clipboard-error"
)

// ClipboardEvent is the detail of EventClipboard and EventClipboardSent.
type ClipboardEvent struct {
	Text string `json:"text,omitempty"`
	Size int    `json:"size"`
}

// ClipboardTooLargeEvent is the detail of EventClipboardTooLarge.
type ClipboardTooLargeEvent struct {
	Size int `json:"size"`
	Max  int `json:"max"`
}

// ErrorEvent is the detail of an event that reports a failure.
type ErrorEvent struct {
	Message string `json:"message"`
}

// TextDetail is the detail of the commands that carry text.
type TextDetail struct {
	Text string `json:"text"`
}

// pasteWait bounds how long the paste shortcut waits for the page's paste
// event: long enough for the browser to fire it right after the keydown,
// short enough that a paste event that never comes (no text on the
// engineer's clipboard) does not noticeably delay the key.
const pasteWait = 300 * time.Millisecond

// PasteShortcut reports whether a key-down is the paste shortcut (Ctrl+V,
// or Cmd+V on a Mac) by its physical key, so that it is found on every
// layout (a Russian one reports key "м").
func PasteShortcut(key, code string, mods uint8) bool {
	if mods&(protocol.ModCtrl|protocol.ModMeta) == 0 || mods&(protocol.ModAlt|protocol.ModAltGr) != 0 {
		return false
	}
	return code == "KeyV" || (code == "" && strings.EqualFold(key, "v"))
}

// clipboardOn reports whether the customer allows the clipboard, for the
// page's handling of the paste shortcut.
func (v *Viewer) clipboardOn() bool { return v.grants.Has(protocol.GrantClipboard) && !v.ended }

// parkPaste holds back the paste shortcut's key-down until the page's
// paste event has sent the engineer's text (or pasteWait passed).
func (v *Viewer) parkPaste(k protocol.Key) bool {
	if !k.Down || !v.clipboardOn() || !PasteShortcut(k.Key, k.Code, k.Mods) {
		return false
	}
	v.in.parked = &k
	v.in.parkGen++
	gen := v.in.parkGen
	time.AfterFunc(pasteWait, func() {
		v.q.push(func() {
			if v.in.parkGen == gen {
				v.flushPaste()
			}
		})
	})
	return true
}

// flushPaste sends a parked paste shortcut.
func (v *Viewer) flushPaste() {
	k := v.in.parked
	if k == nil {
		return
	}
	v.in.parked = nil
	if v.control() {
		v.sendLogged(k)
	}
}

// onClipboardPaste sends the text of the page's paste event, then the
// paste shortcut that caused it.
func (v *Viewer) onClipboardPaste(text string) {
	if text != "" {
		v.sendClipboard(text)
	}
	v.flushPaste()
}

// sendClipboard puts text on the customer's clipboard.
func (v *Viewer) sendClipboard(text string) {
	if !v.clipboardOn() {
		v.ui.Emit(EventClipboardError, ErrorEvent{Message: "The customer has not allowed the clipboard."})
		return
	}
	if err := protocol.CheckClipboardText(text); err != nil {
		msg := "This text cannot be sent to the customer's clipboard."
		if len(text) > protocol.MaxClipboardText {
			msg = fmt.Sprintf("The text is too long for the customer's clipboard (%s; at most %s).", FormatSize(len(text)), FormatSize(protocol.MaxClipboardText))
		}
		v.ui.Emit(EventClipboardError, ErrorEvent{Message: msg})
		return
	}
	if err := v.send(&protocol.ClipboardText{Text: text}); err != nil {
		v.log.Warn("viewer: send clipboard", "err", err)
		v.ui.Emit(EventClipboardError, ErrorEvent{Message: "Not connected to the customer's computer; the text was not sent."})
		return
	}
	v.ui.Emit(EventClipboardSent, ClipboardEvent{Size: len(text)})
}

// onClipboard passes on what the customer copied.
func (v *Viewer) onClipboard(m protocol.Message) {
	if !v.clipboardOn() {
		v.log.Warn("viewer: clipboard message without the grant, ignored", "type", m.Type())
		return
	}
	switch m := m.(type) {
	case *protocol.ClipboardText:
		v.ui.Emit(EventClipboard, ClipboardEvent{Text: m.Text, Size: len(m.Text)})
	case *protocol.ClipboardTooLarge:
		v.ui.Emit(EventClipboardTooLarge, ClipboardTooLargeEvent{Size: int(m.Size), Max: protocol.MaxClipboardText})
	}
}

// FormatSize words a byte count ("12 KB").
func FormatSize(n int) string {
	switch {
	case n < 1000:
		return fmt.Sprintf("%d bytes", n)
	case n < 1000*1000:
		return fmt.Sprintf("%d KB", (n+500)/1000)
	}
	return fmt.Sprintf("%.1f MB", float64(n)/1e6)
}
