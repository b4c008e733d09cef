// Package stream turns captured screens into session messages: it finds the
// exact rectangles that changed since the last frame, sends scrolled and
// moved content as copies, text and UI as palette or fill operations over
// one deflate stream, busy photo-like areas as JPEG, and paces frames by the
// viewer's acknowledgements.
package stream

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"time"

	"tether/agent/capture"
	"tether/server/protocol"
)

// TileSize is the grid the encoder compares on. Each changed tile is then
// narrowed to the exact box of changed pixels, so the grid only bounds how
// much one palette has to cover.
const TileSize = 64

// Encoder compares each frame to the one before and encodes what changed as
// protocol.Update and protocol.Photo messages. It keeps a copy of the
// previous frame, so one Encoder serves one stream in one goroutine.
type Encoder struct {
	// Level is the deflate level; zero means protocol.UpdateLevel.
	Level int
	// Quality is the JPEG quality of busy photo-like areas (1-100); zero
	// means DefaultQuality. Lossless sends every area exactly.
	Quality  int
	Lossless bool
	// RefreshAfter is how long an area sent lossy must stay still before it
	// is sent again exactly (DefaultRefresh).
	RefreshAfter time.Duration
	// Now is the clock (time.Now).
	Now func() time.Time

	upd  protocol.UpdateEncoder
	ops  protocol.OpWriter
	prev []byte // the frame as last sent, exact, packed: stride w*4
	w, h int

	cols, rows int
	cand       []bool            // per tile: may have changed (from the capture's damage)
	dirty      []bool            // per tile: changed in this frame
	box        []image.Rectangle // per tile: the exact box of changed pixels
	hist       []uint16          // per tile: bit i set if it changed i frames ago
	lossy      []time.Time       // per tile: when it was sent lossy; zero once exact
	refresh    []bool            // per tile: dirty only because it is sent exactly again

	photo   photoEncoder
	hashes  motionScratch
	seq     uint32
	emit    func([]byte) error
	res     *Result
	started bool // a message of this frame was sent
}

// DefaultQuality is the JPEG quality for busy photo-like areas.
// At 35 the video of BenchmarkPhotoQuality keeps SSIM 0.988 (the target is
// 0.95) for 18% fewer bytes than 60; the pacer goes down to 30 on a slow
// path.
const DefaultQuality = 35

// DefaultRefresh is how long a lossy area stays still before it is sent
// again exactly.
const DefaultRefresh = 300 * time.Millisecond

// Result tells what one Encode produced.
type Result struct {
	Rects    int  // changed rectangles sent exactly
	Copies   int  // copies (scrolling, moved windows)
	Photos   int  // lossy rectangles
	Messages int  // messages sent
	Bytes    int  // bytes of those messages
	Ended    bool // EncodeFrame ended the frame
	Ops      protocol.OpStats
}

// Changed reports whether the frame sent anything.
func (r Result) Changed() bool { return r.Messages > 0 }

// Reset forgets the previous frame, so the next Encode sends everything and
// starts a new deflate stream.
func (e *Encoder) Reset() { e.w, e.h = 0, 0 }

// NextRefresh is when an area sent lossy becomes due to be sent exactly; zero
// if none is waiting. The streamer captures then even if nothing changed.
func (e *Encoder) NextRefresh() time.Time {
	var next time.Time
	for _, t := range e.lossy {
		if !t.IsZero() && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	if next.IsZero() {
		return next
	}
	return next.Add(e.refreshAfter())
}

func (e *Encoder) refreshAfter() time.Duration {
	if e.RefreshAfter > 0 {
		return e.RefreshAfter
	}
	return DefaultRefresh
}

func (e *Encoder) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

// Encode compares f to the previous frame and passes each message of frame
// seq to emit, which must not keep the slice. With full, or when the size
// changed, everything is sent over a new deflate stream. A frame without
// changes emits nothing.
func (e *Encoder) Encode(f *capture.Frame, seq uint32, full bool, emit func([]byte) error) (Result, error) {
	return e.encode(f, seq, full, time.Time{}, false, emit)
}

// EncodeFrame is Encode that also ends the frame, when it sent anything:
// the last Update carries the end (protocol.UpdateEnd) or, after photos or
// when no Update is left to carry it, a FrameEnd follows. EncodeMicros is
// the time since start.
func (e *Encoder) EncodeFrame(f *capture.Frame, seq uint32, full bool, start time.Time, emit func([]byte) error) (Result, error) {
	return e.encode(f, seq, full, start, true, emit)
}

func (e *Encoder) encode(f *capture.Frame, seq uint32, full bool, start time.Time, end bool, emit func([]byte) error) (Result, error) {
	var res Result
	if err := check(f); err != nil {
		return res, err
	}
	if f.Width != e.w || f.Height != e.h {
		e.resize(f.Width, f.Height)
		full = true
	}
	e.seq, e.emit, e.res = seq, emit, &res
	e.ops.Reset()
	e.ops.Flush = e.flushOps
	e.upd.Level = e.Level
	now := e.now()
	if full {
		clear(e.refresh)
		e.upd.Reset()
		e.ops.Reset()
		for i := range e.dirty {
			e.dirty[i] = true
			e.box[i] = e.tileRect(i)
			e.lossy[i] = time.Time{}
		}
	} else {
		e.candidates(f)
		if e.diff(f) >= motionMinTiles {
			if e.moves(f)+e.scroll(f) > 0 {
				// The copies changed prev: compare the changed tiles again.
				copy(e.cand, e.dirty)
				e.diff(f)
			}
		}
		e.dueRefresh(now)
	}
	for i, d := range e.dirty {
		e.hist[i] <<= 1
		if d && !e.refresh[i] {
			e.hist[i] |= 1
		}
	}
	var photos []image.Rectangle
	if !e.Lossless && !full {
		photos = e.photoRects(f)
	}
	for i, d := range e.dirty {
		if !d {
			continue
		}
		b := e.box[i]
		if !e.lossy[i].IsZero() {
			// The rest of the tile still holds an approximation: send
			// all of it exactly.
			b = e.tileRect(i)
		}
		e.remember(f, b)
		e.ops.Pixels(f.Pix, f.Stride, b, &res.Ops)
		e.lossy[i] = time.Time{}
		res.Rects++
	}
	if e.ops.Err != nil {
		return res, e.ops.Err
	}
	frameEnd := func() protocol.FrameEnd {
		m := protocol.FrameEnd{Seq: seq, Width: uint16(e.w), Height: uint16(e.h),
			EncodeMicros: uint32(min(time.Since(start).Microseconds(), 1<<32-1))}
		if full {
			m.Flags |= protocol.FlagFull
		}
		return m
	}
	if len(e.ops.Buf) > 0 {
		var err error
		if end && len(photos) == 0 {
			err = e.flushEnd(e.ops.Buf, frameEnd())
			res.Ended = err == nil
		} else {
			err = e.flushOps(e.ops.Buf)
		}
		if err != nil {
			return res, err
		}
	}
	for _, r := range photos {
		if err := e.sendPhoto(f, r, now); err != nil {
			return res, err
		}
	}
	if end && res.Changed() && !res.Ended {
		m := frameEnd()
		b, err := protocol.Marshal(&m)
		if err != nil {
			return res, fmt.Errorf("stream: %w", err)
		}
		if err := e.send(b); err != nil {
			return res, err
		}
		res.Ended = true
	}
	return res, nil
}

func (e *Encoder) resize(w, h int) {
	e.w, e.h = w, h
	if n := w * h * 4; cap(e.prev) < n {
		e.prev = make([]byte, n)
	} else {
		e.prev = e.prev[:n]
	}
	e.cols, e.rows = (w+TileSize-1)/TileSize, (h+TileSize-1)/TileSize
	n := e.cols * e.rows
	e.cand = make([]bool, n)
	e.dirty = make([]bool, n)
	e.box = make([]image.Rectangle, n)
	e.hist = make([]uint16, n)
	e.lossy = make([]time.Time, n)
	e.refresh = make([]bool, n)
}

func (e *Encoder) tileRect(i int) image.Rectangle {
	x, y := (i%e.cols)*TileSize, (i/e.cols)*TileSize
	return image.Rect(x, y, min(x+TileSize, e.w), min(y+TileSize, e.h))
}

func check(f *capture.Frame) error {
	if f == nil || f.Width <= 0 || f.Height <= 0 || f.Width > 0xffff || f.Height > 0xffff {
		return fmt.Errorf("stream: unusable frame size")
	}
	if f.Stride < f.Width*4 || len(f.Pix) < (f.Height-1)*f.Stride+f.Width*4 {
		return fmt.Errorf("stream: frame %dx%d stride %d has %d bytes", f.Width, f.Height, f.Stride, len(f.Pix))
	}
	return nil
}

// candidates marks the tiles the capture's damage says may have changed;
// all of them when it does not know.
func (e *Encoder) candidates(f *capture.Frame) {
	if f.Damage == nil {
		for i := range e.cand {
			e.cand[i] = true
		}
		return
	}
	clear(e.cand)
	for _, d := range f.Damage {
		e.eachTile(d, func(i int) { e.cand[i] = true })
	}
}

// diff finds, among the candidate tiles, those that differ from prev and
// the exact box of their changed pixels. It returns how many changed. An
// unchanged row costs one memcmp.
func (e *Encoder) diff(f *capture.Frame) int {
	clear(e.dirty)
	rowBytes := e.w * 4
	changed := 0
	for ty := 0; ty < e.rows; ty++ {
		band := e.cand[ty*e.cols : (ty+1)*e.cols]
		all, any := true, false
		for _, c := range band {
			all, any = all && c, any || c
		}
		if !any {
			continue
		}
		y0, y1 := ty*TileSize, min((ty+1)*TileSize, e.h)
		for y := y0; y < y1; y++ {
			cur := f.Pix[y*f.Stride : y*f.Stride+rowBytes]
			old := e.prev[y*rowBytes : (y+1)*rowBytes]
			if all && bytes.Equal(cur, old) {
				continue
			}
			for tx, c := range band {
				if !c {
					continue
				}
				a, b := tx*TileSize*4, min((tx+1)*TileSize*4, rowBytes)
				lo, hi, ok := diffSpan(cur[a:b], old[a:b])
				if !ok {
					continue
				}
				i := ty*e.cols + tx
				r := image.Rect(tx*TileSize+lo, y, tx*TileSize+hi, y+1)
				if e.dirty[i] {
					e.box[i] = e.box[i].Union(r)
				} else {
					e.dirty[i], e.box[i] = true, r
					changed++
				}
			}
		}
	}
	return changed
}

// diffSpan returns the first and one past the last pixel where a and b,
// rows of BGRX pixels, differ.
func diffSpan(a, b []byte) (lo, hi int, ok bool) {
	if bytes.Equal(a, b) {
		return 0, 0, false
	}
	n := len(a) / 4
	a, b = a[:n*4], b[:n*4]
	for lo = 0; lo < n && binary.LittleEndian.Uint32(a[lo*4:]) == binary.LittleEndian.Uint32(b[lo*4:]); lo++ {
	}
	for hi = n; hi > lo && binary.LittleEndian.Uint32(a[hi*4-4:]) == binary.LittleEndian.Uint32(b[hi*4-4:]); hi-- {
	}
	return lo, hi, true
}

// remember copies r of f into prev.
func (e *Encoder) remember(f *capture.Frame, r image.Rectangle) {
	rowBytes := e.w * 4
	for y := r.Min.Y; y < r.Max.Y; y++ {
		copy(e.prev[y*rowBytes+r.Min.X*4:y*rowBytes+r.Max.X*4], f.Pix[y*f.Stride+r.Min.X*4:y*f.Stride+r.Max.X*4])
	}
}

// dueRefresh marks tiles sent lossy that stayed still long enough to be
// sent again exactly.
func (e *Encoder) dueRefresh(now time.Time) {
	clear(e.refresh)
	for i, t := range e.lossy {
		if !t.IsZero() && !e.dirty[i] && now.Sub(t) >= e.refreshAfter() {
			e.dirty[i], e.box[i], e.refresh[i] = true, e.tileRect(i), true
		}
	}
}

// flushEnd deflates ops into the Update that ends the frame, and sends it.
func (e *Encoder) flushEnd(ops []byte, end protocol.FrameEnd) error {
	b, err := e.upd.EncodeEnd(e.seq, e.w, e.h, ops, end)
	if err != nil {
		return fmt.Errorf("stream: %w", err)
	}
	e.ops.Buf = e.ops.Buf[:0]
	return e.send(b)
}

// flushOps deflates ops into an Update message and sends it.
func (e *Encoder) flushOps(ops []byte) error {
	b, err := e.upd.Encode(e.seq, e.w, e.h, ops)
	if err != nil {
		return fmt.Errorf("stream: %w", err)
	}
	e.ops.Buf = e.ops.Buf[:0]
	return e.send(b)
}

func (e *Encoder) send(b []byte) error {
	if err := e.emit(b); err != nil {
		return err
	}
	e.res.Messages++
	e.res.Bytes += len(b)
	return nil
}
