package capture

import (
	"bytes"
	"testing"
)

func TestArgbToRGBA(t *testing.T) {
	tests := []struct {
		name string
		argb uint32
		want [4]byte
	}{
		{"opaque red", 0xffff0000, [4]byte{255, 0, 0, 255}},
		{"transparent", 0x00000000, [4]byte{0, 0, 0, 0}},
		{"half white premultiplied", 0x80808080, [4]byte{255, 255, 255, 128}},
		{"half green", 0x80004000, [4]byte{0, 128, 0, 128}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rgba, w, h, hx, hy := argbToRGBA([]uint32{tt.argb}, 1, 1, 0, 0)
			if w != 1 || h != 1 || hx != 0 || hy != 0 || !bytes.Equal(rgba, tt.want[:]) {
				t.Errorf("got %v %dx%d hot %d,%d, want %v", rgba, w, h, hx, hy, tt.want)
			}
		})
	}
}

func TestClipCursor(t *testing.T) {
	tests := []struct {
		name           string
		w, h, hx, hy   int
		x0, y0, cw, ch int
	}{
		{"small", 32, 32, 5, 5, 0, 0, 32, 32},
		{"hot near origin", 200, 100, 3, 4, 0, 0, 96, 96},
		{"hot centred", 256, 256, 128, 128, 80, 80, 96, 96},
		{"hot at far edge", 256, 256, 255, 255, 160, 160, 96, 96},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x0, y0, cw, ch := clipCursor(tt.w, tt.h, tt.hx, tt.hy)
			if x0 != tt.x0 || y0 != tt.y0 || cw != tt.cw || ch != tt.ch {
				t.Errorf("clip = %d,%d %dx%d, want %d,%d %dx%d", x0, y0, cw, ch, tt.x0, tt.y0, tt.cw, tt.ch)
			}
		})
	}
	// A 128×128 cursor is clipped to 96×96 with the hot spot kept inside.
	px := make([]uint32, 128*128)
	px[100*128+100] = 0xff0000ff
	rgba, w, h, hx, hy := argbToRGBA(px, 128, 128, 100, 100)
	if w != 96 || h != 96 || len(rgba) != 96*96*4 {
		t.Fatalf("clipped to %dx%d (%d bytes)", w, h, len(rgba))
	}
	if o := (hy*w + hx) * 4; !bytes.Equal(rgba[o:o+4], []byte{0, 0, 255, 255}) {
		t.Errorf("hot spot pixel %v at %d,%d", rgba[o:o+4], hx, hy)
	}
}

func TestMaskedToRGBA(t *testing.T) {
	white, black := []byte{255, 255, 255, 0}, []byte{0, 0, 0, 0}
	cat := func(px ...[]byte) []byte { return bytes.Join(px, nil) }
	tests := []struct {
		name        string
		color, mask []byte
		want        []byte
	}{
		// Monochrome 4×1: AND row then XOR row.
		{"monochrome", nil, cat(black, black, white, white, black, white, black, white),
			cat([]byte{0, 0, 0, 255}, []byte{255, 255, 255, 255}, []byte{0, 0, 0, 0}, []byte{0, 0, 0, 255})},
		{"colour with mask", cat([]byte{1, 2, 3, 0}, []byte{4, 5, 6, 0}, black, black), cat(black, white, black, black),
			cat([]byte{3, 2, 1, 255}, []byte{0, 0, 0, 0}, []byte{0, 0, 0, 255}, []byte{0, 0, 0, 255})},
		{"colour with alpha", cat([]byte{1, 2, 3, 128}, black, black, black), cat(white, white, white, white),
			cat([]byte{3, 2, 1, 128}, []byte{0, 0, 0, 0}, []byte{0, 0, 0, 0}, []byte{0, 0, 0, 0})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := maskedToRGBA(tt.color, tt.mask, 4, 1); !bytes.Equal(got, tt.want) {
				t.Errorf("got %v\nwant %v", got, tt.want)
			}
		})
	}
	if anyOpaque([]byte{1, 2, 3, 0}) || !anyOpaque([]byte{0, 0, 0, 0, 0, 0, 0, 1}) {
		t.Error("anyOpaque wrong")
	}
}
