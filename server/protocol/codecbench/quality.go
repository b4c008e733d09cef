package codecbench

import "image"

// ExactShare is the share of the pixels of r that are equal in a and b
// (alpha ignored).
func ExactShare(a, b *image.RGBA, r image.Rectangle) float64 {
	r = r.Intersect(a.Rect).Intersect(b.Rect)
	if r.Empty() {
		return 0
	}
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

// SSIM is the mean structural similarity of the luma of r in a and b, over
// 8×8 windows with uniform weights, every 4 pixels (Wang et al. 2004,
// https://ece.uwaterloo.ca/~z70wang/publications/ssim.pdf, with the
// usual K1 = 0.01, K2 = 0.03 for 8-bit values). 1 means identical.
func SSIM(a, b *image.RGBA, r image.Rectangle) float64 {
	r = r.Intersect(a.Rect).Intersect(b.Rect)
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
