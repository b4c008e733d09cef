package barcode

import (
	"testing"
)

func TestReadWhatIsDrawn(t *testing.T) {
	for _, c := range []Code{{0, 0}, {0xffffffff, 0xffff}, {1795326585, 4242}} {
		// Draw the code as the probe does, on a grey 8-aligned canvas,
		// with a little noise as a lossy codec leaves.
		const ox, oy, w = 16, 8, Width + 32
		pix := make([][3]uint8, w*(Height+16))
		for i := range pix {
			pix[i] = Grey
		}
		word := c.Words()
		for i := 0; i < Bits; i++ {
			x0, y0 := CellAt(i)
			v := uint8(30)
			if Bit(word, i) {
				v = 225
			}
			for y := y0; y < y0+Cell; y++ {
				for x := x0; x < x0+Cell; x++ {
					pix[(oy+y)*w+ox+x] = [3]uint8{v, v + 10, v - 20}
				}
			}
		}
		got, ok := Read(func(x, y int) (r, g, b uint8) { p := pix[y*w+x]; return p[0], p[1], p[2] }, ox, oy)
		if !ok || got != c {
			t.Errorf("drew %+v, read %+v (ok %v)", c, got, ok)
		}
	}
}

func TestParseRejectsTornWords(t *testing.T) {
	// The white cells of one code over the black cells of the next: what a
	// reader sees between the probe's two drawing requests.
	for n := uint32(0); n < 10000; n++ {
		a, b := Code{1000 + 16*n, uint16(n)}.Words(), Code{1016 + 16*n, uint16(n + 1)}.Words()
		var torn [Words]uint32
		for i := range torn {
			torn[i] = a[i] | b[i]
		}
		if _, ok := Parse(torn); ok && torn != a && torn != b {
			t.Fatalf("a torn barcode parsed: %x", torn)
		}
	}
	if _, ok := Parse([Words]uint32{}); ok {
		t.Error("an all-black barcode parsed")
	}
	if _, ok := Parse([Words]uint32{^uint32(0), ^uint32(0), ^uint32(0)}); ok {
		t.Error("an all-white barcode parsed")
	}
}

func TestNearest(t *testing.T) {
	for i, p := range Palette {
		// JPEG moves colours a little; the index must not move.
		if got := Nearest(sat(int(p[0])-25), sat(int(p[1])+25), sat(int(p[2])-25)); got != i {
			t.Errorf("Palette[%d] %v with noise is nearest to %d", i, p, got)
		}
	}
}

func sat(v int) uint8 { return uint8(max(0, min(255, v))) }
