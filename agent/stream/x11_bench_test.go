//go:build linux

package stream

import (
	"image"
	"image/color"
	"image/draw"
	_ "image/png"
	"os"
	"testing"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"

	"tether/agent/capture"
	"tether/agent/capture/xvfbtest"
)

// realScreen is a real 1080p screen from the codec corpus (an xterm full of
// text, captured from Xvfb), so these benchmarks see real content.
const realScreen = "../../server/protocol/codecbench/testdata/xterm-ls.png"

// paintRoot draws img onto the root window of display, in strips that fit
// the X request size limit.
func paintRoot(tb testing.TB, display string, img *image.RGBA) (*xgb.Conn, xproto.Window, xproto.Gcontext) {
	tb.Helper()
	c, root, gc := xvfbtest.RootGC(tb, display)
	putRect(tb, c, root, gc, img, img.Bounds())
	return c, root, gc
}

// putRect copies rectangle r of img to the same place on the root window.
func putRect(tb testing.TB, c *xgb.Conn, root xproto.Window, gc xproto.Gcontext, img *image.RGBA, r image.Rectangle) {
	tb.Helper()
	const maxBytes = 200 << 10
	rows := max(1, maxBytes/(r.Dx()*4))
	for y := r.Min.Y; y < r.Max.Y; y += rows {
		h := min(rows, r.Max.Y-y)
		buf := make([]byte, 0, r.Dx()*h*4)
		for yy := y; yy < y+h; yy++ {
			line := img.Pix[img.PixOffset(r.Min.X, yy):img.PixOffset(r.Max.X, yy)]
			for i := 0; i < len(line); i += 4 {
				buf = append(buf, line[i+2], line[i+1], line[i], 0)
			}
		}
		err := xproto.PutImageChecked(c, xproto.ImageFormatZPixmap, xproto.Drawable(root), gc,
			uint16(r.Dx()), uint16(h), int16(r.Min.X), int16(y), 0, 24, buf).Check()
		if err != nil {
			tb.Fatal(err)
		}
	}
}

func loadScreen(tb testing.TB) *image.RGBA {
	tb.Helper()
	f, err := os.Open(realScreen)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	src, _, err := image.Decode(f)
	if err != nil {
		tb.Fatal(err)
	}
	img := image.NewRGBA(src.Bounds())
	draw.Draw(img, img.Bounds(), src, image.Point{}, draw.Src)
	return img
}

// BenchmarkCaptureEncodeX11 measures what the agent does per frame on a
// real 1080p X screen: capture over MIT-SHM, compare with the previous
// frame, encode what changed. "full" encodes every tile (connect, refresh);
// "typing" changes one character cell per frame, as typing does.
func BenchmarkCaptureEncodeX11(b *testing.B) {
	img := loadScreen(b)
	w, h := img.Bounds().Dx(), img.Bounds().Dy()
	display := xvfbtest.Start(b, w, h)
	b.Setenv("DISPLAY", display)
	c, root, gc := paintRoot(b, display, img)
	cp, err := capture.Open()
	if err != nil {
		b.Fatal(err)
	}
	defer cp.Close()
	discard := func([]byte) error { return nil }

	b.Run("full", func(b *testing.B) {
		var e Encoder
		var bytes int
		for b.Loop() {
			f, err := cp.Capture()
			if err != nil {
				b.Fatal(err)
			}
			res, err := e.Encode(f, 1, true, discard)
			if err != nil {
				b.Fatal(err)
			}
			bytes = res.Bytes
		}
		b.ReportMetric(float64(bytes), "bytes/frame")
	})

	// The caret and the ink outlive one run of the sub-benchmark (-count
	// repeats it on the same screen), so every frame really changes.
	x, y, strokes := 100, 300, 0
	b.Run("typing", func(b *testing.B) {
		var e Encoder
		f, err := cp.Capture()
		if err != nil {
			b.Fatal(err)
		}
		if _, err := e.Encode(f, 1, true, discard); err != nil {
			b.Fatal(err)
		}
		// A glyph-sized cell at a caret that advances like typed text; its
		// strokes change colour every frame, so every frame has a change of
		// the size a typed character makes.
		var total, frames int
		for b.Loop() {
			b.StopTimer()
			cell := image.NewRGBA(image.Rect(x, y, x+9, y+17))
			draw.Draw(cell, cell.Bounds(), img, cell.Bounds().Min, draw.Src)
			strokes++
			ink := color.RGBA{uint8(strokes * 37), uint8(strokes * 11), 40, 255}
			for yy := y + 3; yy < y+14; yy++ {
				cell.Set(x+2, yy, ink)
				cell.Set(x+6, yy, ink)
			}
			for xx := x + 2; xx < x+7; xx++ {
				cell.Set(xx, y+8, ink)
			}
			putRect(b, c, root, gc, cell, cell.Bounds())
			if x += 9; x > w-20 {
				x, y = 100, y+17
				if y > h-40 {
					y = 300
				}
			}
			b.StartTimer()
			f, err := cp.Capture()
			if err != nil {
				b.Fatal(err)
			}
			res, err := e.Encode(f, 2, false, discard)
			if err != nil {
				b.Fatal(err)
			}
			total += res.Bytes
			frames++
		}
		b.ReportMetric(float64(total)/float64(frames), "bytes/frame")
	})
}
