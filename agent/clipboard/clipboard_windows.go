//go:build windows

package clipboard

import (
	"fmt"
	"runtime"
	"sync"
	"syscall"
	"time"
	"unicode/utf16"
	"unsafe"

	"golang.org/x/sys/windows"

	"tether/server/protocol"
)

var (
	user32                            = windows.NewLazySystemDLL("user32.dll")
	kernel32                          = windows.NewLazySystemDLL("kernel32.dll")
	procRegisterClassExW              = user32.NewProc("RegisterClassExW")
	procCreateWindowExW               = user32.NewProc("CreateWindowExW")
	procDestroyWindow                 = user32.NewProc("DestroyWindow")
	procDefWindowProcW                = user32.NewProc("DefWindowProcW")
	procGetMessageW                   = user32.NewProc("GetMessageW")
	procDispatchMessageW              = user32.NewProc("DispatchMessageW")
	procPostMessageW                  = user32.NewProc("PostMessageW")
	procPostQuitMessage               = user32.NewProc("PostQuitMessage")
	procAddClipboardFormatListener    = user32.NewProc("AddClipboardFormatListener")
	procRemoveClipboardFormatListener = user32.NewProc("RemoveClipboardFormatListener")
	procOpenClipboard                 = user32.NewProc("OpenClipboard")
	procCloseClipboard                = user32.NewProc("CloseClipboard")
	procEmptyClipboard                = user32.NewProc("EmptyClipboard")
	procGetClipboardData              = user32.NewProc("GetClipboardData")
	procSetClipboardData              = user32.NewProc("SetClipboardData")
	procGetClipboardOwner             = user32.NewProc("GetClipboardOwner")
	procGlobalAlloc                   = kernel32.NewProc("GlobalAlloc")
	procGlobalFree                    = kernel32.NewProc("GlobalFree")
	procGlobalLock                    = kernel32.NewProc("GlobalLock")
	procGlobalUnlock                  = kernel32.NewProc("GlobalUnlock")
	procGlobalSize                    = kernel32.NewProc("GlobalSize")
)

const (
	cfUnicodeText     = 13
	wmClose           = 0x0010
	wmDestroy         = 0x0002
	wmClipboardUpdate = 0x031D
	gmemMoveable      = 0x0002
	hwndMessage       = ^uintptr(2) // HWND_MESSAGE (-3): a message-only window
)

// win watches the clipboard with a message-only window registered as a
// clipboard format listener (WM_CLIPBOARDUPDATE) and reads and writes
// CF_UNICODETEXT. The window lives on one locked OS thread running its
// message loop.
type win struct {
	hwnd uintptr
	ch   changes
	done chan struct{}
}

type wndClassEx struct {
	size       uint32
	style      uint32
	wndProc    uintptr
	clsExtra   int32
	wndExtra   int32
	instance   windows.Handle
	icon       windows.Handle
	cursor     windows.Handle
	background windows.Handle
	menuName   *uint16
	className  *uint16
	iconSm     windows.Handle
}

type msg struct {
	hwnd    uintptr
	message uint32
	wParam  uintptr
	lParam  uintptr
	time    uint32
	pt      struct{ x, y int32 }
}

var (
	registerOnce sync.Once
	registerErr  error
	className    = windows.StringToUTF16Ptr("TetherClipboard")
	windowsMu    sync.Mutex
	windowsByH   = map[uintptr]*win{}
)

func wndProc(hwnd uintptr, message uint32, wParam, lParam uintptr) uintptr {
	switch message {
	case wmClipboardUpdate:
		windowsMu.Lock()
		w := windowsByH[hwnd]
		windowsMu.Unlock()
		if w != nil {
			if owner, _, _ := procGetClipboardOwner.Call(); owner != hwnd {
				if c, ok := w.read(); ok {
					w.ch.put(c)
				}
			}
		}
		return 0
	case wmClose:
		procRemoveClipboardFormatListener.Call(hwnd)
		procDestroyWindow.Call(hwnd)
		return 0
	case wmDestroy:
		procPostQuitMessage.Call(0)
		return 0
	}
	r, _, _ := procDefWindowProcW.Call(hwnd, uintptr(message), wParam, lParam)
	return r
}

// Supported reports whether this build has a clipboard backend.
const Supported = true

// Open creates the listening window and starts its message loop.
func Open() (Clipboard, error) {
	registerOnce.Do(func() {
		var inst windows.Handle
		if err := windows.GetModuleHandleEx(0, nil, &inst); err != nil {
			registerErr = fmt.Errorf("clipboard: module handle: %w", err)
			return
		}
		wc := wndClassEx{wndProc: syscall.NewCallback(wndProc), instance: inst, className: className}
		wc.size = uint32(unsafe.Sizeof(wc))
		if r, _, err := procRegisterClassExW.Call(uintptr(unsafe.Pointer(&wc))); r == 0 {
			registerErr = fmt.Errorf("clipboard: register window class: %w", err)
		}
	})
	if registerErr != nil {
		return nil, registerErr
	}
	w := &win{ch: newChanges(), done: make(chan struct{})}
	ready := make(chan error, 1)
	go w.loop(ready)
	if err := <-ready; err != nil {
		return nil, err
	}
	return w, nil
}

func (w *win) loop(ready chan<- error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	defer close(w.done)
	hwnd, _, err := procCreateWindowExW.Call(0, uintptr(unsafe.Pointer(className)), 0, 0, 0, 0, 0, 0, hwndMessage, 0, 0, 0)
	if hwnd == 0 {
		ready <- fmt.Errorf("clipboard: create window: %w", err)
		return
	}
	w.hwnd = hwnd
	windowsMu.Lock()
	windowsByH[hwnd] = w
	windowsMu.Unlock()
	defer func() {
		windowsMu.Lock()
		delete(windowsByH, hwnd)
		windowsMu.Unlock()
	}()
	if r, _, err := procAddClipboardFormatListener.Call(hwnd); r == 0 {
		procDestroyWindow.Call(hwnd)
		ready <- fmt.Errorf("clipboard: listen to the clipboard: %w", err)
		return
	}
	ready <- nil
	var m msg
	for {
		r, _, _ := procGetMessageW.Call(uintptr(unsafe.Pointer(&m)), 0, 0, 0)
		if int32(r) <= 0 {
			return
		}
		procDispatchMessageW.Call(uintptr(unsafe.Pointer(&m)))
	}
}

func (w *win) Changes() <-chan Copy { return w.ch }

// Close destroys the window, which stops the listener and the loop. What
// the engineer pasted stays on the clipboard, as text any program copied
// stays after it exits.
func (w *win) Close() error {
	procPostMessageW.Call(w.hwnd, wmClose, 0, 0)
	<-w.done
	return nil
}

// open opens the clipboard for this window, retrying briefly: another
// program may hold it for a moment.
func (w *win) open() error {
	var err error
	for range 20 {
		var r uintptr
		if r, _, err = procOpenClipboard.Call(w.hwnd); r != 0 {
			return nil
		}
		time.Sleep(10 * time.Millisecond)
	}
	return fmt.Errorf("clipboard: open: %w", err)
}

// read returns the clipboard's text, if it has any.
func (w *win) read() (Copy, bool) {
	if w.open() != nil {
		return Copy{}, false
	}
	defer procCloseClipboard.Call()
	h, _, _ := procGetClipboardData.Call(cfUnicodeText)
	if h == 0 {
		return Copy{}, false // no text (an image, files)
	}
	size, _, _ := procGlobalSize.Call(h)
	units := int(size / 2)
	if units > protocol.MaxClipboardText {
		// Every UTF-16 unit is at least one UTF-8 byte: too large
		// without reading it.
		return Copy{Size: units}, true
	}
	p, _, _ := procGlobalLock.Call(h)
	if p == 0 {
		return Copy{}, false
	}
	defer procGlobalUnlock.Call(h)
	u := unsafe.Slice((*uint16)(memory(p)), units)
	for i, c := range u {
		if c == 0 {
			u = u[:i]
			break
		}
	}
	c := fromText(string(utf16.Decode(u)))
	return c, c.Text != "" || c.TooLarge()
}

// Write replaces the clipboard's content with text as CF_UNICODETEXT;
// Windows makes the other text formats from it.
func (w *win) Write(text string) error {
	if err := protocol.CheckClipboardText(text); err != nil {
		return err
	}
	u := append(utf16.Encode([]rune(text)), 0)
	h, _, err := procGlobalAlloc.Call(gmemMoveable, uintptr(2*len(u)))
	if h == 0 {
		return fmt.Errorf("clipboard: allocate: %w", err)
	}
	p, _, err := procGlobalLock.Call(h)
	if p == 0 {
		procGlobalFree.Call(h)
		return fmt.Errorf("clipboard: lock: %w", err)
	}
	copy(unsafe.Slice((*uint16)(memory(p)), len(u)), u)
	procGlobalUnlock.Call(h)
	// The clipboard is open for the thread that opened it: the calls
	// until CloseClipboard must stay on it.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := w.open(); err != nil {
		procGlobalFree.Call(h)
		return err
	}
	defer procCloseClipboard.Call()
	if r, _, err := procEmptyClipboard.Call(); r == 0 {
		procGlobalFree.Call(h)
		return fmt.Errorf("clipboard: empty: %w", err)
	}
	if r, _, err := procSetClipboardData.Call(cfUnicodeText, h); r == 0 {
		procGlobalFree.Call(h)
		return fmt.Errorf("clipboard: set: %w", err)
	}
	return nil // the system owns h now
}

// memory turns the address GlobalLock returned into a pointer. The memory
// is the system's, not Go's, and stays put while locked.
func memory(addr uintptr) unsafe.Pointer { return *(*unsafe.Pointer)(unsafe.Pointer(&addr)) }
