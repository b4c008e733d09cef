package stream

import (
	"bytes"
	"hash/maphash"
	"image"
	"slices"
	"time"

	"tether/agent/capture"
	"tether/server/protocol"
)

// motionMinTiles is how many tiles must change before the encoder looks
// for moved content: typing never pays for the search.
const motionMinTiles = 6

// voteStrips is how many column strips the scroll search hashes to find
// candidate shifts; the others are only checked against them.
const voteStrips = 4

// minMoveRows is the fewest rows a copy must cover to be worth 13 bytes and
// the viewer's memmove.
const minMoveRows = 8

// motionScratch keeps the row hashes of the search between frames.
type motionScratch struct {
	seed  maphash.Seed
	init  bool
	prev  []uint64
	cur   []uint64
	index map[uint64]int32 // prev row hash → its row, or -1 if not unique
	votes map[int]int
}

// moves turns the capture's window moves into copies where the pixels
// really moved, and returns how many copies it sent.
func (e *Encoder) moves(f *capture.Frame) int {
	n := 0
	screen := image.Rect(0, 0, e.w, e.h)
	for _, m := range f.Moves {
		d := m.Dst.Sub(m.Src.Min)
		if d == (image.Point{}) {
			continue
		}
		// Where both the old and the new place are on the screen.
		dst := m.Src.Add(d).Intersect(screen).Intersect(screen.Add(d))
		if dst.Dx() < TileSize/2 || dst.Dy() < minMoveRows {
			continue
		}
		// The window may be partly covered: copy each run of rows that
		// matches, full width.
		run := -1
		for y := dst.Min.Y; y <= dst.Max.Y; y++ {
			ok := y < dst.Max.Y && bytes.Equal(
				f.Pix[y*f.Stride+dst.Min.X*4:y*f.Stride+dst.Max.X*4],
				e.prevRow(y-d.Y, dst.Min.X-d.X, dst.Max.X-d.X))
			switch {
			case ok && run < 0:
				run = y
			case !ok && run >= 0:
				if y-run >= minMoveRows {
					r := image.Rect(dst.Min.X, run, dst.Max.X, y)
					e.copyRect(r, r.Min.Sub(d))
					n++
				}
				run = -1
			}
		}
	}
	return n
}

// prevRow is row y of prev from column x0 to x1.
func (e *Encoder) prevRow(y, x0, x1 int) []byte {
	return e.prev[y*e.w*4+x0*4 : y*e.w*4+x1*4]
}

// copyRect sends a copy of src to dst (dst's size) and applies it to prev,
// so that prev stays what the viewer shows.
func (e *Encoder) copyRect(dst image.Rectangle, src image.Point) {
	start := len(e.ops.Buf)
	e.ops.Copy(dst, src)
	// The copy operation is plain memmove, the same on BGRX as on RGBA.
	_ = protocol.ApplyOps(e.prev, e.w*4, e.w, e.h, e.ops.Buf[start:], nil)
	e.res.Copies++
	// Tiles the copy made lossy stay lossy: the viewer copied its
	// approximation, which the next refresh replaces.
	var since time.Time
	e.eachTile(image.Rectangle{Min: src, Max: src.Add(dst.Size())}, func(i int) {
		if t := e.lossy[i]; !t.IsZero() && (since.IsZero() || t.Before(since)) {
			since = t
		}
	})
	if !since.IsZero() {
		e.eachTile(dst, func(i int) {
			if e.lossy[i].IsZero() {
				e.lossy[i] = since
			}
		})
	}
}

// eachTile calls fn with the index of every tile r overlaps.
func (e *Encoder) eachTile(r image.Rectangle, fn func(int)) {
	r = r.Intersect(image.Rect(0, 0, e.w, e.h))
	if r.Empty() {
		return
	}
	for ty := r.Min.Y / TileSize; ty <= (r.Max.Y-1)/TileSize; ty++ {
		for tx := r.Min.X / TileSize; tx <= (r.Max.X-1)/TileSize; tx++ {
			fn(ty*e.cols + tx)
		}
	}
}

// scroll finds content that moved up or down inside the changed area, as
// when a terminal, an editor or a browser page scrolls. It works from the
// pixels alone, whoever scrolled and however: in a few 64-pixel column
// strips with the most change, rows of the new frame are matched by hash
// against rows of the old one, and the shifts with the most votes become
// candidates; in every changed strip, the runs of rows that equal the old
// rows one candidate shift away become copies, merged across strips with
// the same shift and rows. It returns how many copies it sent.
func (e *Encoder) scroll(f *capture.Frame) int {
	s := &e.hashes
	if !s.init {
		s.seed, s.init = maphash.MakeSeed(), true
		s.index, s.votes = map[uint64]int32{}, map[int]int{}
	}
	if cap(s.prev) < e.h {
		s.prev, s.cur = make([]uint64, e.h), make([]uint64, e.h)
	}
	s.prev, s.cur = s.prev[:e.h], s.cur[:e.h]
	// The changed span of every strip with at least two changed tiles.
	type strip struct{ tx, y0, y1 int }
	var strips []strip
	for tx := 0; tx < e.cols; tx++ {
		y0, y1, tiles := e.h, 0, 0
		for ty := 0; ty < e.rows; ty++ {
			if i := ty*e.cols + tx; e.dirty[i] {
				y0, y1 = min(y0, e.box[i].Min.Y), max(y1, e.box[i].Max.Y)
				tiles++
			}
		}
		if tiles >= 2 && y1-y0 >= 2*minMoveRows {
			strips = append(strips, strip{tx, y0, y1})
		}
	}
	if len(strips) == 0 {
		return 0
	}
	// Vote in up to voteStrips of the tallest spans.
	byHeight := slices.Clone(strips)
	slices.SortStableFunc(byHeight, func(a, b strip) int { return (b.y1 - b.y0) - (a.y1 - a.y0) })
	clear(s.votes)
	for _, st := range byHeight[:min(voteStrips, len(byHeight))] {
		x0, x1 := st.tx*TileSize, min((st.tx+1)*TileSize, e.w)
		for y := 0; y < e.h; y++ {
			s.prev[y] = maphash.Bytes(s.seed, e.prevRow(y, x0, x1))
		}
		for y := st.y0; y < st.y1; y++ {
			s.cur[y] = maphash.Bytes(s.seed, f.Pix[y*f.Stride+x0*4:y*f.Stride+x1*4])
		}
		s.vote(st.y0, st.y1)
	}
	candidates := s.best(2)
	if len(candidates) == 0 {
		return 0
	}
	// In every strip, the candidate shift with the most matching rows.
	type run struct{ x0, x1, y0, y1, dy int }
	var runs, found []run
	for _, st := range strips {
		x0, x1 := st.tx*TileSize, min((st.tx+1)*TileSize, e.w)
		var best []run
		bestRows := 0
		for _, dy := range candidates {
			found = found[:0]
			rows, start := 0, -1
			for y := st.y0; y <= st.y1; y++ {
				ok := y < st.y1 && y+dy >= 0 && y+dy < e.h &&
					bytes.Equal(f.Pix[y*f.Stride+x0*4:y*f.Stride+x1*4], e.prevRow(y+dy, x0, x1))
				switch {
				case ok && start < 0:
					start = y
				case !ok && start >= 0:
					if y-start >= minMoveRows {
						found = append(found, run{x0, x1, start, y, dy})
						rows += y - start
					}
					start = -1
				}
			}
			if rows > bestRows {
				best, bestRows = append(best[:0], found...), rows
			}
			// A shift that explains nearly all the strip needs no rival.
			if bestRows*10 >= (st.y1-st.y0)*9 {
				break
			}
		}
		runs = append(runs, best...)
	}
	// Runs are in strip order; merge neighbours with the same rows and shift.
	n := 0
	for i := 0; i < len(runs); {
		r := runs[i]
		j := i + 1
		for j < len(runs) && runs[j].x0 == r.x1 && runs[j].y0 == r.y0 && runs[j].y1 == r.y1 && runs[j].dy == r.dy {
			r.x1 = runs[j].x1
			j++
		}
		e.copyRect(image.Rect(r.x0, r.y0, r.x1, r.y1), image.Pt(r.x0, r.y0+r.dy))
		n++
		i = j
	}
	return n
}

// vote adds the shifts between rows y0..y1 of the current strip and the
// rows of the previous one with the same hash, counting only rows whose
// hash is unique in the previous strip (blank lines match everywhere).
func (s *motionScratch) vote(y0, y1 int) {
	clear(s.index)
	for y, h := range s.prev {
		if _, dup := s.index[h]; dup {
			s.index[h] = -1
		} else {
			s.index[h] = int32(y)
		}
	}
	for y := y0; y < y1; y++ {
		py, ok := s.index[s.cur[y]]
		if !ok || py < 0 || int(py) == y {
			continue
		}
		s.votes[int(py)-y]++
	}
}

// best returns up to k shifts with the most votes, each with enough.
func (s *motionScratch) best(k int) []int {
	var out []int
	for d, v := range s.votes {
		if v >= minMoveRows/2 {
			out = append(out, d)
		}
	}
	slices.SortFunc(out, func(a, b int) int {
		if c := s.votes[b] - s.votes[a]; c != 0 {
			return c
		}
		return a - b
	})
	return out[:min(k, len(out))]
}
