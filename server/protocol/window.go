package protocol

import (
	"fmt"
	"unicode/utf8"
)

// Scope tells the viewer what the customer shares: the whole screen or one
// application window (then the frames are that window alone, and its
// coordinates are the viewer's), and how many windows the customer hid
// (blacked out in every frame before encoding). The agent sends it after
// Hello whenever the customer changes it on the consent page.
//
//	+---------+---------+---------+---------+-----------------+
//	| version |  type   |  kind   | hidden  | len | title ... |
//	+---------+---------+---------+---------+-----------------+
type Scope struct {
	Kind   ScopeKind
	Hidden uint8  // windows blacked out
	Title  string // the shared window's title; empty for the screen
}

// ScopeKind is what a Scope shares.
type ScopeKind uint8

// Scope kinds. Values are part of the wire contract.
const (
	ScopeScreen ScopeKind = 0
	ScopeWindow ScopeKind = 1
)

// MaxTitle bounds a window title in a Scope, in bytes.
const MaxTitle = 200

// ClipTitle cuts a title to MaxTitle bytes at a character boundary.
func ClipTitle(s string) string {
	if len(s) <= MaxTitle {
		return s
	}
	s = s[:MaxTitle]
	for len(s) > 0 && !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}

func (*Scope) Type() Type         { return TypeScope }
func (m *Scope) MarshalSize() int { return headerSize + 1 + 1 + 1 + len(m.Title) }
func (m *Scope) MarshalTo(buf []byte) (int, error) {
	if m.Kind > ScopeWindow || len(m.Title) > MaxTitle || (m.Kind == ScopeScreen && m.Title != "") {
		return 0, fmt.Errorf("%w: scope %d with a title of %d bytes", ErrInvalid, m.Kind, len(m.Title))
	}
	if err := putHeader(buf, TypeScope, m.MarshalSize()); err != nil {
		return 0, err
	}
	w := writer{b: buf, n: headerSize}
	w.u8(uint8(m.Kind))
	w.u8(m.Hidden)
	w.str(m.Title)
	return w.n, nil
}
func (m *Scope) unmarshalPayload(p []byte) error {
	r := reader{b: p}
	m.Kind = ScopeKind(r.u8())
	m.Hidden = r.u8()
	m.Title = r.str(MaxTitle)
	if err := r.done(); err != nil {
		return err
	}
	if m.Kind > ScopeWindow || (m.Kind == ScopeScreen && m.Title != "") {
		return fmt.Errorf("%w: scope kind %d", ErrInvalid, m.Kind)
	}
	if !utf8.ValidString(m.Title) {
		return fmt.Errorf("%w: title is not UTF-8", ErrInvalid)
	}
	return nil
}

// Point is part of a stroke the engineer draws on the customer's screen to
// show something, in view-only too: the agent shows it in an overlay that
// takes no input and fades after a few seconds. Points are in the
// coordinates of the frames the viewer sees (the shared window's when one
// window is shared). A stroke is a run of Points with one Stroke number;
// PointEnd closes it, PointClear removes every stroke at once.
//
//	+---------+---------+-------------------+---------+---------+---------------------+
//	| version |  type   |      stroke       |  flags  |    n    | n × (x u16, y u16)  |
//	+---------+---------+-------------------+---------+---------+---------------------+
type Point struct {
	Stroke uint16
	Flags  PointFlags
	Points []XY
}

// XY is one point in frame pixels.
type XY struct{ X, Y uint16 }

// PointFlags qualify a Point message.
type PointFlags uint8

const (
	// PointEnd: the stroke is complete.
	PointEnd PointFlags = 1 << iota
	// PointClear: remove every stroke now (carries no points).
	PointClear
)

// MaxPoints bounds the points in one Point message; a longer stroke is
// sent in several.
const MaxPoints = 64

func (*Point) Type() Type         { return TypePoint }
func (m *Point) MarshalSize() int { return headerSize + 2 + 1 + 1 + 4*len(m.Points) }
func (m *Point) MarshalTo(buf []byte) (int, error) {
	if err := m.check(); err != nil {
		return 0, err
	}
	if err := putHeader(buf, TypePoint, m.MarshalSize()); err != nil {
		return 0, err
	}
	w := writer{b: buf, n: headerSize}
	w.u16(m.Stroke)
	w.u8(uint8(m.Flags))
	w.u8(uint8(len(m.Points)))
	for _, p := range m.Points {
		w.u16(p.X)
		w.u16(p.Y)
	}
	return w.n, nil
}
func (m *Point) unmarshalPayload(p []byte) error {
	r := reader{b: p}
	m.Stroke = r.u16()
	m.Flags = PointFlags(r.u8())
	n := int(r.u8())
	if r.err == nil && n > MaxPoints {
		return fmt.Errorf("%w: %d points", ErrInvalid, n)
	}
	if r.need(4 * n) {
		m.Points = make([]XY, n)
		for i := range m.Points {
			m.Points[i] = XY{r.u16(), r.u16()}
		}
	}
	if err := r.done(); err != nil {
		return err
	}
	return m.check()
}

func (m *Point) check() error {
	switch {
	case m.Flags&^(PointEnd|PointClear) != 0:
		return fmt.Errorf("%w: point flags %#x", ErrInvalid, uint8(m.Flags))
	case len(m.Points) > MaxPoints:
		return fmt.Errorf("%w: %d points", ErrInvalid, len(m.Points))
	case m.Flags&PointClear != 0 && len(m.Points) != 0:
		return fmt.Errorf("%w: a clear carries no points", ErrInvalid)
	}
	return nil
}
