//go:build windows

package overlay

import (
	"fmt"
	"image"
	"runtime"
	"sync"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/windows"
)

// Color is the strokes' colour as Windows writes it (0x00BBGGRR): the same
// red as on X11.
const Color = 0x2D32E5

// key is the colour that the layered window shows as fully transparent.
const key = 0xFF00FF

var (
	user32                    = windows.NewLazySystemDLL("user32.dll")
	gdi32                     = windows.NewLazySystemDLL("gdi32.dll")
	kernel32                  = windows.NewLazySystemDLL("kernel32.dll")
	procRegisterClassExW      = user32.NewProc("RegisterClassExW")
	procCreateWindowExW       = user32.NewProc("CreateWindowExW")
	procDefWindowProcW        = user32.NewProc("DefWindowProcW")
	procDestroyWindow         = user32.NewProc("DestroyWindow")
	procGetMessageW           = user32.NewProc("GetMessageW")
	procDispatchMessageW      = user32.NewProc("DispatchMessageW")
	procPostMessageW          = user32.NewProc("PostMessageW")
	procPostQuitMessage       = user32.NewProc("PostQuitMessage")
	procShowWindow            = user32.NewProc("ShowWindow")
	procSetWindowPos          = user32.NewProc("SetWindowPos")
	procInvalidateRect        = user32.NewProc("InvalidateRect")
	procBeginPaint            = user32.NewProc("BeginPaint")
	procEndPaint              = user32.NewProc("EndPaint")
	procFillRect              = user32.NewProc("FillRect")
	procGetSystemMetrics      = user32.NewProc("GetSystemMetrics")
	procSetLayeredWindowAttrs = user32.NewProc("SetLayeredWindowAttributes")
	procCreateSolidBrush      = gdi32.NewProc("CreateSolidBrush")
	procDeleteObject          = gdi32.NewProc("DeleteObject")
	procGetModuleHandleW      = kernel32.NewProc("GetModuleHandleW")
	overlayClass, _           = windows.UTF16PtrFromString("TetherPointerOverlay")
	registerOnce              sync.Once
	registerErr               error
	windowsByHandle           sync.Map // HWND → *Overlay, for the window procedure
	wndProcCallback           = syscall.NewCallback(wndProc)
)

const (
	wsPopup          = 0x80000000
	wsExLayered      = 0x00080000
	wsExTransparent  = 0x00000020 // clicks pass through
	wsExTopmost      = 0x00000008
	wsExToolWindow   = 0x00000080 // not in the taskbar or Alt+Tab
	wsExNoActivate   = 0x08000000 // never takes the focus
	lwaColorKey      = 0x1
	swHide           = 0
	swShowNoActivate = 4
	smCXScreen       = 0
	smCYScreen       = 1
	wmPaint          = 0x000F
	wmClose          = 0x0010
	wmDestroy        = 0x0002
	wmNCHitTest      = 0x0084
	htTransparent    = ^uintptr(0) // -1
	wmApp            = 0x8000
	hwndTopmost      = ^uintptr(0) // -1
	swpNoMove        = 0x0002
	swpNoSize        = 0x0001
	swpNoActivate    = 0x0010
)

// msgUpdate asks the window's thread to show, hide and repaint.
const msgUpdate = wmApp + 1

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

type msg struct {
	Hwnd    windows.HWND
	Message uint32
	WParam  uintptr
	LParam  uintptr
	Time    uint32
	Pt      struct{ X, Y int32 }
}

type rect struct{ Left, Top, Right, Bottom int32 }

type paintStruct struct {
	Hdc       windows.Handle
	Erase     int32
	Paint     rect
	Restore   int32
	IncUpdate int32
	Reserved  [32]byte
}

// Overlay is a topmost, layered, click-through popup window as large as
// the primary screen: its background is the transparent key colour, the
// strokes are painted red, it never activates and every click passes
// through it (WS_EX_TRANSPARENT and HTTRANSPARENT). One locked OS thread
// owns it and runs its message loop.
type Overlay struct {
	hwnd   windows.HWND
	w, h   int
	done   chan struct{}
	mu     sync.Mutex
	s      strokes
	timer  *time.Timer
	closed bool
}

// Open creates the (hidden) overlay window on its own thread.
func Open() (*Overlay, error) {
	o := &Overlay{done: make(chan struct{})}
	ready := make(chan error, 1)
	go o.loop(ready)
	if err := <-ready; err != nil {
		return nil, err
	}
	return o, nil
}

func (o *Overlay) loop(ready chan<- error) {
	runtime.LockOSThread()
	defer close(o.done)
	registerOnce.Do(func() {
		inst, _, _ := procGetModuleHandleW.Call(0)
		wc := wndClassEx{WndProc: wndProcCallback, Instance: windows.Handle(inst), ClassName: overlayClass}
		wc.Size = uint32(unsafe.Sizeof(wc))
		if r, _, err := procRegisterClassExW.Call(uintptr(unsafe.Pointer(&wc))); r == 0 {
			registerErr = fmt.Errorf("overlay: RegisterClassEx: %w", err)
		}
	})
	if registerErr != nil {
		ready <- registerErr
		return
	}
	w, _, _ := procGetSystemMetrics.Call(smCXScreen)
	h, _, _ := procGetSystemMetrics.Call(smCYScreen)
	o.w, o.h = int(w), int(h)
	inst, _, _ := procGetModuleHandleW.Call(0)
	hwnd, _, err := procCreateWindowExW.Call(wsExLayered|wsExTransparent|wsExTopmost|wsExToolWindow|wsExNoActivate,
		uintptr(unsafe.Pointer(overlayClass)), 0, wsPopup, 0, 0, w, h, 0, 0, inst, 0)
	if hwnd == 0 {
		ready <- fmt.Errorf("overlay: CreateWindowEx: %w", err)
		return
	}
	o.hwnd = windows.HWND(hwnd)
	windowsByHandle.Store(o.hwnd, o)
	defer windowsByHandle.Delete(o.hwnd)
	if r, _, err := procSetLayeredWindowAttrs.Call(hwnd, key, 0, lwaColorKey); r == 0 {
		procDestroyWindow.Call(hwnd)
		ready <- fmt.Errorf("overlay: SetLayeredWindowAttributes: %w", err)
		return
	}
	ready <- nil
	var m msg
	for {
		r, _, _ := procGetMessageW.Call(uintptr(unsafe.Pointer(&m)), 0, 0, 0)
		if int32(r) <= 0 {
			return // WM_QUIT or an error: the window is gone
		}
		procDispatchMessageW.Call(uintptr(unsafe.Pointer(&m)))
	}
}

func wndProc(hwnd windows.HWND, message uint32, wparam, lparam uintptr) uintptr {
	v, ok := windowsByHandle.Load(hwnd)
	if !ok {
		r, _, _ := procDefWindowProcW.Call(uintptr(hwnd), uintptr(message), wparam, lparam)
		return r
	}
	o := v.(*Overlay)
	switch message {
	case wmNCHitTest:
		return htTransparent // never the target of a click
	case msgUpdate:
		o.mu.Lock()
		shown := len(o.s.list) > 0
		o.mu.Unlock()
		if shown {
			procShowWindow.Call(uintptr(hwnd), swShowNoActivate)
			procSetWindowPos.Call(uintptr(hwnd), hwndTopmost, 0, 0, 0, 0, swpNoMove|swpNoSize|swpNoActivate)
		} else {
			procShowWindow.Call(uintptr(hwnd), swHide)
		}
		procInvalidateRect.Call(uintptr(hwnd), 0, 1)
		return 0
	case wmPaint:
		o.paint(hwnd)
		return 0
	case wmClose:
		procDestroyWindow.Call(uintptr(hwnd))
		return 0
	case wmDestroy:
		procPostQuitMessage.Call(0)
		return 0
	}
	r, _, _ := procDefWindowProcW.Call(uintptr(hwnd), uintptr(message), wparam, lparam)
	return r
}

func (o *Overlay) paint(hwnd windows.HWND) {
	var ps paintStruct
	hdc, _, _ := procBeginPaint.Call(uintptr(hwnd), uintptr(unsafe.Pointer(&ps)))
	defer procEndPaint.Call(uintptr(hwnd), uintptr(unsafe.Pointer(&ps)))
	bg, _, _ := procCreateSolidBrush.Call(key)
	fg, _, _ := procCreateSolidBrush.Call(Color)
	defer procDeleteObject.Call(bg)
	defer procDeleteObject.Call(fg)
	all := rect{0, 0, int32(o.w), int32(o.h)}
	procFillRect.Call(hdc, uintptr(unsafe.Pointer(&all)), bg)
	o.mu.Lock()
	rs := o.s.rects()
	o.mu.Unlock()
	for _, r := range rs {
		wr := rect{int32(r.Min.X), int32(r.Min.Y), int32(r.Max.X), int32(r.Max.Y)}
		procFillRect.Call(hdc, uintptr(unsafe.Pointer(&wr)), fg)
	}
}

func (o *Overlay) post(message uint32) {
	procPostMessageW.Call(uintptr(o.hwnd), uintptr(message), 0, 0)
}

// Window is the overlay's handle.
func (o *Overlay) Window() uint32 { return uint32(o.hwnd) }

// Draw adds pts (screen pixels) to stroke id and shows it on top.
func (o *Overlay) Draw(id uint16, pts []image.Point, end bool) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		return fmt.Errorf("overlay: closed")
	}
	if len(pts) == 0 {
		return nil
	}
	now := time.Now()
	o.s.draw(id, pts, now)
	o.scheduleLocked(now)
	o.post(msgUpdate)
	return nil
}

// Clear removes every stroke now.
func (o *Overlay) Clear() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.s.list = nil
	o.post(msgUpdate)
	return nil
}

func (o *Overlay) scheduleLocked(now time.Time) {
	_, next := o.s.prune(now)
	if next.IsZero() {
		return
	}
	if o.timer != nil {
		o.timer.Stop()
	}
	o.timer = time.AfterFunc(next.Sub(now), o.expire)
}

func (o *Overlay) expire() {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		return
	}
	now := time.Now()
	if dropped, _ := o.s.prune(now); dropped {
		o.post(msgUpdate)
	}
	o.scheduleLocked(now)
}

// Close destroys the window and ends its thread.
func (o *Overlay) Close() error {
	o.mu.Lock()
	if o.closed {
		o.mu.Unlock()
		return nil
	}
	o.closed = true
	if o.timer != nil {
		o.timer.Stop()
	}
	o.mu.Unlock()
	o.post(wmClose)
	select {
	case <-o.done:
	case <-time.After(2 * time.Second):
		return fmt.Errorf("overlay: the window did not close")
	}
	return nil
}
