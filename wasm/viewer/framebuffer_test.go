package viewer

import (
	"bytes"
	"errors"
	"image"
	"slices"
	"testing"

	"tether/server/protocol"
)

// bgra makes a w×h BGRA test image where pixel (x, y) has R=x, G=y, B=x^y.
func bgra(w, h int) []byte {
	b := make([]byte, w*h*4)
	for y := range h {
		for x := range w {
			o := (y*w + x) * 4
			b[o], b[o+1], b[o+2], b[o+3] = byte(x^y), byte(y), byte(x), 255
		}
	}
	return b
}

// encoder makes Update messages of a BGRA screen the way the agent does:
// pixel operations per 64×64 tile over one deflate stream.
type encoder struct {
	w, h int
	upd  protocol.UpdateEncoder
	ops  protocol.OpWriter
	msgs []*protocol.Update
	seq  uint32
}

func newEncoder(w, h int) *encoder {
	e := &encoder{w: w, h: h}
	e.ops.Flush = e.flush
	return e
}

func (e *encoder) flush(ops []byte) error {
	b, err := e.upd.Encode(e.seq, e.w, e.h, ops)
	if err != nil {
		return err
	}
	m, err := protocol.Unmarshal(bytes.Clone(b))
	if err != nil {
		return err
	}
	e.msgs = append(e.msgs, m.(*protocol.Update))
	return nil
}

// copyOp is an OpCopy of Src to Dst.
type copyOp struct {
	Dst image.Rectangle
	Src image.Point
}

// frame encodes the 64×64 tiles of src that overlap any of rects (all of
// them when rects is empty), plus copies, as the Updates of frame seq.
func (e *encoder) frame(tb testing.TB, seq uint32, src []byte, copies []copyOp, rects ...image.Rectangle) []*protocol.Update {
	tb.Helper()
	e.seq, e.msgs = seq, nil
	e.ops.Reset()
	for _, c := range copies {
		e.ops.Copy(c.Dst, c.Src)
	}
	var st protocol.OpStats
	for y := 0; y < e.h; y += 64 {
		for x := 0; x < e.w; x += 64 {
			t := image.Rect(x, y, min(x+64, e.w), min(y+64, e.h))
			if len(rects) > 0 && !slices.ContainsFunc(rects, t.Overlaps) {
				continue
			}
			for _, r := range rects {
				if r.Overlaps(t) {
					t = r.Intersect(t)
					break
				}
			}
			e.ops.Pixels(src, e.w*4, t, &st)
		}
	}
	if len(e.ops.Buf) > 0 {
		if err := e.flush(e.ops.Buf); err != nil {
			tb.Fatal(err)
		}
	}
	if e.ops.Err != nil {
		tb.Fatal(e.ops.Err)
	}
	return e.msgs
}

// apply inflates and applies msgs to fb.
func apply(tb testing.TB, fb *Framebuffer, dec *protocol.Inflater, msgs []*protocol.Update) {
	tb.Helper()
	for _, m := range msgs {
		ops, err := dec.Inflate(m)
		if err != nil {
			tb.Fatal(err)
		}
		if err := fb.Apply(ops); err != nil {
			tb.Fatal(err)
		}
	}
}

// rgbaOf is what the framebuffer must hold for a BGRA source.
func rgbaOf(src []byte) []byte {
	out := make([]byte, len(src))
	for i := 0; i+3 < len(src); i += 4 {
		out[i], out[i+1], out[i+2], out[i+3] = src[i+2], src[i+1], src[i], 255
	}
	return out
}

func TestFramebufferApply(t *testing.T) {
	const w, h = 200, 150
	src := bgra(w, h)
	enc := newEncoder(w, h)
	var dec protocol.Inflater
	var fb Framebuffer
	fb.Resize(w, h)
	if got := fb.TakeDamage(); !slices.Equal(got, []image.Rectangle{image.Rect(0, 0, w, h)}) {
		t.Errorf("damage after resize = %v, want the screen", got)
	}
	apply(t, &fb, &dec, enc.frame(t, 1, src, nil))
	if !bytes.Equal(fb.Pix, rgbaOf(src)) {
		t.Fatal("full frame differs from the source")
	}
	if got := fb.TakeDamage(); !slices.Equal(got, []image.Rectangle{image.Rect(0, 0, w, h)}) {
		t.Errorf("damage of a full frame = %v, want one screen rectangle", got)
	}

	// Two small changes far apart stay two rectangles; a copy moves the
	// top left corner down and right, reading the screen as it was.
	old := rgbaOf(src)
	for _, p := range []image.Point{{5, 5}, {190, 140}} {
		o := (p.Y*w + p.X) * 4
		src[o], src[o+1], src[o+2] = 1, 2, 3
	}
	want := rgbaOf(src)
	for y := 60; y < 70; y++ {
		copy(want[(y*w+100)*4:(y*w+120)*4], old[((y-60)*w)*4:((y-60)*w+20)*4])
	}
	copies := []copyOp{{Dst: image.Rect(100, 60, 120, 70), Src: image.Pt(0, 0)}}
	apply(t, &fb, &dec, enc.frame(t, 2, src, copies, image.Rect(5, 5, 6, 6), image.Rect(190, 140, 191, 141)))
	if !bytes.Equal(fb.Pix, want) {
		t.Fatal("second frame differs")
	}
	got := fb.TakeDamage()
	slices.SortFunc(got, func(a, b image.Rectangle) int { return a.Min.Y - b.Min.Y })
	if want := []image.Rectangle{image.Rect(5, 5, 6, 6), image.Rect(100, 60, 120, 70), image.Rect(190, 140, 191, 141)}; !slices.Equal(got, want) {
		t.Errorf("damage = %v, want %v", got, want)
	}
	if got := fb.TakeDamage(); len(got) != 0 {
		t.Errorf("damage after take = %v, want none", got)
	}

	// A broken operation after a good one: the good one stays drawn.
	var ops protocol.OpWriter
	ops.Fill(image.Rect(0, 0, 2, 2), 0x00ff00)
	bad := append(ops.Buf, byte(protocol.OpFill), 0, 0, 0, 0, 0, 9, 0, 9) // no colour
	if err := fb.Apply(bad); !errors.Is(err, protocol.ErrShort) {
		t.Errorf("Apply of a truncated fill = %v, want ErrShort", err)
	}
	if got := fb.TakeDamage(); !slices.Equal(got, []image.Rectangle{image.Rect(0, 0, 2, 2)}) {
		t.Errorf("damage after a partial failure = %v, want the good fill", got)
	}
	if !bytes.Equal(fb.Pix[:4], []byte{0, 255, 0, 255}) {
		t.Errorf("pixel 0,0 = %v, want the fill's green", fb.Pix[:4])
	}
}

func TestFramebufferDamage(t *testing.T) {
	tests := []struct {
		name string
		in   []image.Rectangle
		want []image.Rectangle
	}{
		{"neighbours join", []image.Rectangle{image.Rect(0, 0, 10, 10), image.Rect(10, 0, 20, 10)}, []image.Rectangle{image.Rect(0, 0, 20, 10)}},
		{"inside is absorbed", []image.Rectangle{image.Rect(0, 0, 100, 100), image.Rect(10, 10, 20, 20)}, []image.Rectangle{image.Rect(0, 0, 100, 100)}},
		{"far apart stay apart", []image.Rectangle{image.Rect(0, 0, 10, 10), image.Rect(500, 300, 510, 310)}, []image.Rectangle{image.Rect(0, 0, 10, 10), image.Rect(500, 300, 510, 310)}},
		{"near enough join", []image.Rectangle{image.Rect(0, 0, 8, 16), image.Rect(40, 0, 48, 16)}, []image.Rectangle{image.Rect(0, 0, 48, 16)}},
		{"a join that makes another join", []image.Rectangle{image.Rect(0, 0, 100, 50), image.Rect(0, 100, 100, 150), image.Rect(0, 50, 100, 100)}, []image.Rectangle{image.Rect(0, 0, 100, 150)}},
		{"clipped to the screen", []image.Rectangle{image.Rect(630, 390, 700, 500)}, []image.Rectangle{image.Rect(630, 390, 640, 400)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var fb Framebuffer
			fb.Resize(640, 400)
			fb.TakeDamage()
			for _, r := range tt.in {
				fb.Damage(r)
			}
			got := fb.TakeDamage()
			slices.SortFunc(got, func(a, b image.Rectangle) int { return a.Min.X - b.Min.X })
			if !slices.Equal(got, tt.want) {
				t.Errorf("damage = %v, want %v", got, tt.want)
			}
		})
	}

	t.Run("capped", func(t *testing.T) {
		var fb Framebuffer
		fb.Resize(1920, 1080)
		fb.TakeDamage()
		// Glyph-sized changes scattered over the screen.
		var area int
		for i := range 200 {
			r := image.Rect(i*97%1900, i*61%1060, i*97%1900+8, i*61%1060+16)
			fb.Damage(r)
			area += r.Dx() * r.Dy()
		}
		got := fb.TakeDamage()
		if len(got) > maxDamage {
			t.Errorf("%d rectangles, want at most %d", len(got), maxDamage)
		}
		for i := range 200 {
			p := image.Pt(i*97%1900+3, i*61%1060+3)
			if !slices.ContainsFunc(got, func(r image.Rectangle) bool { return p.In(r) }) {
				t.Fatalf("changed pixel %v is in no rectangle", p)
			}
		}
	})
}

func TestFramebufferSetRegion(t *testing.T) {
	var fb Framebuffer
	fb.Resize(4, 3)
	fb.TakeDamage()
	if err := fb.SetRegion(image.Rect(1, 1, 3, 3), seq(100, 116)); err != nil {
		t.Fatal(err)
	}
	if got, want := fb.Pix[(1*4+1)*4:(1*4+3)*4], seq(100, 108); !bytes.Equal(got, want) {
		t.Errorf("row 1 = %v, want %v", got, want)
	}
	if got, want := fb.Pix[(2*4+1)*4:(2*4+3)*4], seq(108, 116); !bytes.Equal(got, want) {
		t.Errorf("row 2 = %v, want %v", got, want)
	}
	if got := fb.TakeDamage(); len(got) != 0 {
		t.Errorf("SetRegion damaged %v; the canvas already shows it", got)
	}
	for _, tc := range []struct {
		r image.Rectangle
		n int
	}{{image.Rect(3, 2, 5, 3), 8}, {image.Rect(0, 0, 2, 2), 15}} {
		if err := fb.SetRegion(tc.r, make([]byte, tc.n)); err == nil {
			t.Errorf("SetRegion(%v, %d bytes) = nil, want an error", tc.r, tc.n)
		}
	}
}

func seq(from, to int) []byte {
	var b []byte
	for i := from; i < to; i++ {
		b = append(b, byte(i))
	}
	return b
}
