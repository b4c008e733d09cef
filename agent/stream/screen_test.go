package stream

import (
	"image"
	"math/rand/v2"

	"tether/agent/capture"
	"tether/server/protocol"
	"tether/server/protocol/protocoltest"
)

// textScreen draws a synthetic but realistic desktop into a BGRA frame: a
// dark title bar with a gradient, a grey side panel with icons, and a white
// document with lines of dark "glyphs" of varied widths, like text.
func textScreen(w, h int, seed uint64) *capture.Frame {
	f := &capture.Frame{Width: w, Height: h, Stride: w * 4, Pix: make([]byte, w*h*4)}
	fill(f, 0, 0, w, h, 0xff, 0xff, 0xff)
	fill(f, 0, 0, w, 32, 0x30, 0x30, 0x38)
	for x := 0; x < w; x++ {
		v := byte(0x30 + x*0x20/max(w, 1))
		fill(f, x, 0, 1, 32, v, v, 0x40)
	}
	panel := w / 6
	fill(f, 0, 32, panel, h-32, 0xee, 0xee, 0xf0)
	r := rand.New(rand.NewPCG(seed, 42))
	for y := 48; y+24 < h; y += 40 {
		fill(f, 16, y, 24, 24, byte(r.IntN(256)), byte(r.IntN(256)), 0x80)
	}
	for y := 48; y+12 < h; y += 18 {
		x := panel + 24
		for x < w-24 {
			word := 2 + r.IntN(9)
			for range word {
				gw := 5 + r.IntN(4)
				if x+gw >= w-24 {
					break
				}
				drawGlyph(f, x, y, gw, 12, r)
				x += gw + 1
			}
			x += 6
			if r.IntN(12) == 0 {
				break // a short line
			}
		}
	}
	return f
}

// drawGlyph draws a letter-like blob: a few strokes with anti-aliased greys.
func drawGlyph(f *capture.Frame, x, y, w, h int, r *rand.Rand) {
	for range 3 {
		if r.IntN(2) == 0 {
			sx := x + r.IntN(w)
			for yy := y + r.IntN(3); yy < y+h-r.IntN(3); yy++ {
				setPix(f, sx, yy, 0x20)
				setPix(f, sx+1, yy, 0x90)
			}
		} else {
			sy := y + r.IntN(h)
			for xx := x; xx < x+w; xx++ {
				setPix(f, xx, sy, 0x28)
			}
		}
	}
}

func setPix(f *capture.Frame, x, y int, v byte) {
	if x < 0 || y < 0 || x >= f.Width || y >= f.Height {
		return
	}
	i := y*f.Stride + x*4
	f.Pix[i], f.Pix[i+1], f.Pix[i+2] = v, v, v
}

func fill(f *capture.Frame, x, y, w, h int, r, g, b byte) {
	for yy := y; yy < min(y+h, f.Height); yy++ {
		for xx := x; xx < min(x+w, f.Width); xx++ {
			i := yy*f.Stride + xx*4
			f.Pix[i], f.Pix[i+1], f.Pix[i+2], f.Pix[i+3] = b, g, r, 0
		}
	}
}

// painter decodes messages into an RGBA image, as the viewer does.
type painter struct {
	dec       protocol.Inflater
	w, h      int
	img       []byte
	tiles     int // operations and photos of the current frame
	lastTiles int
	photos    int // photos painted in all
	frames    []protocol.FrameEnd
	hellos    []protocol.Hello
	cursorPos []protocol.CursorPos
	shapes    []protocol.CursorShape
}

func (p *painter) apply(b []byte) error {
	m, err := protocol.Unmarshal(b)
	if err != nil {
		return err
	}
	switch m := m.(type) {
	case *protocol.Hello:
		p.hellos = append(p.hellos, *m)
		if int(m.Width) != p.w || int(m.Height) != p.h {
			p.w, p.h = int(m.Width), int(m.Height)
			p.img = make([]byte, p.w*p.h*4)
		}
	case *protocol.Update:
		ops, err := p.dec.Inflate(m)
		if err != nil {
			return err
		}
		if err := protocol.ApplyOps(p.img, p.w*4, p.w, p.h, ops, func(image.Rectangle) { p.tiles++ }); err != nil {
			return err
		}
		if m.Ends() {
			p.endFrame(m.FrameEnd())
		}
	case *protocol.Photo:
		dst := &image.RGBA{Pix: p.img, Stride: p.w * 4, Rect: image.Rect(0, 0, p.w, p.h)}
		if err := protocoltest.PaintPhoto(dst, m); err != nil {
			return err
		}
		p.tiles++
		p.photos++
	case *protocol.FrameEnd:
		p.endFrame(*m)
	case *protocol.CursorPos:
		p.cursorPos = append(p.cursorPos, *m)
	case *protocol.CursorShape:
		s := *m
		s.RGBA = append([]byte(nil), m.RGBA...)
		p.shapes = append(p.shapes, s)
	}
	return nil
}

func (p *painter) endFrame(m protocol.FrameEnd) {
	p.frames = append(p.frames, m)
	p.lastTiles, p.tiles = p.tiles, 0
}

// matches reports whether the painted RGBA image equals the BGRA frame.
func (p *painter) matches(f *capture.Frame) bool {
	if p.w != f.Width || p.h != f.Height {
		return false
	}
	for y := 0; y < f.Height; y++ {
		for x := 0; x < f.Width; x++ {
			s := f.Pix[y*f.Stride+x*4:]
			d := p.img[(y*p.w+x)*4:]
			if d[0] != s[2] || d[1] != s[1] || d[2] != s[0] || d[3] != 255 {
				return false
			}
		}
	}
	return true
}
