package viewer

import (
	"bytes"
	"testing"

	"tether/server/protocol"
)

// BenchmarkFramebufferApply1080p decodes one full 1920×1080 frame of
// 64×64 LZ4 tiles natively; BenchmarkViewerDecode1080p in wasm/browsertest
// measures the same work inside Chromium.
func BenchmarkFramebufferApply1080p(b *testing.B) {
	const w, h, tile = 1920, 1080, 64
	src := bgra(w, h)
	for i := 0; i < len(src); i += 4 {
		// Mostly flat with some detail, like a desktop.
		if (i/4)%7 != 0 {
			src[i], src[i+1], src[i+2] = 240, 240, 240
		}
	}
	enc := protocol.TileEncoder{Codec: protocol.CodecLZ4}
	m := &protocol.Tiles{Width: w, Height: h}
	for y := 0; y < h; y += tile {
		for x := 0; x < w; x += tile {
			t := enc.Encode(src, w*4, x, y, min(tile, w-x), min(tile, h-y))
			t.Data = bytes.Clone(t.Data)
			m.Tiles = append(m.Tiles, t)
		}
	}
	var fb Framebuffer
	fb.Resize(w, h)
	b.ResetTimer()
	for range b.N {
		if _, err := fb.Apply(m); err != nil {
			b.Fatal(err)
		}
		fb.TakeDirty()
	}
}
