// Package overlay shows the engineer's pointing on the customer's screen: a
// window on top of every other that shows only the strokes, takes no input
// (clicks and keys go to whatever is below) and removes each stroke a few
// seconds after it was drawn. X11 uses an override-redirect window shaped
// to the strokes with the SHAPE extension and an empty input shape;
// Windows a topmost, layered, colour-keyed popup that lets every click
// through (WS_EX_TRANSPARENT) and never activates.
package overlay

import (
	"errors"
	"image"
	"time"
)

// ErrUnsupported is returned by Open where no overlay can be shown.
var ErrUnsupported = errors.New("overlay: not supported on this platform")

// Life is how long a stroke stays after its last point.
const Life = 3 * time.Second

// Width is the thickness of a stroke, in screen pixels.
const Width = 6

// maxRects bounds the squares the strokes are drawn with; the oldest
// strokes go first beyond it.
const maxRects = 20000

// stroke is one line the engineer drew.
type stroke struct {
	id    uint16
	rects []image.Rectangle
	last  image.Point
	has   bool // last is set
	until time.Time
}

// add draws the segments from the stroke's last point through pts.
func (s *stroke) add(pts []image.Point) {
	for _, p := range pts {
		from := p
		if s.has {
			from = s.last
		}
		s.rects = appendSegment(s.rects, from, p)
		s.last, s.has = p, true
	}
}

// appendSegment covers the segment from a to b with squares of Width,
// half a width apart.
func appendSegment(rs []image.Rectangle, a, b image.Point) []image.Rectangle {
	d := b.Sub(a)
	steps := max(abs(d.X), abs(d.Y))/(Width/2) + 1
	for i := 0; i <= steps; i++ {
		x := a.X + d.X*i/steps
		y := a.Y + d.Y*i/steps
		rs = append(rs, image.Rect(x-Width/2, y-Width/2, x+Width/2, y+Width/2))
	}
	return rs
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

// strokes is the set shown now, oldest first.
type strokes struct {
	list []*stroke
}

// draw adds pts to stroke id and returns when the first stroke expires.
func (ss *strokes) draw(id uint16, pts []image.Point, now time.Time) {
	var s *stroke
	for _, x := range ss.list {
		if x.id == id {
			s = x
		}
	}
	if s == nil {
		s = &stroke{id: id}
		ss.list = append(ss.list, s)
	}
	s.add(pts)
	s.until = now.Add(Life)
	n := 0
	for _, x := range ss.list {
		n += len(x.rects)
	}
	for n > maxRects && len(ss.list) > 1 {
		n -= len(ss.list[0].rects)
		ss.list = ss.list[1:]
	}
}

// prune drops expired strokes and reports whether any was dropped, and
// when the next one expires (zero when none is left).
func (ss *strokes) prune(now time.Time) (bool, time.Time) {
	kept := ss.list[:0]
	var next time.Time
	for _, s := range ss.list {
		if now.Before(s.until) {
			kept = append(kept, s)
			if next.IsZero() || s.until.Before(next) {
				next = s.until
			}
		}
	}
	dropped := len(kept) != len(ss.list)
	clear(ss.list[len(kept):])
	ss.list = kept
	return dropped, next
}

func (ss *strokes) rects() []image.Rectangle {
	var out []image.Rectangle
	for _, s := range ss.list {
		out = append(out, s.rects...)
	}
	return out
}
