//go:build linux

package stream

import (
	"context"
	"errors"
	"image"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"

	"tether/agent/capture"
	"tether/agent/capture/xvfbtest"
	"tether/server/protocol"
)

// idleBefore is how long the screen stays still at least before each
// measured change: longer than Options.IdleAfter, so a polling streamer has
// slowed down.
const idleBefore = 1500 * time.Millisecond

// watchSender records when the frame carrying a change to a watched
// rectangle has been sent.
type watchSender struct {
	mu     sync.Mutex
	watch  image.Rectangle // empty: nothing watched
	hit    bool            // a tile of the current frame overlaps watch
	frames int
	sent   chan time.Time // the FrameEnd of the frame that carried watch
	inf    protocol.Inflater
	img    []byte
}

func newWatchSender() *watchSender { return &watchSender{sent: make(chan time.Time, 1)} }

func (s *watchSender) Send(b []byte) error {
	m, err := protocol.Unmarshal(b)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch m := m.(type) {
	case *protocol.Update:
		ops, err := s.inf.Inflate(m)
		if err != nil {
			return err
		}
		if n := int(m.Width) * int(m.Height) * 4; len(s.img) != n {
			s.img = make([]byte, n)
		}
		err = protocol.ApplyOps(s.img, int(m.Width)*4, int(m.Width), int(m.Height), ops, func(r image.Rectangle) {
			s.hit = s.hit || r.Overlaps(s.watch)
		})
		if err == nil && m.Ends() {
			s.endFrame()
		}
		return err
	case *protocol.FrameEnd:
		s.endFrame()
	}
	return nil
}

// endFrame counts a frame; s.mu is held.
func (s *watchSender) endFrame() {
	s.frames++
	if s.hit {
		s.watch, s.hit = image.Rectangle{}, false
		s.sent <- time.Now()
	}
}

func (s *watchSender) BufferedAmount() uint64 { return 0 }

func (s *watchSender) expect(r image.Rectangle) {
	s.mu.Lock()
	s.watch, s.hit = r, false
	s.mu.Unlock()
}

func (s *watchSender) frameCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.frames
}

// idleStream starts a Streamer on a private 1080p Xvfb with real capture,
// and returns a connection drawing on its root once the first frame is out.
func idleStream(b *testing.B) (*watchSender, *xgb.Conn, xproto.Window, xproto.Gcontext) {
	b.Helper()
	display := xvfbtest.Start(b, 1920, 1080)
	b.Setenv("DISPLAY", display)
	c, root, gc := paintRoot(b, display, image.NewRGBA(image.Rect(0, 0, 1920, 1080)))
	cp, err := capture.Open()
	if err != nil {
		b.Fatal(err)
	}
	out := newWatchSender()
	// Acks do not matter here; the viewer is assumed to keep up.
	st := New(cp, out, protocol.GrantView, Options{MaxUnacked: 1 << 30})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- st.Run(ctx) }()
	b.Cleanup(func() {
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			b.Errorf("Run: %v", err)
		}
		cp.Close()
	})
	for deadline := time.Now().Add(10 * time.Second); out.frameCount() == 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			b.Fatal("no first frame")
		}
	}
	return out, c, root, gc
}

// BenchmarkIdleToFrameX11 measures how soon a change made after the screen
// was idle leaves the agent: the screen stays still for 1.5 s, another
// client fills a rectangle on the root window, and the time runs until the
// streamer has sent the FrameEnd of the frame carrying it. One iteration
// takes 10 samples, each after 1.5-1.7 s of stillness; it reports their median and worst.
func BenchmarkIdleToFrameX11(b *testing.B) {
	out, c, root, gc := idleStream(b)
	const samples = 10
	var lat []time.Duration
	for i := 0; b.Loop(); i++ {
		lat = lat[:0]
		for j := range samples {
			// The idle time is what is being set up. The jitter keeps the
			// change from falling at the same phase of a polling loop.
			time.Sleep(idleBefore + rand.N(200*time.Millisecond))
			r := image.Rect(200+j*40, 300+i%10*40, 230+j*40, 330+i%10*40)
			out.expect(r)
			colour := uint32(0x204060 + (i*samples+j)*0x010203)
			start := time.Now()
			err := xproto.ChangeGCChecked(c, gc, xproto.GcForeground, []uint32{colour & 0xffffff}).Check()
			if err == nil {
				err = xproto.PolyFillRectangleChecked(c, xproto.Drawable(root), gc, []xproto.Rectangle{
					{X: int16(r.Min.X), Y: int16(r.Min.Y), Width: uint16(r.Dx()), Height: uint16(r.Dy())},
				}).Check()
			}
			if err != nil {
				b.Fatal(err)
			}
			select {
			case at := <-out.sent:
				lat = append(lat, at.Sub(start))
			case <-time.After(5 * time.Second):
				b.Fatal("the change was not sent within 5 s")
			}
		}
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "median-ms")
	b.ReportMetric(float64(lat[len(lat)-1].Microseconds())/1000, "max-ms")
}

// BenchmarkIdleCPUX11 measures the CPU an idle stream costs: the agent
// process (this test binary, which does nothing else meanwhile) and the X
// server it captures from, as percent of one core over 5 s of a still
// screen.
func BenchmarkIdleCPUX11(b *testing.B) {
	idleStream(b)
	xvfb := xvfbChildren(b)
	const window = 5 * time.Second
	var agent, server float64
	for b.Loop() {
		time.Sleep(time.Second) // let the first frame's work and its garbage go
		a0, s0 := selfCPU(b), childCPU(b, xvfb)
		time.Sleep(window)
		a1, s1 := selfCPU(b), childCPU(b, xvfb)
		agent = 100 * float64(a1-a0) / float64(window)
		server = 100 * float64(s1-s0) / float64(window)
	}
	b.ReportMetric(agent, "agent-cpu-%")
	b.ReportMetric(server, "xserver-cpu-%")
}

func selfCPU(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// xvfbChildren lists the pids of this process's Xvfb children.
func xvfbChildren(tb testing.TB) []int {
	tb.Helper()
	stats, err := filepath.Glob("/proc/[0-9]*/stat")
	if err != nil {
		tb.Fatal(err)
	}
	var pids []int
	for _, p := range stats {
		f, ok := procStat(p)
		if ok && f[0] == "(Xvfb)" && f[2] == strconv.Itoa(os.Getpid()) {
			pid, _ := strconv.Atoi(filepath.Base(filepath.Dir(p)))
			pids = append(pids, pid)
		}
	}
	if len(pids) == 0 {
		tb.Fatal("no Xvfb child found")
	}
	return pids
}

// childCPU sums utime and stime of pids.
func childCPU(tb testing.TB, pids []int) time.Duration {
	tb.Helper()
	const clockTick = 100 // USER_HZ on Linux
	var ticks int64
	for _, pid := range pids {
		f, ok := procStat("/proc/" + strconv.Itoa(pid) + "/stat")
		if !ok {
			tb.Fatalf("Xvfb %d gone", pid)
		}
		u, _ := strconv.ParseInt(f[12], 10, 64)
		s, _ := strconv.ParseInt(f[13], 10, 64)
		ticks += u + s
	}
	return time.Duration(ticks) * time.Second / clockTick
}

// procStat splits /proc/PID/stat into its fields from comm on (f[0] is
// "(comm)", f[2] the parent pid, f[12] and f[13] utime and stime).
func procStat(path string) ([]string, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, false
	}
	s := string(b)
	i := strings.IndexByte(s, '(')
	j := strings.LastIndexByte(s, ')')
	if i < 0 || j < i {
		return nil, false
	}
	f := append([]string{s[i : j+1]}, strings.Fields(s[j+1:])...)
	return f, len(f) > 13
}
