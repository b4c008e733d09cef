//go:build unix

package browsertest

import (
	"bytes"
	"image"
	"image/draw"
	"image/png"
	"os"
	"path/filepath"
	"testing"
)

// pattern gives the RGB of remote pixel x, y.
type pattern func(x, y int) (r, g, b byte)

// render paints p into a BGRA frame, the agent's capture format.
func render(w, h int, p pattern) []byte {
	out := make([]byte, w*h*4)
	for y := range h {
		for x := range w {
			r, g, b := p(x, y)
			o := (y*w + x) * 4
			out[o], out[o+1], out[o+2], out[o+3] = b, g, r, 255
		}
	}
	return out
}

// gradient is the first frame: every pixel differs from its neighbours.
func gradient(x, y int) (r, g, b byte) { return byte(x), byte(y), byte(x ^ y) }

// patched is the second frame: gradient with patch replaced by a checker.
func patched(patch image.Rectangle) pattern {
	return func(x, y int) (r, g, b byte) {
		if (image.Point{x, y}).In(patch) {
			if (x/4+y/4)%2 == 0 {
				return 250, 20, 120
			}
			return 10, 200, 30
		}
		return gradient(x, y)
	}
}

// desktop looks like a screen: a task bar, a gradient wallpaper and a
// window of text-like strokes, the mix the 1080p benchmark decodes.
func desktop(x, y int) (r, g, b byte) {
	switch {
	case y >= 1040:
		return 32, 34, 44
	case x >= 240 && x < 1500 && y >= 120 && y < 900:
		if y < 152 {
			return 60, 63, 70
		}
		h := uint32(x/2)*2654435761 ^ uint32(y)*40503
		if (y/18)%2 == 0 && x%400 < 360 && h%5 < 2 {
			return 30, 30, 30
		}
		return 250, 250, 250
	}
	return byte(20 + x/16), byte(60 + y/12), byte(140 + (x+y)/64)
}

// corpusDir holds real 1920×1080 screenshots (see its package doc).
const corpusDir = "../../server/protocol/codecbench/testdata"

// corpusScreen reads a corpus PNG as a BGRA frame.
func corpusScreen(tb testing.TB, name string) (bgra []byte, w, h int) {
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
	bgra = make([]byte, len(rgba.Pix))
	for i := 0; i+3 < len(bgra); i += 4 {
		bgra[i], bgra[i+1], bgra[i+2], bgra[i+3] = rgba.Pix[i+2], rgba.Pix[i+1], rgba.Pix[i], 255
	}
	return bgra, rgba.Rect.Dx(), rgba.Rect.Dy()
}
