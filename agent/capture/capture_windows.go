//go:build windows

package capture

import (
	"fmt"
	"image"
	"sync"
	"unsafe"

	"golang.org/x/sys/windows"
)

var (
	user32 = windows.NewLazySystemDLL("user32.dll")
	gdi32  = windows.NewLazySystemDLL("gdi32.dll")

	procGetDC                         = user32.NewProc("GetDC")
	procReleaseDC                     = user32.NewProc("ReleaseDC")
	procGetSystemMetrics              = user32.NewProc("GetSystemMetrics")
	procGetCursorInfo                 = user32.NewProc("GetCursorInfo")
	procGetIconInfo                   = user32.NewProc("GetIconInfo")
	procSetProcessDpiAwarenessContext = user32.NewProc("SetProcessDpiAwarenessContext")
	procSetProcessDPIAware            = user32.NewProc("SetProcessDPIAware")
	procCreateCompatibleDC            = gdi32.NewProc("CreateCompatibleDC")
	procCreateDIBSection              = gdi32.NewProc("CreateDIBSection")
	procSelectObject                  = gdi32.NewProc("SelectObject")
	procBitBlt                        = gdi32.NewProc("BitBlt")
	procDeleteObject                  = gdi32.NewProc("DeleteObject")
	procDeleteDC                      = gdi32.NewProc("DeleteDC")
	procGetDIBits                     = gdi32.NewProc("GetDIBits")
	procGetObjectW                    = gdi32.NewProc("GetObjectW")
	procGdiFlush                      = gdi32.NewProc("GdiFlush")
)

const (
	smCXScreen      = 0
	smCYScreen      = 1
	smXVirtual      = 76
	smYVirtual      = 77
	smCXVirtual     = 78
	smCYVirtual     = 79
	srcCopy         = 0x00CC0020
	captureBlt      = 0x40000000 // include layered windows (tooltips, menus)
	dibRGBColors    = 0
	cursorShowing   = 1
	biRGB           = 0
	dpiPerMonitorV2 = ^uintptr(3) // DPI_AWARENESS_CONTEXT_PER_MONITOR_AWARE_V2 (-4)
)

type bitmapInfoHeader struct {
	Size          uint32
	Width         int32
	Height        int32
	Planes        uint16
	BitCount      uint16
	Compression   uint32
	SizeImage     uint32
	XPelsPerMeter int32
	YPelsPerMeter int32
	ClrUsed       uint32
	ClrImportant  uint32
}

type cursorInfo struct {
	Size   uint32
	Flags  uint32
	Cursor windows.Handle
	X, Y   int32
}

type iconInfo struct {
	Icon  int32
	HotX  uint32
	HotY  uint32
	Mask  windows.Handle
	Color windows.Handle
}

type bitmap struct {
	Type       int32
	Width      int32
	Height     int32
	WidthBytes int32
	Planes     uint16
	BitsPixel  uint16
	Bits       uintptr
}

var dpiOnce sync.Once

// beDPIAware makes screen metrics and BitBlt use physical pixels; without it
// Windows scales a high-DPI screen down for this process.
func beDPIAware() {
	dpiOnce.Do(func() {
		if procSetProcessDpiAwarenessContext.Find() == nil {
			if r, _, _ := procSetProcessDpiAwarenessContext.Call(dpiPerMonitorV2); r != 0 {
				return
			}
		}
		if procSetProcessDPIAware.Find() == nil {
			procSetProcessDPIAware.Call() // best effort: Windows before 8.1
		}
	})
}

// gdi captures the primary screen with BitBlt into a top-down 32-bit DIB
// section, whose memory is BGRA already.
type gdi struct {
	memDC  uintptr
	dib    uintptr
	old    uintptr
	bits   unsafe.Pointer
	w, h   int
	frame  Frame
	last   windows.Handle // cursor whose image was last sent
	shape  Cursor         // its size and hot spot
	serial uint32

	// areaMu guards want, the part of the virtual screen SetArea asked
	// for; empty means the primary monitor.
	areaMu sync.Mutex
	want   image.Rectangle
}

// SetArea implements Areas; the next Capture takes it.
func (g *gdi) SetArea(r image.Rectangle) {
	g.areaMu.Lock()
	g.want = r.Canon()
	g.areaMu.Unlock()
}

// area is the rectangle of the virtual screen to capture: the wanted one
// within the virtual screen, or the primary monitor.
func (g *gdi) area() image.Rectangle {
	g.areaMu.Lock()
	want := g.want
	g.areaMu.Unlock()
	vx, vy := int(int32(metric(smXVirtual))), int(int32(metric(smYVirtual)))
	virtual := image.Rect(vx, vy, vx+int(metric(smCXVirtual)), vy+int(metric(smCYVirtual)))
	if a := want.Intersect(virtual); !a.Empty() {
		return a
	}
	return image.Rect(0, 0, int(metric(smCXScreen)), int(metric(smCYScreen)))
}

func metric(i uintptr) uintptr {
	v, _, _ := procGetSystemMetrics.Call(i)
	return v
}

// Open prepares GDI capture of the primary screen.
func Open() (Capturer, error) {
	beDPIAware()
	dc, _, err := procCreateCompatibleDC.Call(0)
	if dc == 0 {
		return nil, fmt.Errorf("capture: CreateCompatibleDC: %w", err)
	}
	return &gdi{memDC: dc}, nil
}

func (g *gdi) resize(w, h int) error {
	g.freeDIB()
	bi := bitmapInfoHeader{Size: uint32(unsafe.Sizeof(bitmapInfoHeader{})), Width: int32(w), Height: -int32(h),
		Planes: 1, BitCount: 32, Compression: biRGB}
	var bits unsafe.Pointer
	dib, _, err := procCreateDIBSection.Call(g.memDC, uintptr(unsafe.Pointer(&bi)), dibRGBColors,
		uintptr(unsafe.Pointer(&bits)), 0, 0)
	if dib == 0 || bits == nil {
		return fmt.Errorf("capture: CreateDIBSection %dx%d: %w", w, h, err)
	}
	g.old, _, _ = procSelectObject.Call(g.memDC, dib)
	g.dib, g.bits, g.w, g.h = dib, bits, w, h
	return nil
}

func (g *gdi) freeDIB() {
	if g.dib == 0 {
		return
	}
	procSelectObject.Call(g.memDC, g.old)
	procDeleteObject.Call(g.dib)
	g.dib, g.bits = 0, nil
}

// Capture copies the captured area: the primary monitor unless SetArea
// chose another part of the virtual screen.
func (g *gdi) Capture() (*Frame, error) {
	a := g.area()
	w, h := a.Dx(), a.Dy()
	if w <= 0 || h <= 0 {
		return nil, fmt.Errorf("capture: screen size %dx%d", w, h)
	}
	if w != g.w || h != g.h || g.dib == 0 {
		if err := g.resize(w, h); err != nil {
			return nil, err
		}
	}
	screen, _, err := procGetDC.Call(0)
	if screen == 0 {
		return nil, fmt.Errorf("capture: GetDC: %w", err)
	}
	ok, _, err := procBitBlt.Call(g.memDC, 0, 0, uintptr(w), uintptr(h), screen, uintptr(a.Min.X), uintptr(a.Min.Y), srcCopy|captureBlt)
	procReleaseDC.Call(0, screen)
	if ok == 0 {
		// Fails on the secure desktop (UAC prompt, lock screen).
		return nil, fmt.Errorf("capture: BitBlt: %w", err)
	}
	procGdiFlush.Call()
	g.frame = Frame{Width: g.w, Height: g.h, Stride: g.w * 4, Pix: unsafe.Slice((*byte)(g.bits), g.w*g.h*4), Origin: a.Min}
	return &g.frame, nil
}

// Cursor reads the pointer position and, when the cursor changed, its
// image from the cursor's mask and colour bitmaps. A cursor whose image
// cannot be read still moves: its position goes without an image (as on
// X11 without XFixes), and the image is not tried again until the cursor
// changes. Windows hands out any process's cursor; Wine's GetIconInfo
// refuses cursors of other processes ("Invalid cursor handle").
func (g *gdi) Cursor() (Cursor, error) {
	ci := cursorInfo{Size: uint32(unsafe.Sizeof(cursorInfo{}))}
	if ok, _, err := procGetCursorInfo.Call(uintptr(unsafe.Pointer(&ci))); ok == 0 {
		return Cursor{}, fmt.Errorf("capture: GetCursorInfo: %w", err)
	}
	c := Cursor{X: int(ci.X), Y: int(ci.Y), Visible: ci.Flags&cursorShowing != 0 && ci.Cursor != 0}
	if ci.Cursor == 0 {
		return c, nil
	}
	if ci.Cursor != g.last {
		g.serial++
		g.last = ci.Cursor
		g.shape = Cursor{}
		if rgba, w, h, hx, hy, err := cursorImage(ci.Cursor); err == nil {
			g.shape = Cursor{HotX: hx, HotY: hy, W: w, H: h}
			c.RGBA = rgba
		}
	}
	c.Serial, c.HotX, c.HotY, c.W, c.H = g.serial, g.shape.HotX, g.shape.HotY, g.shape.W, g.shape.H
	return c, nil
}

// cursorImage reads a cursor's bitmaps as 32-bit top-down DIBs.
func cursorImage(cur windows.Handle) (rgba []byte, w, h, hotX, hotY int, err error) {
	var ii iconInfo
	if ok, _, e := procGetIconInfo.Call(uintptr(cur), uintptr(unsafe.Pointer(&ii))); ok == 0 {
		return nil, 0, 0, 0, 0, fmt.Errorf("capture: GetIconInfo: %w", e)
	}
	// GetIconInfo hands us copies of both bitmaps to free.
	defer func() {
		if ii.Mask != 0 {
			procDeleteObject.Call(uintptr(ii.Mask))
		}
		if ii.Color != 0 {
			procDeleteObject.Call(uintptr(ii.Color))
		}
	}()
	var bm bitmap
	if n, _, e := procGetObjectW.Call(uintptr(ii.Mask), unsafe.Sizeof(bm), uintptr(unsafe.Pointer(&bm))); n == 0 {
		return nil, 0, 0, 0, 0, fmt.Errorf("capture: GetObject cursor mask: %w", e)
	}
	w, maskH := int(bm.Width), int(bm.Height)
	h = maskH
	if ii.Color == 0 {
		h = maskH / 2 // monochrome: AND mask above XOR mask
	}
	if w <= 0 || h <= 0 || w > 1024 || maskH > 2048 {
		return nil, 0, 0, 0, 0, fmt.Errorf("capture: cursor bitmap %dx%d", w, maskH)
	}
	dc, _, e := procGetDC.Call(0)
	if dc == 0 {
		return nil, 0, 0, 0, 0, fmt.Errorf("capture: GetDC: %w", e)
	}
	defer procReleaseDC.Call(0, dc)
	mask, err := dibits(dc, ii.Mask, w, maskH)
	if err != nil {
		return nil, 0, 0, 0, 0, err
	}
	var color []byte
	if ii.Color != 0 {
		if color, err = dibits(dc, ii.Color, w, h); err != nil {
			return nil, 0, 0, 0, 0, err
		}
	}
	full := maskedToRGBA(color, mask, w, h)
	x0, y0, cw, ch := clipCursor(w, h, int(ii.HotX), int(ii.HotY))
	rgba = make([]byte, cw*ch*4)
	for y := range ch {
		copy(rgba[y*cw*4:(y+1)*cw*4], full[((y0+y)*w+x0)*4:])
	}
	return rgba, cw, ch, min(max(int(ii.HotX)-x0, 0), cw), min(max(int(ii.HotY)-y0, 0), ch), nil
}

func dibits(dc uintptr, bm windows.Handle, w, h int) ([]byte, error) {
	// BITMAPINFO with room for a colour table GetDIBits may write.
	var bi struct {
		Header bitmapInfoHeader
		Colors [256]uint32
	}
	bi.Header = bitmapInfoHeader{Size: uint32(unsafe.Sizeof(bitmapInfoHeader{})), Width: int32(w), Height: -int32(h),
		Planes: 1, BitCount: 32, Compression: biRGB}
	buf := make([]byte, w*h*4)
	n, _, err := procGetDIBits.Call(dc, uintptr(bm), 0, uintptr(h), uintptr(unsafe.Pointer(&buf[0])),
		uintptr(unsafe.Pointer(&bi)), dibRGBColors)
	if n == 0 {
		return nil, fmt.Errorf("capture: GetDIBits %dx%d: %w", w, h, err)
	}
	return buf, nil
}

// Close frees the DIB section and the memory DC.
func (g *gdi) Close() error {
	g.freeDIB()
	if g.memDC != 0 {
		procDeleteDC.Call(g.memDC)
		g.memDC = 0
	}
	return nil
}
