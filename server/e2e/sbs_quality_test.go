//go:build linux

package e2e

import (
	"context"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"tether/server/e2e/sbsprobe/barcode"
	"tether/server/protocol/codecbench"
)

// exactShare and ssim compare the canvas with the X screen, as the codec's
// own tests compare pictures.
func exactShare(a, b *image.RGBA, r image.Rectangle) float64 { return codecbench.ExactShare(a, b, r) }
func ssim(a, b *image.RGBA, r image.Rectangle) float64       { return codecbench.SSIM(a, b, r) }

// savePNG writes img to dir/name.png when dir is set.
func savePNG(t testing.TB, dir, name string, img image.Image) {
	if dir == "" {
		return
	}
	f, err := os.Create(filepath.Join(dir, name+".png"))
	if err != nil {
		t.Error(err)
		return
	}
	defer f.Close()
	if err := png.Encode(f, img); err != nil {
		t.Error(err)
	}
}

// videoGrabs grabs the video region and the probe above it from the X
// screen as fast as it can (at most every 5 ms), keeping the last few
// seconds by barcode counter, so a canvas snapshot can be compared with
// what the screen showed when the capture that made it was taken.
type videoGrabs struct {
	mu     sync.Mutex
	byCode map[uint16][]*image.RGBA
	order  []uint16
	err    error
}

func grabVideo(ctx context.Context, x *xscreen, p *probe) *videoGrabs {
	g := &videoGrabs{byCode: map[uint16][]*image.RGBA{}}
	r := videoRect.Union(image.Rect(p.x, p.y, p.x+barcode.Width, p.y+barcode.Height))
	go func() {
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			img, err := x.grab(r)
			if err != nil {
				g.mu.Lock()
				g.err = err
				g.mu.Unlock()
				return
			}
			code, ok := barcode.Read(rgbAt(img), p.x, p.y)
			if !ok {
				continue
			}
			g.mu.Lock()
			if _, seen := g.byCode[code.Counter]; !seen {
				g.order = append(g.order, code.Counter)
			}
			// Two per counter are enough: the video changes at most once
			// within one probe frame.
			if len(g.byCode[code.Counter]) < 2 {
				g.byCode[code.Counter] = append(g.byCode[code.Counter], img)
			}
			for len(g.order) > 300 {
				delete(g.byCode, g.order[0])
				g.order = g.order[1:]
			}
			g.mu.Unlock()
		}
	}()
	return g
}

// failed returns the error that stopped the grabs, if any.
func (g *videoGrabs) failed() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.err
}

func rgbAt(img *image.RGBA) func(x, y int) (r, g, b uint8) {
	return func(x, y int) (uint8, uint8, uint8) {
		o := img.PixOffset(x, y)
		return img.Pix[o], img.Pix[o+1], img.Pix[o+2]
	}
}

// best compares a canvas snapshot with the screen grabs of the same probe
// frame and its neighbours, and returns the best SSIM of the video region
// (false when no grab matches).
func (g *videoGrabs) best(snap *image.RGBA, p *probe) (float64, bool) {
	code, ok := barcode.Read(rgbAt(snap), p.x, p.y)
	if !ok {
		return 0, false
	}
	g.mu.Lock()
	var cands []*image.RGBA
	for _, c := range []uint16{code.Counter - 1, code.Counter, code.Counter + 1} {
		cands = append(cands, g.byCode[c]...)
	}
	g.mu.Unlock()
	best, found := 0.0, false
	for _, c := range cands {
		if s := ssim(snap, c, videoRect); !found || s > best {
			best, found = s, true
		}
	}
	return best, found
}

func TestSSIM(t *testing.T) {
	r := image.Rect(0, 0, 64, 48)
	a := image.NewRGBA(r)
	for i := range a.Pix {
		a.Pix[i] = uint8(i * 7 % 251)
	}
	same := image.NewRGBA(r)
	copy(same.Pix, a.Pix)
	noisy := image.NewRGBA(r)
	for i := range noisy.Pix {
		noisy.Pix[i] = uint8(int(a.Pix[i]) + (i%3-1)*8)
	}
	flat := image.NewRGBA(r)
	for i := range flat.Pix {
		flat.Pix[i] = 128
	}
	for _, c := range []struct {
		name       string
		b          *image.RGBA
		exact      float64
		minS, maxS float64
	}{
		{"identical", same, 1, 1, 1},
		{"a little noise", noisy, 0, 0.7, 0.999},
		{"flat grey", flat, 0, -0.1, 0.2},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := exactShare(a, c.b, r); c.exact == 1 && got != 1 || c.exact == 0 && got > 0.5 {
				t.Errorf("exact share %v", got)
			}
			if s := ssim(a, c.b, r); s < c.minS || s > c.maxS {
				t.Errorf("SSIM %v, want %v..%v", s, c.minS, c.maxS)
			}
		})
	}
}
