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
)

// exactShare is the share of pixels of r whose colour is the same in a
// and b.
func exactShare(a, b *image.RGBA, r image.Rectangle) float64 {
	same := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			i, j := a.PixOffset(x, y), b.PixOffset(x, y)
			if a.Pix[i] == b.Pix[j] && a.Pix[i+1] == b.Pix[j+1] && a.Pix[i+2] == b.Pix[j+2] {
				same++
			}
		}
	}
	return float64(same) / float64(r.Dx()*r.Dy())
}

// luma is BT.601 Y' of every pixel of r.
func luma(img *image.RGBA, r image.Rectangle) []float64 {
	y := make([]float64, 0, r.Dx()*r.Dy())
	for py := r.Min.Y; py < r.Max.Y; py++ {
		for px := r.Min.X; px < r.Max.X; px++ {
			o := img.PixOffset(px, py)
			y = append(y, 0.299*float64(img.Pix[o])+0.587*float64(img.Pix[o+1])+0.114*float64(img.Pix[o+2]))
		}
	}
	return y
}

// ssim is the mean structural similarity of the luma of r in a and b, over
// 8×8 windows with uniform weights, every 4 pixels (Wang et al. 2004,
// https://ece.uwaterloo.ca/~z70wang/publications/ssim.pdf, with the
// usual K1 = 0.01, K2 = 0.03 for 8-bit values).
func ssim(a, b *image.RGBA, r image.Rectangle) float64 {
	const win, step = 8, 4
	const c1, c2 = (0.01 * 255) * (0.01 * 255), (0.03 * 255) * (0.03 * 255)
	ya, yb := luma(a, r), luma(b, r)
	w := r.Dx()
	var sum float64
	n := 0
	for y0 := 0; y0+win <= r.Dy(); y0 += step {
		for x0 := 0; x0+win <= w; x0 += step {
			var sa, sb, saa, sbb, sab float64
			for y := y0; y < y0+win; y++ {
				for x := x0; x < x0+win; x++ {
					p, q := ya[y*w+x], yb[y*w+x]
					sa += p
					sb += q
					saa += p * p
					sbb += q * q
					sab += p * q
				}
			}
			const m = win * win
			ma, mb := sa/m, sb/m
			va, vb, cov := saa/m-ma*ma, sbb/m-mb*mb, sab/m-ma*mb
			sum += (2*ma*mb + c1) * (2*cov + c2) / ((ma*ma + mb*mb + c1) * (va + vb + c2))
			n++
		}
	}
	if n == 0 {
		return 1
	}
	return sum / float64(n)
}

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
