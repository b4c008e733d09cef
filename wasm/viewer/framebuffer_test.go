package viewer

import (
	"bytes"
	"errors"
	"image"
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

func TestFramebufferApply(t *testing.T) {
	const w, h = 40, 30
	src := bgra(w, h)
	enc := protocol.TileEncoder{Codec: protocol.CodecLZ4}
	tile := func(x, y, tw, th int) protocol.Tile {
		t := enc.Encode(src, w*4, x, y, tw, th)
		t.Data = bytes.Clone(t.Data)
		return t
	}
	var fb Framebuffer
	resized, err := fb.Apply(&protocol.Tiles{Seq: 1, Width: w, Height: h, Tiles: []protocol.Tile{tile(0, 0, 20, 10), tile(20, 10, 20, 20)}})
	if err != nil || !resized {
		t.Fatalf("Apply = %v, %v; want resized, nil", resized, err)
	}
	if got := fb.TakeDirty(); got != image.Rect(0, 0, w, h) {
		t.Errorf("dirty after resize = %v, want full screen", got)
	}
	for _, p := range []image.Point{{0, 0}, {19, 9}, {25, 15}, {39, 29}} {
		o := (p.Y*w + p.X) * 4
		if want := []byte{byte(p.X), byte(p.Y), byte(p.X ^ p.Y), 255}; !bytes.Equal(fb.Pix[o:o+4], want) {
			t.Errorf("pixel %v = %v, want %v", p, fb.Pix[o:o+4], want)
		}
	}
	if o := (20*w + 5) * 4; !bytes.Equal(fb.Pix[o:o+4], []byte{0, 0, 0, 255}) {
		t.Errorf("untouched pixel = %v, want opaque black", fb.Pix[o:o+4])
	}

	resized, err = fb.Apply(&protocol.Tiles{Seq: 2, Width: w, Height: h, Tiles: []protocol.Tile{tile(4, 6, 3, 2), tile(10, 1, 2, 2)}})
	if err != nil || resized {
		t.Fatalf("second Apply = %v, %v", resized, err)
	}
	if got, want := fb.TakeDirty(), image.Rect(4, 1, 12, 8); got != want {
		t.Errorf("dirty = %v, want %v", got, want)
	}
	if got := fb.TakeDirty(); !got.Empty() {
		t.Errorf("dirty after take = %v, want empty", got)
	}

	bad := protocol.Tile{X: 0, Y: 0, W: 2, H: 2, Codec: protocol.CodecLZ4, Data: []byte{0xff, 0xff}}
	_, err = fb.Apply(&protocol.Tiles{Seq: 3, Width: w, Height: h, Tiles: []protocol.Tile{bad, tile(30, 20, 2, 2)}})
	if !errors.Is(err, protocol.ErrInvalid) {
		t.Errorf("Apply with a broken tile = %v, want ErrInvalid", err)
	}
	if got, want := fb.TakeDirty(), image.Rect(30, 20, 32, 22); got != want {
		t.Errorf("dirty after partial failure = %v, want %v (good tile kept)", got, want)
	}
}

func TestFramebufferRegion(t *testing.T) {
	var fb Framebuffer
	fb.Resize(4, 3)
	for i := range fb.Pix {
		fb.Pix[i] = byte(i)
	}
	tests := []struct {
		name string
		r    image.Rectangle
		want []byte
	}{
		{"full width rows", image.Rect(0, 1, 4, 2), seq(16, 32)},
		{"inner box", image.Rect(1, 1, 3, 3), append(seq(20, 28), seq(36, 44)...)},
		{"clipped", image.Rect(3, 2, 9, 9), seq(44, 48)},
		{"empty", image.Rect(2, 2, 2, 2), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := fb.Region(tt.r); !bytes.Equal(got, tt.want) {
				t.Errorf("Region(%v) = %v, want %v", tt.r, got, tt.want)
			}
		})
	}
}

func seq(from, to int) []byte {
	var b []byte
	for i := from; i < to; i++ {
		b = append(b, byte(i))
	}
	return b
}
