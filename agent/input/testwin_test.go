//go:build linux || windows

package input

import (
	"bufio"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"tether/server/protocol"
)

// winEvent is one line the test window (server/e2e/testwin) reports, on
// either OS.
type winEvent struct {
	Event  string
	Button int
	X, Y   int
	RootX  int `json:"root_x"`
	RootY  int `json:"root_y"`
	Text   string
	Keysym uint32 // X11
	State  uint16 // X11
	Char   rune   // Windows
	VK     int    // Windows
}

// testWindow is the test window focused at 10,20 (800×600), reporting what
// it receives, and an injector aimed at it.
type testWindow struct {
	t      *testing.T
	inj    Injector
	events chan winEvent
}

// buildTestWindow builds server/e2e/testwin into a temporary folder.
func buildTestWindow(t *testing.T, name string) string {
	t.Helper()
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go tool not on PATH; needed to build the test window")
	}
	bin := filepath.Join(t.TempDir(), name)
	out, err := exec.Command(gobin, "build", "-o", bin, "tether/server/e2e/testwin").CombinedOutput()
	if err != nil {
		t.Fatalf("build testwin: %v\n%s", err, out)
	}
	return bin
}

// startTestWindow runs the test window bin with extra arguments, waits
// until it is ready, and opens the injector with open.
func startTestWindow(t *testing.T, bin string, open func() (Injector, error), args ...string) *testWindow {
	t.Helper()
	cmd := exec.Command(bin, append(args, "-width", "800", "-height", "600", "-x", "10", "-y", "20")...)
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait() // killed on purpose
	})
	s := &testWindow{t: t, events: make(chan winEvent, 256)}
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			var ev winEvent
			if json.Unmarshal(sc.Bytes(), &ev) == nil {
				s.events <- ev
			}
		}
	}()
	s.waitFor("ready", func(ev winEvent) bool { return ev.Event == "ready" })
	if s.inj, err = open(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.inj.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return s
}

// waitFor returns the first event matching ok, failing after 5 s.
func (s *testWindow) waitFor(what string, ok func(winEvent) bool) winEvent {
	s.t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case ev := <-s.events:
			s.t.Logf("testwin: %+v", ev)
			if ok(ev) {
				return ev
			}
		case <-deadline:
			s.t.Fatalf("testwin did not report %s within 5s", what)
		}
	}
}

func (s *testWindow) key(k protocol.Key) {
	s.t.Helper()
	if err := s.inj.Key(k); err != nil {
		s.t.Fatalf("Key(%+v): %v", k, err)
	}
}

// tap presses and releases one key with mods.
func (s *testWindow) tap(key, code string, mods uint8) {
	s.t.Helper()
	s.key(protocol.Key{Down: true, Key: key, Code: code, Mods: mods})
	s.key(protocol.Key{Down: false, Key: key, Code: code, Mods: mods})
}

// typeSample types what a browser sends when an engineer on a German layout
// types "Hé ß!/€жю", then "x", Backspace and Enter: Shift held for H, ! and
// / (Shift+7 there), AltGr for €, and a rollover of two Cyrillic keys (the
// second goes down before the first comes up). more, when set, types more
// just before the "x".
func (s *testWindow) typeSample(more func()) {
	s.t.Helper()
	s.key(protocol.Key{Down: true, Key: "Shift", Code: "ShiftLeft", Mods: protocol.ModShift})
	s.tap("H", "KeyH", protocol.ModShift)
	s.key(protocol.Key{Down: false, Key: "Shift", Code: "ShiftLeft"})
	s.tap("é", "Digit2", 0)
	s.tap(" ", "Space", 0)
	s.tap("ß", "Minus", 0)
	s.key(protocol.Key{Down: true, Key: "Shift", Code: "ShiftLeft", Mods: protocol.ModShift})
	s.tap("!", "Digit1", protocol.ModShift)
	s.tap("/", "Digit7", protocol.ModShift)
	s.key(protocol.Key{Down: false, Key: "Shift", Code: "ShiftLeft"})
	s.tap("€", "KeyE", protocol.ModAltGr|protocol.ModCtrl|protocol.ModAlt)
	s.key(protocol.Key{Down: true, Key: "ж", Code: "Semicolon"})
	s.key(protocol.Key{Down: true, Key: "ю", Code: "Period"})
	s.key(protocol.Key{Down: false, Key: "ж", Code: "Semicolon"})
	s.key(protocol.Key{Down: false, Key: "ю", Code: "Period"})
	if more != nil {
		more()
	}
	s.tap("x", "KeyX", 0)
	s.tap("Backspace", "Backspace", 0)
	s.tap("Enter", "Enter", 0)
}
