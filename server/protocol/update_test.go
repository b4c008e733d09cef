package protocol

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"io"
	"math/rand/v2"
	"testing"
)

// bgrxToRGBA is what ApplyOps should produce for a BGRX source.
func bgrxToRGBA(src []byte) []byte {
	out := make([]byte, len(src))
	for i := 0; i+3 < len(src); i += 4 {
		out[i], out[i+1], out[i+2], out[i+3] = src[i+2], src[i+1], src[i], 255
	}
	return out
}

// encodeDecode writes r of src as pixel operations, sends them through an
// UpdateEncoder and an Inflater, applies them to dst and returns the stats.
func encodeDecode(t *testing.T, enc *UpdateEncoder, dec *Inflater, ops *OpWriter, src, dst []byte, w, h int, rs ...image.Rectangle) OpStats {
	t.Helper()
	var st OpStats
	ops.Buf = ops.Buf[:0]
	for _, r := range rs {
		ops.Pixels(src, w*4, r, &st)
	}
	b, err := enc.Encode(1, w, h, ops.Buf)
	if err != nil {
		t.Fatal(err)
	}
	m, err := Unmarshal(b)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := dec.Inflate(m.(*Update))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(raw, ops.Buf) {
		t.Fatalf("inflated %d bytes differ from the %d written", len(raw), len(ops.Buf))
	}
	if err := ApplyOps(dst, w*4, w, h, raw, nil); err != nil {
		t.Fatal(err)
	}
	return st
}

func TestOpsRoundTrip(t *testing.T) {
	const w, h = 300, 140
	src := randomScreen(w, h, 1)
	// A 16-colour band and a 3-colour band exercise the 4 and 2 bit widths.
	for y := 0; y < h; y++ {
		for x := 0; x < 40; x++ {
			i := (y*w + x) * 4
			src[i], src[i+1], src[i+2] = byte((x+y)%16)*16, 7, 9
		}
		for x := 40; x < 60; x++ {
			i := (y*w + x) * 4
			src[i] = byte((x*y)%3) * 100
		}
	}
	var enc UpdateEncoder
	var dec Inflater
	var ops OpWriter
	dst := make([]byte, w*h*4)
	st := encodeDecode(t, &enc, &dec, &ops, src, dst, w, h,
		image.Rect(0, 0, 40, h), image.Rect(40, 0, 60, h), image.Rect(60, 0, 100, h), image.Rect(100, 0, 200, h), image.Rect(200, 0, w, h))
	if !bytes.Equal(dst, bgrxToRGBA(src)) {
		t.Fatal("decoded image differs from the source")
	}
	if st.Fills == 0 || st.Palettes == 0 || st.Raws == 0 {
		t.Errorf("stats %+v: want fills, palettes and raws", st)
	}
}

func TestPaletteWidths(t *testing.T) {
	for _, tc := range []struct{ colors, w, h int }{
		{2, 37, 9}, {3, 37, 9}, {4, 37, 9}, {5, 37, 9}, {16, 37, 9}, {17, 37, 9}, {200, 37, 9}, {256, 37, 9}, {257, 37, 9},
		// Widths around the unrolled steps: rows end mid-byte and mid-step.
		{2, 1, 9}, {2, 7, 9}, {2, 8, 9}, {2, 9, 9}, {2, 17, 9}, {4, 3, 9}, {4, 5, 9}, {16, 1, 20}, {16, 3, 9},
		{256, 1, 256}, {256, 3, 86}, {256, 5, 52}, {257, 1, 300}, {257, 2, 150}, {257, 3, 100}, {257, 5, 60}, {257, 7, 40},
	} {
		colors, w, h := tc.colors, tc.w, tc.h
		src := make([]byte, w*h*4)
		for i := 0; i < w*h; i++ {
			c := i % colors
			src[i*4], src[i*4+1], src[i*4+2] = byte(c), byte(c>>8), 0x55
		}
		var ops OpWriter
		var st OpStats
		ops.Pixels(src, w*4, image.Rect(0, 0, w, h), &st)
		want := OpStats{Palettes: 1}
		if colors > 256 {
			want = OpStats{Raws: 1}
		}

		if st != want {
			t.Errorf("%d colours: %+v, want %+v", colors, st, want)
		}
		dst := make([]byte, len(src))
		if err := ApplyOps(dst, w*4, w, h, ops.Buf, nil); err != nil {
			t.Fatalf("%d colours: %v", colors, err)
		}
		if !bytes.Equal(dst, bgrxToRGBA(src)) {
			t.Errorf("%d colours: decoded image differs", colors)
		}
	}
}

func TestCopyOverlaps(t *testing.T) {
	const w, h = 64, 48
	src := randomScreen(w, h, 3)
	for _, tc := range []struct {
		name string
		dst  image.Rectangle
		from image.Point
	}{
		{"scroll up", image.Rect(0, 0, w, h-5), image.Pt(0, 5)},
		{"scroll down", image.Rect(0, 5, w, h), image.Pt(0, 0)},
		{"right", image.Rect(3, 2, 40, 30), image.Pt(0, 2)},
		{"left and down", image.Rect(0, 10, 30, 40), image.Pt(7, 3)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			img := bgrxToRGBA(src)
			want := image.NewRGBA(image.Rect(0, 0, w, h))
			copy(want.Pix, img)
			for y := 0; y < tc.dst.Dy(); y++ {
				for x := 0; x < tc.dst.Dx(); x++ {
					want.Set(tc.dst.Min.X+x, tc.dst.Min.Y+y, rgbaAt(img, w, tc.from.X+x, tc.from.Y+y))
				}
			}
			var ops OpWriter
			ops.Copy(tc.dst, tc.from)
			if err := ApplyOps(img, w*4, w, h, ops.Buf, nil); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(img, want.Pix) {
				t.Fatal("copy differs from a copy through a second buffer")
			}
		})
	}
}

func rgbaAt(pix []byte, w, x, y int) color.RGBA {
	i := (y*w + x) * 4
	return color.RGBA{pix[i], pix[i+1], pix[i+2], pix[i+3]}
}

// TestStreamAcrossMessages sends many small updates over one deflate stream:
// each must inflate on its own, later ones must cost less than the first
// (the window remembers), and a reset must start over cleanly.
func TestStreamAcrossMessages(t *testing.T) {
	const w, h = 128, 64
	src := randomScreen(w, h, 5)
	var enc UpdateEncoder
	var dec Inflater
	var ops OpWriter
	dst := make([]byte, w*h*4)
	var sizes []int
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 300; i++ {
		if i == 150 {
			enc.Reset()
		}
		x, y := rng.IntN(w-16), rng.IntN(h-16)
		r := image.Rect(x, y, x+16, y+16)
		ops.Buf = ops.Buf[:0]
		var st OpStats
		ops.Pixels(src, w*4, r, &st)
		b, err := enc.Encode(uint32(i), w, h, ops.Buf)
		if err != nil {
			t.Fatal(err)
		}
		sizes = append(sizes, len(b))
		m, _ := Unmarshal(b)
		if u := m.(*Update); u.Reset() != (i == 0 || i == 150) {
			t.Fatalf("message %d: reset %v", i, u.Reset())
		}
		raw, err := dec.Inflate(m.(*Update))
		if err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
		if err := ApplyOps(dst, w*4, w, h, raw, nil); err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
	}
	if sizes[0] <= sizes[149] {
		t.Errorf("first message %d bytes, 150th %d: the stream does not remember", sizes[0], sizes[149])
	}
}

func TestInflaterRefusesBrokenStream(t *testing.T) {
	var enc UpdateEncoder
	var dec Inflater
	var ops OpWriter
	ops.Fill(image.Rect(0, 0, 4, 4), 0x102030)
	b, _ := enc.Encode(1, 8, 8, ops.Buf)
	m, _ := Unmarshal(b)
	u := *m.(*Update)
	// Without the first message, the second cannot be read.
	b2, _ := enc.Encode(2, 8, 8, ops.Buf)
	m2, _ := Unmarshal(b2)
	if _, err := dec.Inflate(m2.(*Update)); !errors.Is(err, ErrInflate) {
		t.Fatalf("inflate without a stream start: %v, want ErrInflate", err)
	}
	bad := u
	bad.Data = append([]byte(nil), u.Data...)
	bad.Data[len(bad.Data)/2] ^= 0xff
	bad.RawLen += 100
	if _, err := dec.Inflate(&bad); err == nil {
		t.Fatal("a damaged message inflated")
	}
	if _, err := dec.Inflate(m2.(*Update)); !errors.Is(err, ErrInflate) {
		t.Fatalf("after damage: %v, want ErrInflate until a reset", err)
	}
	if _, err := dec.Inflate(&u); err != nil {
		t.Fatalf("a reset message does not repair the stream: %v", err)
	}
}

func TestApplyOpsRefuses(t *testing.T) {
	dst := make([]byte, 8*8*4)
	op := func(o Op, x, y, w, h int, body ...byte) []byte {
		b := appendOpHeader(nil, o, image.Rect(x, y, x+w, y+h))
		return append(b, body...)
	}
	for _, tc := range []struct {
		name string
		ops  []byte
	}{
		{"short header", []byte{byte(OpFill), 0, 0}},
		{"outside", op(OpFill, 6, 0, 4, 1, 1, 2, 3)},
		{"empty", op(OpFill, 0, 0, 0, 1, 1, 2, 3)},
		{"copy source outside", op(OpCopy, 0, 0, 4, 4, 0, 6, 0, 0)},
		{"short fill", op(OpFill, 0, 0, 1, 1, 1)},
		{"short palette", op(OpPalette, 0, 0, 8, 8, 1, 1, 2, 3, 4, 5, 6, 0xff)},
		{"one-colour palette", op(OpPalette, 0, 0, 1, 1, 0, 1, 2, 3, 0)},
		{"short raw", op(OpRaw, 0, 0, 2, 1, 1, 2, 3)},
		{"unknown", op(9, 0, 0, 1, 1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := ApplyOps(dst, 32, 8, 8, tc.ops, nil); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}

// FuzzApplyOps feeds arbitrary operations to the decoder: it must never
// panic or write outside the image.
func FuzzApplyOps(f *testing.F) {
	const w, h = 24, 16
	src := randomScreen(w, h, 9)
	var ops OpWriter
	var st OpStats
	ops.Pixels(src, w*4, image.Rect(0, 0, w, h), &st)
	ops.Copy(image.Rect(0, 0, 10, 10), image.Pt(3, 4))
	f.Add(ops.Buf)
	f.Fuzz(func(t *testing.T, b []byte) {
		// A guard row after the image catches writes past its end.
		dst := make([]byte, (w*h+w)*4)
		_ = ApplyOps(dst[:w*h*4], w*4, w, h, b, nil)
		for _, v := range dst[w*h*4:] {
			if v != 0 {
				t.Fatal("wrote past the image")
			}
		}
	})
}

// FuzzInflate feeds arbitrary data to the inflater, first as a stream
// start and then as its continuation.
func FuzzInflate(f *testing.F) {
	var enc UpdateEncoder
	var ops OpWriter
	var st OpStats
	ops.Pixels(randomScreen(16, 16, 2), 64, image.Rect(0, 0, 16, 16), &st)
	b, _ := enc.Encode(1, 16, 16, ops.Buf)
	m, _ := Unmarshal(b)
	f.Add(m.(*Update).Data, uint32(len(ops.Buf)), []byte{0, 0, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, first []byte, rawLen uint32, next []byte) {
		var dec Inflater
		if _, err := dec.Inflate(&Update{Flags: UpdateReset, RawLen: rawLen % (MaxUpdateRaw + 10), Data: first}); err != nil {
			return
		}
		_, _ = dec.Inflate(&Update{RawLen: rawLen % 1000, Data: next})
	})
}

func BenchmarkOpsText(b *testing.B) {
	// Two-colour "text": the common case of a terminal or document.
	const w, h = 1920, 1080
	src := make([]byte, w*h*4)
	rng := rand.New(rand.NewPCG(4, 4))
	for i := 0; i < w*h; i++ {
		if rng.IntN(8) == 0 {
			src[i*4], src[i*4+1], src[i*4+2] = 255, 255, 255
		}
	}
	var ops OpWriter
	dst := make([]byte, len(src))
	b.Run("encode", func(b *testing.B) {
		for b.Loop() {
			ops.Buf = ops.Buf[:0]
			var st OpStats
			ops.Pixels(src, w*4, image.Rect(0, 0, w, h), &st)
		}
	})
	b.Run("apply", func(b *testing.B) {
		for b.Loop() {
			if err := ApplyOps(dst, w*4, w, h, ops.Buf, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func TestRecordingRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	w, err := NewRecordingWriter(&buf)
	if err != nil {
		t.Fatal(err)
	}
	var msgs [][]byte
	for _, m := range sampleMessages() {
		b, err := Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs, b)
		if err := w.Write(uint32(len(msgs)*10), b); err != nil {
			t.Fatal(err)
		}
	}
	r, err := NewRecordingReader(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range msgs {
		ms, got, err := r.Next()
		if err != nil || ms != uint32((i+1)*10) || !bytes.Equal(got, want) {
			t.Fatalf("entry %d: %d ms, %x, %v", i, ms, got, err)
		}
	}
	if _, _, err := r.Next(); !errors.Is(err, io.EOF) {
		t.Fatalf("after the last entry: %v, want EOF", err)
	}

	old := append([]byte(nil), buf.Bytes()...)
	old[len(recordingMagic)] = 2
	if _, err := NewRecordingReader(bytes.NewReader(old)); !errors.Is(err, ErrRecordingVersion) {
		t.Fatalf("version 2 recording: %v, want ErrRecordingVersion", err)
	}
	if _, err := NewRecordingReader(bytes.NewReader([]byte("PNG..."))); err == nil {
		t.Fatal("accepted a file that is not a recording")
	}
	r, _ = NewRecordingReader(bytes.NewReader(buf.Bytes()[:buf.Len()-3]))
	var last error
	for last == nil {
		_, _, last = r.Next()
	}
	if errors.Is(last, io.EOF) {
		t.Fatal("a truncated recording ended cleanly")
	}
}

// FuzzRecording feeds arbitrary bytes to the recording reader.
func FuzzRecording(f *testing.F) {
	f.Add([]byte(recordingMagic + "\x03\x00\x00\x00\x01\x00\x00\x00\x02\x03\x06"))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := NewRecordingReader(bytes.NewReader(b))
		if err != nil {
			return
		}
		for i := 0; i < 1000; i++ {
			if _, _, err := r.Next(); err != nil {
				return
			}
		}
	})
}

// TestPaletteIndexPastColours: an index past the palette paints black, even
// where an earlier operation's palette had a colour there.
func TestPaletteIndexPastColours(t *testing.T) {
	// op paints one byte of bits-wide indices, all equal to the last index.
	op := func(colors int, bits int) []byte {
		b := appendOpHeader(nil, OpPalette, image.Rect(0, 0, 8/bits, 1))
		b = append(b, byte(colors-1))
		for range colors {
			b = append(b, 255, 0, 0)
		}
		return append(b, 0xff)
	}
	for _, tc := range []struct {
		name               string
		bits, full, within int
	}{
		{"2-bit", 2, 4, 3},  // 3 colours: index 3 is past them
		{"4-bit", 4, 16, 5}, // 5 colours: index 15 is past them
	} {
		t.Run(tc.name, func(t *testing.T) {
			px := 8 / tc.bits
			dst := make([]byte, px*4)
			// The first operation fills every index with red, the second
			// uses an index past its colours.
			if err := ApplyOps(dst, px*4, px, 1, append(op(tc.full, tc.bits), op(tc.within, tc.bits)...), nil); err != nil {
				t.Fatal(err)
			}
			for i := range px {
				if got := dst[i*4 : i*4+4]; !bytes.Equal(got, []byte{0, 0, 0, 255}) {
					t.Errorf("pixel %d = %v, want opaque black", i, got)
				}
			}
		})
	}
}

func TestTexture(t *testing.T) {
	const w, h = 64, 64
	var ops OpWriter
	noise := randomScreen(w, h, 11)
	// The middle third of randomScreen is black and white noise: two
	// colours, changing at about half the pixels.
	n, ok, changes := ops.Texture(noise, w*4, image.Rect(22, 0, 42, h))
	if !ok || n != 2 || changes < 0.3 || changes > 0.7 {
		t.Errorf("noise: %d colours (%v), changes %.2f", n, ok, changes)
	}
	// The left third is one colour: no change after the first pixel.
	if n, ok, changes := ops.Texture(noise, w*4, image.Rect(0, 0, 20, h)); !ok || n != 1 || changes > 0.01 {
		t.Errorf("flat: %d colours (%v), changes %.2f", n, ok, changes)
	}
}
