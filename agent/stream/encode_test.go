package stream

import (
	"image"
	"math/rand/v2"
	"testing"
	"time"

	"tether/agent/capture"
	"tether/server/protocol"
)

func encodeAll(t *testing.T, e *Encoder, f *capture.Frame, seq uint32, full bool, p *painter) Result {
	t.Helper()
	res, err := e.Encode(f, seq, full, func(b []byte) error {
		if len(b) > protocol.MaxMessageSize {
			t.Fatalf("message of %d bytes", len(b))
		}
		return p.apply(b)
	})
	if err != nil {
		t.Fatalf("Encode: %v", err)
	}
	return res
}

func TestEncoderRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name string
		w, h int
	}{
		{"one tile", 64, 64},
		{"partial edge tiles", 200, 150},
		{"tiny", 1, 1},
		{"1080p", 1920, 1080},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := textScreen(tc.w, tc.h, 1)
			p := &painter{w: tc.w, h: tc.h, img: make([]byte, tc.w*tc.h*4)}
			var e Encoder
			res := encodeAll(t, &e, f, 1, false, p)
			want := ((tc.w + 63) / 64) * ((tc.h + 63) / 64)
			if res.Rects != want {
				t.Errorf("first frame: %d tiles, want all %d", res.Rects, want)
			}
			if !p.matches(f) {
				t.Fatal("decoded image differs from the frame")
			}
			if res := encodeAll(t, &e, f, 2, false, p); res.Rects != 0 || res.Messages != 0 {
				t.Errorf("unchanged frame: %+v, want nothing", res)
			}
			if res := encodeAll(t, &e, f, 3, true, p); res.Rects != want {
				t.Errorf("full frame: %d tiles, want %d", res.Rects, want)
			}
		})
	}
}

func TestEncoderChangedTiles(t *testing.T) {
	const w, h = 300, 200 // 5×4 tiles, the last column and row partial
	for _, tc := range []struct {
		name   string
		points [][2]int
		want   int
	}{
		{"top left pixel", [][2]int{{0, 0}}, 1},
		{"last pixel of first tile", [][2]int{{63, 63}}, 1},
		{"first pixel of second tile", [][2]int{{64, 0}}, 1},
		{"bottom right corner", [][2]int{{299, 199}}, 1},
		{"two tiles in one row", [][2]int{{10, 70}, {200, 127}}, 2},
		{"same tile twice", [][2]int{{130, 130}, {131, 131}}, 1},
		{"a column", [][2]int{{70, 0}, {70, 64}, {70, 128}, {70, 192}}, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := textScreen(w, h, 2)
			p := &painter{w: w, h: h, img: make([]byte, w*h*4)}
			var e Encoder
			encodeAll(t, &e, f, 1, false, p)
			for _, pt := range tc.points {
				i := pt[1]*f.Stride + pt[0]*4
				f.Pix[i] ^= 0xff
			}
			res := encodeAll(t, &e, f, 2, false, p)
			if res.Rects != tc.want {
				t.Errorf("%d tiles, want %d", res.Rects, tc.want)
			}
			if !p.matches(f) {
				t.Error("decoded image differs from the frame")
			}
		})
	}
}

func TestEncoderStrideAndResize(t *testing.T) {
	// A capture with padding at the end of each row, then a resize.
	src := textScreen(130, 70, 3)
	padded := &capture.Frame{Width: 130, Height: 70, Stride: 130*4 + 32, Pix: make([]byte, (130*4+32)*70)}
	for y := range 70 {
		copy(padded.Pix[y*padded.Stride:], src.Pix[y*src.Stride:(y+1)*src.Stride])
	}
	p := &painter{w: 130, h: 70, img: make([]byte, 130*70*4)}
	var e Encoder
	encodeAll(t, &e, padded, 1, false, p)
	if !p.matches(padded) {
		t.Fatal("padded stride: decoded image differs")
	}
	small := textScreen(64, 64, 4)
	p2 := &painter{w: 64, h: 64, img: make([]byte, 64*64*4)}
	if res := encodeAll(t, &e, small, 2, false, p2); res.Rects != 1 || !p2.matches(small) {
		t.Fatalf("after resize: %+v, want a full frame", res)
	}
}

func TestEncoderRejectsBadFrames(t *testing.T) {
	for _, tc := range []struct {
		name string
		f    *capture.Frame
	}{
		{"nil", nil},
		{"empty", &capture.Frame{}},
		{"short pixels", &capture.Frame{Width: 10, Height: 10, Stride: 40, Pix: make([]byte, 399)}},
		{"short stride", &capture.Frame{Width: 10, Height: 10, Stride: 39, Pix: make([]byte, 400)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var e Encoder
			if _, err := e.Encode(tc.f, 1, false, func([]byte) error { return nil }); err == nil {
				t.Fatal("want an error")
			}
		})
	}
}

// BenchmarkEncode1080p measures a full frame of a text-heavy 1080p desktop.
func BenchmarkEncode1080p(b *testing.B) {
	f := textScreen(1920, 1080, 7)
	var e Encoder
	var bytes int
	b.SetBytes(int64(len(f.Pix)))
	for b.Loop() {
		res, err := e.Encode(f, 1, true, func([]byte) error { return nil })
		if err != nil {
			b.Fatal(err)
		}
		bytes = res.Bytes
	}
	b.ReportMetric(float64(bytes), "bytes/frame")
}

// BenchmarkDiffTyping measures a frame where a few characters were typed:
// the whole screen is compared, a couple of tiles are encoded.
func BenchmarkDiffTyping(b *testing.B) {
	f := textScreen(1920, 1080, 7)
	var e Encoder
	if _, err := e.Encode(f, 1, true, func([]byte) error { return nil }); err != nil {
		b.Fatal(err)
	}
	var total, frames int
	x := 400
	for b.Loop() {
		// type one glyph at the caret, which moves along a line
		for yy := 500; yy < 512; yy++ {
			setPix(f, x, yy, 0x20)
			setPix(f, x+3, yy, 0x20)
		}
		x += 7
		if x > 1800 {
			x = 400
			fill(f, 380, 500, 1440, 12, 0xff, 0xff, 0xff)
		}
		res, err := e.Encode(f, 2, false, func([]byte) error { return nil })
		if err != nil {
			b.Fatal(err)
		}
		total += res.Bytes
		frames++
	}
	b.ReportMetric(float64(total)/float64(frames), "bytes/frame")
}

// BenchmarkDiffIdle is the cost of an unchanged 1080p frame: one compare.
func BenchmarkDiffIdle(b *testing.B) {
	f := textScreen(1920, 1080, 7)
	var e Encoder
	if _, err := e.Encode(f, 1, true, func([]byte) error { return nil }); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := e.Encode(f, 2, false, func([]byte) error { return nil }); err != nil {
			b.Fatal(err)
		}
	}
}

func TestEncoderComparesOnlyDamage(t *testing.T) {
	const w, h = 320, 256
	f := textScreen(w, h, 5)
	p := &painter{w: w, h: h, img: make([]byte, w*h*4)}
	var e Encoder
	encodeAll(t, &e, f, 1, false, p)
	fill(f, 10, 10, 5, 5, 1, 2, 3)
	fill(f, 300, 200, 5, 5, 1, 2, 3)
	f.Damage = []image.Rectangle{image.Rect(8, 8, 20, 20)}
	if res := encodeAll(t, &e, f, 2, false, p); res.Rects != 1 {
		t.Fatalf("with damage around one change: %d rectangles, want 1", res.Rects)
	}
	f.Damage = []image.Rectangle{}
	if res := encodeAll(t, &e, f, 3, false, p); res.Changed() {
		t.Fatalf("with no damage: %+v, want nothing", res)
	}
	f.Damage = nil
	if res := encodeAll(t, &e, f, 4, false, p); res.Rects != 1 || !p.matches(f) {
		t.Fatalf("without damage: %+v, want the other change", res)
	}
}

// scrollUp moves rows y0+dy..y1 of f up by dy and draws fresh text into the
// rows it uncovered, as a terminal does when it scrolls.
func scrollUp(f *capture.Frame, y0, y1, dy int, seed uint64) {
	copy(f.Pix[y0*f.Stride:], f.Pix[(y0+dy)*f.Stride:y1*f.Stride])
	fresh := textScreen(f.Width, dy+40, seed)
	for y := 0; y < dy; y++ {
		copy(f.Pix[(y1-dy+y)*f.Stride:(y1-dy+y+1)*f.Stride], fresh.Pix[(40+y)*fresh.Stride:(41+y)*fresh.Stride])
	}
}

func TestEncoderScrollBecomesCopies(t *testing.T) {
	const w, h = 1280, 720
	f := textScreen(w, h, 6)
	p := &painter{w: w, h: h, img: make([]byte, w*h*4)}
	var e, plain Encoder
	encodeAll(t, &e, f, 1, false, p)
	plainPainter := &painter{w: w, h: h, img: make([]byte, w*h*4)}
	encodeAll(t, &plain, f, 1, false, plainPainter)
	for i, dy := range []int{18, 1, 36, 5} {
		scrollUp(f, 32, h, dy, uint64(10+i))
		res := encodeAll(t, &e, f, uint32(i+2), false, p)
		if res.Copies == 0 {
			t.Fatalf("scroll by %d: no copy (%+v)", dy, res)
		}
		if !p.matches(f) {
			t.Fatalf("scroll by %d: decoded image differs", dy)
		}
		// The same change without the search: all the moved pixels.
		plain.Reset()
		full := encodeAll(t, &plain, f, uint32(i+2), true, plainPainter)
		if res.Bytes*10 > full.Bytes {
			t.Errorf("scroll by %d: %d bytes, more than a tenth of the %d of a full frame", dy, res.Bytes, full.Bytes)
		}
	}
}

func TestEncoderWindowMoveBecomesCopies(t *testing.T) {
	const w, h = 800, 600
	f := textScreen(w, h, 8)
	win := textScreen(300, 200, 9)
	place := func(x, y int) {
		for yy := 0; yy < 200; yy++ {
			copy(f.Pix[(y+yy)*f.Stride+x*4:], win.Pix[yy*win.Stride:(yy+1)*win.Stride])
		}
	}
	place(100, 100)
	p := &painter{w: w, h: h, img: make([]byte, w*h*4)}
	var e Encoder
	encodeAll(t, &e, f, 1, false, p)
	fill(f, 100, 100, 300, 200, 0x3a, 0x6e, 0xa5) // the desktop behind
	place(137, 121)
	f.Moves = []capture.Move{{Src: image.Rect(100, 100, 400, 300), Dst: image.Pt(137, 121)}}
	res := encodeAll(t, &e, f, 2, false, p)
	if res.Copies == 0 || !p.matches(f) {
		t.Fatalf("window moved by 37,21: %+v, exact %v", res, p.matches(f))
	}
	if res.Bytes > 3000 {
		t.Errorf("window move cost %d bytes", res.Bytes)
	}
	// A hint that does not match the pixels is ignored.
	fill(f, 137, 121, 300, 200, 0x3a, 0x6e, 0xa5)
	f.Moves = []capture.Move{{Src: image.Rect(137, 121, 437, 321), Dst: image.Pt(10, 10)}}
	if res := encodeAll(t, &e, f, 3, false, p); res.Copies != 0 || !p.matches(f) {
		t.Fatalf("false hint: %+v", res)
	}
}

// TestEncoderPartlyChangedLossyTileGoesExactWhole: a tile sent as a photo
// that then changes in a corner only must be sent exactly as a whole, or
// the rest of it would keep the approximation.
func TestEncoderPartlyChangedLossyTileGoesExactWhole(t *testing.T) {
	const w, h = 256, 128
	f := textScreen(w, h, 3)
	p := &painter{w: w, h: h, img: make([]byte, w*h*4)}
	clock := time.Unix(0, 0)
	e := Encoder{Now: func() time.Time { return clock }}
	rng := rand.New(rand.NewPCG(3, 4))
	noise := func(x0, y0, x1, y1 int) {
		for y := y0; y < y1; y++ {
			for x := x0; x < x1; x++ {
				setPix(f, x, y, byte(rng.IntN(256)))
			}
		}
	}
	for i := 1; i <= 8; i++ {
		noise(0, 0, 128, 128)
		encodeAll(t, &e, f, uint32(i), i == 1, p)
		clock = clock.Add(33 * time.Millisecond)
	}
	if p.photos == 0 {
		t.Fatal("no photos")
	}
	noise(0, 0, 4, 4) // one corner of one tile
	clock = clock.Add(33 * time.Millisecond)
	encodeAll(t, &e, f, 9, false, p)
	clock = clock.Add(time.Second)
	encodeAll(t, &e, f, 10, false, p)
	if !p.matches(f) {
		t.Fatal("the picture is not exact a second after the last change")
	}
	if !e.NextRefresh().IsZero() {
		t.Fatal("a refresh is still due")
	}
}

// BenchmarkScroll1080p measures a frame of a 1080p page scrolled by 10
// rows: the search for the shift, the copies and the new rows.
func BenchmarkScroll1080p(b *testing.B) {
	f := textScreen(1920, 1080, 7)
	var e Encoder
	if _, err := e.Encode(f, 1, true, func([]byte) error { return nil }); err != nil {
		b.Fatal(err)
	}
	var total, frames int
	seed := uint64(100)
	for b.Loop() {
		seed++
		scrollUp(f, 32, 1080, 10, seed)
		res, err := e.Encode(f, 2, false, func([]byte) error { return nil })
		if err != nil {
			b.Fatal(err)
		}
		total += res.Bytes
		frames++
	}
	b.ReportMetric(float64(total)/float64(frames), "bytes/frame")
}

func TestEncodeFrameEndsInTheLastUpdate(t *testing.T) {
	const w, h = 320, 256
	f := textScreen(w, h, 5)
	p := &painter{w: w, h: h, img: make([]byte, w*h*4)}
	var e Encoder
	var msgs int
	emit := func(b []byte) error { msgs++; return p.apply(b) }
	if res, err := e.EncodeFrame(f, 1, false, time.Now(), emit); err != nil || !res.Ended || len(p.frames) != 1 || !p.frames[0].Full() {
		t.Fatalf("first frame: %+v %v, frames %+v", res, err, p.frames)
	}
	fill(f, 10, 10, 5, 5, 1, 2, 3)
	msgs = 0
	res, err := e.EncodeFrame(f, 2, false, time.Now(), emit)
	if err != nil || msgs != 1 || !res.Ended || len(p.frames) != 2 || p.frames[1].Seq != 2 || p.frames[1].Full() {
		t.Fatalf("a small change: %+v %v in %d messages, frames %+v", res, err, msgs, p.frames)
	}
	if !p.matches(f) {
		t.Fatal("decoded image differs")
	}
	msgs = 0
	if res, err := e.EncodeFrame(f, 3, false, time.Now(), emit); err != nil || res.Changed() || msgs != 0 {
		t.Fatalf("no change: %+v %v in %d messages", res, err, msgs)
	}
}

// TestEncoderBusyNeighboursJoinThePhoto: the flat parts of a video (a few
// colours, changing every frame) next to its busy, many-coloured parts go
// in the same photo instead of exactly every frame.
func TestEncoderBusyNeighboursJoinThePhoto(t *testing.T) {
	const w, h = 512, 256
	f := textScreen(w, h, 3)
	p := &painter{w: w, h: h, img: make([]byte, w*h*4)}
	clock := time.Unix(0, 0)
	e := Encoder{Now: func() time.Time { return clock }}
	rng := rand.New(rand.NewPCG(5, 6))
	var last Result
	for i := 1; i <= 10; i++ {
		// Noise in tiles (1..2, 1), stripes moving in the tiles around it.
		for y := 64; y < 128; y++ {
			for x := 64; x < 192; x++ {
				setPix(f, x, y, byte(rng.IntN(256)))
			}
		}
		for y := 0; y < 192; y++ {
			for x := 0; x < 256; x++ {
				if x >= 64 && x < 192 && y >= 64 && y < 128 {
					continue
				}
				v := byte(0x20)
				if (x+y+i*3)%16 < 8 {
					v = 0xe0
				}
				setPix(f, x, y, v)
			}
		}
		res := encodeAll(t, &e, f, uint32(i), i == 1, p)
		clock = clock.Add(33 * time.Millisecond)
		last = res
	}
	if last.Photos == 0 || last.Rects != 0 {
		t.Fatalf("last frame: %+v, want everything busy in photos", last)
	}
}
