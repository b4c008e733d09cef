package viewer

import (
	"fmt"
	"image"

	"tether/server/protocol"
)

// Framebuffer is the Go-side copy of the remote screen: RGBA, W×H, stride
// W*4. Tiles decode into it as they arrive; the union of their rectangles is
// the dirty box that the next FrameEnd paints in one crossing to JS.
type Framebuffer struct {
	W, H   int
	Pix    []byte
	dirty  image.Rectangle
	dec    protocol.TileDecoder
	packed []byte
}

// Resize makes the buffer w×h opaque black and marks all of it dirty.
func (f *Framebuffer) Resize(w, h int) {
	f.W, f.H = w, h
	n := w * h * 4
	if cap(f.Pix) >= n {
		f.Pix = f.Pix[:n]
	} else {
		f.Pix = make([]byte, n)
	}
	for i := 0; i < n; i += 4 {
		f.Pix[i], f.Pix[i+1], f.Pix[i+2], f.Pix[i+3] = 0, 0, 0, 255
	}
	f.dirty = image.Rect(0, 0, w, h)
}

// Apply decodes every tile of m. It resizes first when m's screen size
// differs and reports that. Tiles that decode are kept even when another
// fails; the first error is returned so the caller asks for a full frame.
func (f *Framebuffer) Apply(m *protocol.Tiles) (resized bool, err error) {
	if int(m.Width) != f.W || int(m.Height) != f.H {
		f.Resize(int(m.Width), int(m.Height))
		resized = true
	}
	for _, t := range m.Tiles {
		if e := f.dec.Decode(f.Pix, f.W*4, f.W, f.H, t); e != nil {
			if err == nil {
				err = fmt.Errorf("frame %d: %w", m.Seq, e)
			}
			continue
		}
		f.dirty = f.dirty.Union(image.Rect(int(t.X), int(t.Y), int(t.X)+int(t.W), int(t.Y)+int(t.H)))
	}
	return resized, err
}

// TakeDirty returns the dirty box and clears it.
func (f *Framebuffer) TakeDirty() image.Rectangle {
	r := f.dirty.Intersect(image.Rect(0, 0, f.W, f.H))
	f.dirty = image.Rectangle{}
	return r
}

// Region returns the pixels of r packed row after row (what ImageData
// wants). A full-width region is a slice of Pix, otherwise the rows are
// copied into a reused scratch buffer, so no frame allocates.
func (f *Framebuffer) Region(r image.Rectangle) []byte {
	r = r.Intersect(image.Rect(0, 0, f.W, f.H))
	if r.Empty() {
		return nil
	}
	stride, row := f.W*4, r.Dx()*4
	if r.Dx() == f.W {
		return f.Pix[r.Min.Y*stride : r.Max.Y*stride]
	}
	n := row * r.Dy()
	if cap(f.packed) < n {
		f.packed = make([]byte, n)
	}
	out := f.packed[:n]
	for y := r.Min.Y; y < r.Max.Y; y++ {
		copy(out[(y-r.Min.Y)*row:], f.Pix[y*stride+r.Min.X*4:y*stride+r.Max.X*4])
	}
	return out
}
