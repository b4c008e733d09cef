package session

import (
	"context"
	"errors"
	"image"
	"slices"
	"sync"

	"tether/agent/capture"
	"tether/agent/consent"
	"tether/agent/desktop"
	"tether/agent/stream"
	"tether/server/protocol"
)

// Overlay shows the engineer's strokes on the customer's screen, on top of
// everything, taking no input, each fading a few seconds after it was
// drawn; overlay.Overlay satisfies it. Points are in screen pixels.
type Overlay interface {
	Draw(stroke uint16, pts []image.Point, end bool) error
	Clear() error
	Close() error
}

// Scope is what the customer chose to share on the consent page: the whole
// screen, or Window alone; Hidden windows are blacked out in every frame
// either way.
type Scope struct {
	Window desktop.ID
	Title  string
	Hidden []desktop.ID
}

// scoper applies the Scope: it crops and blacks out every frame before the
// encoder sees it (nothing of a hidden window, or outside the shared one,
// ever leaves the computer), and places and filters the engineer's input.
// The owner sets it; the stream and receive goroutines read it.
type scoper struct {
	desk desktop.Desktop // nil where windows cannot be listed

	mu    sync.Mutex
	scope Scope
	// owned by the stream goroutine, under mu
	buf       []byte
	masks     []image.Rectangle // blacked out in the last frame, in its coordinates
	filtered  bool              // the last frame was not the capture as is
	origin    image.Point       // of the last frame on the screen
	lastW     int
	lastH     int
	lastFrame capture.Frame
}

func (sc *scoper) set(s Scope) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	sc.scope = s
}

func (sc *scoper) get() Scope {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	return sc.scope
}

// message is the Scope message for the viewer.
func (s Scope) message() *protocol.Scope {
	m := &protocol.Scope{Hidden: uint8(min(len(s.Hidden), 255))}
	if s.Window != 0 {
		m.Kind, m.Title = protocol.ScopeWindow, protocol.ClipTitle(s.Title)
	}
	return m
}

// wrap returns src seen through the scope.
func (sc *scoper) wrap(src stream.Source) stream.Source {
	s := &scopedSource{Source: src, sc: sc}
	if n, ok := src.(interface{ Changed() <-chan struct{} }); ok {
		return notifyingScoped{s, n}
	}
	return s
}

type scopedSource struct {
	stream.Source
	sc *scoper
}

type notifyingScoped struct {
	*scopedSource
	n interface{ Changed() <-chan struct{} }
}

func (n notifyingScoped) Changed() <-chan struct{} { return n.n.Changed() }

// hiddenRects are the screen areas of the hidden windows now.
func (sc *scoper) hiddenRects(ids []desktop.ID) []image.Rectangle {
	var rs []image.Rectangle
	for _, id := range ids {
		if l, err := sc.desk.Layout(id); err == nil {
			rs = append(rs, l.Rect)
		}
	}
	return rs
}

// errWindowGone: the shared window was closed or hidden; the frame is black.
var errWindowGone = errors.New("session: the shared window is gone")

func (s *scopedSource) Capture() (*capture.Frame, error) {
	sc := s.sc
	sc.mu.Lock()
	defer sc.mu.Unlock()
	scope := sc.scope
	if sc.desk == nil || (scope.Window == 0 && len(scope.Hidden) == 0) {
		f, err := s.Source.Capture()
		if err != nil {
			return nil, err
		}
		if sc.filtered {
			// What was blacked out is shown again: compare everything once.
			f.Damage, f.Moves = nil, nil
			sc.filtered, sc.masks = false, nil
		}
		sc.origin = image.Point{}
		return f, nil
	}
	// A hidden window's place is read before and after the capture and
	// both are blacked out, so a window moving meanwhile is still covered.
	before := sc.hiddenRects(scope.Hidden)
	f, err := s.Source.Capture()
	if err != nil {
		return nil, err
	}
	// The frame is the display shown (or all of them), at its place on
	// the desktop, where the windows' rectangles are.
	screen := image.Rectangle{Min: f.Origin, Max: f.Origin.Add(image.Pt(f.Width, f.Height))}
	masks := append(before, sc.hiddenRects(scope.Hidden)...)
	crop := screen
	if scope.Window != 0 {
		l, err := sc.desk.Layout(scope.Window)
		if err != nil || l.Rect.Intersect(screen).Empty() {
			return sc.black(), nil
		}
		crop = l.Rect.Intersect(screen)
		// Whatever covers the shared window is not shared.
		masks = append(masks, l.Above...)
	}
	w, h := crop.Dx(), crop.Dy()
	if cap(sc.buf) < w*h*4 {
		sc.buf = make([]byte, w*h*4)
	}
	pix := sc.buf[:w*h*4]
	at := crop.Min.Sub(f.Origin) // in the frame
	for y := range h {
		src := f.Pix[(at.Y+y)*f.Stride+at.X*4:]
		copy(pix[y*w*4:(y+1)*w*4], src[:w*4])
	}
	local := make([]image.Rectangle, 0, len(masks))
	for _, m := range masks {
		if r := m.Intersect(crop).Sub(crop.Min); !r.Empty() {
			local = append(local, r)
			blacken(pix, w*4, r)
		}
	}
	out := capture.Frame{Width: w, Height: h, Stride: w * 4, Pix: pix}
	if scope.Window == 0 {
		// The display shown, blacked out where windows are hidden: input
		// and the pointer are placed by its origin. A shared window's
		// frames start at 0,0: the window is placed afresh for each input.
		out.Origin = f.Origin
	}
	if scope.Window == 0 && f.Damage != nil && sc.filtered && w == sc.lastW && h == sc.lastH {
		// What changed: the screen's damage, and what is blacked out now
		// or was before.
		out.Damage = slices.Concat(f.Damage, sc.masks, local)
	}
	sc.masks, sc.filtered, sc.origin = local, true, crop.Min
	sc.lastW, sc.lastH = w, h
	sc.lastFrame = out
	return &sc.lastFrame, nil
}

// black is an all-black frame of the last size: the shared window is gone,
// and the rest of the screen is not shared.
func (sc *scoper) black() *capture.Frame {
	w, h := max(sc.lastW, 1), max(sc.lastH, 1)
	sc.buf = make([]byte, w*h*4)
	sc.lastFrame = capture.Frame{Width: w, Height: h, Stride: w * 4, Pix: sc.buf}
	sc.filtered, sc.masks = true, nil
	return &sc.lastFrame
}

func blacken(pix []byte, stride int, r image.Rectangle) {
	for y := r.Min.Y; y < r.Max.Y; y++ {
		clear(pix[y*stride+r.Min.X*4 : y*stride+r.Max.X*4])
	}
}

// Cursor is the pointer in the frame's coordinates; outside the shared
// window it is not shown.
func (s *scopedSource) Cursor() (capture.Cursor, error) {
	c, err := s.Source.Cursor()
	if err != nil {
		return c, err
	}
	sc := s.sc
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if sc.scope.Window == 0 || sc.desk == nil {
		return c, nil
	}
	c.X -= sc.origin.X
	c.Y -= sc.origin.Y
	if c.X < 0 || c.Y < 0 || c.X >= sc.lastW || c.Y >= sc.lastH {
		c.Visible = false
		c.X, c.Y = 0, 0
	}
	return c, nil
}

// place turns a point of the viewer's frame into a point on the screen,
// and reports whether input may happen there: inside the shared window and
// not on a window above it, and never on a hidden window. It asks the
// desktop afresh: the window may have moved since the last frame.
func (sc *scoper) place(x, y int) (image.Point, bool) {
	sc.mu.Lock()
	scope := sc.scope
	sc.mu.Unlock()
	p := image.Pt(x, y)
	if sc.desk == nil {
		return p, true
	}
	if scope.Window != 0 {
		l, err := sc.desk.Layout(scope.Window)
		if err != nil {
			return p, false
		}
		p = p.Add(l.Rect.Min)
		if !p.In(l.Rect) || inAny(p, l.Above) {
			return p, false
		}
	}
	return p, !inAny(p, sc.hiddenRects(scope.Hidden))
}

// keyAllowed reports whether a key may be typed: with one window shared,
// only while it has the keyboard, since keys typed elsewhere would act on
// what the engineer cannot see. Releases always pass, so that no key
// pressed before the focus moved stays down.
func (sc *scoper) keyAllowed(down bool) bool {
	scope := sc.get()
	if sc.desk == nil || scope.Window == 0 || !down {
		return true
	}
	ok, err := sc.desk.Focused(scope.Window)
	return err == nil && ok
}

// toScreen places the engineer's stroke points on the screen, leaving out
// those outside the shared window. With the screen shared, the points are
// relative to the display shown, whose top left corner is origin.
func (sc *scoper) toScreen(pts []protocol.XY, origin image.Point) []image.Point {
	scope := sc.get()
	rect := image.Rectangle{Min: origin, Max: origin}
	if scope.Window != 0 {
		if sc.desk == nil {
			return nil
		}
		l, err := sc.desk.Layout(scope.Window)
		if err != nil {
			return nil
		}
		rect = l.Rect
	}
	out := make([]image.Point, 0, len(pts))
	for _, q := range pts {
		p := image.Pt(int(q.X), int(q.Y)).Add(rect.Min)
		if scope.Window == 0 || p.In(rect) {
			out = append(out, p)
		}
	}
	return out
}

func inAny(p image.Point, rs []image.Rectangle) bool {
	for _, r := range rs {
		if p.In(r) {
			return true
		}
	}
	return false
}

// point shows a stroke of the engineer's on the customer's screen. It needs
// only view: it shows, it never acts.
func (s *session) point(m *protocol.Point) {
	ov := s.overlay()
	if ov == nil {
		return
	}
	var err error
	if m.Flags&protocol.PointClear != 0 {
		err = ov.Clear()
	} else {
		err = ov.Draw(m.Stroke, s.scope.toScreen(m.Points, s.disp.origin()), m.Flags&protocol.PointEnd != 0)
	}
	if err != nil {
		s.log.Debug("overlay", "err", err)
	}
}

// overlay opens the overlay on first use; nil where there is none.
func (s *session) overlay() Overlay {
	s.ovMu.Lock()
	defer s.ovMu.Unlock()
	if s.ov == nil && s.ovErr == nil {
		s.ovErr = errors.New("no overlay in this build")
		if s.cfg.OpenOverlay != nil {
			s.ov, s.ovErr = s.cfg.OpenOverlay()
		}
		if w, ok := s.ov.(interface{ Window() uint32 }); ok && s.scope.desk != nil {
			s.scope.desk.Ignore(desktop.ID(w.Window()))
		}
		if s.ovErr != nil {
			s.log.Warn("the engineer's pointer cannot be shown on this computer", "err", s.ovErr)
		}
	}
	return s.ov
}

// windows lists the customer's windows for the consent page.
func (s *session) windows() []desktop.Window {
	if s.scope.desk == nil {
		return nil
	}
	ws, err := s.scope.desk.List()
	if err != nil {
		s.log.Info("list windows", "err", err)
		return nil
	}
	return ws
}

// setScope carries out the customer's choice of what to share. A window
// that is no longer listed is refused: nothing is shared that the customer
// did not see named.
func (s *session) setScope(ctx context.Context, choice consent.Sharing) {
	window := desktop.ID(choice.Window)
	ws := s.windows()
	title := func(id desktop.ID) (string, bool) {
		i := slices.IndexFunc(ws, func(w desktop.Window) bool { return w.ID == id })
		if i < 0 {
			return "", false
		}
		return ws[i].Title, true
	}
	next := Scope{Window: window}
	if window != 0 {
		t, ok := title(window)
		if !ok {
			s.note = s.cfg.Lang.T("customer_agent_note_window_gone")
			s.updatePage()
			return
		}
		next.Title = t
	}
	for _, raw := range choice.Hidden {
		id := desktop.ID(raw)
		if _, ok := title(id); ok && id != window && !slices.Contains(next.Hidden, id) {
			next.Hidden = append(next.Hidden, id)
		}
	}
	s.note = ""
	s.scope.set(next)
	s.showDisplay() // a shared window is found on any display
	switch {
	case next.Window != 0:
		s.sayT("customer_agent_scope_console_window", map[string]any{"Title": next.Title, "Engineer": s.engineerName()})
	default:
		s.sayT("customer_agent_scope_console_screen", map[string]any{"Engineer": s.engineerName()})
	}
	if len(next.Hidden) > 0 {
		s.sayT("customer_agent_scope_console_hidden", map[string]any{"N": len(next.Hidden), "Engineer": s.engineerName()})
	}
	s.sendScope()
	if s.grants.Consented() {
		if err := s.sig.Send(ctx, protocol.SigConsent, s.consentMessage(s.grants)); err != nil {
			s.log.Warn("send consent", "err", err)
		}
	}
	s.updatePage()
}

// consentMessage is the consent for the server, with what is shared.
func (s *session) consentMessage(g protocol.Grants) protocol.Consent {
	sc := s.scope.get()
	c := protocol.Consent{Grants: g, Hidden: len(sc.Hidden)}
	if sc.Window != 0 {
		c.Window = protocol.ClipTitle(sc.Title)
	}
	return c
}

// sendScope tells the current viewer what is shared.
func (s *session) sendScope() {
	if s.viewer == nil || s.viewer.conn == nil {
		return
	}
	b, err := protocol.Marshal(s.scope.get().message())
	if err != nil {
		s.log.Warn("scope", "err", err)
		return
	}
	if err := s.viewer.conn.Send(b); err != nil {
		s.log.Info("send scope", "err", err)
	}
	if s.viewer.streamer != nil {
		s.viewer.streamer.RequestFull()
	}
}

// place turns the viewer's pointer position into the screen's, and
// reports whether input may happen there.
func (d *dispatcher) place(x, y uint16) (int, int, bool) {
	cx, cy := d.clamp(x, y)
	if d.scope == nil {
		return cx, cy, true
	}
	p, ok := d.scope.place(cx, cy)
	if ok {
		d.last = &protocol.MouseMove{X: x, Y: y}
	}
	return p.X, p.Y, ok
}

// wheelPlaced reports whether a wheel turn may happen: it happens where
// the pointer is, so with a window shared or windows hidden, the pointer
// is first put back where the engineer last placed it, if that is still
// allowed.
func (d *dispatcher) wheelPlaced() bool {
	if d.scope == nil || d.scope.desk == nil {
		return true
	}
	sc := d.scope.get()
	if sc.Window == 0 && len(sc.Hidden) == 0 {
		return true
	}
	if d.last == nil {
		return false
	}
	x, y, ok := d.place(d.last.X, d.last.Y)
	return ok && d.inj.MouseMove(x, y) == nil
}

// pageWindows are the windows the consent page lists.
func (s *session) pageWindows() []consent.Window {
	if s.scope == nil || s.scope.desk == nil {
		return nil
	}
	ws := s.windows()
	out := make([]consent.Window, 0, len(ws))
	for _, w := range ws {
		out = append(out, consent.Window{ID: uint64(w.ID), Title: w.Title})
	}
	return out
}

// pageSharing is what is shared, for the consent page.
func (s *session) pageSharing() consent.Sharing {
	sc := s.scope.get()
	out := consent.Sharing{Window: uint64(sc.Window), Title: sc.Title, Hidden: []uint64{}}
	for _, id := range sc.Hidden {
		out.Hidden = append(out.Hidden, uint64(id))
	}
	return out
}

// closeScope closes the overlay and the desktop connection.
func (s *session) closeScope() {
	s.ovMu.Lock()
	if s.ov != nil {
		if err := s.ov.Close(); err != nil {
			s.log.Info("close overlay", "err", err)
		}
		s.ov = nil
	}
	s.ovErr = errors.New("session: over")
	s.ovMu.Unlock()
	if s.scope.desk != nil {
		if err := s.scope.desk.Close(); err != nil {
			s.log.Info("close desktop", "err", err)
		}
	}
}
