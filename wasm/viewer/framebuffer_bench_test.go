package viewer

import (
	"bytes"
	"image"
	"image/draw"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"tether/server/protocol"
)

// corpusDir holds real 1920×1080 screenshots (see its package doc).
const corpusDir = "../../server/protocol/codecbench/testdata"

// loadScreen reads a corpus PNG as BGRA, the agent's capture format.
func loadScreen(tb testing.TB, name string) (bgra []byte, w, h int) {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(corpusDir, name+".png"))
	if err != nil {
		tb.Fatalf("corpus: %v", err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		tb.Fatalf("corpus %s: %v", name, err)
	}
	rgba := image.NewRGBA(img.Bounds())
	draw.Draw(rgba, rgba.Rect, img, img.Bounds().Min, draw.Src)
	bgra = rgbaOf(rgba.Pix) // the same swap both ways
	return bgra, rgba.Rect.Dx(), rgba.Rect.Dy()
}

// changedTiles lists the 64×64 tiles where a and b differ.
func changedTiles(a, b []byte, w, h int) []image.Rectangle {
	var out []image.Rectangle
	for y := 0; y < h; y += 64 {
		for x := 0; x < w; x += 64 {
			r := image.Rect(x, y, min(x+64, w), min(y+64, h))
			for yy := r.Min.Y; yy < r.Max.Y; yy++ {
				if !bytes.Equal(a[(yy*w+r.Min.X)*4:(yy*w+r.Max.X)*4], b[(yy*w+r.Min.X)*4:(yy*w+r.Max.X)*4]) {
					out = append(out, r)
					break
				}
			}
		}
	}
	return out
}

// BenchmarkFramebufferApply1080p inflates and applies one full frame of
// each corpus screen, and the Update one typed character makes, natively
// or in wasm:
//
//	go test -run '^$' -bench FramebufferApply ./wasm/viewer/
//	GOOS=js GOARCH=wasm go test -exec="$(go env GOROOT)/lib/wasm/go_js_wasm_exec" -run '^$' -bench FramebufferApply ./wasm/viewer/
//
// BenchmarkViewerDecode1080p in wasm/browsertest measures the whole path
// inside Chromium.
func BenchmarkFramebufferApply1080p(b *testing.B) {
	type frame struct {
		name string
		w, h int
		msgs []*protocol.Update
		base []byte // RGBA the frame applies on
	}
	var frames []frame
	for _, name := range []string{"xterm-ls", "desktop", "chromium-article"} {
		src, w, h := loadScreen(b, name)
		frames = append(frames, frame{name: name, w: w, h: h, msgs: newEncoder(w, h).frame(b, 1, src, nil)})
	}
	before, w, h := loadScreen(b, "typing-before")
	after, _, _ := loadScreen(b, "typing-after")
	rects := changedTiles(before, after, w, h)
	frames = append(frames, frame{name: "typing", w: w, h: h, msgs: newEncoder(w, h).frame(b, 2, after, nil, rects...), base: rgbaOf(before)})

	for _, f := range frames {
		var raw, wire int
		var dec protocol.Inflater
		ops := make([][]byte, len(f.msgs))
		for i, m := range f.msgs {
			o, err := dec.Inflate(m)
			if err != nil {
				b.Fatal(err)
			}
			ops[i] = bytes.Clone(o)
			raw += len(o)
			wire += m.MarshalSize()
		}
		b.Run(f.name+"/inflate", func(b *testing.B) {
			for b.Loop() {
				for _, m := range f.msgs {
					if _, err := dec.Inflate(m); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(len(f.msgs)), "msgs/frame")
			b.ReportMetric(float64(wire), "wire-B/frame")
			b.ReportMetric(float64(raw), "ops-B/frame")
		})
		b.Run(f.name+"/apply", func(b *testing.B) {
			var fb Framebuffer
			fb.Resize(f.w, f.h)
			if f.base != nil {
				copy(fb.Pix, f.base)
			}
			for b.Loop() {
				for _, o := range ops {
					if err := fb.Apply(o); err != nil {
						b.Fatal(err)
					}
				}
				fb.TakeDamage()
			}
		})
	}
}
