//go:build windows

package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"unicode"
	"unicode/utf16"
	"unsafe"

	"golang.org/x/sys/windows"
)

var (
	user32 = windows.NewLazySystemDLL("user32.dll")
	gdi32  = windows.NewLazySystemDLL("gdi32.dll")

	procRegisterClassExW    = user32.NewProc("RegisterClassExW")
	procCreateWindowExW     = user32.NewProc("CreateWindowExW")
	procDefWindowProcW      = user32.NewProc("DefWindowProcW")
	procGetMessageW         = user32.NewProc("GetMessageW")
	procTranslateMessage    = user32.NewProc("TranslateMessage")
	procDispatchMessageW    = user32.NewProc("DispatchMessageW")
	procPostQuitMessage     = user32.NewProc("PostQuitMessage")
	procBeginPaint          = user32.NewProc("BeginPaint")
	procEndPaint            = user32.NewProc("EndPaint")
	procClientToScreen      = user32.NewProc("ClientToScreen")
	procScreenToClient      = user32.NewProc("ScreenToClient")
	procSetForegroundWindow = user32.NewProc("SetForegroundWindow")
	procSetFocus            = user32.NewProc("SetFocus")
	procGetSystemMetrics    = user32.NewProc("GetSystemMetrics")
	procLoadCursorW         = user32.NewProc("LoadCursorW")
	procSetDIBitsToDevice   = gdi32.NewProc("SetDIBitsToDevice")
	procGdiFlush            = gdi32.NewProc("GdiFlush")
)

const (
	wsPopup     = 0x80000000
	wsVisible   = 0x10000000
	wsExTopmost = 0x00000008

	wmDestroy       = 0x0002
	wmPaint         = 0x000F
	wmEraseBkgnd    = 0x0014
	wmKeyDown       = 0x0100
	wmKeyUp         = 0x0101
	wmChar          = 0x0102
	wmSysKeyDown    = 0x0104
	wmSysKeyUp      = 0x0105
	wmLButtonDown   = 0x0201
	wmLButtonUp     = 0x0202
	wmRButtonDown   = 0x0204
	wmRButtonUp     = 0x0205
	wmMButtonDown   = 0x0207
	wmMButtonUp     = 0x0208
	wmMouseWheel    = 0x020A
	wmXButtonDown   = 0x020B
	wmXButtonUp     = 0x020C
	wmMouseHWheel   = 0x020E
	smCXScreen      = 0
	smCYScreen      = 1
	idcArrow        = 32512
	dibRGBColors    = 0
	xButton1        = 1
	wheelDeltaOneUp = 120
)

type wndClassEx struct {
	Size       uint32
	Style      uint32
	WndProc    uintptr
	ClsExtra   int32
	WndExtra   int32
	Instance   windows.Handle
	Icon       windows.Handle
	Cursor     windows.Handle
	Background windows.Handle
	MenuName   *uint16
	ClassName  *uint16
	IconSm     windows.Handle
}

type point struct{ X, Y int32 }

type msg struct {
	Hwnd    windows.HWND
	Message uint32
	WParam  uintptr
	LParam  uintptr
	Time    uint32
	Pt      point
	Private uint32
}

type paintStruct struct {
	HDC       windows.Handle
	Erase     int32
	Paint     windows.Rect
	Restore   int32
	IncUpdate int32
	Reserved  [32]byte
}

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

// window is the test window on Windows: a borderless, topmost popup that
// paints ColorAt from a DIB and reports mouse and keyboard messages.
type window struct {
	hwnd     windows.HWND
	w, h     int
	pix      []byte // w×h BGRX, top-down: the whole picture
	out      *json.Encoder
	err      error // the first failure to report an event; ends the loop
	readyYet bool
	high     uint16 // a high surrogate waiting for its low half
	typed    []rune
}

// serve shows the window and reports its events until it is destroyed or
// reporting fails.
func serve(o options, out *json.Encoder) error {
	if o.mark || o.echo || o.display != "" {
		return errors.New("-mark, -echo and -display are X11 only")
	}
	// A window belongs to the thread that created it, and its messages are
	// read there.
	runtime.LockOSThread()
	w, h := o.w, o.h
	if w <= 0 {
		sw, _, _ := procGetSystemMetrics.Call(smCXScreen)
		w = int(sw) - o.x
	}
	if h <= 0 {
		sh, _, _ := procGetSystemMetrics.Call(smCYScreen)
		h = int(sh) - o.y
	}
	if w <= 0 || h <= 0 {
		return fmt.Errorf("window size %dx%d", w, h)
	}
	t := &window{w: w, h: h, out: out, pix: picture(w, h)}

	var inst windows.Handle
	if err := windows.GetModuleHandleEx(0, nil, &inst); err != nil {
		return fmt.Errorf("GetModuleHandleEx: %w", err)
	}
	class, err := windows.UTF16PtrFromString("TetherTestWindow")
	if err != nil {
		return err
	}
	arrow, _, _ := procLoadCursorW.Call(0, idcArrow)
	wc := wndClassEx{
		Size:      uint32(unsafe.Sizeof(wndClassEx{})),
		WndProc:   windows.NewCallback(t.proc),
		Instance:  inst,
		Cursor:    windows.Handle(arrow),
		ClassName: class,
	}
	if r, _, err := procRegisterClassExW.Call(uintptr(unsafe.Pointer(&wc))); r == 0 {
		return fmt.Errorf("RegisterClassExW: %w", err)
	}
	title, err := windows.UTF16PtrFromString("Tether test window")
	if err != nil {
		return err
	}
	hwnd, _, err := procCreateWindowExW.Call(wsExTopmost, uintptr(unsafe.Pointer(class)), uintptr(unsafe.Pointer(title)),
		wsPopup|wsVisible, uintptr(o.x), uintptr(o.y), uintptr(w), uintptr(h), 0, 0, uintptr(inst), 0)
	if hwnd == 0 {
		return fmt.Errorf("CreateWindowExW: %w", err)
	}
	t.hwnd = windows.HWND(hwnd)
	var m msg
	for {
		r, _, err := procGetMessageW.Call(uintptr(unsafe.Pointer(&m)), 0, 0, 0)
		switch int32(r) {
		case 0: // WM_QUIT
			return t.err
		case -1:
			return fmt.Errorf("GetMessageW: %w", err)
		}
		procTranslateMessage.Call(uintptr(unsafe.Pointer(&m)))
		procDispatchMessageW.Call(uintptr(unsafe.Pointer(&m)))
	}
}

// picture renders ColorAt for a w×h window as a top-down BGRX DIB.
func picture(w, h int) []byte {
	pix := make([]byte, w*h*4)
	for y := range h {
		for x := range w {
			c := ColorAt(x, y, w, h)
			i := (y*w + x) * 4
			pix[i], pix[i+1], pix[i+2] = byte(c), byte(c>>8), byte(c>>16)
		}
	}
	return pix
}

// proc is the window procedure.
func (t *window) proc(hwnd windows.HWND, m uint32, wp, lp uintptr) uintptr {
	switch m {
	case wmEraseBkgnd:
		return 1 // WM_PAINT covers every pixel
	case wmPaint:
		t.paint(hwnd)
		if !t.readyYet {
			t.readyYet = true
			procSetForegroundWindow.Call(uintptr(hwnd))
			procSetFocus.Call(uintptr(hwnd))
			t.emit(map[string]any{"event": "ready", "window": uint64(hwnd)})
		}
		return 0
	case wmLButtonDown, wmLButtonUp:
		t.button(hwnd, 1, m == wmLButtonDown, clientPoint(lp))
		return 0
	case wmMButtonDown, wmMButtonUp:
		t.button(hwnd, 2, m == wmMButtonDown, clientPoint(lp))
		return 0
	case wmRButtonDown, wmRButtonUp:
		t.button(hwnd, 3, m == wmRButtonDown, clientPoint(lp))
		return 0
	case wmXButtonDown, wmXButtonUp:
		b := 9
		if wp>>16&0xffff == xButton1 {
			b = 8
		}
		t.button(hwnd, b, m == wmXButtonDown, clientPoint(lp))
		return 1 // TRUE, as the documentation asks for X buttons
	case wmMouseWheel, wmMouseHWheel:
		// Wheel messages carry screen coordinates; one event per notch.
		p := clientPoint(lp)
		procScreenToClient.Call(uintptr(hwnd), uintptr(unsafe.Pointer(&p)))
		delta := int(int16(wp >> 16))
		var b int
		switch {
		case m == wmMouseWheel && delta > 0: // away from the user: up
			b = 4
		case m == wmMouseWheel:
			b = 5
		case delta < 0: // WM_MOUSEHWHEEL is positive to the right
			b = 6
		default:
			b = 7
		}
		for range max(1, abs(delta)/wheelDeltaOneUp) {
			t.button(hwnd, b, true, p)
		}
		return 0
	case wmKeyDown, wmSysKeyDown:
		t.emit(map[string]any{"event": "keydown", "vk": wp, "scan": lp >> 16 & 0xff, "extended": lp>>24&1 == 1})
	case wmKeyUp, wmSysKeyUp:
		t.emit(map[string]any{"event": "keyup", "vk": wp, "scan": lp >> 16 & 0xff, "extended": lp>>24&1 == 1})
	case wmChar:
		t.char(uint16(wp))
		return 0
	case wmDestroy:
		procPostQuitMessage.Call(0)
		return 0
	}
	r, _, _ := procDefWindowProcW.Call(uintptr(hwnd), uintptr(m), wp, lp)
	return r
}

func (t *window) paint(hwnd windows.HWND) {
	var ps paintStruct
	dc, _, _ := procBeginPaint.Call(uintptr(hwnd), uintptr(unsafe.Pointer(&ps)))
	if dc == 0 {
		return
	}
	bi := bitmapInfoHeader{Size: uint32(unsafe.Sizeof(bitmapInfoHeader{})), Width: int32(t.w), Height: -int32(t.h),
		Planes: 1, BitCount: 32}
	procSetDIBitsToDevice.Call(dc, 0, 0, uintptr(t.w), uintptr(t.h), 0, 0, 0, uintptr(t.h),
		uintptr(unsafe.Pointer(&t.pix[0])), uintptr(unsafe.Pointer(&bi)), dibRGBColors)
	procGdiFlush.Call()
	procEndPaint.Call(uintptr(hwnd), uintptr(unsafe.Pointer(&ps)))
}

// clientPoint unpacks the signed coordinates of a mouse message.
func clientPoint(lp uintptr) point {
	return point{X: int32(int16(lp)), Y: int32(int16(lp >> 16))}
}

// button reports a press as "button" (as on X11) and a release as
// "buttonup".
func (t *window) button(hwnd windows.HWND, b int, down bool, p point) {
	root := p
	procClientToScreen.Call(uintptr(hwnd), uintptr(unsafe.Pointer(&root)))
	ev := "button"
	if !down {
		ev = "buttonup"
	}
	t.emit(map[string]any{"event": ev, "button": b, "x": p.X, "y": p.Y, "root_x": root.X, "root_y": root.Y})
}

// char takes one UTF-16 unit of WM_CHAR: characters above U+FFFF arrive
// as two messages, a high and a low surrogate.
func (t *window) char(u uint16) {
	r := rune(u)
	switch {
	case utf16.IsSurrogate(r) && u < 0xDC00:
		t.high = u
		return
	case utf16.IsSurrogate(r):
		r = utf16.DecodeRune(rune(t.high), r)
		t.high = 0
	}
	text := ""
	switch {
	case r == '\r':
		t.typed = append(t.typed, '\n')
	case r == '\b':
		if len(t.typed) > 0 {
			t.typed = t.typed[:len(t.typed)-1]
		}
	case unicode.IsPrint(r):
		text = string(r)
		t.typed = append(t.typed, r)
	}
	t.emit(map[string]any{"event": "key", "text": text, "char": r})
	t.emit(map[string]any{"event": "typed", "text": string(t.typed)})
}

// emit writes one event; the first failure (stdout closed) ends the program.
func (t *window) emit(ev map[string]any) {
	if t.err != nil {
		return
	}
	if err := t.out.Encode(ev); err != nil {
		t.err = err
		procPostQuitMessage.Call(1)
	}
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
