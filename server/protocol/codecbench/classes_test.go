package codecbench

import (
	"fmt"
	"image"
	"testing"

	"tether/server/protocol"
)

// tileClass names what the encoder makes of a 64×64 tile of the corpus.
func tileClass(ops *protocol.OpWriter, s screen, r image.Rectangle) string {
	n, ok := ops.Colors(s.bgra, s.w*4, r)
	switch {
	case !ok:
		return "raw"
	case n == 1:
		return "fill"
	case n <= 2:
		return "palette-1bit"
	case n <= 4:
		return "palette-2bit"
	case n <= 16:
		return "palette-4bit"
	}
	return "palette-8bit"
}

// BenchmarkTileClass encodes and decodes the corpus tiles of each class
// (fill, palette at each index width, raw, and a copy) as one stream of
// operations: bytes per tile after deflate, and time per tile.
func BenchmarkTileClass(b *testing.B) {
	type tile struct {
		s screen
		r image.Rectangle
	}
	var ops protocol.OpWriter
	classes := map[string][]tile{}
	for _, s := range corpus(b) {
		if s.base != nil {
			continue
		}
		for _, r := range tiles(image.Rect(0, 0, s.w, s.h), nil, nil) {
			c := tileClass(&ops, s, r)
			if len(classes[c]) < 200 {
				classes[c] = append(classes[c], tile{s, r})
			}
		}
	}
	for _, c := range []string{"fill", "palette-1bit", "palette-2bit", "palette-4bit", "palette-8bit", "raw", "copy"} {
		ts := classes[c]
		if c == "copy" {
			ts = classes["palette-8bit"]
		}
		if len(ts) == 0 {
			continue
		}
		write := func(w *protocol.OpWriter) {
			w.Reset()
			var st protocol.OpStats
			for _, t := range ts {
				if c == "copy" {
					w.Copy(t.r, image.Pt(t.r.Min.X, max(0, t.r.Min.Y-17)))
					continue
				}
				w.Pixels(t.s.bgra, t.s.w*4, t.r, &st)
			}
		}
		var msgs [][]byte
		var enc protocol.UpdateEncoder
		encodeAll := func(w *protocol.OpWriter) {
			msgs = msgs[:0]
			w.Flush = func(ops []byte) error {
				m, err := enc.Encode(1, 1920, 1080, ops)
				msgs = append(msgs, append([]byte(nil), m...))
				return err
			}
			enc.Reset()
			write(w)
			if len(w.Buf) > 0 {
				_ = w.Flush(w.Buf)
			}
		}
		var w protocol.OpWriter
		encodeAll(&w)
		b.Run(c+"/encode", func(b *testing.B) {
			for b.Loop() {
				encodeAll(&w)
			}
			b.ReportMetric(float64(wireSize(msgs))/float64(len(ts)), "bytes/tile")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(ts)), "ns/tile")
		})
		b.Run(c+"/decode", func(b *testing.B) {
			dst := make([]byte, 1920*1080*4)
			for b.Loop() {
				var inf protocol.Inflater
				for _, m := range msgs {
					u, err := protocol.Unmarshal(m)
					if err != nil {
						b.Fatal(err)
					}
					raw, err := inf.Inflate(u.(*protocol.Update))
					if err != nil {
						b.Fatal(err)
					}
					if err := protocol.ApplyOps(dst, 1920*4, 1920, 1080, raw, nil); err != nil {
						b.Fatal(fmt.Errorf("%s: %w", c, err))
					}
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(ts)), "ns/tile")
		})
	}
}
