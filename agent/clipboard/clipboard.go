// Package clipboard reads and writes the customer's system clipboard, text
// only: X11 selections over the X protocol (no cgo) and the Windows
// clipboard through user32.
//
// A Clipboard exists only while the customer's grants include the
// clipboard: the session opens it when they allow it and closes it when
// they take it back, so nothing of the clipboard is read without the
// grant. Only copies made while it is open are reported, never what was on
// the clipboard before.
package clipboard

import (
	"errors"
	"strings"

	"tether/server/protocol"
)

// ErrUnsupported is returned by Open where no clipboard backend exists.
var ErrUnsupported = errors.New("clipboard: not supported on this platform")

// Copy is text the customer copied. When it is longer than
// protocol.MaxClipboardText, Text is empty and Size says how long it was:
// the session tells the engineer it was too large instead of cutting it.
type Copy struct {
	Text string
	Size int
}

// TooLarge reports whether the copy was too long to send.
func (c Copy) TooLarge() bool { return c.Size > protocol.MaxClipboardText }

// Clipboard is the system clipboard while the grant lasts.
type Clipboard interface {
	// Write puts text on the clipboard, as if the customer had copied it.
	// It is not reported on Changes.
	Write(text string) error
	// Changes delivers what the customer copies from now on. When the
	// reader falls behind, older copies are dropped: the latest wins, as on
	// a clipboard.
	Changes() <-chan Copy
	// Close stops watching and gives up any ownership.
	Close() error
}

// changes is the buffered delivery every backend uses.
type changes chan Copy

func newChanges() changes { return make(changes, 1) }

// put delivers c, replacing a copy the reader has not taken yet.
func (ch changes) put(c Copy) {
	for {
		select {
		case ch <- c:
			return
		default:
		}
		select {
		case <-ch:
		default:
		}
	}
}

// fromText makes the Copy for text read from the system: cut at a NUL, as
// C strings end, with bytes that are not UTF-8 replaced.
func fromText(text string) Copy {
	if i := strings.IndexByte(text, 0); i >= 0 {
		text = text[:i]
	}
	text = strings.ToValidUTF8(text, "\uFFFD")
	if len(text) > protocol.MaxClipboardText {
		return Copy{Size: len(text)}
	}
	return Copy{Text: text, Size: len(text)}
}
