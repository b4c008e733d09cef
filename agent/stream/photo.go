package stream

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"math/bits"
	"time"

	"tether/agent/capture"
	"tether/server/protocol"
)

// A tile is busy when it changed in at least busyFrames of the last eight
// frames. A busy tile is photo-like (video, an animation) and goes as JPEG
// when its changed box has more colours than a palette holds, or more than
// photoColors with a colour change at photoChanges of its pixels or more.
// Anti-aliased text paged in a terminal has up to 160 colours but long runs
// of background (changes below 0.4 in every busy tile of scrolling.rec);
// the busy tiles of the benchmark's video have 64 to 256 colours and
// change colour at 0.4 to 0.9 of their pixels, where an 8-bit palette
// costs several times a JPEG.
const (
	busyFrames   = 4
	photoColors  = 32
	photoChanges = 0.4
)

// photoEncoder turns BGRX rectangles into JPEG, reusing its buffers.
type photoEncoder struct {
	img  *image.YCbCr
	out  bytes.Buffer
	msg  []byte
	mark []bool
	grow []int
}

// photoRects picks the busy, colourful changed tiles, groups them into
// rectangles, and takes them out of the lossless set.
func (e *Encoder) photoRects(f *capture.Frame) []image.Rectangle {
	p := &e.photo
	if len(p.mark) != len(e.dirty) {
		p.mark = make([]bool, len(e.dirty))
	}
	clear(p.mark)
	any := false
	busy := func(i int) bool {
		b := e.box[i]
		return e.dirty[i] && !e.refresh[i] && bits.OnesCount16(e.hist[i]&0xff) >= busyFrames && b.Dx()*b.Dy() >= TileSize*TileSize/4
	}
	for i := range e.dirty {
		if !busy(i) {
			continue
		}
		if n, ok, changes := e.ops.Texture(f.Pix, f.Stride, e.box[i]); !ok || n > photoColors && changes >= photoChanges {
			p.mark[i], any = true, true
		}
	}
	// Busy tiles next to photo-like ones are the same video's flatter
	// parts: they join it, twice over, rather than going exactly at
	// several times the bytes every frame.
	for range 2 {
		grow := p.grow[:0]
		for i := range p.mark {
			if p.mark[i] || !busy(i) {
				continue
			}
			x, y := i%e.cols, i/e.cols
			if x > 0 && p.mark[i-1] || x+1 < e.cols && p.mark[i+1] || y > 0 && p.mark[i-e.cols] || y+1 < e.rows && p.mark[i+e.cols] {
				grow = append(grow, i)
			}
		}
		for _, i := range grow {
			p.mark[i] = true
		}
		p.grow = grow
	}
	if !any {
		return nil
	}
	// Runs of marked tiles in each row, then runs of equal columns stacked
	// in consecutive rows, become one rectangle each.
	type run struct {
		c0, c1, row int
		r           image.Rectangle
	}
	var open, done []run
	for ty := 0; ty < e.rows; ty++ {
		var next []run
		for tx := 0; tx < e.cols; {
			if !p.mark[ty*e.cols+tx] {
				tx++
				continue
			}
			cur := run{c0: tx, row: ty, r: e.box[ty*e.cols+tx]}
			for tx++; tx < e.cols && p.mark[ty*e.cols+tx]; tx++ {
				cur.r = cur.r.Union(e.box[ty*e.cols+tx])
			}
			cur.c1 = tx
			for k, o := range open {
				if o.c0 == cur.c0 && o.c1 == cur.c1 && o.row == ty-1 {
					cur.r = cur.r.Union(o.r)
					open[k].row = -1 // absorbed
				}
			}
			next = append(next, cur)
		}
		for _, o := range open {
			if o.row >= 0 {
				done = append(done, o)
			}
		}
		open = next
	}
	done = append(done, open...)
	rects := make([]image.Rectangle, 0, len(done))
	for _, d := range done {
		rects = append(rects, d.r)
		for ty := d.r.Min.Y / TileSize; ty <= (d.r.Max.Y-1)/TileSize; ty++ {
			for tx := d.c0; tx < d.c1; tx++ {
				e.dirty[ty*e.cols+tx] = false
			}
		}
	}
	return rects
}

// sendPhoto sends r of f as JPEG, in pieces if one would not fit a message,
// and remembers it as sent lossy at now.
func (e *Encoder) sendPhoto(f *capture.Frame, r image.Rectangle, now time.Time) error {
	q := e.Quality
	if q <= 0 || q > 100 {
		q = DefaultQuality
	}
	data, err := e.photo.encode(f.Pix, f.Stride, r, q)
	if err != nil {
		return err
	}
	if len(data)+protocol.PhotoOverhead > protocol.MaxMessageSize {
		if r.Dy() < 32 {
			return fmt.Errorf("stream: a %dx%d photo does not fit a message", r.Dx(), r.Dy())
		}
		mid := r.Min.Y + (r.Dy()/2)&^15
		top, bottom := r, r
		top.Max.Y, bottom.Min.Y = mid, mid
		if err := e.sendPhoto(f, top, now); err != nil {
			return err
		}
		return e.sendPhoto(f, bottom, now)
	}
	m := protocol.Photo{
		Seq: e.seq, Width: uint16(e.w), Height: uint16(e.h),
		X: uint16(r.Min.X), Y: uint16(r.Min.Y), W: uint16(r.Dx()), H: uint16(r.Dy()),
		Format: protocol.PhotoJPEG, Data: data,
	}
	if cap(e.photo.msg) < m.MarshalSize() {
		e.photo.msg = make([]byte, protocol.MaxMessageSize)
	}
	n, err := m.MarshalTo(e.photo.msg)
	if err != nil {
		return fmt.Errorf("stream: photo: %w", err)
	}
	if err := e.send(e.photo.msg[:n]); err != nil {
		return err
	}
	e.remember(f, r)
	e.eachTile(r, func(i int) { e.lossy[i] = now })
	e.res.Photos++
	return nil
}

// encode compresses r of a BGRX image as a baseline JPEG with 4:2:0 chroma.
// The colour conversion is the one of image/color, on 2×2 averages for
// chroma. The result is valid until the next call.
func (p *photoEncoder) encode(pix []byte, stride int, r image.Rectangle, quality int) ([]byte, error) {
	w, h := r.Dx(), r.Dy()
	if p.img == nil || p.img.Rect.Dx() != w || p.img.Rect.Dy() != h {
		p.img = image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	}
	img := p.img
	for y := 0; y < h; y++ {
		line := pix[(r.Min.Y+y)*stride+r.Min.X*4 : (r.Min.Y+y)*stride+r.Max.X*4]
		yrow := img.Y[y*img.YStride : y*img.YStride+w]
		for x := range yrow {
			b, g, rr := int32(line[x*4]), int32(line[x*4+1]), int32(line[x*4+2])
			yrow[x] = uint8((19595*rr + 38470*g + 7471*b + 1<<15) >> 16)
		}
	}
	for cy := 0; cy < (h+1)/2; cy++ {
		y0, y1 := r.Min.Y+2*cy, min(r.Min.Y+2*cy+1, r.Max.Y-1)
		for cx := 0; cx < (w+1)/2; cx++ {
			x0, x1 := r.Min.X+2*cx, min(r.Min.X+2*cx+1, r.Max.X-1)
			var sb, sg, sr int32
			for _, o := range [4]int{y0*stride + x0*4, y0*stride + x1*4, y1*stride + x0*4, y1*stride + x1*4} {
				sb, sg, sr = sb+int32(pix[o]), sg+int32(pix[o+1]), sr+int32(pix[o+2])
			}
			b, g, rr := sb/4, sg/4, sr/4
			i := cy*img.CStride + cx
			img.Cb[i] = clampChroma(-11056*rr - 21712*g + 32768*b + 257<<15)
			img.Cr[i] = clampChroma(32768*rr - 27440*g - 5328*b + 257<<15)
		}
	}
	p.out.Reset()
	if err := jpeg.Encode(&p.out, img, &jpeg.Options{Quality: quality}); err != nil {
		return nil, fmt.Errorf("stream: jpeg: %w", err)
	}
	return p.out.Bytes(), nil
}

func clampChroma(v int32) uint8 {
	if uint32(v)&0xff000000 == 0 {
		return uint8(v >> 16)
	}
	return uint8(^(v >> 31))
}
