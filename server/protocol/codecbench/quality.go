package codecbench

import (
	"image"
	"math"
)

// Quality compares two RGBA pictures of the same size over r: the share of
// pixels that are exactly equal (alpha ignored) and the mean SSIM of luma
// over 8×8 windows (Wang et al., "Image quality assessment: from error
// visibility to structural similarity", 2004, with its constants for 8-bit
// samples). 1 means identical.
func Quality(a, b *image.RGBA, r image.Rectangle) (exact, ssim float64) {
	r = r.Intersect(a.Rect).Intersect(b.Rect)
	if r.Empty() {
		return 0, 0
	}
	same := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		pa, pb := a.Pix[a.PixOffset(r.Min.X, y):], b.Pix[b.PixOffset(r.Min.X, y):]
		for x := 0; x < r.Dx(); x++ {
			if pa[4*x] == pb[4*x] && pa[4*x+1] == pb[4*x+1] && pa[4*x+2] == pb[4*x+2] {
				same++
			}
		}
	}
	exact = float64(same) / float64(r.Dx()*r.Dy())
	const c1, c2 = (0.01 * 255) * (0.01 * 255), (0.03 * 255) * (0.03 * 255)
	luma := func(img *image.RGBA, x, y int) float64 {
		p := img.Pix[img.PixOffset(x, y):]
		return 0.299*float64(p[0]) + 0.587*float64(p[1]) + 0.114*float64(p[2])
	}
	var sum float64
	n := 0
	for y := r.Min.Y; y+8 <= r.Max.Y; y += 8 {
		for x := r.Min.X; x+8 <= r.Max.X; x += 8 {
			var ma, mb, va, vb, cov float64
			for j := 0; j < 8; j++ {
				for i := 0; i < 8; i++ {
					la, lb := luma(a, x+i, y+j), luma(b, x+i, y+j)
					ma, mb = ma+la, mb+lb
					va, vb, cov = va+la*la, vb+lb*lb, cov+la*lb
				}
			}
			ma, mb = ma/64, mb/64
			va, vb, cov = va/64-ma*ma, vb/64-mb*mb, cov/64-ma*mb
			sum += ((2*ma*mb + c1) * (2*cov + c2)) / ((ma*ma + mb*mb + c1) * (va + vb + c2))
			n++
		}
	}
	if n == 0 {
		return exact, math.Round(exact)
	}
	return exact, sum / float64(n)
}
