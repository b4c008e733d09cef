//go:build linux

package input

import (
	"testing"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"

	"tether/agent/capture/xvfbtest"
	"tether/server/protocol"
)

// session is an Xvfb with the test window focused and XTest aimed at it.
type session struct {
	*testWindow
	display string
}

func newSession(t *testing.T) *session {
	display := xvfbtest.Start(t, 1024, 768)
	w := startTestWindow(t, buildTestWindow(t, "testwin"), func() (Injector, error) { return openX11(display) }, "-display", display)
	return &session{testWindow: w, display: display}
}

// pressedKeys returns how many keys the server believes are down.
func pressedKeys(t *testing.T, display string) int {
	t.Helper()
	c, err := xgb.NewConnDisplay(display)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	km, err := xproto.QueryKeymap(c).Reply()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, b := range km.Keys {
		for ; b != 0; b &= b - 1 {
			n++
		}
	}
	return n
}

func TestX11Click(t *testing.T) {
	s := newSession(t)
	if err := s.inj.MouseMove(110, 70); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		b    protocol.Button
		want int
	}{{protocol.ButtonLeft, 1}, {protocol.ButtonRight, 3}, {protocol.ButtonBack, 8}} {
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
	if err := s.inj.Wheel(0, 240); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if ev := s.waitFor("wheel", func(ev winEvent) bool { return ev.Event == "button" }); ev.Button != 5 {
			t.Errorf("wheel down: got button %d", ev.Button)
		}
	}
}

func TestX11Typing(t *testing.T) {
	s := newSession(t)
	s.typeSample(nil)

	const want = "Hé ß!/€жю\n"
	s.waitFor("typed "+want, func(ev winEvent) bool { return ev.Event == "typed" && ev.Text == want })
	if n := pressedKeys(t, s.display); n != 0 {
		t.Errorf("%d keys still down after typing", n)
	}
}

func TestX11Shortcut(t *testing.T) {
	s := newSession(t)
	s.key(protocol.Key{Down: true, Key: "Control", Code: "ControlLeft", Mods: protocol.ModCtrl})
	s.tap("c", "KeyC", protocol.ModCtrl)
	// A Russian engineer's Ctrl+C arrives as "с" (Cyrillic es): still C.
	s.tap("с", "KeyC", protocol.ModCtrl)
	s.key(protocol.Key{Down: false, Key: "Control", Code: "ControlLeft"})
	for range 2 {
		ev := s.waitFor("ctrl+c", func(ev winEvent) bool { return ev.Event == "key" && ev.Keysym != 0xffe3 })
		if ev.Keysym != 'c' || ev.State&xproto.ModMaskControl == 0 {
			t.Errorf("got keysym %#x state %#x, want c with Control", ev.Keysym, ev.State)
		}
	}
}

func TestX11ReleaseAll(t *testing.T) {
	s := newSession(t)
	s.key(protocol.Key{Down: true, Key: "Shift", Code: "ShiftLeft", Mods: protocol.ModShift})
	s.key(protocol.Key{Down: true, Key: "AltGraph", Code: "AltRight", Mods: protocol.ModAltGr})
	s.key(protocol.Key{Down: true, Key: "A", Code: "KeyA", Mods: protocol.ModShift})
	s.key(protocol.Key{Down: true, Key: "ж", Code: "Semicolon"})
	if err := s.inj.MouseButton(protocol.ButtonLeft, true); err != nil {
		t.Fatal(err)
	}
	if n := pressedKeys(t, s.display); n != 4 {
		t.Errorf("%d keys down before ReleaseAll, want 4", n)
	}
	if err := s.inj.ReleaseAll(); err != nil {
		t.Fatal(err)
	}
	if n := pressedKeys(t, s.display); n != 0 {
		t.Errorf("%d keys down after ReleaseAll", n)
	}
	c, err := xgb.NewConnDisplay(s.display)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	p, err := xproto.QueryPointer(c, xproto.Setup(c).DefaultScreen(c).Root).Reply()
	if err != nil {
		t.Fatal(err)
	}
	if p.Mask&(xproto.KeyButMaskButton1|xproto.KeyButMaskShift) != 0 {
		t.Errorf("pointer mask %#x after ReleaseAll", p.Mask)
	}
	// A key-up after ReleaseAll is harmless.
	s.key(protocol.Key{Down: false, Key: "A", Code: "KeyA"})
}
