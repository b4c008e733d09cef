package session

import (
	"bytes"
	"encoding/json"
	"image"
	"io"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"tether/agent/capture"
	"tether/agent/desktop"
	"tether/server/protocol"
)

// fakeDesktop has two windows: notes, and mail stacked above it, covering
// its bottom-right corner.
type fakeDesktop struct {
	focused atomic.Uint64
	ignored sync.Map
}

var (
	notesRect = image.Rect(20, 10, 120, 90)
	mailRect  = image.Rect(100, 60, 180, 140)
)

func (d *fakeDesktop) List() ([]desktop.Window, error) {
	return []desktop.Window{{ID: 2, Title: "Mail", Rect: mailRect}, {ID: 1, Title: "Notes", Rect: notesRect}}, nil
}

func (d *fakeDesktop) Layout(id desktop.ID) (desktop.Layout, error) {
	switch id {
	case 1:
		return desktop.Layout{Rect: notesRect, Above: []image.Rectangle{mailRect}}, nil
	case 2:
		return desktop.Layout{Rect: mailRect}, nil
	}
	return desktop.Layout{}, desktop.ErrGone
}

func (d *fakeDesktop) Focused(id desktop.ID) (bool, error) {
	return d.focused.Load() == uint64(id), nil
}
func (d *fakeDesktop) Ignore(id desktop.ID) { d.ignored.Store(id, true) }
func (d *fakeDesktop) Close() error         { return nil }

// fakeOverlay records the strokes it is asked to show.
type fakeOverlay struct {
	mu     sync.Mutex
	points []image.Point
	clears int
}

func (o *fakeOverlay) Draw(_ uint16, pts []image.Point, _ bool) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.points = append(o.points, pts...)
	return nil
}

func (o *fakeOverlay) Clear() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.clears++
	return nil
}

func (o *fakeOverlay) Close() error { return nil }

func (o *fakeOverlay) seen() ([]image.Point, int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Clone(o.points), o.clears
}

func withDesktop(d *fakeDesktop, ov *fakeOverlay) func(*Config) {
	return func(cfg *Config) {
		cfg.OpenDesktop = func() (desktop.Desktop, error) { return d, nil }
		cfg.OpenOverlay = func() (Overlay, error) { return ov, nil }
	}
}

// scopeChoice posts a choice of what to share, as scope.js does, and
// returns the HTTP status.
func (h *harness) scopeChoice(window uint64, hidden []uint64) int {
	h.t.Helper()
	body, _ := json.Marshal(map[string]any{"action": "scope", "scope": map[string]any{"window": window, "hidden": hidden}})
	req, _ := http.NewRequest(http.MethodPost, h.page+"decide", bytes.NewReader(body))
	u, _ := url.Parse(h.page)
	req.Header.Set("Origin", "http://"+u.Host)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

// expected is the screen as the engineer may see it: crop, with masks
// (screen coordinates) black.
func expected(screen capture.Frame, crop image.Rectangle, masks ...image.Rectangle) capture.Frame {
	w, h := crop.Dx(), crop.Dy()
	f := capture.Frame{Width: w, Height: h, Stride: w * 4, Pix: make([]byte, w*h*4)}
	for y := range h {
		for x := range w {
			p := image.Pt(crop.Min.X+x, crop.Min.Y+y)
			if inAny(p, masks) {
				continue
			}
			copy(f.Pix[y*f.Stride+x*4:y*f.Stride+x*4+4], screen.Pix[p.Y*screen.Stride+p.X*4:])
		}
	}
	return f
}

// TestSessionOneWindowDropsInputOutside drives the protocol directly: with
// one window shared, the frames are that window (what covers it black),
// input inside it is placed on the screen, and input outside it, keys
// while it lacks the keyboard, and wheel turns before any placed pointer
// are dropped by the agent itself.
func TestSessionOneWindowDropsInputOutside(t *testing.T) {
	d, ov := &fakeDesktop{}, &fakeOverlay{}
	h := start(t, welcomeFor(false), withDesktop(d, ov))
	c := h.connect()
	v := relayView(t, c)
	if st := h.pageStatus(); len(st.Windows) != 2 || st.Windows[0].Title != "Mail" || st.Sharing.Window != 0 {
		t.Fatalf("consent page: windows %+v, sharing %+v", st.Windows, st.Sharing)
	}
	// A window the page never listed is refused.
	if code := h.scopeChoice(99, nil); code != http.StatusBadRequest {
		t.Fatalf("unlisted window: %d", code)
	}
	c.send(protocol.SigPeer, protocol.Peer{Role: "viewer", Present: true})
	h.allow(c, viewControl)
	v.waitFrame(0, func(f frameSeen) bool { return f.end.Full() })

	// Frames are counted before each choice: the frame it brings may come
	// before the test looks.
	var n int
	v.state(func(v *screenView) { n = len(v.frames) })
	if code := h.scopeChoice(1, nil); code != http.StatusNoContent {
		t.Fatalf("choose the notes window: %d", code)
	}
	if got := decode[protocol.Consent](t, c.expect(protocol.SigConsent)); got.Window != "Notes" || got.Grants != viewControl {
		t.Fatalf("the server was told %+v", got)
	}
	h.waitOut(`Sharing only the window "Notes"`)
	want := expected(h.screen.snapshot(), notesRect, mailRect)
	v.waitFrame(n, func(f frameSeen) bool { return sameImage(f.img, want) })
	v.state(func(v *screenView) {
		if last := v.hellos[len(v.hellos)-1]; last.Width != 100 || last.Height != 80 {
			t.Errorf("hello %+v, want the window's 100×80", last)
		}
	})
	if st := h.pageStatus(); st.Sharing.Window != 1 || st.Sharing.Title != "Notes" {
		t.Fatalf("consent page sharing %+v", st.Sharing)
	}

	for _, m := range []protocol.Message{
		&protocol.Wheel{DY: 120}, // no pointer placed yet: dropped
		&protocol.MouseButton{Button: protocol.ButtonLeft, Down: true, X: 5, Y: 5},
		&protocol.MouseButton{Button: protocol.ButtonLeft, Down: false, X: 5, Y: 5},
		&protocol.MouseButton{Button: protocol.ButtonLeft, Down: true, X: 90, Y: 60}, // under the mail window
		&protocol.MouseMove{X: 85, Y: 55},                                            // under the mail window
		&protocol.Key{Down: true, Key: "a", Code: "KeyA"},                            // notes lacks the keyboard
		&protocol.Key{Down: false, Key: "a", Code: "KeyA"},                           // a release always passes
		&protocol.Wheel{DY: 120},                                                     // at the last placed point
	} {
		v.sendMsg(m)
	}
	v.ping(1)
	d.focused.Store(1)
	v.sendMsg(&protocol.Key{Down: true, Key: "b", Code: "KeyB"})
	v.ping(2)
	wantCalls := []string{"move 25 15", "button 0 1", "move 25 15", "button 0 0", "key a KeyA", "move 25 15", "wheel 0 120", "key b KeyB"}
	if got := h.inj.snapshot(); !slices.Equal(got, wantCalls) {
		t.Fatalf("injected %q\nwant     %q", got, wantCalls)
	}

	// Pointing lands on the screen where the viewer saw it; a point
	// outside the window is left out.
	v.sendMsg(&protocol.Point{Stroke: 1, Points: []protocol.XY{{X: 0, Y: 0}, {X: 99, Y: 79}, {X: 150, Y: 10}}})
	v.ping(3)
	if pts, _ := ov.seen(); !slices.Equal(pts, []image.Point{{20, 10}, {119, 89}}) {
		t.Fatalf("overlay shows %v", pts)
	}

	// Back to the whole screen.
	v.state(func(v *screenView) { n = len(v.frames) })
	if code := h.scopeChoice(0, nil); code != http.StatusNoContent {
		t.Fatalf("whole screen: %d", code)
	}
	v.waitFrame(n, func(f frameSeen) bool { return sameImage(f.img, h.screen.snapshot()) })
}

// TestSessionHiddenWindowAndPointingInViewOnly: a hidden window is black in
// every frame; pointing reaches the overlay in view-only, input does not.
func TestSessionHiddenWindowAndPointingInViewOnly(t *testing.T) {
	d, ov := &fakeDesktop{}, &fakeOverlay{}
	h := start(t, welcomeFor(false), withDesktop(d, ov))
	c := h.connect()
	v := relayView(t, c)
	if code := h.scopeChoice(0, []uint64{2}); code != http.StatusNoContent {
		t.Fatalf("hide the mail window: %d", code)
	}
	c.send(protocol.SigPeer, protocol.Peer{Role: "viewer", Present: true})
	h.choose("allow", protocol.GrantView)
	if got := decode[protocol.Consent](t, c.expect(protocol.SigConsent)); got.Hidden != 1 || got.Window != "" {
		t.Fatalf("the server was told %+v", got)
	}
	screen := h.screen.snapshot()
	first := v.waitFrame(0, func(f frameSeen) bool { return f.end.Full() })
	if !sameImage(first.img, expected(screen, image.Rect(0, 0, screen.Width, screen.Height), mailRect)) {
		t.Fatal("the first frame shows the hidden window")
	}
	// A change inside the hidden window never shows.
	h.screen.paint(120, 80, 10, 10, 1, 2, 3)
	h.screen.paint(0, 0, 4, 4, 7, 7, 7)
	screen = h.screen.snapshot()
	var n int
	v.waitFrame(0, func(f frameSeen) bool {
		return sameImage(f.img, expected(screen, image.Rect(0, 0, screen.Width, screen.Height), mailRect))
	})

	v.sendMsg(&protocol.Point{Stroke: 3, Flags: protocol.PointEnd, Points: []protocol.XY{{X: 10, Y: 10}}})
	v.sendMsg(&protocol.Point{Flags: protocol.PointClear})
	v.sendMsg(&protocol.MouseButton{Button: protocol.ButtonLeft, Down: true, X: 10, Y: 10})
	v.ping(4)
	if pts, clears := ov.seen(); !slices.Equal(pts, []image.Point{{10, 10}}) || clears != 1 {
		t.Fatalf("overlay shows %v, %d clears", pts, clears)
	}
	if calls := h.inj.snapshot(); len(calls) != 0 {
		t.Fatalf("view only injected %q", calls)
	}

	// Shown again: the window appears.
	v.state(func(v *screenView) { n = len(v.frames) })
	if code := h.scopeChoice(0, nil); code != http.StatusNoContent {
		t.Fatalf("show the mail window: %d", code)
	}
	v.waitFrame(n, func(f frameSeen) bool { return sameImage(f.img, h.screen.snapshot()) })
}
