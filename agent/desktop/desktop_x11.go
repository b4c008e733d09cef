//go:build linux

package desktop

import (
	"fmt"
	"image"
	"io"
	"log"
	"slices"
	"sync"
	"unicode/utf8"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"
)

// x11 reads windows on one connection of its own. The root's children are
// the top-level windows in stacking order; a reparenting window manager
// puts each application window (listed in _NET_CLIENT_LIST) inside a
// frame, and the frame is what is listed, moved and covered.
type x11 struct {
	mu   sync.Mutex // one request sequence at a time
	conn *xgb.Conn
	root xproto.Window
	skip map[xproto.Window]bool // Ignore
	atom struct{ netClientList, netWMName, utf8String, netActive xproto.Atom }
}

var quietXGB sync.Once

func open() (Desktop, error) {
	// xgb logs a missing ~/.Xauthority on every connect.
	quietXGB.Do(func() { xgb.Logger = log.New(io.Discard, "", 0) })
	c, err := xgb.NewConn()
	if err != nil {
		return nil, fmt.Errorf("desktop: connect to X: %w", err)
	}
	x := &x11{conn: c, root: xproto.Setup(c).DefaultScreen(c).Root, skip: map[xproto.Window]bool{}}
	for _, a := range []struct {
		name string
		dst  *xproto.Atom
	}{
		{"_NET_CLIENT_LIST", &x.atom.netClientList},
		{"_NET_WM_NAME", &x.atom.netWMName},
		{"UTF8_STRING", &x.atom.utf8String},
		{"_NET_ACTIVE_WINDOW", &x.atom.netActive},
	} {
		r, err := xproto.InternAtom(c, false, uint16(len(a.name)), a.name).Reply()
		if err != nil {
			c.Close()
			return nil, fmt.Errorf("desktop: atom %s: %w", a.name, err)
		}
		*a.dst = r.Atom
	}
	return x, nil
}

func (x *x11) Ignore(id ID) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.skip[xproto.Window(id)] = true
}

func (x *x11) Close() error {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.conn.Close()
	return nil
}

// shown returns the root's viewable children bottom to top with their
// rectangles.
func (x *x11) shown() ([]xproto.Window, []image.Rectangle, error) {
	tree, err := xproto.QueryTree(x.conn, x.root).Reply()
	if err != nil {
		return nil, nil, fmt.Errorf("desktop: query tree: %w", err)
	}
	attrs := make([]xproto.GetWindowAttributesCookie, len(tree.Children))
	geoms := make([]xproto.GetGeometryCookie, len(tree.Children))
	for i, w := range tree.Children {
		attrs[i] = xproto.GetWindowAttributes(x.conn, w)
		geoms[i] = xproto.GetGeometry(x.conn, xproto.Drawable(w))
	}
	var wins []xproto.Window
	var rects []image.Rectangle
	for i, w := range tree.Children {
		a, aerr := attrs[i].Reply()
		g, gerr := geoms[i].Reply()
		if aerr != nil || gerr != nil || a.MapState != xproto.MapStateViewable || a.Class == xproto.WindowClassInputOnly || x.skip[w] {
			continue // closed meanwhile, hidden, or shows nothing
		}
		b := int(g.BorderWidth) * 2
		r := image.Rect(int(g.X), int(g.Y), int(g.X)+int(g.Width)+b, int(g.Y)+int(g.Height)+b)
		wins = append(wins, w)
		rects = append(rects, r)
	}
	return wins, rects, nil
}

// clients is _NET_CLIENT_LIST, or nil without a window manager that sets it.
func (x *x11) clients() map[xproto.Window]bool {
	r, err := xproto.GetProperty(x.conn, false, x.root, x.atom.netClientList, xproto.AtomWindow, 0, 4096).Reply()
	if err != nil || r.Format != 32 || r.ValueLen == 0 {
		return nil
	}
	m := make(map[xproto.Window]bool, r.ValueLen)
	for i := 0; i+4 <= len(r.Value); i += 4 {
		m[xproto.Window(xgb.Get32(r.Value[i:]))] = true
	}
	return m
}

// title is the window's name (_NET_WM_NAME, else WM_NAME), or that of the
// application window inside a frame; ok is false for an untitled window.
func (x *x11) title(w xproto.Window, clients map[xproto.Window]bool) (string, bool) {
	if t := x.name(w); t != "" && (clients == nil || clients[w]) {
		return t, true
	}
	tree, err := xproto.QueryTree(x.conn, w).Reply()
	if err != nil {
		return "", false
	}
	for _, c := range tree.Children {
		if t := x.name(c); t != "" && (clients == nil || clients[c]) {
			return t, true
		}
	}
	return "", false
}

func (x *x11) name(w xproto.Window) string {
	if r, err := xproto.GetProperty(x.conn, false, w, x.atom.netWMName, x.atom.utf8String, 0, 256).Reply(); err == nil && len(r.Value) > 0 && utf8.Valid(r.Value) {
		return string(r.Value)
	}
	if r, err := xproto.GetProperty(x.conn, false, w, xproto.AtomWmName, xproto.AtomString, 0, 256).Reply(); err == nil && len(r.Value) > 0 {
		// WM_NAME is Latin-1.
		rs := make([]rune, len(r.Value))
		for i, b := range r.Value {
			rs[i] = rune(b)
		}
		return string(rs)
	}
	return ""
}

func (x *x11) List() ([]Window, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	wins, rects, err := x.shown()
	if err != nil {
		return nil, err
	}
	clients := x.clients()
	var out []Window
	for i, w := range slices.Backward(wins) {
		if t, ok := x.title(w, clients); ok {
			out = append(out, Window{ID: ID(w), Title: t, Rect: rects[i]})
		}
	}
	return out, nil
}

func (x *x11) Layout(id ID) (Layout, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	wins, rects, err := x.shown()
	if err != nil {
		return Layout{}, err
	}
	i := slices.Index(wins, xproto.Window(id))
	if i < 0 {
		return Layout{}, ErrGone
	}
	l := Layout{Rect: rects[i]}
	for _, r := range rects[i+1:] {
		if r.Overlaps(l.Rect) {
			l.Above = append(l.Above, r)
		}
	}
	return l, nil
}

func (x *x11) Focused(id ID) (bool, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	f, err := xproto.GetInputFocus(x.conn).Reply()
	if err != nil {
		return false, fmt.Errorf("desktop: input focus: %w", err)
	}
	w := f.Focus
	if w == xproto.InputFocusPointerRoot {
		// Focus follows the pointer: the window under it has the keyboard.
		p, err := xproto.QueryPointer(x.conn, x.root).Reply()
		if err != nil {
			return false, fmt.Errorf("desktop: query pointer: %w", err)
		}
		w = p.Child
	}
	// Walk up to the root's child: the frame, or the window itself.
	for w != xproto.WindowNone && w != x.root {
		if w == xproto.Window(id) {
			return true, nil
		}
		t, err := xproto.QueryTree(x.conn, w).Reply()
		if err != nil {
			return false, nil // destroyed meanwhile: not ours
		}
		w = t.Parent
	}
	return false, nil
}
