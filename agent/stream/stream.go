package stream

import (
	"context"
	"errors"
	"fmt"
	"image"
	"log/slog"
	"runtime"
	"slices"
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
	// OnArea hears the part of the desktop the first frame shows, and every
	// change: its size, and its origin when the source captures one display
	// (capture.Frame.Origin). Input from the viewer is relative to it.
	OnArea func(area image.Rectangle)
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

// ackTimeout is how long frames may wait for acknowledgements before the
// streamer assumes they were lost and starts over with a full frame. A
// path that slow would not show a picture anyway.
const ackTimeout = 5 * time.Second

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
	pace *pacer // owned by Run
	// blockedSince is when flow control began holding frames back; owned
	// by Run.
	blockedSince time.Time

	grants        atomic.Uint32 // protocol.Grants announced in Hello
	grantsChanged atomic.Bool
	wantFull      atomic.Bool
	wake          chan struct{}

	mu      sync.Mutex
	sent    uint32 // seq of the last frame sent
	sending uint32 // seq of the frame being sent, 0 between frames
	acked   uint32 // seq of the last frame acknowledged

	// announceMu guards announced: messages to send before the next frame.
	announceMu sync.Mutex
	announced  []protocol.Message

	// owned by Run
	w, h       int
	origin     image.Point // of the last frame on the desktop
	cursor     capture.Cursor
	cursorSent bool
	shapeSent  uint32
	shapeKnown bool
	cursorErr  bool
}

// New makes a Streamer for one viewer, announcing the customer's grants.
func New(src Source, out Sender, grants protocol.Grants, opts Options) *Streamer {
	opts.defaults()
	s := &Streamer{src: src, out: out, opts: opts, wake: make(chan struct{}, 1), pace: newPacer(time.Now())}
	s.grants.Store(uint32(grants))
	return s
}

// Ack records the viewer's FrameAck.
func (s *Streamer) Ack(seq uint32) {
	s.mu.Lock()
	// Serial arithmetic: ignore acks older than the last one, or for frames
	// never sent. The frame being sent counts as sent: its ack can come
	// back before Run has noted it, and losing it would stall the stream.
	if int32(seq-s.acked) > 0 && (int32(s.sent-seq) >= 0 || seq == s.sending) {
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

// Announce queues m, one of the agent's small state messages (the
// displays), to go out before the next frame and in order with frames, so
// that the viewer hears of a change before it sees it. A queued message of
// the same type not sent yet is replaced: only the latest state matters.
func (s *Streamer) Announce(m protocol.Message) {
	s.announceMu.Lock()
	s.announced = slices.DeleteFunc(s.announced, func(q protocol.Message) bool { return q.Type() == m.Type() })
	s.announced = append(s.announced, m)
	s.announceMu.Unlock()
	s.poke()
}

// sendAnnounced sends what Announce queued.
func (s *Streamer) sendAnnounced() error {
	s.announceMu.Lock()
	ms := s.announced
	s.announced = nil
	s.announceMu.Unlock()
	for _, m := range ms {
		if err := s.send(m); err != nil {
			return err
		}
	}
	return nil
}

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

// notifier is a Source that tells when the screen may have changed;
// capture.Notifier.
type notifier interface {
	Changed() <-chan struct{}
}

// safetyPoll is how often a Streamer captures although its source reported
// no change: a report lost on the way costs a second, not a frozen picture.
const safetyPoll = time.Second

// errUnnotified ends runNotified when the source stops reporting changes.
var errUnnotified = errors.New("stream: the source stopped reporting changes")

// Run streams until ctx ends or sending fails. It returns ctx's error when
// stopped. With a source that reports changes (capture.Notifier) it sleeps
// until one comes; otherwise it polls.
func (s *Streamer) Run(ctx context.Context) error {
	var failingSince time.Time
	if n, ok := s.src.(notifier); ok {
		err := s.runNotified(ctx, n.Changed(), &failingSince)
		if !errors.Is(err, errUnnotified) {
			return err
		}
		s.opts.Logger.Info("screen changes are not reported; polling")
	}
	return s.runPolling(ctx, &failingSince)
}

// runPolling captures FPS times a second while the screen changes, and
// IdleFPS times after IdleAfter without a change. The pointer is read
// before each capture.
func (s *Streamer) runPolling(ctx context.Context, failingSince *time.Time) error {
	busy := time.Second / time.Duration(s.opts.FPS)
	idle := time.Second / time.Duration(s.opts.IdleFPS)
	lastChange := time.Now()
	next := time.Now()
	for {
		if err := s.waitUntil(ctx, next); err != nil {
			return err
		}
		if err := s.sendAnnounced(); err != nil {
			return err
		}
		start := time.Now()
		if _, err := s.sendCursor(); err != nil {
			return err
		}
		if s.blocked(start) {
			next = start.Add(flowPoll)
			continue
		}
		changed, err := s.frame(start)
		if err != nil {
			if err := s.captureFailed(err, start, failingSince); err != nil {
				return err
			}
			next = start.Add(idle)
			continue
		}
		*failingSince = time.Time{}
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

// runNotified captures when the source reports a change, as soon as 1/FPS
// has passed since the last capture began, and once a safetyPoll anyway.
// The pointer, whose moves no X11 event reliably reports, is read with each
// capture and between them FPS times a second while it moves, IdleFPS
// times after IdleAfter without a move. It returns errUnnotified when the
// source stops reporting.
func (s *Streamer) runNotified(ctx context.Context, changed <-chan struct{}, failingSince *time.Time) error {
	busy := time.Second / time.Duration(s.opts.FPS)
	idle := time.Second / time.Duration(s.opts.IdleFPS)
	var lastStart, notBefore, lastMove, nextCursor time.Time
	dirty := true // the screen may differ from the last frame sent
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		frameAt := lastStart.Add(safetyPoll)
		// A lossy area due to be sent exactly needs a capture by then.
		if r := s.enc.NextRefresh(); !r.IsZero() && r.Before(frameAt) {
			frameAt = later(r, lastStart.Add(busy))
		}
		if dirty {
			frameAt = later(lastStart.Add(busy), notBefore)
		}
		timer.Reset(time.Until(earlier(frameAt, nextCursor)))
		select {
		case <-ctx.Done():
			return ctx.Err()
		case _, ok := <-changed:
			if !ok {
				return errUnnotified
			}
			dirty = true
			continue
		case <-s.wake:
			// An ack may have lifted flow control; a full-frame request
			// or new grants want a frame.
			if err := s.sendAnnounced(); err != nil {
				return err
			}
			notBefore = time.Time{}
			if s.wantFull.Load() || s.grantsChanged.Load() {
				dirty = true
			}
			continue
		case <-timer.C:
		}
		now := time.Now()
		frameDue := !now.Before(frameAt)
		if !frameDue && now.Before(nextCursor) {
			continue
		}
		if frameDue && s.blocked(now) {
			dirty, notBefore = true, now.Add(flowPoll)
		} else if frameDue {
			// This capture sees every change reported so far.
			select {
			case <-changed:
			default:
			}
			// Frames keep to their schedule: timer and capture latency
			// must not stretch 1/FPS (30 would become 29).
			lastStart = now
			if late := now.Sub(frameAt); dirty && late < busy/4 {
				lastStart = frameAt
			}
			if _, err := s.frame(now); err != nil {
				if err := s.captureFailed(err, now, failingSince); err != nil {
					return err
				}
				dirty, notBefore = true, now.Add(idle)
			} else {
				*failingSince = time.Time{}
				dirty, notBefore = false, time.Time{}
			}
		}
		moved, err := s.sendCursor()
		if err != nil {
			return err
		}
		if moved {
			lastMove = now
		}
		period := idle
		if now.Sub(lastMove) < s.opts.IdleAfter {
			period = busy
		}
		nextCursor = now.Add(period)
	}
}

func earlier(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// blocked reports whether flow control holds frames back at now: too many
// unacknowledged, or too many bytes queued on the path. The pacer hears
// it, and lowers lossy quality when frames keep waiting.
func (s *Streamer) blocked(now time.Time) bool {
	b := s.unacked() >= s.opts.MaxUnacked || s.out.BufferedAmount() > s.opts.MaxBuffered
	switch {
	case !b:
		s.blockedSince = time.Time{}
	case s.blockedSince.IsZero():
		s.blockedSince = now
	case now.Sub(s.blockedSince) > ackTimeout && s.unacked() > 0:
		// Both ends are connected, yet no acknowledgement came: rather
		// than stall for good, start over with a full frame.
		s.opts.Logger.Warn("frames not acknowledged; sending a full frame", "waited", now.Sub(s.blockedSince))
		s.RequestFull()
		s.blockedSince = time.Time{}
		return false
	}
	if b {
		s.pace.wait(now)
	}
	return b
}

// captureFailed decides what a failed frame means: a capture failing for
// longer than CaptureGrace, or any other error, ends Run.
func (s *Streamer) captureFailed(err error, start time.Time, failingSince *time.Time) error {
	if !errors.Is(err, errCapture) {
		return err
	}
	if failingSince.IsZero() {
		*failingSince = start
	}
	if time.Since(*failingSince) > s.opts.CaptureGrace {
		return err
	}
	s.opts.Logger.Debug("capture failed", "err", err)
	return nil
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
	if f.Origin != s.origin && f.Width == s.w && f.Height == s.h {
		// Another display of the same size: a full frame of it, as for a
		// new size.
		s.origin, full = f.Origin, true
		if s.opts.OnArea != nil {
			s.opts.OnArea(image.Rectangle{Min: f.Origin, Max: f.Origin.Add(image.Pt(f.Width, f.Height))})
		}
	}
	if f.Width != s.w || f.Height != s.h || s.grantsChanged.Swap(false) {
		if f.Width != s.w || f.Height != s.h {
			if err := protocol.CheckScreenSize(f.Width, f.Height); err != nil {
				return false, fmt.Errorf("%w: %w", errCapture, err)
			}
			s.w, s.h, s.origin = f.Width, f.Height, f.Origin
			full = true
			if s.opts.OnArea != nil {
				s.opts.OnArea(image.Rectangle{Min: f.Origin, Max: f.Origin.Add(image.Pt(f.Width, f.Height))})
			}
		}
		if err := s.send(&protocol.Hello{Grants: protocol.Grants(s.grants.Load()), Width: clampU16(f.Width), Height: clampU16(f.Height), OS: s.opts.OS}); err != nil {
			return false, err
		}
	}
	s.mu.Lock()
	seq := s.sent + 1
	s.sending = seq
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.sending = 0
		if s.acked == seq && s.sent != seq { // acked, yet nothing went: forget it
			s.acked = s.sent
		}
		s.mu.Unlock()
	}()
	s.enc.Quality = s.pace.quality
	res, err := s.enc.EncodeFrame(f, seq, full, start, s.out.Send)
	if err != nil {
		return false, err
	}
	if !res.Changed() {
		return false, nil
	}
	s.mu.Lock()
	s.sent = seq
	s.mu.Unlock()
	// Guarded: the arguments would be boxed every frame even when discarded.
	if s.opts.Logger.Enabled(context.Background(), slog.LevelDebug) {
		s.opts.Logger.Debug("frame", "seq", seq, "bytes", res.Bytes, "rects", res.Rects, "copies", res.Copies,
			"photos", res.Photos, "fills", res.Ops.Fills, "palettes", res.Ops.Palettes, "raws", res.Ops.Raws,
			"quality", s.enc.Quality, "micros", time.Since(start).Microseconds())
	}
	s.pace.send(start)
	return true, nil
}

// sendCursor sends a new pointer image and a moved pointer, and reports
// whether the pointer changed. Cursor errors are logged once and otherwise
// ignored: a screen without a pointer is still worth seeing.
func (s *Streamer) sendCursor() (bool, error) {
	if s.w == 0 {
		return false, nil // Hello goes first, with the first frame
	}
	c, err := s.src.Cursor()
	if err != nil {
		if !s.cursorErr {
			s.cursorErr = true
			s.opts.Logger.Info("cursor unavailable", "err", err)
		}
		return false, nil
	}
	if (!s.shapeKnown || c.Serial != s.shapeSent) && c.RGBA != nil {
		if shape, ok := cursorShape(c); ok {
			if err := s.send(shape); err != nil {
				return false, err
			}
			s.shapeSent, s.shapeKnown = c.Serial, true
		}
	}
	// The pointer as the viewer sees it: relative to the area shown, and
	// hidden while it is on another display.
	c.X, c.Y = c.X-s.origin.X, c.Y-s.origin.Y
	c.Visible = c.Visible && c.X >= 0 && c.Y >= 0 && c.X < s.w && c.Y < s.h
	if !s.cursorSent || c.X != s.cursor.X || c.Y != s.cursor.Y || c.Visible != s.cursor.Visible || c.Serial != s.cursor.Serial {
		if err := s.send(&protocol.CursorPos{X: clampU16(c.X), Y: clampU16(c.Y), Visible: c.Visible, Serial: c.Serial}); err != nil {
			return false, err
		}
		s.cursor, s.cursorSent = c, true
		s.cursor.RGBA = nil
		return true, nil
	}
	return false, nil
}

func (s *Streamer) send(m protocol.Message) error {
	b, err := protocol.Marshal(m)
	if err != nil {
		return fmt.Errorf("stream: marshal %s: %w", m.Type(), err)
	}
	if err := s.out.Send(b); err != nil {
		return fmt.Errorf("stream: send %s: %w", m.Type(), err)
	}
	return nil
}
