package protocol

import (
	"fmt"
	"unicode/utf8"
)

// MaxClipboardText bounds the text of one clipboard transfer: what fits in
// one session message (64 KiB less its two-byte header). One message keeps
// a transfer atomic on every path (a half-arrived clipboard never
// replaces the other side's), never holds the ordered input channel for
// more than one message, and needs no incremental transfer on X11. Larger
// copies are refused where they are made, and the other end is told
// (ClipboardTooLarge), never truncated.
const MaxClipboardText = MaxMessageSize - headerSize

// ClipboardText is text someone copied, to be put on the other side's
// clipboard: agent → viewer when the customer copies, viewer → agent when
// the engineer pastes. It moves only while the customer's grants include
// GrantClipboard; the agent drops it otherwise, whatever the relay did.
//
//	 0                   1                   2
//	 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|    version    |  type (40)    |  UTF-8 text ...
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// The text is 1 to MaxClipboardText bytes of valid UTF-8 with no NUL
// (X11 and Windows both end clipboard strings at one).
type ClipboardText struct{ Text string }

func (*ClipboardText) Type() Type         { return TypeClipboardText }
func (m *ClipboardText) MarshalSize() int { return headerSize + len(m.Text) }
func (m *ClipboardText) MarshalTo(buf []byte) (int, error) {
	if err := CheckClipboardText(m.Text); err != nil {
		return 0, err
	}
	if err := putHeader(buf, TypeClipboardText, m.MarshalSize()); err != nil {
		return 0, err
	}
	return headerSize + copy(buf[headerSize:], m.Text), nil
}
func (m *ClipboardText) unmarshalPayload(p []byte) error {
	s := string(p)
	if err := CheckClipboardText(s); err != nil {
		return err
	}
	m.Text = s
	return nil
}

// CheckClipboardText reports whether s may be sent as clipboard text:
// ErrTooLarge beyond MaxClipboardText, ErrInvalid when empty, not UTF-8 or
// holding a NUL.
func CheckClipboardText(s string) error {
	switch {
	case len(s) > MaxClipboardText:
		return fmt.Errorf("%w: clipboard text of %d bytes, at most %d", ErrTooLarge, len(s), MaxClipboardText)
	case s == "":
		return fmt.Errorf("%w: empty clipboard text", ErrInvalid)
	case !utf8.ValidString(s):
		return fmt.Errorf("%w: clipboard text is not UTF-8", ErrInvalid)
	}
	for i := 0; i < len(s); i++ {
		if s[i] == 0 {
			return fmt.Errorf("%w: clipboard text holds a NUL", ErrInvalid)
		}
	}
	return nil
}

// ClipboardTooLarge tells the engineer that the customer copied text the
// clipboard sync does not carry (agent → viewer): Size bytes, more than
// MaxClipboardText. It carries no content.
//
//	 0                   1                   2                   3
//	 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|    version    |  type (41)    |          size (u32) ...
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|      ... size                 |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
type ClipboardTooLarge struct{ Size uint32 }

func (*ClipboardTooLarge) Type() Type       { return TypeClipboardTooLarge }
func (*ClipboardTooLarge) MarshalSize() int { return headerSize + 4 }
func (m *ClipboardTooLarge) MarshalTo(buf []byte) (int, error) {
	if m.Size <= MaxClipboardText {
		return 0, fmt.Errorf("%w: clipboard of %d bytes is not too large", ErrInvalid, m.Size)
	}
	if err := putHeader(buf, TypeClipboardTooLarge, m.MarshalSize()); err != nil {
		return 0, err
	}
	w := writer{b: buf, n: headerSize}
	w.u32(m.Size)
	return w.n, nil
}
func (m *ClipboardTooLarge) unmarshalPayload(p []byte) error {
	r := reader{b: p}
	m.Size = r.u32()
	if err := r.done(); err != nil {
		return err
	}
	if m.Size <= MaxClipboardText {
		return fmt.Errorf("%w: clipboard of %d bytes is not too large", ErrInvalid, m.Size)
	}
	return nil
}
