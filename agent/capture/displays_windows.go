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
	procEnumDisplayMonitors = user32.NewProc("EnumDisplayMonitors")
	procGetMonitorInfoW     = user32.NewProc("GetMonitorInfoW")
)

const monitorInfoPrimary = 1 // MONITORINFOF_PRIMARY

type rect struct{ Left, Top, Right, Bottom int32 }

// monitorInfoEx is MONITORINFOEXW.
type monitorInfoEx struct {
	Size    uint32
	Monitor rect
	Work    rect
	Flags   uint32
	Device  [32]uint16
}

var (
	// enumMu serialises Displays: the callback, made once (Windows allows
	// a process few callbacks), appends to enumInto.
	enumMu       sync.Mutex
	enumInto     []Display
	enumErr      error
	enumCallback = windows.NewCallback(func(hmon, _ uintptr, _ *rect, _ uintptr) uintptr {
		mi := monitorInfoEx{Size: uint32(unsafe.Sizeof(monitorInfoEx{}))}
		if ok, _, err := procGetMonitorInfoW.Call(hmon, uintptr(unsafe.Pointer(&mi))); ok == 0 {
			enumErr = fmt.Errorf("capture: GetMonitorInfo: %w", err)
			return 0
		}
		r := image.Rect(int(mi.Monitor.Left), int(mi.Monitor.Top), int(mi.Monitor.Right), int(mi.Monitor.Bottom))
		if !r.Empty() {
			enumInto = append(enumInto, Display{Bounds: r, Primary: mi.Flags&monitorInfoPrimary != 0,
				Name: windows.UTF16ToString(mi.Device[:])})
		}
		return 1
	})
)

// Displays implements Areas with EnumDisplayMonitors: each monitor's
// rectangle on the virtual screen (in physical pixels: the process is
// per-monitor DPI aware), the primary flag and the device name
// (`\\.\DISPLAY1`).
func (g *gdi) Displays() ([]Display, error) {
	beDPIAware()
	enumMu.Lock()
	defer enumMu.Unlock()
	enumInto, enumErr = nil, nil
	ok, _, err := procEnumDisplayMonitors.Call(0, 0, enumCallback, 0)
	ds, eerr := enumInto, enumErr
	enumInto = nil
	if eerr != nil {
		return nil, eerr
	}
	if ok == 0 {
		return nil, fmt.Errorf("capture: EnumDisplayMonitors: %w", err)
	}
	if len(ds) == 0 {
		// A session without monitors (disconnected remote desktop): the
		// primary screen's metrics still say what BitBlt reads.
		return []Display{{Bounds: image.Rect(0, 0, int(metric(smCXScreen)), int(metric(smCYScreen))), Primary: true}}, nil
	}
	return ds, nil
}
