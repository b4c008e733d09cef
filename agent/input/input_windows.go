//go:build windows

package input

import (
	"fmt"
	"sync"
	"unicode"
	"unsafe"

	"golang.org/x/sys/windows"

	"tether/server/protocol"
)

var (
	user32                            = windows.NewLazySystemDLL("user32.dll")
	procSendInput                     = user32.NewProc("SendInput")
	procGetSystemMetrics              = user32.NewProc("GetSystemMetrics")
	procVkKeyScanW                    = user32.NewProc("VkKeyScanW")
	procMapVirtualKeyW                = user32.NewProc("MapVirtualKeyW")
	procSetProcessDpiAwarenessContext = user32.NewProc("SetProcessDpiAwarenessContext")
	procSetProcessDPIAware            = user32.NewProc("SetProcessDPIAware")
)

const (
	inputMouse    = 0
	inputKeyboard = 1

	mouseMove       = 0x0001
	mouseLeftDown   = 0x0002
	mouseLeftUp     = 0x0004
	mouseRightDown  = 0x0008
	mouseRightUp    = 0x0010
	mouseMiddleDown = 0x0020
	mouseMiddleUp   = 0x0040
	mouseXDown      = 0x0080
	mouseXUp        = 0x0100
	mouseWheel      = 0x0800
	mouseHWheel     = 0x1000
	mouseVirtDesk   = 0x4000
	mouseAbsolute   = 0x8000
	xButton1        = 1
	xButton2        = 2

	keyExtended = 0x0001
	keyUp       = 0x0002
	keyUnicode  = 0x0004

	smXVirtualScreen  = 76
	smYVirtualScreen  = 77
	smCXVirtualScreen = 78
	smCYVirtualScreen = 79

	mapVKToVSC      = 0
	dpiPerMonitorV2 = ^uintptr(3) // DPI_AWARENESS_CONTEXT_PER_MONITOR_AWARE_V2 (-4)
)

// mouseInput and keybdInput are INPUT with its union as MOUSEINPUT or
// KEYBDINPUT. The union is a nested struct so Go aligns it as C does (after
// 4 bytes on 386, 8 on 64-bit), and keybdInput is padded to the larger
// MOUSEINPUT so both are sizeof(INPUT); the array checks below fail to
// compile otherwise.
type mouseInput struct {
	Type uint32
	Mi   struct {
		Dx, Dy    int32
		MouseData uint32
		Flags     uint32
		Time      uint32
		ExtraInfo uintptr
	}
}

type keybdInput struct {
	Type uint32
	Ki   struct {
		VK        uint16
		Scan      uint16
		Flags     uint32
		Time      uint32
		ExtraInfo uintptr
	}
	_ [8]byte
}

var (
	_ = [1]struct{}{}[unsafe.Sizeof(mouseInput{})-unsafe.Sizeof(keybdInput{})]
	_ = [1]struct{}{}[unsafe.Offsetof(mouseInput{}.Mi)-unsafe.Sizeof(uintptr(0))]
	_ = [1]struct{}{}[unsafe.Offsetof(keybdInput{}.Ki)-unsafe.Sizeof(uintptr(0))]
)

func mouseEvent(flags, data uint32, dx, dy int32) mouseInput {
	m := mouseInput{Type: inputMouse}
	m.Mi.Dx, m.Mi.Dy, m.Mi.MouseData, m.Mi.Flags = dx, dy, data, flags
	return m
}

func keyEvent(vk, scan uint16, flags uint32) keybdInput {
	k := keybdInput{Type: inputKeyboard}
	k.Ki.VK, k.Ki.Scan, k.Ki.Flags = vk, scan, flags
	return k
}

// heldKey is what a held DOM code went down as: a virtual key or UTF-16
// units typed with KEYEVENTF_UNICODE.
type heldKey struct {
	vk      vkKey
	unicode []uint16
}

// sendInput injects with SendInput. Typed characters go in as Unicode
// (KEYEVENTF_UNICODE), independent of the customer's layout; named keys
// and shortcuts as virtual keys.
type sendInput struct {
	mu      sync.Mutex
	held    map[string]heldKey
	buttons map[protocol.Button]bool
	// at is where the last MouseMove put the pointer, in SendInput's
	// absolute units; buttons and wheel carry it (see at).
	at    [2]int32
	moved bool
}

var dpiOnce sync.Once

// Open prepares SendInput injection. It makes the process DPI-aware so
// pixel coordinates match what capture sees.
func Open() (Injector, error) {
	if err := procSendInput.Find(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnsupported, err)
	}
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
	return &sendInput{held: map[string]heldKey{}, buttons: map[protocol.Button]bool{}}, nil
}

func sendMouse(ins ...mouseInput) error {
	if len(ins) == 0 {
		return nil
	}
	n, _, err := procSendInput.Call(uintptr(len(ins)), uintptr(unsafe.Pointer(&ins[0])), unsafe.Sizeof(ins[0]))
	if int(n) != len(ins) {
		// Blocked when a window of higher integrity (an elevated app, UAC) has focus.
		return fmt.Errorf("input: SendInput: %w", err)
	}
	return nil
}

func sendKeys(ins []keybdInput) error {
	if len(ins) == 0 {
		return nil
	}
	n, _, err := procSendInput.Call(uintptr(len(ins)), uintptr(unsafe.Pointer(&ins[0])), unsafe.Sizeof(ins[0]))
	if int(n) != len(ins) {
		return fmt.Errorf("input: SendInput: %w", err)
	}
	return nil
}

func metric(i uintptr) int {
	v, _, _ := procGetSystemMetrics.Call(i)
	return int(int32(v))
}

func (s *sendInput) MouseMove(x, y int) error {
	ax, ay := absolute(x, y, metric(smXVirtualScreen), metric(smYVirtualScreen),
		metric(smCXVirtualScreen), metric(smCYVirtualScreen))
	s.mu.Lock()
	defer s.mu.Unlock()
	s.at, s.moved = [2]int32{ax, ay}, true
	return sendMouse(mouseEvent(mouseMove|mouseAbsolute|mouseVirtDesk, 0, ax, ay))
}

// atPointer makes a button or wheel event also move the pointer to where
// the engineer last put it, in the same event. As a separate move before
// it, the pointer could be elsewhere by the time the button arrives: the
// customer's own mouse may have moved, and under Wine the X server's
// answer to the move's pointer warp sometimes resets the cursor to where
// it was before.
func (s *sendInput) atPointer(m mouseInput) mouseInput {
	if s.moved {
		m.Mi.Flags |= mouseMove | mouseAbsolute | mouseVirtDesk
		m.Mi.Dx, m.Mi.Dy = s.at[0], s.at[1]
	}
	return m
}

func buttonFlags(b protocol.Button, down bool) (flags, data uint32, err error) {
	type pair struct{ down, up, data uint32 }
	m := map[protocol.Button]pair{
		protocol.ButtonLeft:    {mouseLeftDown, mouseLeftUp, 0},
		protocol.ButtonRight:   {mouseRightDown, mouseRightUp, 0},
		protocol.ButtonMiddle:  {mouseMiddleDown, mouseMiddleUp, 0},
		protocol.ButtonBack:    {mouseXDown, mouseXUp, xButton1},
		protocol.ButtonForward: {mouseXDown, mouseXUp, xButton2},
	}
	p, ok := m[b]
	if !ok {
		return 0, 0, fmt.Errorf("input: unknown button %d", b)
	}
	if down {
		return p.down, p.data, nil
	}
	return p.up, p.data, nil
}

func (s *sendInput) MouseButton(b protocol.Button, down bool) error {
	flags, data, err := buttonFlags(b, down)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if down {
		s.buttons[b] = true
	} else {
		delete(s.buttons, b)
	}
	return sendMouse(s.atPointer(mouseEvent(flags, data, 0, 0)))
}

// Wheel passes deltas through in Windows' own 120-per-notch units, so
// smooth scrolling stays smooth; Windows' wheel is positive away from the
// user (up), the DOM's positive is down.
func (s *sendInput) Wheel(dx, dy int) error {
	limit := maxWheelClicks * protocol.WheelNotch
	s.mu.Lock()
	defer s.mu.Unlock()
	var ins []mouseInput
	if dy != 0 {
		ins = append(ins, s.atPointer(mouseEvent(mouseWheel, uint32(int32(-min(max(dy, -limit), limit))), 0, 0)))
	}
	if dx != 0 {
		ins = append(ins, s.atPointer(mouseEvent(mouseHWheel, uint32(int32(min(max(dx, -limit), limit))), 0, 0)))
	}
	return sendMouse(ins...)
}

func vkEvent(k vkKey, up bool) keybdInput {
	scan, _, _ := procMapVirtualKeyW.Call(uintptr(k.VK), mapVKToVSC)
	var flags uint32
	if k.Extended {
		flags |= keyExtended
	}
	if up {
		flags |= keyUp
	}
	return keyEvent(k.VK, uint16(scan), flags)
}

func unicodeEvents(units []uint16, up bool) []keybdInput {
	out := make([]keybdInput, len(units))
	for i, u := range units {
		flags := uint32(keyUnicode)
		if up {
			flags |= keyUp
		}
		out[i] = keyEvent(0, u, flags)
	}
	return out
}

func (h heldKey) events(up bool) []keybdInput {
	if h.unicode != nil {
		return unicodeEvents(h.unicode, up)
	}
	return []keybdInput{vkEvent(h.vk, up)}
}

func (s *sendInput) Key(k protocol.Key) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := heldID(k)
	if !k.Down {
		h, ok := s.held[id]
		if !ok {
			return nil
		}
		delete(s.held, id)
		return sendKeys(h.events(true))
	}
	h, ok := s.resolve(k)
	if !ok {
		return nil // "Dead", "Process", "Unidentified": nothing to type
	}
	var evs []keybdInput
	if old, ok := s.held[id]; ok && (old.vk != h.vk || len(old.unicode) != len(h.unicode)) {
		evs = append(evs, old.events(true)...)
	}
	s.held[id] = h
	return sendKeys(append(evs, h.events(false)...))
}

// resolve picks how to send a key-down: named keys by code (or key name),
// shortcuts as the virtual key for the character on the customer's layout
// (VkKeyScanW) or at the engineer's physical position, other printable
// characters as Unicode.
func (s *sendInput) resolve(k protocol.Key) (heldKey, bool) {
	r, isChar := printable(k.Key)
	if vk, ok := vkForCode(k.Code); ok && !composedOnSpace(k) {
		if len(k.Code) == 7 && k.Code[:6] == "Numpad" && !isChar {
			if named, ok := vkForKeyName(k.Key); ok {
				vk = named // Num Lock off on the engineer's side
			}
		}
		return heldKey{vk: vk}, true
	}
	if !isChar {
		vk, ok := vkForKeyName(k.Key)
		return heldKey{vk: vk}, ok
	}
	if isShortcut(k.Mods) {
		if r <= 0xFFFF {
			v, _, _ := procVkKeyScanW.Call(uintptr(unicode.ToLower(r)))
			if int16(v) != -1 {
				return heldKey{vk: vkKey{VK: uint16(v & 0xFF)}}, true
			}
		}
		if vk, ok := vkForPrintableCode(k.Code); ok {
			return heldKey{vk: vkKey{VK: vk}}, true
		}
	}
	return heldKey{unicode: utf16Units(r)}, true
}

func (s *sendInput) ReleaseAll() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var keys []keybdInput
	for _, h := range s.held {
		keys = append(keys, h.events(true)...)
	}
	clear(s.held)
	var mouse []mouseInput
	for b := range s.buttons {
		flags, data, err := buttonFlags(b, false)
		if err == nil {
			mouse = append(mouse, mouseEvent(flags, data, 0, 0))
		}
	}
	clear(s.buttons)
	kerr := sendKeys(keys)
	if merr := sendMouse(mouse...); merr != nil && kerr == nil {
		return merr
	}
	return kerr
}

func (s *sendInput) Close() error { return s.ReleaseAll() }
