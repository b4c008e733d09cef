package stream

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"tether/agent/capture"
	"tether/server/protocol"
)

// Source is what a Streamer captures from; capture.Capturer satisfies it.
type Source interface {
	Capture() (*capture.Frame, error)
	Cursor() (capture.Cursor, error)
}

// Sender is where a Streamer writes session messages; link.Conn satisfies it.
type Sender interface {
	Send(b []byte) error
	BufferedAmount() uint64
}

// Options tune a Streamer; zero values take the defaults in parentheses.
type Options struct {
	// OS is sent in Hello (runtime.GOOS).
	OS string
	// FPS is the highest frame rate while the screen changes (30).
	FPS int
	// IdleFPS is the capture rate after IdleAfter without change (10).
	IdleFPS   int
	IdleAfter time.Duration // (1 s)
	// MaxUnacked frames may be sent before the viewer's FrameAck (2).
	MaxUnacked int
	// MaxBuffered pauses frames while the path holds more bytes (4 MiB).
	MaxBuffered uint64
	// CaptureGrace is how long capture may keep failing before Run gives up
	// (10 s); a Windows desktop switch (UAC prompt, lock screen) fails
	// captures for a moment.
	CaptureGrace time.Duration
	// OnSize hears the screen size of the first frame and of every change.
	OnSize func(width, height int)
	Logger *slog.Logger
}

func (o *Options) defaults() {
	if o.OS == "" {
		o.OS = runtime.GOOS
	}
	if o.FPS <= 0 {
		o.FPS = 30
	}
	if o.IdleFPS <= 0 {
		o.IdleFPS = 10
	}
	if o.IdleAfter <= 0 {
		o.IdleAfter = time.Second
	}
	if o.MaxUnacked <= 0 {
		o.MaxUnacked = 2
	}
	if o.MaxBuffered == 0 {
		o.MaxBuffered = 4 << 20
	}
	if o.CaptureGrace <= 0 {
		o.CaptureGrace = 10 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
}

// flowPoll is how often a Streamer blocked by BufferedAmount looks again;
// neither path tells when its buffer drains.
const flowPoll = 10 * time.Millisecond

// Streamer sends one viewer the screen: Hello, frames and the cursor.
// Run does the work; the other methods are called from the goroutine that
// receives the viewer's messages.
type Streamer struct {
	src  Source
	out  Sender
	opts Options
	enc  Encoder

	grants        atomic.Uint32 // protocol.Grants announced in Hello
	grantsChanged atomic.Bool
	wantFull      atomic.Bool
	wake          chan struct{}

	mu    sync.Mutex
	sent  uint32 // seq of the last frame sent
	acked uint32 // seq of the last frame acknowledged

	// owned by Run
	w, h       int
	cursor     capture.Cursor
	cursorSent bool
	shapeSent  uint32
	shapeKnown bool
	cursorErr  bool
	stats      Stats
}

// Stats counts what a Streamer did.
type Stats struct {
	Frames, FullFrames, Tiles int
	Bytes                     int64
}

// New makes a Streamer for one viewer, announcing the customer's grants.
func New(src Source, out Sender, grants protocol.Grants, opts Options) *Streamer {
	opts.defaults()
	s := &Streamer{src: src, out: out, opts: opts, wake: make(chan struct{}, 1)}
	s.grants.Store(uint32(grants))
	return s
}

// Ack records the viewer's FrameAck.
func (s *Streamer) Ack(seq uint32) {
	s.mu.Lock()
	// Serial arithmetic: ignore acks older than the last one, or for frames
	// never sent.
	if int32(seq-s.acked) > 0 && int32(s.sent-seq) >= 0 {
		s.acked = seq
	}
	s.mu.Unlock()
	s.poke()
}

// RequestFull makes the next frame full. It also forgets unacknowledged
// frames: a viewer asks after it (re)started painting, and will not ack
// frames from before.
func (s *Streamer) RequestFull() {
	s.wantFull.Store(true)
	s.mu.Lock()
	s.acked = s.sent
	s.mu.Unlock()
	s.poke()
}

// SetGrants changes the grants announced in Hello.
func (s *Streamer) SetGrants(g protocol.Grants) {
	if protocol.Grants(s.grants.Swap(uint32(g))) != g {
		s.grantsChanged.Store(true)
		s.poke()
	}
}

// Stats returns the counters; call it after Run returned.
func (s *Streamer) Stats() Stats { return s.stats }

func (s *Streamer) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func (s *Streamer) unacked() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return int(s.sent - s.acked)
}

// Run streams until ctx ends or sending fails. It returns ctx's error when
// stopped.
func (s *Streamer) Run(ctx context.Context) error {
	busy := time.Second / time.Duration(s.opts.FPS)
	idle := time.Second / time.Duration(s.opts.IdleFPS)
	lastChange := time.Now()
	var failingSince time.Time
	next := time.Now()
	for {
		if err := s.waitUntil(ctx, next); err != nil {
			return err
		}
		start := time.Now()
		if err := s.sendCursor(); err != nil {
			return err
		}
		if s.unacked() >= s.opts.MaxUnacked || s.out.BufferedAmount() > s.opts.MaxBuffered {
			next = start.Add(flowPoll)
			continue
		}
		changed, err := s.frame(start)
		switch {
		case errors.Is(err, errCapture):
			if failingSince.IsZero() {
				failingSince = start
			}
			if time.Since(failingSince) > s.opts.CaptureGrace {
				return err
			}
			s.opts.Logger.Debug("capture failed", "err", err)
			next = start.Add(idle)
			continue
		case err != nil:
			return err
		}
		failingSince = time.Time{}
		if changed {
			lastChange = start
		}
		period := busy
		if start.Sub(lastChange) > s.opts.IdleAfter {
			period = idle
		}
		next = start.Add(period)
	}
}

// waitUntil sleeps until t, waking early for an ack, a full-frame request or
// a change of grants, which all want a frame now.
func (s *Streamer) waitUntil(ctx context.Context, t time.Time) error {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err()
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
	case <-s.wake:
	}
	return nil
}

var errCapture = errors.New("stream: capture failed")

// frame captures, and sends what changed. It reports whether a frame went out.
func (s *Streamer) frame(start time.Time) (bool, error) {
	f, err := s.src.Capture()
	if err != nil {
		return false, fmt.Errorf("%w: %w", errCapture, err)
	}
	full := s.wantFull.Swap(false)
	if f.Width != s.w || f.Height != s.h || s.grantsChanged.Swap(false) {
		if f.Width != s.w || f.Height != s.h {
			if err := protocol.CheckScreenSize(f.Width, f.Height); err != nil {
				return false, fmt.Errorf("%w: %w", errCapture, err)
			}
			s.w, s.h = f.Width, f.Height
			full = true
			if s.opts.OnSize != nil {
				s.opts.OnSize(f.Width, f.Height)
			}
		}
		if err := s.send(&protocol.Hello{Grants: protocol.Grants(s.grants.Load()), Width: clampU16(f.Width), Height: clampU16(f.Height), OS: s.opts.OS}); err != nil {
			return false, err
		}
	}
	s.mu.Lock()
	seq := s.sent + 1
	s.mu.Unlock()
	res, err := s.enc.Encode(f, seq, full, s.out.Send)
	if err != nil {
		return false, err
	}
	s.stats.Bytes += int64(res.Bytes)
	if !res.Changed() {
		return false, nil
	}
	end := protocol.FrameEnd{
		Seq:          seq,
		Width:        uint16(f.Width),
		Height:       uint16(f.Height),
		EncodeMicros: uint32(min(time.Since(start).Microseconds(), 1<<32-1)),
	}
	if full {
		end.Flags |= protocol.FlagFull
		s.stats.FullFrames++
	}
	if err := s.send(&end); err != nil {
		return false, err
	}
	s.mu.Lock()
	s.sent = seq
	s.mu.Unlock()
	s.stats.Frames++
	s.stats.Tiles += res.Rects + res.Copies + res.Photos
	return true, nil
}

// sendCursor sends a new pointer image and a moved pointer. Cursor errors
// are logged once and otherwise ignored: a screen without a pointer is
// still worth seeing.
func (s *Streamer) sendCursor() error {
	if s.w == 0 {
		return nil // Hello goes first, with the first frame
	}
	c, err := s.src.Cursor()
	if err != nil {
		if !s.cursorErr {
			s.cursorErr = true
			s.opts.Logger.Info("cursor unavailable", "err", err)
		}
		return nil
	}
	if (!s.shapeKnown || c.Serial != s.shapeSent) && c.RGBA != nil {
		if shape, ok := cursorShape(c); ok {
			if err := s.send(shape); err != nil {
				return err
			}
			s.shapeSent, s.shapeKnown = c.Serial, true
		}
	}
	if !s.cursorSent || c.X != s.cursor.X || c.Y != s.cursor.Y || c.Visible != s.cursor.Visible || c.Serial != s.cursor.Serial {
		if err := s.send(&protocol.CursorPos{X: clampU16(c.X), Y: clampU16(c.Y), Visible: c.Visible, Serial: c.Serial}); err != nil {
			return err
		}
		s.cursor, s.cursorSent = c, true
		s.cursor.RGBA = nil
	}
	return nil
}

func (s *Streamer) send(m protocol.Message) error {
	b, err := protocol.Marshal(m)
	if err != nil {
		return fmt.Errorf("stream: marshal %s: %w", m.Type(), err)
	}
	if err := s.out.Send(b); err != nil {
		return fmt.Errorf("stream: send %s: %w", m.Type(), err)
	}
	s.stats.Bytes += int64(len(b))
	return nil
}
