//go:build windows

package desktop

import (
	"fmt"
	"image"
	"syscall"
	"unsafe"

	"golang.org/x/sys/windows"
)

var (
	user32               = windows.NewLazySystemDLL("user32.dll")
	procEnumWindows      = user32.NewProc("EnumWindows")
	procGetWindowTextW   = user32.NewProc("GetWindowTextW")
	procGetWindowTextLen = user32.NewProc("GetWindowTextLengthW")
	procIsWindowVisible  = user32.NewProc("IsWindowVisible")
	procIsIconic         = user32.NewProc("IsIconic")
	procGetWindowRect    = user32.NewProc("GetWindowRect")
	procGetForeground    = user32.NewProc("GetForegroundWindow")
	procGetAncestor      = user32.NewProc("GetAncestor")
	procGetWindowLongW   = user32.NewProc("GetWindowLongW")
)

const (
	gaRoot          = 2
	gwlExStyle      = -20
	wsExToolWindow  = 0x00000080
	wsExTransparent = 0x00000020
)

// win32 reads windows with EnumWindows, which walks the top-level windows
// from the top of the stacking order down. Coordinates are the primary
// screen's, as the GDI capture's are.
type win32 struct{}

func open() (Desktop, error) { return win32{}, nil }

func (win32) Close() error { return nil }

// Ignore has nothing to do: windows that let clicks through
// (WS_EX_TRANSPARENT, as an overlay is) cover nothing in Layout.
func (win32) Ignore(ID) {}

type shownWindow struct {
	h     windows.HWND
	rect  image.Rectangle
	title string
}

// shown lists the visible, not minimised top-level windows, top-most first.
func shown() ([]shownWindow, error) {
	var out []shownWindow
	cb := syscall.NewCallback(func(h windows.HWND, _ uintptr) uintptr {
		if v, _, _ := procIsWindowVisible.Call(uintptr(h)); v == 0 {
			return 1
		}
		if m, _, _ := procIsIconic.Call(uintptr(h)); m != 0 {
			return 1
		}
		var r struct{ Left, Top, Right, Bottom int32 }
		if ok, _, _ := procGetWindowRect.Call(uintptr(h), uintptr(unsafe.Pointer(&r))); ok == 0 {
			return 1
		}
		rect := image.Rect(int(r.Left), int(r.Top), int(r.Right), int(r.Bottom))
		if rect.Empty() {
			return 1
		}
		out = append(out, shownWindow{h: h, rect: rect, title: text(h)})
		return 1
	})
	if ok, _, err := procEnumWindows.Call(cb, 0); ok == 0 {
		return nil, fmt.Errorf("desktop: EnumWindows: %w", err)
	}
	return out, nil
}

func text(h windows.HWND) string {
	n, _, _ := procGetWindowTextLen.Call(uintptr(h))
	if n == 0 {
		return ""
	}
	buf := make([]uint16, n+1)
	got, _, _ := procGetWindowTextW.Call(uintptr(h), uintptr(unsafe.Pointer(&buf[0])), uintptr(len(buf)))
	return windows.UTF16ToString(buf[:got])
}

func (win32) List() ([]Window, error) {
	ws, err := shown()
	if err != nil {
		return nil, err
	}
	var out []Window
	for _, w := range ws {
		ex, _, _ := procGetWindowLongW.Call(uintptr(w.h), uintptr(uint32(gwlExStyle&0xffffffff)))
		if w.title == "" || ex&wsExToolWindow != 0 {
			continue
		}
		out = append(out, Window{ID: ID(w.h), Title: w.title, Rect: w.rect})
	}
	return out, nil
}

func (win32) Layout(id ID) (Layout, error) {
	ws, err := shown()
	if err != nil {
		return Layout{}, err
	}
	for i, w := range ws {
		if ID(w.h) != id {
			continue
		}
		l := Layout{Rect: w.rect}
		for _, a := range ws[:i] {
			ex, _, _ := procGetWindowLongW.Call(uintptr(a.h), uintptr(uint32(gwlExStyle&0xffffffff)))
			if ex&wsExTransparent == 0 && a.rect.Overlaps(l.Rect) {
				l.Above = append(l.Above, a.rect)
			}
		}
		return l, nil
	}
	return Layout{}, ErrGone
}

func (win32) Focused(id ID) (bool, error) {
	fg, _, _ := procGetForeground.Call()
	if fg == 0 {
		return false, nil
	}
	root, _, _ := procGetAncestor.Call(fg, gaRoot)
	return ID(root) == id || ID(fg) == id, nil
}
