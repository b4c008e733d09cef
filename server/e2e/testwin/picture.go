//go:build linux || windows

package main

// The picture: an 8×6 grid of distinct solid colours above a checkerStrip
// rows high strip of 1-px black and white checks. Solid blocks survive any
// codec; the checker strip shows whether capture and transport were
// lossless (a lossy codec smears it to grey).
const (
	gridCols     = 8
	gridRows     = 6
	checkerStrip = 16
)

// ColorAt returns the 0xRRGGBB colour the test window paints at (x, y) of
// a w×h window.
func ColorAt(x, y, w, h int) uint32 {
	gh := gridHeight(h)
	if y >= gh {
		if (x+y)%2 == 0 {
			return 0x000000
		}
		return 0xffffff
	}
	return blockColor(x*gridCols/w, y*gridRows/gh)
}

// blockColor gives every block its own red and green, so no two match.
func blockColor(col, row int) uint32 {
	r := uint32(0x20 + col*0x1c)
	g := uint32(0x30 + row*0x28)
	b := uint32(0x20 + (col+row)%4*0x40)
	return r<<16 | g<<8 | b
}

func gridHeight(h int) int { return max(h-checkerStrip, gridRows) }

// blockStart is the first pixel of block i of n over size pixels, the
// inverse of i = p*n/size.
func blockStart(i, n, size int) int { return (i*size + n - 1) / n }
