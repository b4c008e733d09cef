//go:build js && wasm

package jsdom

import (
	"fmt"
	"image"
	"runtime"
	"strconv"
	"syscall/js"
	"time"
	"unsafe"

	"tether/server/protocol"
	"tether/wasm/viewer"
)

// maxCursors bounds the cached pointer images; agents reuse a handful.
const maxCursors = 32

type cursorState struct {
	shapes map[uint32]cursorImage
	drawn  image.Rectangle // last drawn box, cleared on the next move
	serial uint32
	pos    protocol.CursorPos
}

type cursorImage struct {
	img        js.Value // ImageData
	hotX, hotY int
	w, h       int
}

// Resize implements viewer.UI: both canvases take the remote screen size
// as their intrinsic size, so one canvas pixel is one remote pixel.
func (p *Page) Resize(w, h int) {
	p.mu.Lock()
	p.w, p.h = w, h
	p.mu.Unlock()
	for _, c := range []js.Value{p.screen, p.cursor} {
		c.Set("width", w)
		c.Set("height", h)
	}
	p.setData("width", strconv.Itoa(w))
	p.setData("height", strconv.Itoa(h))
	p.cur.drawn = image.Rectangle{}
	p.layout()
}

// Paint implements viewer.UI with one call to viewer-pixels.js, which puts
// each rectangle on the canvas straight out of the framebuffer in the
// module's memory: nothing is copied to JS first, and no rectangle costs a
// crossing of its own.
func (p *Page) Paint(fb *viewer.Framebuffer, rects []image.Rectangle) error {
	if len(fb.Pix) == 0 || len(rects) == 0 {
		return nil
	}
	p.rects = p.rects[:0]
	for _, r := range rects {
		p.rects = append(p.rects, uint32(r.Min.X), uint32(r.Min.Y), uint32(r.Dx()), uint32(r.Dy()))
	}
	err := catch("paint", func() {
		p.helper.Call("paint", p.ctx, address(unsafe.Pointer(unsafe.SliceData(fb.Pix))), fb.W, fb.H,
			address(unsafe.Pointer(unsafe.SliceData(p.rects))), len(rects))
	})
	// The JS side reads both while the call runs; Go's collector does not
	// move heap objects, so their addresses hold until then.
	runtime.KeepAlive(fb.Pix)
	runtime.KeepAlive(p.rects)
	return err
}

// address is a pointer as the JS side sees it: a byte offset into the
// module's linear memory (WebAssembly.Memory), as wasm_exec.js reads slices.
func address(ptr unsafe.Pointer) int { return int(uintptr(ptr)) }

// photoTimeout bounds one photo's decode: a browser that never settles the
// promise must not stall the viewer.
const photoTimeout = 5 * time.Second

// DrawPhoto implements viewer.UI with createImageBitmap, which decodes
// off the main thread. The owner goroutine waits for it; the page's event
// loop (and so input) runs meanwhile.
func (p *Page) DrawPhoto(fb *viewer.Framebuffer, m *protocol.Photo) error {
	if m.Format != protocol.PhotoJPEG {
		return fmt.Errorf("jsdom: photo format %d", m.Format)
	}
	var promise js.Value
	err := catch("photo", func() {
		data := js.Global().Get("Uint8Array").New(len(m.Data))
		js.CopyBytesToJS(data, m.Data)
		promise = p.helper.Call("photo", p.ctx, data, int(m.X), int(m.Y), int(m.W), int(m.H))
	})
	if err != nil {
		return err
	}
	pixels, err := await(promise, photoTimeout)
	if err != nil {
		return fmt.Errorf("jsdom: photo: %w", err)
	}
	n := int(m.W) * int(m.H) * 4
	if cap(p.photoBuf) < n {
		p.photoBuf = make([]byte, n)
	}
	buf := p.photoBuf[:n]
	err = catch("photo pixels", func() {
		if got := js.CopyBytesToGo(buf, pixels); got != n {
			panic(fmt.Errorf("read back %d bytes, want %d", got, n))
		}
	})
	if err != nil {
		return err
	}
	return fb.SetRegion(m.Rect(), buf)
}

// SetCursorShape implements viewer.UI.
func (p *Page) SetCursorShape(s *protocol.CursorShape) error {
	if s.W == 0 || s.H == 0 {
		return nil
	}
	return catch("cursor shape", func() {
		if p.cur.shapes == nil || len(p.cur.shapes) >= maxCursors {
			p.cur.shapes = make(map[uint32]cursorImage)
		}
		data := js.Global().Get("Uint8ClampedArray").New(len(s.RGBA))
		js.CopyBytesToJS(data, s.RGBA)
		img := js.Global().Get("ImageData").New(data, int(s.W), int(s.H))
		p.cur.shapes[s.Serial] = cursorImage{img: img, hotX: int(s.HotX), hotY: int(s.HotY), w: int(s.W), h: int(s.H)}
		if s.Serial == p.cur.serial {
			p.drawCursor()
		}
	})
}

// MoveCursor implements viewer.UI.
func (p *Page) MoveCursor(pos protocol.CursorPos) error {
	return catch("cursor", func() {
		p.cur.pos, p.cur.serial = pos, pos.Serial
		p.drawCursor()
	})
}

// drawCursor clears the last pointer and draws the current one. The
// overlay is a transparent canvas, so putImageData (which replaces pixels,
// alpha included) draws the straight-alpha image as it is.
func (p *Page) drawCursor() {
	if !p.cur.drawn.Empty() {
		d := p.cur.drawn
		p.cctx.Call("clearRect", d.Min.X, d.Min.Y, d.Dx(), d.Dy())
		p.cur.drawn = image.Rectangle{}
	}
	img, ok := p.cur.shapes[p.cur.serial]
	if !ok || !p.cur.pos.Visible {
		return
	}
	x, y := int(p.cur.pos.X)-img.hotX, int(p.cur.pos.Y)-img.hotY
	p.cctx.Call("putImageData", img.img, x, y)
	p.cur.drawn = image.Rect(x, y, x+img.w, y+img.h)
}

// layout sizes and places both canvases in the stage (see viewer.Layout).
// It runs on resize of the window or the remote screen and on scale toggle.
func (p *Page) layout() {
	p.mu.Lock()
	w, h, mode := p.w, p.h, p.scale
	p.mu.Unlock()
	sw, sh := p.stage.Get("clientWidth").Int(), p.stage.Get("clientHeight").Int()
	b := viewer.Layout(mode, sw, sh, w, h)
	for _, c := range []js.Value{p.screen, p.cursor} {
		st := c.Get("style")
		st.Set("left", strconv.Itoa(b.Left)+"px")
		st.Set("top", strconv.Itoa(b.Top)+"px")
		st.Set("width", strconv.Itoa(b.Width)+"px")
		st.Set("height", strconv.Itoa(b.Height)+"px")
	}
	// The button names the mode a click switches to.
	label, one, name := "1:1", false, "fit"
	if mode == viewer.ScaleOne {
		label, one, name = "Fit", true, "1:1"
	}
	p.scaleBtn.Set("textContent", label)
	p.stage.Get("classList").Call("toggle", "v-one", one)
	p.setData("scale", name)
}
