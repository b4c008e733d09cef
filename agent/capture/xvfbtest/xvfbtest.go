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
