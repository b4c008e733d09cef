//go:build linux

package main

import (
	"encoding/json"
	"fmt"
	"io"
	"log"
	"slices"
	"strconv"
	"sync"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"

	"tether/agent/input/keysym"
)

type win struct {
	c        *xgb.Conn
	id       xproto.Window
	gc       xproto.Gcontext
	w, h     int
	m        keysym.Mapping
	l3Mask   uint16
	typed    []rune
	out      *json.Encoder
	readyYet bool
	// mark paints a square at each click; marks counts them so the colour
	// alternates and every click changes the screen.
	mark  bool
	marks int
	// echo paints a cell per key at a caret that advances like text.
	echo  bool
	caret int
	// solid is the one colour (0xRRGGBB) painted with -color; -1 paints
	// the picture.
	solid int64
}

// setTitle names the window as window managers and the agent read it.
func (t *win) setTitle(title string) error {
	r, err := xproto.InternAtom(t.c, false, uint16(len("_NET_WM_NAME")), "_NET_WM_NAME").Reply()
	if err != nil {
		return fmt.Errorf("atom: %w", err)
	}
	u, err := xproto.InternAtom(t.c, false, uint16(len("UTF8_STRING")), "UTF8_STRING").Reply()
	if err != nil {
		return fmt.Errorf("atom: %w", err)
	}
	xproto.ChangeProperty(t.c, xproto.PropModeReplace, t.id, r.Atom, u.Atom, 8, uint32(len(title)), []byte(title))
	return xproto.ChangePropertyChecked(t.c, xproto.PropModeReplace, t.id, xproto.AtomWmName, xproto.AtomString, 8,
		uint32(len(title)), []byte(title)).Check()
}

var quietXGB sync.Once

// serve shows the window on an X display and reports its events until
// the connection closes.
func serve(o options, out *json.Encoder) error {
	// xgb logs a missing ~/.Xauthority on every connect; keep stderr for
	// real failures. Once: a test may run several windows in one process.
	quietXGB.Do(func() { xgb.Logger = log.New(io.Discard, "", 0) })
	x, y, w, h := o.x, o.y, o.w, o.h
	c, err := xgb.NewConnDisplay(o.display)
	if err != nil {
		return err
	}
	defer c.Close()
	s := xproto.Setup(c).DefaultScreen(c)
	if w <= 0 {
		w = int(s.WidthInPixels) - x
	}
	if h <= 0 {
		h = int(s.HeightInPixels) - y
	}
	t := &win{c: c, w: w, h: h, out: out, mark: o.mark, echo: o.echo, solid: -1}
	if o.color != "" {
		v, err := strconv.ParseUint(o.color, 16, 32)
		if err != nil || len(o.color) != 6 {
			return fmt.Errorf("-color %q: want RRGGBB", o.color)
		}
		t.solid = int64(v)
	}
	if t.id, err = xproto.NewWindowId(c); err != nil {
		return err
	}
	if t.gc, err = xproto.NewGcontextId(c); err != nil {
		return err
	}
	mask := uint32(xproto.EventMaskExposure | xproto.EventMaskKeyPress | xproto.EventMaskButtonPress |
		xproto.EventMaskStructureNotify)
	// Override-redirect: no window manager may move it, so window and
	// screen coordinates stay as the flags say.
	err = xproto.CreateWindowChecked(c, s.RootDepth, t.id, s.Root, int16(x), int16(y), uint16(w), uint16(h), 0,
		xproto.WindowClassInputOutput, s.RootVisual, xproto.CwBackPixel|xproto.CwOverrideRedirect|xproto.CwEventMask,
		[]uint32{0, 1, mask}).Check()
	if err != nil {
		return fmt.Errorf("create window: %w", err)
	}
	if err := xproto.CreateGCChecked(c, t.gc, xproto.Drawable(t.id), 0, nil).Check(); err != nil {
		return fmt.Errorf("create gc: %w", err)
	}
	if err := t.loadMapping(); err != nil {
		return err
	}
	if o.title != "" {
		if err := t.setTitle(o.title); err != nil {
			return err
		}
	}
	if err := xproto.MapWindowChecked(c, t.id).Check(); err != nil {
		return fmt.Errorf("map: %w", err)
	}
	for {
		ev, xerr := c.WaitForEvent()
		if ev == nil && xerr == nil {
			return nil // connection closed
		}
		if xerr != nil {
			return fmt.Errorf("X error: %v", xerr)
		}
		if err := t.handle(ev); err != nil {
			return err
		}
	}
}

func (t *win) handle(ev xgb.Event) error {
	switch e := ev.(type) {
	case xproto.ExposeEvent:
		if e.Count != 0 {
			return nil
		}
		if err := t.paint(); err != nil {
			return err
		}
		if !t.readyYet {
			// Focus only once viewable; the Expose proves it is.
			err := xproto.SetInputFocusChecked(t.c, xproto.InputFocusParent, t.id, xproto.TimeCurrentTime).Check()
			if err != nil {
				return fmt.Errorf("focus: %w", err)
			}
			t.readyYet = true
			return t.out.Encode(map[string]any{"event": "ready", "window": uint32(t.id)})
		}
	case xproto.MappingNotifyEvent:
		// The agent rebinds spare keycodes for characters the layout
		// lacks; read the new mapping before the next KeyPress.
		return t.loadMapping()
	case xproto.ButtonPressEvent:
		if t.mark {
			if err := t.paintMark(int(e.EventX), int(e.EventY)); err != nil {
				return err
			}
		}
		return t.out.Encode(map[string]any{"event": "button", "button": e.Detail,
			"x": e.EventX, "y": e.EventY, "root_x": e.RootX, "root_y": e.RootY})
	case xproto.KeyPressEvent:
		if t.echo {
			if err := t.paintGlyph(); err != nil {
				return err
			}
		}
		return t.key(e)
	}
	return nil
}

func (t *win) key(e xproto.KeyPressEvent) error {
	lvl := keysym.Level{Shift: e.State&xproto.ModMaskShift != 0, Level3: t.l3Mask != 0 && e.State&t.l3Mask != 0}
	ks := t.m.Lookup(byte(e.Detail), lvl, e.State&xproto.ModMaskLock != 0)
	text := ""
	if r, ok := keysym.ToRune(ks); ok && e.State&xproto.ModMaskControl == 0 {
		text = string(r)
	}
	switch {
	case text != "":
		t.typed = append(t.typed, []rune(text)...)
	case ks == keysym.Return:
		t.typed = append(t.typed, '\n')
	case ks == keysym.BackSpace && len(t.typed) > 0:
		t.typed = t.typed[:len(t.typed)-1]
	}
	err := t.out.Encode(map[string]any{"event": "key", "text": text, "keysym": ks,
		"keycode": e.Detail, "state": e.State})
	if err != nil {
		return err
	}
	return t.out.Encode(map[string]any{"event": "typed", "text": string(t.typed)})
}

func (t *win) loadMapping() error {
	setup := xproto.Setup(t.c)
	n := int(setup.MaxKeycode) - int(setup.MinKeycode) + 1
	km, err := xproto.GetKeyboardMapping(t.c, setup.MinKeycode, byte(n)).Reply()
	if err != nil {
		return fmt.Errorf("keyboard mapping: %w", err)
	}
	t.m = keysym.Mapping{Min: byte(setup.MinKeycode), PerKeycode: int(km.KeysymsPerKeycode), Syms: make([]uint32, len(km.Keysyms))}
	for i, ks := range km.Keysyms {
		t.m.Syms[i] = uint32(ks)
	}
	mm, err := xproto.GetModifierMapping(t.c).Reply()
	if err != nil {
		return fmt.Errorf("modifier mapping: %w", err)
	}
	t.l3Mask = 0
	per := int(mm.KeycodesPerModifier)
	for i, kc := range mm.Keycodes {
		if kc != 0 && slices.Contains(t.m.Row(byte(kc)), keysym.ISOLevel3Shift) {
			t.l3Mask = 1 << (i / per)
		}
	}
	return nil
}
