package stream

import (
	"testing"

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
