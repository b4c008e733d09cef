//go:build windows

package input

import (
	"fmt"
	"os"
	"testing"
	"time"

	"tether/server/protocol"
)

var procGetAsyncKeyState = user32.NewProc("GetAsyncKeyState")

// testwinExe returns the Windows build of server/e2e/testwin, the window
// that reports what it receives: $TETHER_TESTWIN when set (the Wine
// harness in server/e2e builds it on Linux, where this test binary runs
// without a go tool), otherwise built here.
func testwinExe(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("TETHER_TESTWIN"); p != "" {
		return p
	}
	return buildTestWindow(t, "testwin.exe")
}

// winSession is the test window and SendInput aimed at it.
type winSession struct{ *testWindow }

func newWinSession(t *testing.T) *winSession {
	return &winSession{startTestWindow(t, testwinExe(t), Open)}
}

func keyDown(vk int) bool {
	r, _, _ := procGetAsyncKeyState.Call(uintptr(vk))
	return r&0x8000 != 0
}

// waitKeys waits until every virtual key in vks is down (or up). Wine
// updates the state GetAsyncKeyState reads a moment after SendInput.
func waitKeys(t *testing.T, down bool, vks ...int) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for {
		var wrong []int
		for _, vk := range vks {
			if keyDown(vk) != down {
				wrong = append(wrong, vk)
			}
		}
		if len(wrong) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("virtual keys %#x not down=%v after 2s", wrong, down)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestWindowsClick(t *testing.T) {
	s := newWinSession(t)
	if err := s.inj.MouseMove(110, 70); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		b    protocol.Button
		want int
	}{{protocol.ButtonLeft, 1}, {protocol.ButtonRight, 3}, {protocol.ButtonMiddle, 2}, {protocol.ButtonBack, 8}, {protocol.ButtonForward, 9}} {
		if err := s.inj.MouseButton(tt.b, true); err != nil {
			t.Fatal(err)
		}
		if err := s.inj.MouseButton(tt.b, false); err != nil {
			t.Fatal(err)
		}
		ev := s.waitFor("click", func(ev winEvent) bool { return ev.Event == "button" })
		if ev.Button != tt.want || ev.X != 100 || ev.Y != 50 || ev.RootX != 110 || ev.RootY != 70 {
			t.Errorf("button %d: got %+v", tt.b, ev)
		}
	}
	// The far corner of the window: every pixel is reachable.
	if err := s.inj.MouseMove(809, 619); err != nil {
		t.Fatal(err)
	}
	if err := s.inj.MouseButton(protocol.ButtonLeft, true); err != nil {
		t.Fatal(err)
	}
	if err := s.inj.MouseButton(protocol.ButtonLeft, false); err != nil {
		t.Fatal(err)
	}
	if ev := s.waitFor("corner click", func(ev winEvent) bool { return ev.Event == "button" }); ev.X != 799 || ev.Y != 599 {
		t.Errorf("corner click at %d,%d, want 799,599", ev.X, ev.Y)
	}
	if err := s.inj.Wheel(0, 2*protocol.WheelNotch); err != nil {
		t.Fatal(err)
	}
	if ev := s.waitFor("wheel", func(ev winEvent) bool { return ev.Event == "button" }); ev.Button != 5 {
		t.Errorf("wheel down: got button %d", ev.Button)
	}
}

func TestWindowsTyping(t *testing.T) {
	s := newWinSession(t)
	// The common text, with one character above U+FFFF (a surrogate pair)
	// after the rollover.
	s.typeSample(func() { s.tap("😀", "", 0) })

	const want = "Hé ß!/€жю😀\n"
	s.waitFor("typed "+want, func(ev winEvent) bool { return ev.Event == "typed" && ev.Text == want })
	waitKeys(t, false, 0x10, 0x11, 0x12) // Shift, Control, Alt
}

func TestWindowsShortcut(t *testing.T) {
	s := newWinSession(t)
	s.key(protocol.Key{Down: true, Key: "Control", Code: "ControlLeft", Mods: protocol.ModCtrl})
	s.tap("c", "KeyC", protocol.ModCtrl)
	// A Russian engineer's Ctrl+C arrives as "с" (Cyrillic es): still C.
	s.tap("с", "KeyC", protocol.ModCtrl)
	s.key(protocol.Key{Down: false, Key: "Control", Code: "ControlLeft"})
	for range 2 {
		s.waitFor("C key", func(ev winEvent) bool { return ev.Event == "keydown" && ev.VK == 'C' })
		if ev := s.waitFor("ctrl+c", func(ev winEvent) bool { return ev.Event == "key" }); ev.Char != 3 {
			t.Errorf("got character %#x, want Ctrl+C (0x03)", ev.Char)
		}
	}
}

// TestWindowsReleaseAll checks the releases in the window's messages:
// Wine resets its key state to the X server's when the focus arrives,
// which may be just after the test window is ready, so GetAsyncKeyState
// says little there.
func TestWindowsReleaseAll(t *testing.T) {
	s := newWinSession(t)
	s.key(protocol.Key{Down: true, Key: "Shift", Code: "ShiftLeft", Mods: protocol.ModShift})
	s.key(protocol.Key{Down: true, Key: "Control", Code: "ControlLeft", Mods: protocol.ModShift | protocol.ModCtrl})
	s.key(protocol.Key{Down: true, Key: "ArrowLeft", Code: "ArrowLeft", Mods: protocol.ModShift | protocol.ModCtrl})
	if err := s.inj.MouseMove(110, 70); err != nil {
		t.Fatal(err)
	}
	if err := s.inj.MouseButton(protocol.ButtonLeft, true); err != nil {
		t.Fatal(err)
	}
	s.waitEvents("presses", "keydown 0x10", "keydown 0x11", "keydown 0x25", "button 1")
	if err := s.inj.ReleaseAll(); err != nil {
		t.Fatal(err)
	}
	s.waitEvents("releases", "keyup 0x10", "keyup 0x11", "keyup 0x25", "buttonup 1")
	// A key-up after ReleaseAll is harmless.
	s.key(protocol.Key{Down: false, Key: "ArrowLeft", Code: "ArrowLeft"})
}

// waitEvents waits until testwin has reported every event named, as
// "keydown 0x10" (an event and its virtual key) or "button 1" (an event
// and its button).
func (s *winSession) waitEvents(what string, names ...string) {
	s.t.Helper()
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	s.waitFor(what, func(ev winEvent) bool {
		delete(want, fmt.Sprintf("%s %#x", ev.Event, ev.VK))
		delete(want, fmt.Sprintf("%s %d", ev.Event, ev.Button))
		return len(want) == 0
	})
}
