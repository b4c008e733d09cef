package capture

import "tether/server/protocol"

// clipCursor returns the MaxCursorSize-bounded window of a w×h cursor that
// keeps the hot spot inside it: the origin of the window and its size.
func clipCursor(w, h, hotX, hotY int) (x0, y0, cw, ch int) {
	clip := func(size, hot int) (int, int) {
		if size <= protocol.MaxCursorSize {
			return 0, size
		}
		o := min(max(hot-protocol.MaxCursorSize/2, 0), size-protocol.MaxCursorSize)
		return o, protocol.MaxCursorSize
	}
	x0, cw = clip(w, hotX)
	y0, ch = clip(h, hotY)
	return x0, y0, cw, ch
}

// unpremultiply converts one premultiplied-alpha channel to straight alpha.
func unpremultiply(c, a uint32) byte {
	if a == 0 {
		return 0
	}
	return byte(min((c*255+a/2)/a, 255))
}

// argbToRGBA converts XFixes cursor pixels (premultiplied ARGB, one uint32
// per pixel, w per row) to straight-alpha RGBA, clipped to MaxCursorSize
// around the hot spot. It returns the pixels, their size and the hot spot
// within them.
func argbToRGBA(px []uint32, w, h, hotX, hotY int) (rgba []byte, cw, ch, hx, hy int) {
	x0, y0, cw, ch := clipCursor(w, h, hotX, hotY)
	rgba = make([]byte, cw*ch*4)
	for y := range ch {
		for x := range cw {
			i := (y0+y)*w + x0 + x
			if i >= len(px) {
				continue
			}
			p := px[i]
			a := p >> 24
			o := (y*cw + x) * 4
			rgba[o] = unpremultiply(p>>16&0xff, a)
			rgba[o+1] = unpremultiply(p>>8&0xff, a)
			rgba[o+2] = unpremultiply(p&0xff, a)
			rgba[o+3] = byte(a)
		}
	}
	return rgba, cw, ch, min(max(hotX-x0, 0), cw), min(max(hotY-y0, 0), ch)
}

// anyOpaque reports whether an RGBA image has a pixel that is not fully
// transparent: applications hide the pointer by setting a blank cursor.
func anyOpaque(rgba []byte) bool {
	for i := 3; i < len(rgba); i += 4 {
		if rgba[i] != 0 {
			return true
		}
	}
	return false
}

// maskedToRGBA turns a Windows cursor into straight-alpha RGBA. color holds
// w×h BGRA pixels (nil for monochrome cursors); mask holds the AND mask as
// BGRA pixels, w×h for colour cursors and w×2h (AND above XOR) for
// monochrome ones, as GetDIBits returns them at 32 bits per pixel with rows
// top to bottom. Pixels the AND mask keeps and the XOR mask inverts have no
// straight-alpha equivalent; they are drawn black, as a visible outline.
func maskedToRGBA(color, mask []byte, w, h int) []byte {
	out := make([]byte, w*h*4)
	at := func(b []byte, i int) byte {
		if i < len(b) {
			return b[i]
		}
		return 0
	}
	hasAlpha := false
	for i := 3; i < len(color); i += 4 {
		if color[i] != 0 {
			hasAlpha = true
			break
		}
	}
	for i := range w * h {
		o := i * 4
		and := at(mask, o) != 0
		switch {
		case color != nil && hasAlpha: // 32-bit cursor with its own alpha
			out[o], out[o+1], out[o+2], out[o+3] = at(color, o+2), at(color, o+1), at(color, o), at(color, o+3)
		case color != nil: // colour cursor, transparency from the AND mask
			if !and {
				out[o], out[o+1], out[o+2], out[o+3] = at(color, o+2), at(color, o+1), at(color, o), 255
			}
		default: // monochrome: AND above XOR
			xor := at(mask, w*h*4+o) != 0
			switch {
			case !and && !xor: // black
				out[o+3] = 255
			case !and && xor: // white
				out[o], out[o+1], out[o+2], out[o+3] = 255, 255, 255, 255
			case and && xor: // inverted screen: approximate with black
				out[o+3] = 255
			}
		}
	}
	return out
}
