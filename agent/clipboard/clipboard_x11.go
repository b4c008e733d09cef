//go:build linux

package clipboard

import (
	"errors"
	"fmt"
	"sync"
	"unicode/utf8"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xfixes"
	"github.com/jezek/xgb/xproto"

	"tether/server/protocol"
)

// x11 owns the CLIPBOARD selection when the engineer pastes, answering
// other clients' SelectionRequests, and watches the selection's owner with
// XFixes to read what the customer copies (ICCCM §2,
// https://x.org/releases/X11R7.7/doc/xorg-docs/icccm/icccm.html#Peer_to_Peer_Communication_by_Means_of_Selections).
// One goroutine reads the connection's events; text is guarded by mu.
type x11 struct {
	conn  *xgb.Conn
	win   xproto.Window
	atoms atoms
	ch    changes
	done  chan struct{}

	mu    sync.Mutex
	owned string // what this clipboard offers while it owns CLIPBOARD

	// The transfer being read (event goroutine only).
	reading bool
	target  xproto.Atom // the target asked for: UTF8_STRING, then STRING
	incr    []byte      // an INCR transfer's chunks so far
	inIncr  bool
	incrBig int // the INCR transfer's size once it went beyond the limit
}

type atoms struct {
	clipboard, utf8, text, str, targets, incr, prop, atom xproto.Atom
}

// Supported reports whether this build has a clipboard backend.
const Supported = true

// Open connects to the X server on $DISPLAY and starts watching the
// clipboard.
func Open() (Clipboard, error) { return openX11("") }

func openX11(display string) (*x11, error) {
	c, err := xgb.NewConnDisplay(display)
	if err != nil {
		return nil, fmt.Errorf("clipboard: connect to X: %w", err)
	}
	x, err := setupX11(c)
	if err != nil {
		c.Close()
		return nil, err
	}
	go x.events()
	return x, nil
}

func setupX11(c *xgb.Conn) (*x11, error) {
	if err := xfixes.Init(c); err != nil {
		return nil, fmt.Errorf("%w: XFIXES extension missing: %v", ErrUnsupported, err)
	}
	// XFixes answers nothing until the client says which version it speaks.
	if _, err := xfixes.QueryVersion(c, 5, 0).Reply(); err != nil {
		return nil, fmt.Errorf("clipboard: XFIXES version: %w", err)
	}
	x := &x11{conn: c, ch: newChanges(), done: make(chan struct{})}
	for _, a := range []struct {
		dst  *xproto.Atom
		name string
	}{
		{&x.atoms.clipboard, "CLIPBOARD"}, {&x.atoms.utf8, "UTF8_STRING"}, {&x.atoms.text, "TEXT"},
		{&x.atoms.str, "STRING"}, {&x.atoms.targets, "TARGETS"}, {&x.atoms.incr, "INCR"},
		{&x.atoms.prop, "TETHER_CLIPBOARD"}, {&x.atoms.atom, "ATOM"},
	} {
		r, err := xproto.InternAtom(c, false, uint16(len(a.name)), a.name).Reply()
		if err != nil {
			return nil, fmt.Errorf("clipboard: atom %s: %w", a.name, err)
		}
		*a.dst = r.Atom
	}
	screen := xproto.Setup(c).DefaultScreen(c)
	win, err := xproto.NewWindowId(c)
	if err != nil {
		return nil, fmt.Errorf("clipboard: window id: %w", err)
	}
	// An unmapped input-only window: it owns the selection and receives
	// the transfers; PropertyChange for incremental (INCR) reads.
	err = xproto.CreateWindowChecked(c, 0, win, screen.Root, -1, -1, 1, 1, 0, xproto.WindowClassInputOnly,
		screen.RootVisual, xproto.CwEventMask, []uint32{xproto.EventMaskPropertyChange}).Check()
	if err != nil {
		return nil, fmt.Errorf("clipboard: create window: %w", err)
	}
	x.win = win
	err = xfixes.SelectSelectionInputChecked(c, win, x.atoms.clipboard, xfixes.SelectionEventMaskSetSelectionOwner).Check()
	if err != nil {
		return nil, fmt.Errorf("clipboard: watch the selection: %w", err)
	}
	return x, nil
}

func (x *x11) Changes() <-chan Copy { return x.ch }

// Write takes ownership of CLIPBOARD with text; other clients' pastes then
// ask this window for it.
func (x *x11) Write(text string) error {
	if err := protocol.CheckClipboardText(text); err != nil {
		return err
	}
	x.mu.Lock()
	x.owned = text
	x.mu.Unlock()
	if err := xproto.SetSelectionOwnerChecked(x.conn, x.win, x.atoms.clipboard, xproto.TimeCurrentTime).Check(); err != nil {
		return fmt.Errorf("clipboard: take the selection: %w", err)
	}
	r, err := xproto.GetSelectionOwner(x.conn, x.atoms.clipboard).Reply()
	if err != nil {
		return fmt.Errorf("clipboard: selection owner: %w", err)
	}
	if r.Owner != x.win {
		return errors.New("clipboard: another program kept the clipboard")
	}
	return nil
}

// Close gives up the selection (pastes elsewhere then find nothing, as when
// any program that copied exits) and disconnects.
func (x *x11) Close() error {
	x.conn.Close()
	<-x.done
	return nil
}

// events handles the connection's events until it closes.
func (x *x11) events() {
	defer close(x.done)
	for {
		ev, err := x.conn.WaitForEvent()
		if ev == nil && err == nil {
			return
		}
		if err != nil {
			continue // an error reply to an unchecked request; the transfer it belonged to is abandoned below
		}
		switch e := ev.(type) {
		case xfixes.SelectionNotifyEvent:
			if e.Owner != x.win && e.Owner != xproto.WindowNone {
				x.startRead(e.SelectionTimestamp)
			}
		case xproto.SelectionNotifyEvent:
			x.converted(e)
		case xproto.PropertyNotifyEvent:
			if e.Window == x.win && e.Atom == x.atoms.prop && e.State == xproto.PropertyNewValue && x.inIncr {
				x.incrChunk()
			}
		case xproto.SelectionRequestEvent:
			x.answer(e)
		case xproto.SelectionClearEvent:
			x.mu.Lock()
			x.owned = ""
			x.mu.Unlock()
		}
	}
}

// startRead asks the new owner for its text as UTF8_STRING.
func (x *x11) startRead(at xproto.Timestamp) {
	x.reading, x.inIncr, x.incr, x.incrBig = true, false, nil, 0
	x.target = x.atoms.utf8
	xproto.ConvertSelection(x.conn, x.win, x.atoms.clipboard, x.target, x.atoms.prop, at)
}

// converted takes the owner's answer: the text in our property, the start
// of an INCR transfer, or a refusal (then STRING is tried once).
func (x *x11) converted(e xproto.SelectionNotifyEvent) {
	if !x.reading || e.Requestor != x.win || e.Selection != x.atoms.clipboard {
		return
	}
	if e.Property == xproto.AtomNone {
		if x.target == x.atoms.utf8 {
			x.target = x.atoms.str
			xproto.ConvertSelection(x.conn, x.win, x.atoms.clipboard, x.target, x.atoms.prop, e.Time)
			return
		}
		x.reading = false // the owner has no text (an image, files)
		return
	}
	p, err := x.take()
	if err != nil {
		x.reading = false
		return
	}
	if p.Type == x.atoms.incr {
		// The owner sends in chunks, each after we delete the property
		// (take did); the first 32-bit value is a lower bound on the size.
		x.inIncr = true
		if len(p.Value) >= 4 {
			if n := int(xgb.Get32(p.Value)); n > protocol.MaxClipboardText {
				x.incrBig = n
			}
		}
		return
	}
	x.reading = false
	x.deliver(p.Type, p.Value)
}

// incrChunk reads one chunk of an INCR transfer; a zero-length one ends it.
func (x *x11) incrChunk() {
	p, err := x.take()
	if err != nil {
		x.reading, x.inIncr = false, false
		return
	}
	if len(p.Value) > 0 {
		if x.incrBig == 0 && len(x.incr)+len(p.Value) <= protocol.MaxClipboardText {
			x.incr = append(x.incr, p.Value...)
		} else {
			x.incrBig = max(x.incrBig, len(x.incr)) + len(p.Value)
			x.incr = nil
		}
		return
	}
	x.reading, x.inIncr = false, false
	if x.incrBig > 0 {
		x.ch.put(Copy{Size: x.incrBig})
		return
	}
	x.deliver(p.Type, x.incr)
	x.incr = nil
}

// take reads and deletes our transfer property, at most a little more
// than the limit (a longer value is reported as too large).
func (x *x11) take() (*xproto.GetPropertyReply, error) {
	const words = (protocol.MaxClipboardText + 4) / 4
	p, err := xproto.GetProperty(x.conn, true, x.win, x.atoms.prop, xproto.GetPropertyTypeAny, 0, words).Reply()
	if err != nil {
		return nil, err
	}
	if p.BytesAfter > 0 {
		// Too long: the rest stays unread, and is deleted.
		xproto.DeleteProperty(x.conn, x.win, x.atoms.prop)
		return &xproto.GetPropertyReply{Type: p.Type, Value: make([]byte, int(p.ValueLen)+int(p.BytesAfter))}, nil
	}
	return p, nil
}

// deliver reports text of the given type (UTF8_STRING, or Latin-1 STRING).
func (x *x11) deliver(typ xproto.Atom, b []byte) {
	if len(b) > protocol.MaxClipboardText {
		x.ch.put(Copy{Size: len(b)})
		return
	}
	text := string(b)
	if typ == x.atoms.str {
		text = latin1ToUTF8(b)
	}
	if c := fromText(text); c.Text != "" || c.TooLarge() {
		x.ch.put(c)
	}
}

// answer serves another client's paste of the text this window owns.
func (x *x11) answer(e xproto.SelectionRequestEvent) {
	x.mu.Lock()
	text := x.owned
	x.mu.Unlock()
	prop := e.Property
	if prop == xproto.AtomNone {
		prop = e.Target // an obsolete requestor (ICCCM §2.2)
	}
	ok := text != "" && e.Selection == x.atoms.clipboard
	if ok {
		switch e.Target {
		case x.atoms.targets:
			list := []xproto.Atom{x.atoms.targets, x.atoms.utf8, x.atoms.text, x.atoms.str}
			b := make([]byte, 4*len(list))
			for i, a := range list {
				xgb.Put32(b[4*i:], uint32(a))
			}
			xproto.ChangeProperty(x.conn, xproto.PropModeReplace, e.Requestor, prop, x.atoms.atom, 32, uint32(len(list)), b)
		case x.atoms.utf8, x.atoms.text:
			xproto.ChangeProperty(x.conn, xproto.PropModeReplace, e.Requestor, prop, x.atoms.utf8, 8, uint32(len(text)), []byte(text))
		case x.atoms.str:
			b := utf8ToLatin1(text)
			xproto.ChangeProperty(x.conn, xproto.PropModeReplace, e.Requestor, prop, x.atoms.str, 8, uint32(len(b)), b)
		default:
			ok = false
		}
	}
	if !ok {
		prop = xproto.AtomNone
	}
	notify := xproto.SelectionNotifyEvent{Time: e.Time, Requestor: e.Requestor, Selection: e.Selection, Target: e.Target, Property: prop}
	xproto.SendEvent(x.conn, false, e.Requestor, xproto.EventMaskNoEvent, string(notify.Bytes()))
}

func latin1ToUTF8(b []byte) string {
	r := make([]rune, len(b))
	for i, c := range b {
		r[i] = rune(c)
	}
	return string(r)
}

// utf8ToLatin1 is text as ICCCM's STRING: Latin-1, with '?' for what it
// cannot hold.
func utf8ToLatin1(s string) []byte {
	b := make([]byte, 0, utf8.RuneCountInString(s))
	for _, r := range s {
		if r > 0xff {
			r = '?'
		}
		b = append(b, byte(r))
	}
	return b
}
