package stream

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"tether/agent/capture"
	"tether/server/protocol"
)

// fakeSource serves a frame the test may change, and counts calls.
type fakeSource struct {
	mu       sync.Mutex
	frame    *capture.Frame
	out      capture.Frame
	cursor   capture.Cursor
	changing bool // every Capture changes one pixel
	captures atomic.Int64
	cursors  atomic.Int64
}

func (s *fakeSource) Capture() (*capture.Frame, error) {
	s.captures.Add(1)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.changing {
		s.frame.Pix[0]++
	}
	s.out.Width, s.out.Height, s.out.Stride = s.frame.Width, s.frame.Height, s.frame.Stride
	s.out.Pix = append(s.out.Pix[:0], s.frame.Pix...)
	return &s.out, nil
}

func (s *fakeSource) Cursor() (capture.Cursor, error) {
	s.cursors.Add(1)
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.cursor
	s.cursor.RGBA = nil // like a Capturer: the image only when it changed
	return c, nil
}

func (s *fakeSource) edit(fn func(f *capture.Frame, c *capture.Cursor)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fn(s.frame, &s.cursor)
}

// notifyingSource is a fakeSource that reports its changes, as a
// capture.Notifier does: edits and (when changing) captures signal.
type notifyingSource struct {
	*fakeSource
	ch chan struct{}
}

func notifying(src *fakeSource) notifyingSource {
	return notifyingSource{fakeSource: src, ch: make(chan struct{}, 1)}
}

func (n notifyingSource) Changed() <-chan struct{} { return n.ch }

func (n notifyingSource) Capture() (*capture.Frame, error) {
	f, err := n.fakeSource.Capture()
	if n.changing {
		n.signal()
	}
	return f, err
}

func (n notifyingSource) edit(fn func(f *capture.Frame, c *capture.Cursor)) {
	n.fakeSource.edit(fn)
	n.signal()
}

func (n notifyingSource) signal() {
	select {
	case n.ch <- struct{}{}:
	default:
	}
}

// testSource is a Source a test can change.
type testSource interface {
	Source
	edit(fn func(f *capture.Frame, c *capture.Cursor))
}

// sourceKinds runs a test against a source the Streamer polls and one that
// reports its changes.
var sourceKinds = []struct {
	name string
	wrap func(*fakeSource) testSource
}{
	{"polled", func(s *fakeSource) testSource { return s }},
	{"notifying", func(s *fakeSource) testSource { return notifying(s) }},
}

// fakeSender paints what it receives.
type fakeSender struct {
	mu       sync.Mutex
	p        painter
	err      error
	buffered atomic.Uint64
}

func (s *fakeSender) Send(b []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.p.apply(b); err != nil && s.err == nil {
		s.err = err
	}
	return nil
}

func (s *fakeSender) BufferedAmount() uint64 { return s.buffered.Load() }

// frames is how many frames the sender saw end.
func (s *fakeSender) frames() (n int) {
	s.view(func(p *painter) { n = len(p.frames) })
	return n
}

func (s *fakeSender) view(fn func(p *painter)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fn(&s.p)
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func startStreamer(t *testing.T, src Source, out *fakeSender, grants protocol.Grants) (*Streamer, func()) {
	t.Helper()
	return startStreamerOpts(t, src, out, grants, Options{OS: "testos", FPS: 200, IdleFPS: 100})
}

func startStreamerOpts(t *testing.T, src Source, out *fakeSender, grants protocol.Grants, opts Options) (*Streamer, func()) {
	t.Helper()
	st := New(src, out, grants, opts)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- st.Run(ctx) }()
	return st, func() {
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("Run: %v", err)
		}
		out.view(func(p *painter) {
			if out.err != nil {
				t.Errorf("bad message: %v", out.err)
			}
		})
	}
}

func TestStreamerFirstFrameAndChanges(t *testing.T) {
	for _, kind := range sourceKinds {
		t.Run(kind.name, func(t *testing.T) { testFirstFrameAndChanges(t, kind.wrap) })
	}
}

func testFirstFrameAndChanges(t *testing.T, wrap func(*fakeSource) testSource) {
	src := &fakeSource{frame: textScreen(200, 130, 1), cursor: capture.Cursor{X: 5, Y: 6, Visible: true, Serial: 1, W: 2, H: 2, HotX: 1, HotY: 1, RGBA: make([]byte, 16)}}
	ts := wrap(src)
	out := &fakeSender{}
	st, stop := startStreamer(t, ts, out, protocol.GrantView|protocol.GrantControl)
	defer stop()

	// The cursor follows the frame's messages; wait for both.
	waitFor(t, "first frame and cursor", func() (ok bool) {
		out.view(func(p *painter) { ok = len(p.frames) >= 1 && len(p.shapes) >= 1 && len(p.cursorPos) >= 1 })
		return
	})
	out.view(func(p *painter) {
		if len(p.hellos) != 1 || p.hellos[0] != (protocol.Hello{Grants: protocol.GrantView | protocol.GrantControl, Width: 200, Height: 130, OS: "testos"}) {
			t.Errorf("hellos %+v", p.hellos)
		}
		// 4×3 tiles; the blank ones merge into fills along a row.
		if f := p.frames[0]; !f.Full() || f.Seq != 1 || p.lastTiles < 3 || p.lastTiles > 4*3 {
			t.Errorf("first frame %+v with %d operations, want full seq 1 with 3-12", f, p.lastTiles)
		}
		if !p.matches(src.frame) {
			t.Error("first frame differs from the screen")
		}
		if len(p.shapes) != 1 || p.shapes[0].Serial != 1 || len(p.cursorPos) != 1 {
			t.Errorf("cursor: shapes %d pos %+v", len(p.shapes), p.cursorPos)
		}
	})
	st.Ack(1)
	ts.edit(func(f *capture.Frame, c *capture.Cursor) {
		fill(f, 150, 70, 4, 4, 1, 2, 3)
		c.X = 50
	})
	waitFor(t, "second frame", func() (ok bool) {
		out.view(func(p *painter) { ok = len(p.frames) >= 2 })
		return
	})
	out.view(func(p *painter) {
		if f := p.frames[1]; f.Full() || f.Seq != 2 || p.lastTiles != 1 {
			t.Errorf("second frame %+v with %d operations, want seq 2 with 1", f, p.lastTiles)
		}
		if !p.matches(src.frame) {
			t.Error("second frame differs from the screen")
		}
		if last := p.cursorPos[len(p.cursorPos)-1]; last.X != 50 || len(p.shapes) != 1 {
			t.Errorf("cursor after move: %+v, %d shapes", last, len(p.shapes))
		}
	})

	st.SetGrants(protocol.GrantView)
	st.RequestFull()
	waitFor(t, "hello and full frame", func() (ok bool) {
		out.view(func(p *painter) { ok = len(p.hellos) == 2 && len(p.frames) >= 3 })
		return
	})
	out.view(func(p *painter) {
		if p.hellos[1].Grants != protocol.GrantView {
			t.Errorf("hello after SetGrants: %+v", p.hellos[1])
		}
		if !p.frames[2].Full() {
			t.Errorf("frame after RequestFull: %+v", p.frames[2])
		}
	})
}

func TestStreamerFlowControl(t *testing.T) {
	for _, kind := range sourceKinds {
		t.Run(kind.name, func(t *testing.T) { testFlowControl(t, kind.wrap) })
	}
}

func testFlowControl(t *testing.T, wrap func(*fakeSource) testSource) {
	src := &fakeSource{frame: textScreen(64, 64, 1), changing: true}
	out := &fakeSender{}
	st, stop := startStreamer(t, wrap(src), out, protocol.GrantView)
	defer stop()
	frames := out.frames
	// The screen changes at every capture, but only two frames may be
	// unacknowledged. The cursor is polled at every tick, so many cursor
	// polls without a third frame show the stream is held back.
	waitFor(t, "two frames", func() bool { return frames() == 2 })
	polls := src.cursors.Load()
	waitFor(t, "the stream to keep ticking", func() bool { return src.cursors.Load() > polls+20 })
	if n := frames(); n != 2 {
		t.Fatalf("%d frames without acks, want 2", n)
	}
	st.Ack(1)
	waitFor(t, "a third frame after an ack", func() bool { return frames() == 3 })

	// A full send buffer holds frames back too.
	out.buffered.Store(8 << 20)
	st.Ack(3)
	polls = src.cursors.Load()
	waitFor(t, "the stream to keep ticking", func() bool { return src.cursors.Load() > polls+20 })
	if n := frames(); n != 3 {
		t.Fatalf("%d frames with a full buffer, want 3", n)
	}
	out.buffered.Store(0)
	waitFor(t, "frames after the buffer drained", func() bool { return frames() >= 5 })
}

// TestStreamerSleepsUntilChanged checks that with a source reporting
// changes the Streamer does not poll an idle screen, and sends a change
// after idle as soon as it is reported. IdleFPS 1 would make a polling
// streamer take up to a second.
func TestStreamerSleepsUntilChanged(t *testing.T) {
	src := &fakeSource{frame: textScreen(200, 130, 1), cursor: capture.Cursor{Serial: 1}}
	ns := notifying(src)
	out := &fakeSender{}
	st, stop := startStreamerOpts(t, ns, out, protocol.GrantView, Options{OS: "testos", IdleFPS: 1})
	defer stop()
	frames := out.frames
	waitFor(t, "the first frame", func() bool { return frames() == 1 })
	st.Ack(1)

	const idle = 2 * time.Second
	captures := src.captures.Load()
	time.Sleep(idle) // the idle screen is the condition under test
	// Only the safety polls capture, one a second.
	if n := src.captures.Load() - captures; n > int64(idle/safetyPoll)+1 {
		t.Errorf("%d captures of an idle screen in %v", n, idle)
	}
	if n := frames(); n != 1 {
		t.Fatalf("%d frames of an unchanged screen", n)
	}

	start := time.Now()
	ns.edit(func(f *capture.Frame, _ *capture.Cursor) { fill(f, 10, 40, 8, 8, 9, 9, 9) })
	waitFor(t, "the changed frame", func() bool { return frames() == 2 })
	if d := time.Since(start); d > 300*time.Millisecond {
		t.Errorf("change after idle sent after %v", d)
	}
	out.view(func(p *painter) {
		if !p.matches(src.frame) {
			t.Error("the frame differs from the screen")
		}
	})

	// A change the source failed to report is sent by the safety poll.
	st.Ack(2)
	src.edit(func(f *capture.Frame, _ *capture.Cursor) { fill(f, 100, 40, 8, 8, 1, 1, 1) })
	waitFor(t, "the unreported change", func() bool { return frames() == 3 })
}

// TestStreamerPollsWhenReportsStop checks the fall back to polling when the
// source closes Changed (X11 without DAMAGE, or DAMAGE found wanting).
func TestStreamerPollsWhenReportsStop(t *testing.T) {
	src := &fakeSource{frame: textScreen(200, 130, 1)}
	ns := notifying(src)
	close(ns.ch)
	out := &fakeSender{}
	st, stop := startStreamer(t, ns, out, protocol.GrantView)
	defer stop()
	frames := out.frames
	waitFor(t, "the first frame", func() bool { return frames() == 1 })
	st.Ack(1)
	src.edit(func(f *capture.Frame, _ *capture.Cursor) { fill(f, 10, 40, 8, 8, 9, 9, 9) })
	waitFor(t, "the unreported change", func() bool { return frames() == 2 })
}

func TestStreamerAckBounds(t *testing.T) {
	st := New(&fakeSource{}, &fakeSender{}, protocol.GrantView, Options{})
	st.sent = 5
	st.Ack(9) // never sent
	if st.acked != 0 {
		t.Fatalf("ack of an unsent frame accepted: %d", st.acked)
	}
	st.Ack(4)
	st.Ack(2) // older
	if st.acked != 4 || st.unacked() != 1 {
		t.Fatalf("acked %d unacked %d, want 4 and 1", st.acked, st.unacked())
	}
}

func TestRememberCursor(t *testing.T) {
	src := &fakeSource{cursor: capture.Cursor{Serial: 7, W: 1, H: 1, RGBA: []byte{1, 2, 3, 4}}}
	m := RememberCursor(src)
	for i := range 2 {
		c, err := m.Cursor()
		if err != nil {
			t.Fatal(err)
		}
		if len(c.RGBA) != 4 || c.W != 1 {
			t.Fatalf("call %d: cursor %+v lost its image", i, c)
		}
	}
	if _, ok := m.(notifier); ok {
		t.Error("a polled source grew change reports")
	}
	ns := notifying(src)
	if n, ok := RememberCursor(ns).(notifier); !ok || n.Changed() != ns.Changed() {
		t.Error("change reports lost by RememberCursor")
	}
}

func TestCursorShapeCrops(t *testing.T) {
	c := capture.Cursor{Serial: 1, W: 128, H: 100, HotX: 120, HotY: 3, RGBA: make([]byte, 128*100*4)}
	s, ok := cursorShape(c)
	if !ok || s.W != protocol.MaxCursorSize || s.H != protocol.MaxCursorSize || s.HotX != protocol.MaxCursorSize {
		t.Fatalf("shape %dx%d hot %d,%d ok=%v", s.W, s.H, s.HotX, s.HotY, ok)
	}
	if _, err := protocol.Marshal(s); err != nil {
		t.Fatalf("cropped shape does not marshal: %v", err)
	}
}

// TestStreamerSendsLossyAreasExactlyOnceStill plays noise, like video, in
// part of the screen until it goes as photos, stops it, and expects the
// exact picture within a second without any further change.
func TestStreamerSendsLossyAreasExactlyOnceStill(t *testing.T) {
	for _, kind := range sourceKinds {
		t.Run(kind.name, func(t *testing.T) {
			src := &fakeSource{frame: textScreen(512, 256, 1), cursor: capture.Cursor{Serial: 1}}
			ts := kind.wrap(src)
			out := &fakeSender{}
			st, stop := startStreamerOpts(t, ts, out, protocol.GrantView, Options{OS: "testos", IdleFPS: 1})
			defer stop()
			frames := out.frames
			waitFor(t, "the first frame", func() bool { return frames() == 1 })
			rng := rand.New(rand.NewPCG(1, 2))
			for i := 2; i < 16; i++ {
				st.Ack(uint32(i - 1))
				ts.edit(func(f *capture.Frame, _ *capture.Cursor) {
					for y := 64; y < 192; y++ {
						for x := 128; x < 384; x++ {
							setPix(f, x, y, byte(rng.IntN(256)))
						}
					}
				})
				waitFor(t, "a video frame", func() bool { return frames() == i })
			}
			st.Ack(15)
			var photos int
			out.view(func(p *painter) { photos = p.photos })
			if photos == 0 {
				t.Fatal("no photos for a busy, many-coloured area")
			}
			waitFor(t, "the exact picture once still", func() (ok bool) {
				out.view(func(p *painter) { ok = p.matches(src.frame) })
				if n := frames(); n > 15 {
					st.Ack(uint32(n))
				}
				return
			})
		})
	}
}

// ackingSender acknowledges each frame from inside Send, as soon as its
// end goes out: before Run has noted the frame as sent.
type ackingSender struct {
	fakeSender
	st atomic.Pointer[Streamer]
}

func (s *ackingSender) Send(b []byte) error {
	if err := s.fakeSender.Send(b); err != nil {
		return err
	}
	var n int
	var last protocol.FrameEnd
	s.view(func(p *painter) {
		if n = len(p.frames); n > 0 {
			last = p.frames[n-1]
		}
	})
	if st := s.st.Load(); st != nil && n > 0 {
		st.Ack(last.Seq)
	}
	return nil
}

func TestStreamerTakesAnAckBeforeTheFrameIsNoted(t *testing.T) {
	src := &fakeSource{frame: textScreen(200, 130, 1), cursor: capture.Cursor{Serial: 1}}
	ns := notifying(src)
	out := &ackingSender{}
	st := New(ns, out, protocol.GrantView, Options{OS: "testos"})
	out.st.Store(st)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- st.Run(ctx) }()
	defer func() {
		cancel()
		<-done
	}()
	frames := out.frames
	waitFor(t, "the first frame", func() bool { return frames() == 1 })
	for i := 1; i <= 6; i++ {
		ns.edit(func(f *capture.Frame, _ *capture.Cursor) { fill(f, 10*i, 40, 4, 4, byte(i), 9, 9) })
		waitFor(t, fmt.Sprintf("frame %d", i+1), func() bool { return frames() >= i+1 })
	}
}
