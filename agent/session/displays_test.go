package session

import (
	"image"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"tether/agent/capture"
	"tether/server/protocol"
)

// displaysSeen is a Displays message as the test viewer got it.
type displaysSeen struct {
	protocol.Displays
	frames int // frames seen before it
}

// fakeMonitors is a Capturer over a desktop of several displays
// (capture.Areas): it captures the area asked for, with its origin.
type fakeMonitors struct {
	*fakeScreen // the whole desktop's image

	mu      sync.Mutex
	list    []capture.Display
	area    image.Rectangle
	pointer image.Point
	crop    capture.Frame
}

func (d *fakeMonitors) Displays() ([]capture.Display, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]capture.Display(nil), d.list...), nil
}

func (d *fakeMonitors) SetArea(r image.Rectangle) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.area = r
}

func (d *fakeMonitors) setDisplays(list ...capture.Display) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.list = list
}

func (d *fakeMonitors) Capture() (*capture.Frame, error) {
	f, err := d.fakeScreen.Capture()
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	a := d.area.Intersect(image.Rect(0, 0, f.Width, f.Height))
	d.mu.Unlock()
	if a.Empty() {
		a = image.Rect(0, 0, f.Width, f.Height)
	}
	d.crop = capture.Frame{Width: a.Dx(), Height: a.Dy(), Stride: f.Stride, Pix: f.Pix[a.Min.Y*f.Stride+a.Min.X*4:], Origin: a.Min}
	return &d.crop, nil
}

func (d *fakeMonitors) Cursor() (capture.Cursor, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return capture.Cursor{X: d.pointer.X, Y: d.pointer.Y, Visible: true, Serial: 1, W: 1, H: 1, RGBA: []byte{9, 9, 9, 255}}, nil
}

// cropOf is the part r of the desktop's current image.
func (d *fakeMonitors) cropOf(r image.Rectangle) capture.Frame {
	f := d.snapshot()
	return capture.Frame{Width: r.Dx(), Height: r.Dy(), Stride: f.Stride, Pix: f.Pix[r.Min.Y*f.Stride+r.Min.X*4:]}
}

// TestSessionSwitchesDisplays: a desktop of two 200×150 displays side by
// side, the right one primary. The viewer hears the list and sees the
// primary display first; choosing the other sends a full frame of it;
// input lands on the display shown, clamped to it; all displays at once is
// one 400×150 picture; an index the list does not have changes nothing;
// and a display unplugged is heard of, the view falling back to the
// primary.
func TestSessionSwitchesDisplays(t *testing.T) {
	left := capture.Display{Bounds: image.Rect(0, 0, 200, 150), Name: "LEFT"}
	right := capture.Display{Bounds: image.Rect(200, 0, 400, 150), Primary: true, Name: "RIGHT"}
	desk := &fakeMonitors{fakeScreen: newFakeScreen(400, 150), list: []capture.Display{left, right}, pointer: image.Pt(210, 20)}
	h := start(t, welcomeFor(false), func(cfg *Config) {
		cfg.OpenCapturer = func() (Capturer, error) { return desk, nil }
		cfg.DisplayPoll = 50 * time.Millisecond
	})
	c := h.connect()
	v := relayView(t, c)
	c.send(protocol.SigPeer, protocol.Peer{Role: "viewer", Present: true})
	h.allow(c, viewControl)

	// The list first, then the primary display.
	waitDisplays := func(after int, selected uint8) displaysSeen {
		t.Helper()
		var got displaysSeen
		waitFor(t, "displays", func() (ok bool) {
			v.state(func(v *screenView) {
				for _, d := range v.displays[min(after, len(v.displays)):] {
					if d.Selected == selected {
						got, ok = d, true
					}
				}
			})
			return
		})
		return got
	}
	d := waitDisplays(0, 1)
	want := []protocol.Display{
		{X: 0, Y: 0, Width: 200, Height: 150, Name: "LEFT"},
		{X: 200, Y: 0, Width: 200, Height: 150, Flags: protocol.DisplayPrimary, Name: "RIGHT"},
	}
	if len(d.List) != 2 || d.List[0] != want[0] || d.List[1] != want[1] {
		t.Fatalf("displays %+v, want %+v", d.List, want)
	}
	first := v.waitFrame(0, func(f frameSeen) bool { return true })
	if !first.end.Full() || first.end.Width != 200 || !sameImage(first.img, desk.cropOf(right.Bounds)) {
		t.Fatalf("first frame: full=%v %dx%d, is the right display: %v", first.end.Full(), first.end.Width, first.end.Height, sameImage(first.img, desk.cropOf(right.Bounds)))
	}
	// The pointer, at 210,20 on the desktop, is at 10,20 of this display.
	waitFor(t, "pointer on the right display", func() (ok bool) {
		v.state(func(v *screenView) {
			ok = len(v.cursor) > 0 && v.cursor[len(v.cursor)-1] == protocol.CursorPos{X: 10, Y: 20, Visible: true, Serial: 1}
		})
		return
	})

	// Input is relative to the display shown, and stays on it.
	v.sendMsg(&protocol.MouseButton{Button: protocol.ButtonLeft, Down: true, X: 20, Y: 30})
	v.sendMsg(&protocol.MouseMove{X: 5000, Y: 10})

	// The left display: same size, another place; a full frame of it.
	var n, nd int
	v.state(func(v *screenView) { n, nd = len(v.frames), len(v.displays) })
	v.sendMsg(&protocol.SelectDisplay{Index: 0})
	waitDisplays(nd, 0)
	f := v.waitFrame(n, func(f frameSeen) bool { return f.end.Full() && sameImage(f.img, desk.cropOf(left.Bounds)) })
	if f.end.Width != 200 || f.end.Height != 150 {
		t.Fatalf("left display frame %dx%d", f.end.Width, f.end.Height)
	}
	waitFor(t, "pointer hidden on the left display", func() (ok bool) {
		v.state(func(v *screenView) { ok = !v.cursor[len(v.cursor)-1].Visible })
		return
	})
	v.sendMsg(&protocol.MouseMove{X: 5000, Y: 5000})
	v.ping(1)
	wantCalls := []string{"move 220 30", "button 0 1", "move 399 10", "move 199 149"}
	if got := h.inj.snapshot(); strings.Join(got, ",") != strings.Join(wantCalls, ",") {
		t.Fatalf("injected %q, want %q", got, wantCalls)
	}

	// All displays at once: their bounding box, announced in Hello.
	v.state(func(v *screenView) { n, nd = len(v.frames), len(v.displays) })
	v.sendMsg(&protocol.SelectDisplay{Index: protocol.AllDisplays})
	waitDisplays(nd, protocol.AllDisplays)
	v.waitFrame(n, func(f frameSeen) bool {
		return f.end.Full() && f.end.Width == 400 && sameImage(f.img, desk.cropOf(image.Rect(0, 0, 400, 150)))
	})
	v.state(func(v *screenView) {
		if last := v.hellos[len(v.hellos)-1]; last.Width != 400 || last.Height != 150 {
			t.Errorf("hello after all displays: %+v", last)
		}
	})
	v.sendMsg(&protocol.MouseMove{X: 300, Y: 10})
	v.ping(2)
	if got := h.inj.snapshot(); got[len(got)-1] != "move 300 10" {
		t.Fatalf("move on all displays: %q", got)
	}

	// A display that is not there: nothing changes, and the viewer hears
	// the truth again.
	v.state(func(v *screenView) { nd = len(v.displays) })
	v.sendMsg(&protocol.SelectDisplay{Index: 7})
	waitDisplays(nd, protocol.AllDisplays)

	// The right display chosen, then unplugged: the list is sent again
	// and the left one, now primary, is shown.
	v.state(func(v *screenView) { nd = len(v.displays) })
	v.sendMsg(&protocol.SelectDisplay{Index: 1})
	waitDisplays(nd, 1)
	v.state(func(v *screenView) { n, nd = len(v.frames), len(v.displays) })
	left.Primary = true
	desk.setDisplays(left)
	d = waitDisplays(nd, 0)
	if len(d.List) != 1 || !d.List[0].Primary() {
		t.Fatalf("after unplugging: %+v", d.List)
	}
	v.waitFrame(n, func(f frameSeen) bool { return f.end.Full() && sameImage(f.img, desk.cropOf(left.Bounds)) })
	v.state(func(v *screenView) {
		if v.err != nil {
			t.Errorf("viewer decode: %v", v.err)
		}
	})
}

// TestSessionDisplaysWithWindowScope: the customer's choices of what to
// share apply to the display shown. Display B (100..400) is shown; the
// mail window on it is hidden: B's frame has it black, and a click on it
// is dropped while one beside it lands on B; pointing is placed on B. With
// the notes window shared, which lies mostly on display A, the agent
// captures every display and the engineer sees the window, clicks placed
// in it; back to the whole screen, B is shown again.
func TestSessionDisplaysWithWindowScope(t *testing.T) {
	a := capture.Display{Bounds: image.Rect(0, 0, 100, 150), Name: "A"}
	b := capture.Display{Bounds: image.Rect(100, 0, 400, 150), Primary: true, Name: "B"}
	desk := &fakeMonitors{fakeScreen: newFakeScreen(400, 150), list: []capture.Display{a, b}}
	d, ov := &fakeDesktop{}, &fakeOverlay{}
	h := start(t, welcomeFor(false), func(cfg *Config) {
		withDesktop(d, ov)(cfg)
		cfg.OpenCapturer = func() (Capturer, error) { return desk, nil }
	})
	c := h.connect()
	v := relayView(t, c)
	if code := h.scopeChoice(0, []uint64{2}); code != http.StatusNoContent {
		t.Fatalf("hide the mail window: %d", code)
	}
	c.send(protocol.SigPeer, protocol.Peer{Role: "viewer", Present: true})
	h.allow(c, viewControl)

	// Display B, the mail window black.
	v.waitFrame(0, func(f frameSeen) bool {
		return f.end.Full() && sameImage(f.img, expected(desk.snapshot(), b.Bounds, mailRect))
	})
	v.sendMsg(&protocol.MouseButton{Button: protocol.ButtonLeft, Down: true, X: 10, Y: 70}) // 110,70: the hidden mail window
	v.sendMsg(&protocol.MouseButton{Button: protocol.ButtonLeft, Down: true, X: 10, Y: 10}) // 110,10: beside it
	v.sendMsg(&protocol.Point{Stroke: 1, Flags: protocol.PointEnd, Points: []protocol.XY{{X: 5, Y: 5}}})
	v.ping(1)
	if got, want := h.inj.snapshot(), []string{"move 110 10", "button 0 1"}; !slices.Equal(got, want) {
		t.Fatalf("injected %q, want %q", got, want)
	}
	if pts, _ := ov.seen(); !slices.Equal(pts, []image.Point{{105, 5}}) {
		t.Fatalf("overlay shows %v, want 105,5 on display B", pts)
	}

	// The notes window, though display B was chosen.
	var n int
	v.state(func(v *screenView) { n = len(v.frames) })
	if code := h.scopeChoice(1, nil); code != http.StatusNoContent {
		t.Fatalf("share the notes window: %d", code)
	}
	v.waitFrame(n, func(f frameSeen) bool {
		return sameImage(f.img, expected(desk.snapshot(), notesRect, mailRect))
	})
	v.sendMsg(&protocol.MouseButton{Button: protocol.ButtonLeft, Down: false, X: 5, Y: 5})
	v.ping(2)
	if got := h.inj.snapshot(); got[len(got)-2] != "move 25 15" {
		t.Fatalf("injected %q, want a move to 25,15 in the notes window", got)
	}

	// The whole screen again: display B.
	v.state(func(v *screenView) { n = len(v.frames) })
	if code := h.scopeChoice(0, nil); code != http.StatusNoContent {
		t.Fatalf("whole screen: %d", code)
	}
	v.waitFrame(n, func(f frameSeen) bool { return sameImage(f.img, desk.cropOf(b.Bounds)) })
}
