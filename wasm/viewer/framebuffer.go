package viewer

import (
	"fmt"
	"image"

	"tether/server/protocol"
)

// Framebuffer is the Go-side copy of the remote screen: RGBA, W×H, stride
// W*4. Drawing operations apply to it as they arrive and photos are read
// back into it, so that a later copy operation reads what the canvas shows.
// The rectangles they changed collect as damage, which the next FrameEnd
// paints.
type Framebuffer struct {
	W, H   int
	Pix    []byte
	damage []image.Rectangle
	onOp   func(image.Rectangle) // f.Damage, made once
}

// Damage merging: a rectangle joins another when their union wastes at
// most mergeSlack pixels beyond the two areas, about what one more
// putImageData call costs; past maxDamage rectangles the two whose union
// wastes least join, so a frame never makes more than maxDamage calls.
const (
	mergeSlack = 64 * 64
	maxDamage  = 32
)

// Resize makes the buffer w×h opaque black and marks all of it damaged.
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
	f.damage = append(f.damage[:0], image.Rect(0, 0, w, h))
}

// Apply draws ops, the inflated operations of one Update (see
// protocol.ApplyOps), and records the rectangles they changed. On error the
// operations before the broken one stay drawn and damaged.
func (f *Framebuffer) Apply(ops []byte) error {
	if f.onOp == nil {
		f.onOp = f.Damage
	}
	return protocol.ApplyOps(f.Pix, f.W*4, f.W, f.H, ops, f.onOp)
}

// Damage records that r changed, merging it with a recorded rectangle
// where the union costs little more than the two apart.
func (f *Framebuffer) Damage(r image.Rectangle) {
	r = r.Intersect(image.Rect(0, 0, f.W, f.H))
	if r.Empty() {
		return
	}
	for merged := true; merged; {
		merged = false
		for i, d := range f.damage {
			if waste(d, r) <= mergeSlack {
				r = d.Union(r)
				last := len(f.damage) - 1
				f.damage[i] = f.damage[last]
				f.damage = f.damage[:last]
				merged = true
				break
			}
		}
	}
	f.damage = append(f.damage, r)
	if len(f.damage) > maxDamage {
		f.mergeCheapest()
	}
}

// waste is how many pixels the union of a and b paints beyond a and b.
func waste(a, b image.Rectangle) int {
	u := a.Union(b)
	return area(u) - area(a) - area(b) + area(a.Intersect(b))
}

func area(r image.Rectangle) int { return r.Dx() * r.Dy() }

// mergeCheapest joins the two damage rectangles whose union wastes least.
func (f *Framebuffer) mergeCheapest() {
	bi, bj, best := 0, 1, -1
	for i := range f.damage {
		for j := i + 1; j < len(f.damage); j++ {
			if w := waste(f.damage[i], f.damage[j]); best < 0 || w < best {
				bi, bj, best = i, j, w
			}
		}
	}
	u := f.damage[bi].Union(f.damage[bj])
	f.damage[bj] = f.damage[len(f.damage)-1]
	f.damage = f.damage[:len(f.damage)-1]
	f.damage[bi] = u
}

// TakeDamage returns the changed rectangles since the last call and clears
// them. The slice is valid until the next Damage or Resize.
func (f *Framebuffer) TakeDamage() []image.Rectangle {
	d := f.damage
	f.damage = f.damage[:0]
	return d
}

// SetRegion copies pix, the RGBA pixels of r packed row after row, into
// the buffer (a photo the browser decoded, read back from the canvas). It
// records no damage: the canvas already shows them.
func (f *Framebuffer) SetRegion(r image.Rectangle, pix []byte) error {
	if !r.In(image.Rect(0, 0, f.W, f.H)) || len(pix) != area(r)*4 {
		return fmt.Errorf("viewer: %d bytes for region %v of a %dx%d screen", len(pix), r, f.W, f.H)
	}
	stride, row := f.W*4, r.Dx()*4
	for y := r.Min.Y; y < r.Max.Y; y++ {
		copy(f.Pix[y*stride+r.Min.X*4:y*stride+r.Max.X*4], pix[(y-r.Min.Y)*row:])
	}
	return nil
}
