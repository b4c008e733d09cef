//go:build linux

// Package xvfbtest starts a private Xvfb server for tests and benchmarks,
// on a display number the server picks itself (-displayfd), so parallel
// test runs and other engineers' servers never clash.
package xvfbtest

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/randr"
	"github.com/jezek/xgb/xproto"
)

var quietXGB sync.Once

// startTimeout bounds how long Xvfb may take to announce its display.
const startTimeout = 15 * time.Second

// Start runs Xvfb with one w×h×24 screen and returns its display name
// (":N"). It skips tb when Xvfb is not installed and stops the server in
// tb's cleanup.
func Start(tb testing.TB, w, h int) string {
	tb.Helper()
	path, err := exec.LookPath("Xvfb")
	if err != nil {
		tb.Skip("Xvfb not installed; install the xvfb package to run X11 tests")
	}
	r, wr, err := os.Pipe()
	if err != nil {
		tb.Fatalf("pipe: %v", err)
	}
	defer r.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, path, "-displayfd", "3", "-nolisten", "tcp", "-noreset",
		"-screen", "0", fmt.Sprintf("%dx%dx24", w, h))
	cmd.ExtraFiles = []*os.File{wr}
	// Die with the test binary even when it crashes before cleanup.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		cancel()
		wr.Close()
		tb.Fatalf("start Xvfb: %v", err)
	}
	wr.Close()
	tb.Cleanup(func() {
		cancel()
		_ = cmd.Wait() // killed on purpose; its exit status says nothing
	})

	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(r).ReadString('\n')
		line <- s
	}()
	select {
	case s := <-line:
		n := strings.TrimSpace(s)
		if n == "" {
			tb.Fatalf("Xvfb exited without announcing a display")
		}
		// The private server runs without an Xauthority file, which xgb
		// logs on every connection; nothing else goes to xgb's logger. Set
		// once: connections of earlier tests may still be reading it.
		quietXGB.Do(func() { xgb.Logger = log.New(io.Discard, "", 0) })
		return ":" + n
	case <-time.After(startTimeout):
		tb.Fatalf("Xvfb did not announce a display within %v", startTimeout)
	}
	return ""
}

// RootGC connects to display and makes a graphics context on its root
// window, for tests that draw on the screen; the connection closes when
// the test ends.
func RootGC(tb testing.TB, display string) (*xgb.Conn, xproto.Window, xproto.Gcontext) {
	tb.Helper()
	c, err := xgb.NewConnDisplay(display)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(c.Close)
	root := xproto.Setup(c).DefaultScreen(c).Root
	gc, err := xproto.NewGcontextId(c)
	if err != nil {
		tb.Fatal(err)
	}
	if err := xproto.CreateGCChecked(c, gc, xproto.Drawable(root), 0, nil).Check(); err != nil {
		tb.Fatal(err)
	}
	return c, root, gc
}

// Monitor is one RandR monitor for SetMonitors.
type Monitor struct {
	Name       string
	X, Y, W, H int
	Primary    bool
}

// SetMonitors splits display's screen into RandR 1.5 monitors, as
// `xrandr --setmonitor LEFT 1024/270x768/203+0+0 screen` and
// `xrandr --setmonitor RIGHT 1024/270x768/203+1024+0 none` do: one wide
// Xvfb screen shown as several monitors. The first takes Xvfb's output, which
// replaces the output's own monitor. Xvfb keeps them while it runs (Start
// passes -noreset, without which they go with the last client).
func SetMonitors(tb testing.TB, display string, ms ...Monitor) {
	tb.Helper()
	c, err := xgb.NewConnDisplay(display)
	if err != nil {
		tb.Fatal(err)
	}
	defer c.Close()
	if err := randr.Init(c); err != nil {
		tb.Fatalf("RandR: %v", err)
	}
	if _, err := randr.QueryVersion(c, 1, 5).Reply(); err != nil {
		tb.Fatalf("RandR version: %v", err)
	}
	root := xproto.Setup(c).DefaultScreen(c).Root
	res, err := randr.GetScreenResources(c, root).Reply()
	if err != nil {
		tb.Fatalf("RandR screen resources: %v", err)
	}
	for i, m := range ms {
		a, err := xproto.InternAtom(c, false, uint16(len(m.Name)), m.Name).Reply()
		if err != nil {
			tb.Fatal(err)
		}
		// About 96 dpi, as xrandr would be told.
		info := randr.MonitorInfo{Name: a.Atom, Primary: m.Primary, X: int16(m.X), Y: int16(m.Y),
			Width: uint16(m.W), Height: uint16(m.H), WidthInMillimeters: uint32(m.W * 254 / 960), HeightInMillimeters: uint32(m.H * 254 / 960)}
		if i == 0 {
			info.Outputs, info.NOutput = res.Outputs, uint16(len(res.Outputs))
		}
		if err := randr.SetMonitorChecked(c, root, info).Check(); err != nil {
			tb.Fatalf("set monitor %s: %v", m.Name, err)
		}
	}
}
