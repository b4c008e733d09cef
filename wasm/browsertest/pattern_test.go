//go:build unix

package browsertest

import "image"

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
