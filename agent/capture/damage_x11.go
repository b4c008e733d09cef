//go:build linux

package capture

import (
	"bytes"
	"image"
	"slices"
	"time"

	"github.com/jezek/xgb/damage"
	"github.com/jezek/xgb/xproto"
)

// span is the rows y0 to y1-1 of the screen.
type span struct{ y0, y1 int }

const (
	// mergeGap joins bands of damaged rows fewer rows apart: grabbing a few
	// rows more costs less than another request.
	mergeGap = 16
	// maxSpans bounds the requests of one grab; beyond it Capture grabs
	// from the first damaged row to the last.
	maxSpans = 16
)

// clipRects appends the X rectangles, clipped to area of the root window
// and relative to its top left corner, to dst.
func clipRects(dst []image.Rectangle, rs []xproto.Rectangle, area image.Rectangle) []image.Rectangle {
	for _, r := range rs {
		c := image.Rect(int(r.X), int(r.Y), int(r.X)+int(r.Width), int(r.Y)+int(r.Height)).Intersect(area)
		if !c.Empty() {
			dst = append(dst, c.Sub(area.Min))
		}
	}
	return dst
}

// rowSpans appends to dst the bands of rows rects cover, sorted, merged
// across gaps under mergeGap, and at most maxSpans of them.
func rowSpans(dst []span, rects []image.Rectangle) []span {
	start := len(dst)
	for _, r := range rects {
		dst = append(dst, span{r.Min.Y, r.Max.Y})
	}
	s := dst[start:]
	slices.SortFunc(s, func(a, b span) int { return a.y0 - b.y0 })
	out := s[:0]
	for _, sp := range s {
		if n := len(out); n > 0 && sp.y0 <= out[n-1].y1+mergeGap {
			out[n-1].y1 = max(out[n-1].y1, sp.y1)
			continue
		}
		out = append(out, sp)
	}
	if len(out) > maxSpans {
		out = append(out[:0], span{out[0].y0, out[len(out)-1].y1})
	}
	return dst[:start+len(out)]
}

// covered reports whether every row of want lies in some span of have;
// both are sorted.
func covered(want, have []span) bool {
	i := 0
	for _, w := range want {
		for i < len(have) && have[i].y1 <= w.y0 {
			i++
		}
		if i == len(have) || have[i].y0 > w.y0 || have[i].y1 < w.y1 {
			return false
		}
	}
	return true
}

// auditGrab grabs the whole screen, and compares it with the frame buffer
// DAMAGE kept up to date. Rows that changed outside x.spans were not
// reported: they are added to x.rects (so the frame tells the truth) and
// kept in x.suspect, for the next Capture to check that their damage merely
// came late. The comparison is one memcmp per row.
func (x *x11) auditGrab(buf []byte) error {
	x.audit = append(x.audit[:0], buf...)
	if err := x.grabSpans(buf, []span{{0, x.h}}); err != nil {
		return err
	}
	x.lastAudit = time.Now()
	stride := x.w * 4
	next := 0 // first span not below y
	for y := 0; y < x.h; y++ {
		for next < len(x.spans) && x.spans[next].y1 <= y {
			next++
		}
		if next < len(x.spans) && x.spans[next].y0 <= y {
			y = x.spans[next].y1 - 1 // reported: expected to differ
			continue
		}
		row := buf[y*stride : (y+1)*stride]
		if bytes.Equal(row, x.audit[y*stride:(y+1)*stride]) {
			continue
		}
		if n := len(x.suspect); n > 0 && x.suspect[n-1].y1 == y {
			x.suspect[n-1].y1++
		} else {
			x.suspect = append(x.suspect, span{y, y + 1})
		}
	}
	if len(x.suspect) == 0 {
		return nil
	}
	for _, s := range x.suspect {
		x.rects = append(x.rects, image.Rect(0, s.y0, x.w, s.y1))
	}
	// Capture again soon to tell late damage from missing damage.
	x.evMu.Lock()
	x.notifyLocked()
	x.evMu.Unlock()
	return nil
}

// stopDamage gives up on DAMAGE for this connection: Capture grabs
// everything from now on, and Changed is closed so its user polls.
func (x *x11) stopDamage() {
	// Unchecked: an error (the connection broke) reaches the event reader,
	// and the next grab fails and reports it.
	damage.Destroy(x.conn, x.damage)
	x.damage = 0
	x.suspect = x.suspect[:0]
	x.evMu.Lock()
	x.quietLocked()
	x.evMu.Unlock()
}
