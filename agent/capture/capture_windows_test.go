//go:build windows

package capture

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/windows"
)

var (
	procRegisterClassExW = user32.NewProc("RegisterClassExW")
	procCreateWindowExW  = user32.NewProc("CreateWindowExW")
	procDefWindowProcW   = user32.NewProc("DefWindowProcW")
	procGetMessageW      = user32.NewProc("GetMessageW")
	procDispatchMessageW = user32.NewProc("DispatchMessageW")
	procPostMessageW     = user32.NewProc("PostMessageW")
	procDestroyWindow    = user32.NewProc("DestroyWindow")
	procSetCursorPos     = user32.NewProc("SetCursorPos")
	procLoadCursorW      = user32.NewProc("LoadCursorW")
	procCreateSolidBrush = gdi32.NewProc("CreateSolidBrush")
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

type msg struct {
	Hwnd    windows.HWND
	Message uint32
	WParam  uintptr
	LParam  uintptr
	Time    uint32
	Pt      struct{ X, Y int32 }
	Private uint32
}

// showBox shows a borderless topmost window of one colour (0xRRGGBB) with
// the arrow cursor, until the test ends. Its thread pumps its messages.
func showBox(t *testing.T, x, y, w, h int, colour uint32) {
	t.Helper()
	const (
		wsPopup, wsVisible, wsExTopmost = 0x80000000, 0x10000000, 0x8
		wmClose, idcArrow               = 0x0010, 32512
	)
	created := make(chan windows.HWND, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		class, _ := windows.UTF16PtrFromString("TetherCaptureTest")
		brush, _, _ := procCreateSolidBrush.Call(uintptr(colour>>16&0xff | colour&0xff00 | colour&0xff<<16)) // COLORREF is 0x00BBGGRR
		arrow, _, _ := procLoadCursorW.Call(0, idcArrow)
		wc := wndClassEx{Size: uint32(unsafe.Sizeof(wndClassEx{})), ClassName: class,
			WndProc: procDefWindowProcW.Addr(), Background: windows.Handle(brush), Cursor: windows.Handle(arrow)}
		procRegisterClassExW.Call(uintptr(unsafe.Pointer(&wc)))
		hwnd, _, err := procCreateWindowExW.Call(wsExTopmost, uintptr(unsafe.Pointer(class)), 0, wsPopup|wsVisible,
			uintptr(x), uintptr(y), uintptr(w), uintptr(h), 0, 0, 0, 0)
		if hwnd == 0 {
			t.Errorf("CreateWindowExW: %v", err)
			created <- 0
			return
		}
		created <- windows.HWND(hwnd)
		var m msg
		for {
			r, _, _ := procGetMessageW.Call(uintptr(unsafe.Pointer(&m)), 0, 0, 0)
			if int32(r) <= 0 {
				return
			}
			if m.Message == wmClose {
				procDestroyWindow.Call(hwnd)
				return
			}
			procDispatchMessageW.Call(uintptr(unsafe.Pointer(&m)))
		}
	}()
	hwnd := <-created
	if hwnd == 0 {
		t.FailNow()
	}
	t.Cleanup(func() {
		procPostMessageW.Call(uintptr(hwnd), wmClose, 0, 0)
		<-done
	})
}

func pixel(f *Frame, x, y int) uint32 {
	i := y*f.Stride + x*4
	return uint32(f.Pix[i+2])<<16 | uint32(f.Pix[i+1])<<8 | uint32(f.Pix[i])
}

// TestGDICapture shows a coloured box and waits until a capture of the
// screen has it in the right place, then reads the pointer over it.
func TestGDICapture(t *testing.T) {
	const x, y, w, h, colour = 100, 50, 200, 100, 0xabcdef
	showBox(t, x, y, w, h, colour)
	c, err := Open()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sw, _, _ := procGetSystemMetrics.Call(smCXScreen)
	sh, _, _ := procGetSystemMetrics.Call(smCYScreen)
	deadline := time.Now().Add(5 * time.Second)
	for {
		f, err := c.Capture()
		if err != nil {
			t.Fatal(err)
		}
		if f.Width != int(sw) || f.Height != int(sh) || f.Stride != f.Width*4 || len(f.Pix) != f.Stride*f.Height {
			t.Fatalf("frame %dx%d stride %d, %d bytes; screen %dx%d", f.Width, f.Height, f.Stride, len(f.Pix), sw, sh)
		}
		corners := [][2]int{{x, y}, {x + w - 1, y}, {x, y + h - 1}, {x + w - 1, y + h - 1}}
		outside := [][2]int{{x - 1, y}, {x + w, y + h - 1}}
		ok := true
		for _, p := range corners {
			ok = ok && pixel(f, p[0], p[1]) == colour
		}
		for _, p := range outside {
			ok = ok && pixel(f, p[0], p[1]) != colour
		}
		if ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("box not captured: corner %06x, outside %06x", pixel(f, x, y), pixel(f, x-1, y))
		}
		time.Sleep(20 * time.Millisecond)
	}

	if r, _, err := procSetCursorPos.Call(x+20, y+30); r == 0 {
		t.Fatalf("SetCursorPos: %v", err)
	}
	// The first Cursor call returns the image; later ones only when it changes.
	var img []byte
	deadline = time.Now().Add(5 * time.Second)
	for {
		cur, err := c.Cursor()
		if err != nil {
			t.Fatal(err)
		}
		if cur.RGBA != nil {
			img = cur.RGBA
		}
		if cur.X == x+20 && cur.Y == y+30 && cur.Visible {
			if len(img) != cur.W*cur.H*4 || cur.W == 0 || !anyOpaque(img) || cur.HotX >= cur.W || cur.HotY >= cur.H {
				t.Fatalf("cursor image %dx%d hot spot %d,%d with %d bytes, opaque %v", cur.W, cur.H, cur.HotX, cur.HotY, len(img), anyOpaque(img))
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("cursor at %d,%d visible %v, want visible at %d,%d", cur.X, cur.Y, cur.Visible, x+20, y+30)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// boxHelper marks the test binary run as the other process of
// TestGDICursorOfAnotherProcess.
const boxHelper = "TETHER_CAPTURE_BOX_HELPER"

// TestGDICursorOfAnotherProcess: over another program's window the pointer
// keeps reporting its position, even where that program's cursor image
// cannot be read (Wine refuses GetIconInfo on other processes' cursors).
func TestGDICursorOfAnotherProcess(t *testing.T) {
	const x, y = 400, 300
	if os.Getenv(boxHelper) == "1" {
		showBox(t, x, y, 100, 100, 0x00ff00)
		fmt.Println("ready")
		io.Copy(io.Discard, os.Stdin) // until the parent is done
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestGDICursorOfAnotherProcess$")
	cmd.Env = append(os.Environ(), boxHelper+"=1")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	defer stdin.Close()
	ready := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if sc.Text() == "ready" {
				ready <- true
			}
		}
		close(ready)
	}()
	select {
	case ok := <-ready:
		if !ok {
			t.Fatal("the helper process exited before showing its window")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the helper process showed no window within 10s")
	}

	c, err := Open()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if r, _, err := procSetCursorPos.Call(x+50, y+50); r == 0 {
		t.Fatalf("SetCursorPos: %v", err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		cur, err := c.Cursor()
		if err != nil {
			t.Fatalf("Cursor over another process's window: %v", err)
		}
		if cur.X == x+50 && cur.Y == y+50 && cur.Visible {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("cursor at %d,%d visible %v, want visible at %d,%d", cur.X, cur.Y, cur.Visible, x+50, y+50)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
