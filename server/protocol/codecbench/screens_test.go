package codecbench

import (
	"bytes"
	"image"
	"image/draw"
	"image/png"
	"os"
	"path/filepath"
	"testing"
)

const tileSize = 64

// screen is a frame to encode: a BGRA image (the agent's capture order) and
// the tiles of it that a frame sends, every tile for a full frame or only
// the changed ones for the typing frame.
type screen struct {
	name  string
	w, h  int
	bgra  []byte
	rects []image.Rectangle
	// base is what the viewer shows before this frame (nil for a full frame).
	base []byte
}

// corpus loads the full-frame screens in testdata plus "typing", the frame
// that carries only the tiles one typed character changed.
func corpus(tb testing.TB) []screen {
	tb.Helper()
	var out []screen
	for _, name := range []string{"xterm-ls", "desktop", "chromium-article", "typing-before"} {
		img := loadPNG(tb, name+".png")
		out = append(out, screen{name: name, w: img.Rect.Dx(), h: img.Rect.Dy(), bgra: toBGRA(img), rects: tiles(img.Rect, nil, nil)})
	}
	before, after := loadPNG(tb, "typing-before.png"), loadPNG(tb, "typing-after.png")
	rects := tiles(after.Rect, before, after)
	if len(rects) == 0 {
		tb.Fatalf("typing-before.png and typing-after.png are identical")
	}
	out = append(out, screen{name: "typing", w: after.Rect.Dx(), h: after.Rect.Dy(), bgra: toBGRA(after), rects: rects, base: toRGBAOpaque(before)})
	return out
}

// corpusFiles lists every PNG in testdata.
func corpusFiles(tb testing.TB) []string {
	tb.Helper()
	names, err := filepath.Glob(filepath.Join("testdata", "*.png"))
	if err != nil || len(names) == 0 {
		tb.Fatalf("no corpus PNGs in testdata (%v)", err)
	}
	return names
}

func loadPNG(tb testing.TB, name string) *image.RGBA {
	tb.Helper()
	path := name
	if filepath.Dir(name) == "." {
		path = filepath.Join("testdata", name)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatalf("read corpus: %v", err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		tb.Fatalf("decode %s: %v", name, err)
	}
	rgba := image.NewRGBA(img.Bounds())
	draw.Draw(rgba, rgba.Rect, img, img.Bounds().Min, draw.Src)
	return rgba
}

// toBGRA swaps red and blue: X11 and GDI capture BGRA, which the encoder takes.
func toBGRA(img *image.RGBA) []byte {
	out := make([]byte, len(img.Pix))
	for i := 0; i+3 < len(img.Pix); i += 4 {
		out[i], out[i+1], out[i+2], out[i+3] = img.Pix[i+2], img.Pix[i+1], img.Pix[i], 255
	}
	return out
}

// toRGBAOpaque is what the viewer shows for img: RGBA with alpha 255.
func toRGBAOpaque(img *image.RGBA) []byte {
	out := bytes.Clone(img.Pix)
	for i := 3; i < len(out); i += 4 {
		out[i] = 255
	}
	return out
}

// tiles cuts r into 64×64 tiles (smaller at the right and bottom edges).
// With before and after set, it keeps only tiles whose pixels differ.
func tiles(r image.Rectangle, before, after *image.RGBA) []image.Rectangle {
	var out []image.Rectangle
	for y := 0; y < r.Dy(); y += tileSize {
		for x := 0; x < r.Dx(); x += tileSize {
			t := image.Rect(x, y, min(x+tileSize, r.Dx()), min(y+tileSize, r.Dy()))
			if before == nil || !sameTile(before, after, t) {
				out = append(out, t)
			}
		}
	}
	return out
}

func sameTile(a, b *image.RGBA, t image.Rectangle) bool {
	for y := t.Min.Y; y < t.Max.Y; y++ {
		i, j := y*a.Stride+t.Min.X*4, y*a.Stride+t.Max.X*4
		if !bytes.Equal(a.Pix[i:j], b.Pix[i:j]) {
			return false
		}
	}
	return true
}
