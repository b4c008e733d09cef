//go:build linux

package e2e

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"tether/server/e2e/sbsprobe/barcode"
)

// probe is the running sbsprobe: the barcode and the key square in the
// top right corner of the screen.
type probe struct {
	x, y  int // window position on the screen
	stdin io.WriteCloser
	mu    sync.Mutex
	press []probePress
}

// probePress is one press of the probe's key as the probe saw it.
type probePress struct {
	n  int     // presses so far; the square shows Palette[n%8]
	ms float64 // Unix milliseconds
}

func startProbe(t testing.TB, bin, display string, screenW int) *probe {
	t.Helper()
	p := &probe{x: screenW - barcode.Width, y: 0}
	cmd := exec.Command(bin, "-x", strconv.Itoa(p.x), "-y", strconv.Itoa(p.y))
	cmd.Env = append(os.Environ(), "DISPLAY="+display)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	cmd.Stderr = &prefixWriter{t: t, prefix: "probe: "}
	var err error
	if p.stdin, err = cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		p.stdin.Close() // the probe exits when its input ends
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			f := strings.Fields(sc.Text())
			switch {
			case len(f) == 1 && f[0] == "ready":
				close(ready)
			case len(f) == 3 && f[0] == "press":
				n, _ := strconv.Atoi(f[1])
				ms, _ := strconv.ParseFloat(f[2], 64)
				p.mu.Lock()
				p.press = append(p.press, probePress{n, ms})
				p.mu.Unlock()
			}
		}
	}()
	select {
	case <-ready:
	case <-time.After(10 * time.Second):
		t.Fatal("the probe did not show its window")
	}
	return p
}

func (p *probe) command(t testing.TB, c string) {
	t.Helper()
	if _, err := fmt.Fprintln(p.stdin, c); err != nil {
		t.Fatalf("probe %s: %v", c, err)
	}
}

// run starts the 60 Hz barcode; idle stops it.
func (p *probe) run(t testing.TB)  { p.command(t, "run") }
func (p *probe) idle(t testing.TB) { p.command(t, "idle") }

// presses returns the presses seen so far.
func (p *probe) presses() []probePress {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]probePress(nil), p.press...)
}
