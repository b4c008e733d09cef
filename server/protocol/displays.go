package protocol

import (
	"fmt"
	"image"
	"unicode/utf8"
)

// Display limits. A desk with more than 16 monitors is not a support
// customer's; a name is what the OS calls the monitor ("DP-1",
// `\\.\DISPLAY2`), never prose.
const (
	MaxDisplays     = 16
	MaxDisplayName  = 64
	displayWireSize = 4 + 4 + 2 + 2 + 1 + 1 // without the name
)

// AllDisplays, as a display index, stands for every display at once: the
// bounding box of all of them.
const AllDisplays uint8 = 0xff

// DisplayPrimary marks the display the OS calls primary.
const DisplayPrimary uint8 = 1 << 0

// Display is one of the customer's monitors, in desktop coordinates: on X11
// the root window's, on Windows the virtual screen's (the primary monitor
// at 0,0; others may lie at negative coordinates).
type Display struct {
	X, Y          int32
	Width, Height uint16
	Flags         uint8
	// Name is the OS's name for the monitor, "" when it gives none.
	Name string
}

// Primary reports whether the OS calls d the primary display.
func (d Display) Primary() bool { return d.Flags&DisplayPrimary != 0 }

// Bounds is d's rectangle in desktop coordinates.
func (d Display) Bounds() image.Rectangle {
	return image.Rect(int(d.X), int(d.Y), int(d.X)+int(d.Width), int(d.Y)+int(d.Height))
}

// Displays is the agent's list of the customer's displays and which one
// the viewer is shown (an index, or AllDisplays). The agent sends it when
// a viewer's stream starts, when the list changes, and after every
// SelectDisplay, so the viewer always shows the truth.
//
//	+----------+---------+------------------------------------------+
//	| selected |  count  | count × display                          |
//	+----------+---------+------------------------------------------+
//	display:
//	+-------------+-------------+---------+---------+-------+-----+--------+
//	|  x (i32)    |  y (i32)    | w (u16) | h (u16) | flags | len | name.. |
//	+-------------+-------------+---------+---------+-------+-----+--------+
type Displays struct {
	Selected uint8
	List     []Display
}

// Bounds is the rectangle the viewer is shown: the selected display's, or
// with AllDisplays the bounding box of all of them.
func (m *Displays) Bounds() image.Rectangle {
	if m.Selected != AllDisplays {
		if int(m.Selected) < len(m.List) {
			return m.List[m.Selected].Bounds()
		}
		return image.Rectangle{}
	}
	var r image.Rectangle
	for _, d := range m.List {
		r = r.Union(d.Bounds())
	}
	return r
}

func (*Displays) Type() Type { return TypeDisplays }
func (m *Displays) MarshalSize() int {
	n := headerSize + 2
	for _, d := range m.List {
		n += displayWireSize + len(d.Name)
	}
	return n
}

func (m *Displays) MarshalTo(buf []byte) (int, error) {
	if err := m.valid(); err != nil {
		return 0, err
	}
	if err := putHeader(buf, TypeDisplays, m.MarshalSize()); err != nil {
		return 0, err
	}
	w := writer{b: buf, n: headerSize}
	w.u8(m.Selected)
	w.u8(uint8(len(m.List)))
	for _, d := range m.List {
		w.u32(uint32(d.X))
		w.u32(uint32(d.Y))
		w.u16(d.Width)
		w.u16(d.Height)
		w.u8(d.Flags)
		w.str(d.Name)
	}
	return w.n, nil
}

func (m *Displays) unmarshalPayload(p []byte) error {
	r := reader{b: p}
	m.Selected = r.u8()
	n := int(r.u8())
	if r.err == nil && (n == 0 || n > MaxDisplays) {
		return fmt.Errorf("%w: %d displays (1 to %d)", ErrInvalid, n, MaxDisplays)
	}
	m.List = nil
	if r.err == nil {
		m.List = make([]Display, 0, n)
	}
	for range n {
		if r.err != nil {
			break
		}
		var d Display
		d.X, d.Y = int32(r.u32()), int32(r.u32())
		d.Width, d.Height = r.u16(), r.u16()
		d.Flags = r.u8()
		d.Name = r.str(MaxDisplayName)
		m.List = append(m.List, d)
	}
	if err := r.done(); err != nil {
		return err
	}
	return m.valid()
}

// valid checks what the layout alone does not: a list of 1 to MaxDisplays
// non-empty displays with known flags and short UTF-8 names, and a
// selection that names one of them or all.
func (m *Displays) valid() error {
	if len(m.List) == 0 || len(m.List) > MaxDisplays {
		return fmt.Errorf("%w: %d displays (1 to %d)", ErrInvalid, len(m.List), MaxDisplays)
	}
	if m.Selected != AllDisplays && int(m.Selected) >= len(m.List) {
		return fmt.Errorf("%w: display %d selected of %d", ErrInvalid, m.Selected, len(m.List))
	}
	for i, d := range m.List {
		switch {
		case d.Width == 0 || d.Height == 0:
			return fmt.Errorf("%w: display %d is %d×%d", ErrInvalid, i, d.Width, d.Height)
		case d.Flags&^DisplayPrimary != 0:
			return fmt.Errorf("%w: display %d flags %#x", ErrInvalid, i, d.Flags)
		case len(d.Name) > MaxDisplayName || !utf8.ValidString(d.Name):
			return fmt.Errorf("%w: display %d name %q", ErrInvalid, i, d.Name)
		}
	}
	return nil
}

// SelectDisplay asks the agent to show one display (Index into the last
// Displays list) or all of them (AllDisplays). The agent answers with a
// Displays saying what it now shows, and a full frame of it; an index the
// list does not have changes nothing.
//
//	+--------+
//	| index  |
//	+--------+
type SelectDisplay struct{ Index uint8 }

func (*SelectDisplay) Type() Type       { return TypeSelectDisplay }
func (*SelectDisplay) MarshalSize() int { return headerSize + 1 }
func (m *SelectDisplay) MarshalTo(buf []byte) (int, error) {
	if err := putHeader(buf, TypeSelectDisplay, m.MarshalSize()); err != nil {
		return 0, err
	}
	w := writer{b: buf, n: headerSize}
	w.u8(m.Index)
	return w.n, nil
}

func (m *SelectDisplay) unmarshalPayload(p []byte) error {
	r := reader{b: p}
	m.Index = r.u8()
	return r.done()
}
