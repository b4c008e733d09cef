//go:build linux

package capture

import (
	"image"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/damage"
	"github.com/jezek/xgb/xfixes"
	"github.com/jezek/xgb/xproto"
)

// heard is what the event reader learned for Capture and Cursor since they
// last looked. x11.evMu guards it.
type heard struct {
	w, h    int  // the root size of the latest root ConfigureNotify, if any
	resized bool // since the last Capture
	lost    bool // an X error arrived as an event: trust no hint this time
	cursor  bool // the pointer image may have changed since the last Cursor

	windows map[xproto.Window]topLevel
	moves   []windowMove // since the last Capture, one per window

	// quiet is set once changed is closed; nothing may be sent on it then.
	quiet bool
}

// topLevel is the last known geometry of a child of the root window.
type topLevel struct {
	r      image.Rectangle // outer, border included; empty while unknown
	mapped bool
}

type windowMove struct {
	win xproto.Window
	Move
}

// readEvents owns the connection's event stream until the connection
// closes: xgb hands each event to one reader, so Capture never polls it.
func (x *x11) readEvents() {
	defer close(x.readerDone)
	for {
		ev, xerr := x.conn.WaitForEvent()
		if ev == nil && xerr == nil {
			x.evMu.Lock()
			x.quietLocked()
			x.evMu.Unlock()
			return
		}
		x.evMu.Lock()
		if x.apply(ev, xerr) {
			x.notifyLocked()
		}
		x.evMu.Unlock()
	}
}

// apply records one event and reports whether the screen or the pointer
// image may have changed. x.evMu is held.
func (x *x11) apply(ev xgb.Event, xerr xgb.Error) bool {
	h := &x.heard
	if xerr != nil {
		// Every request Capture and Cursor make is checked or has a reply,
		// so an error here is unexpected; the next Capture starts over.
		h.lost = true
		return true
	}
	switch ev := ev.(type) {
	case damage.NotifyEvent:
		return true
	case xfixes.CursorNotifyEvent:
		h.cursor = true
		return true
	case xproto.ConfigureNotifyEvent:
		if ev.Window == x.root {
			h.w, h.h, h.resized = int(ev.Width), int(ev.Height), true
			return true
		}
		if ev.Event == x.root {
			bw := 2 * int(ev.BorderWidth)
			x.placed(ev.Window, image.Rect(int(ev.X), int(ev.Y), int(ev.X)+int(ev.Width)+bw, int(ev.Y)+int(ev.Height)+bw))
		}
	case xproto.CreateNotifyEvent:
		if ev.Parent == x.root {
			bw := 2 * int(ev.BorderWidth)
			h.windows[ev.Window] = topLevel{r: image.Rect(int(ev.X), int(ev.Y), int(ev.X)+int(ev.Width)+bw, int(ev.Y)+int(ev.Height)+bw)}
		}
	case xproto.MapNotifyEvent:
		if w, ok := h.windows[ev.Window]; ok && ev.Event == x.root {
			w.mapped = true
			h.windows[ev.Window] = w
		}
	case xproto.UnmapNotifyEvent:
		if w, ok := h.windows[ev.Window]; ok && ev.Event == x.root {
			w.mapped = false
			h.windows[ev.Window] = w
			x.dropMove(ev.Window)
		}
	case xproto.DestroyNotifyEvent:
		delete(h.windows, ev.Window)
		x.dropMove(ev.Window)
	case xproto.ReparentNotifyEvent:
		if ev.Parent == x.root {
			// Its size comes with its next ConfigureNotify.
			h.windows[ev.Window] = topLevel{}
		} else {
			delete(h.windows, ev.Window)
			x.dropMove(ev.Window)
		}
	}
	return false
}

// placed records a top-level window's new outer rectangle. A mapped window
// that kept its size and changed place moved: its pixels went along, which
// an encoder may send as a copy. x.evMu is held.
func (x *x11) placed(win xproto.Window, r image.Rectangle) {
	h := &x.heard
	old, ok := h.windows[win]
	h.windows[win] = topLevel{r: r, mapped: old.mapped}
	switch {
	case !ok || !old.mapped || old.r.Empty():
		return
	case old.r.Size() != r.Size():
		x.dropMove(win) // resized: what it showed before is no guide
		return
	case old.r.Min == r.Min:
		return // restacked, or a border change
	}
	for i := range h.moves {
		if h.moves[i].win == win {
			// Moved again since the last Capture: the pixels Capture last
			// saw are at the newest place.
			h.moves[i].Dst = r.Min
			return
		}
	}
	h.moves = append(h.moves, windowMove{win: win, Move: Move{Src: old.r, Dst: r.Min}})
}

func (x *x11) dropMove(win xproto.Window) {
	h := &x.heard
	for i := range h.moves {
		if h.moves[i].win == win {
			h.moves = append(h.moves[:i], h.moves[i+1:]...)
			return
		}
	}
}

// notifyLocked tells a waiting streamer that something changed, without
// blocking: one pending value stands for any number of changes. x.evMu is
// held.
func (x *x11) notifyLocked() {
	if x.heard.quiet {
		return
	}
	select {
	case x.changed <- struct{}{}:
	default:
	}
}

// quietLocked closes changed: from now on the user must poll. x.evMu is
// held.
func (x *x11) quietLocked() {
	if !x.heard.quiet {
		x.heard.quiet = true
		close(x.changed)
	}
}

// Changed implements Notifier.
func (x *x11) Changed() <-chan struct{} { return x.changed }

// watchTopLevels learns the geometry of the root's children as they are
// now, so their first move is seen as one. Events about them are already
// selected; the reader is not running yet, and applies those events after
// this snapshot.
func (x *x11) watchTopLevels() error {
	tree, err := xproto.QueryTree(x.conn, x.root).Reply()
	if err != nil {
		return err
	}
	geoms := make([]xproto.GetGeometryCookie, len(tree.Children))
	attrs := make([]xproto.GetWindowAttributesCookie, len(tree.Children))
	for i, w := range tree.Children {
		geoms[i] = xproto.GetGeometry(x.conn, xproto.Drawable(w))
		attrs[i] = xproto.GetWindowAttributes(x.conn, w)
	}
	for i, w := range tree.Children {
		g, gerr := geoms[i].Reply()
		a, aerr := attrs[i].Reply()
		if gerr != nil || aerr != nil {
			continue // destroyed meanwhile
		}
		bw := 2 * int(g.BorderWidth)
		x.heard.windows[w] = topLevel{
			r:      image.Rect(int(g.X), int(g.Y), int(g.X)+int(g.Width)+bw, int(g.Y)+int(g.Height)+bw),
			mapped: a.MapState != xproto.MapStateUnmapped,
		}
	}
	return nil
}

// news is what Capture takes from the reader.
type news struct {
	w, h    int // root size from the latest ConfigureNotify; 0 if none yet
	resized bool
	lost    bool
}

// takeNews returns and resets what the reader learned for Capture, with the
// windows that moved clipped to area of the root window, made relative to
// its top left corner and appended to moves.
func (x *x11) takeNews(moves []Move, area image.Rectangle) (news, []Move) {
	x.evMu.Lock()
	defer x.evMu.Unlock()
	hd := &x.heard
	n := news{w: hd.w, h: hd.h, resized: hd.resized, lost: hd.lost}
	for _, m := range hd.moves {
		src := m.Src.Intersect(area)
		if src.Empty() {
			continue
		}
		dst := m.Dst.Add(src.Min.Sub(m.Src.Min))
		moves = append(moves, Move{Src: src.Sub(area.Min), Dst: dst.Sub(area.Min)})
	}
	hd.moves = hd.moves[:0]
	hd.resized, hd.lost = false, false
	return n, moves
}
