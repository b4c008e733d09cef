package codecbench

import (
	"bytes"
	"testing"
)

// Benchmarks also report cpu-ns/op where the OS can tell (Linux): the
// process's CPU time per frame, which other builds sharing the 2-core box
// inflate far less than wall time.

// BenchmarkEncode measures one frame per op: every tile of a full screen, or
// the changed tiles of the typing frame, packed, solid-detected and
// compressed. B/frame is the tile payload (solid tiles count their 3 bytes;
// the 11-byte tile headers, equal for every codec, are left out).
func BenchmarkEncode(b *testing.B) {
	vs, err := variants()
	if err != nil {
		b.Fatal(err)
	}
	for _, s := range corpus(b) {
		for _, v := range vs {
			b.Run(s.name+"/"+v.name, func(b *testing.B) {
				c := newCoder(v)
				var size int
				b.SetBytes(int64(len(s.rects)) * tileSize * tileSize * 4)
				cpu := startCPU()
				for b.Loop() {
					size = 0
					for _, r := range s.rects {
						size += len(c.encode(s.bgra, s.w*4, r.Min.X, r.Min.Y, r.Dx(), r.Dy()).Data)
					}
				}
				cpu.report(b)
				b.ReportMetric(float64(size), "B/frame")
			})
		}
	}
}

// BenchmarkDecode measures painting one encoded frame into an RGBA canvas
// buffer, as the viewer does; run it under wasm too (see doc.go).
func BenchmarkDecode(b *testing.B) {
	vs, err := variants()
	if err != nil {
		b.Fatal(err)
	}
	for _, s := range corpus(b) {
		for _, v := range vs {
			b.Run(s.name+"/"+v.name, func(b *testing.B) {
				c := newCoder(v)
				ts := encodeFrame(c, s)
				dst := make([]byte, s.w*s.h*4)
				if s.base != nil {
					copy(dst, s.base)
				}
				b.SetBytes(int64(len(s.rects)) * tileSize * tileSize * 4)
				cpu := startCPU()
				for b.Loop() {
					if err := decodeFrame(c, s, dst, ts); err != nil {
						b.Fatal(err)
					}
				}
				cpu.report(b)
				if want := toRGBAOpaqueBGRA(s.bgra); !bytes.Equal(dst, want) {
					b.Fatalf("%s/%s decoded frame differs from the source", s.name, v.name)
				}
			})
		}
	}
}

// toRGBAOpaqueBGRA turns a BGRA frame into the RGBA TileDecoder paints.
func toRGBAOpaqueBGRA(bgra []byte) []byte {
	out := make([]byte, len(bgra))
	for i := 0; i+3 < len(bgra); i += 4 {
		out[i], out[i+1], out[i+2], out[i+3] = bgra[i+2], bgra[i+1], bgra[i], 255
	}
	return out
}
