//go:build linux

package e2e

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"tether/server/procstat"
)

// descendants returns the processes below pid whose command line
// contains all of want (none: every descendant).
func descendants(pid int, want ...string) []int {
	entries, _ := os.ReadDir("/proc")
	parent := map[int]int{}
	for _, e := range entries {
		if p, err := strconv.Atoi(e.Name()); err == nil {
			if st, err := procstat.Read(p); err == nil {
				parent[p] = st.PPID
			}
		}
	}
	var out []int
	for p := range parent {
		q := parent[p]
		for q > 1 && q != pid {
			q = parent[q]
		}
		if q != pid || p == pid {
			continue
		}
		cmd, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", p))
		ok := true
		for _, w := range want {
			ok = ok && strings.Contains(string(cmd), w)
		}
		if ok {
			out = append(out, p)
		}
	}
	return out
}

// cpuSet samples the CPU time of a group of processes found again at
// each sample (a browser starts and ends renderers as it likes).
type cpuSet func() []int

func pids(p ...int) cpuSet { return func() []int { return p } }

type cpuSample map[int]int64

func (s cpuSet) sample() cpuSample {
	m := cpuSample{}
	for _, p := range s() {
		if st, err := procstat.Read(p); err == nil {
			m[p] = st.CPU
		}
	}
	return m
}

// percent is the CPU used between two samples, in % of one core; a
// process that appeared in between counts from its start.
func percent(a, b cpuSample, d time.Duration) float64 {
	var ticks int64
	for p, v := range b {
		ticks += v - a[p]
	}
	return float64(ticks) / procstat.ClockTicks / d.Seconds() * 100
}

// xvfbPID finds the X server of display ":N" by its listening socket.
func xvfbPID(display string) (int, error) {
	n := strings.TrimPrefix(display, ":")
	path := "/tmp/.X11-unix/X" + n
	f, err := os.Open("/proc/net/unix")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	inodes := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) >= 8 && (fs[7] == path || fs[7] == "@"+path) {
			inodes["socket:["+fs[6]+"]"] = true
		}
	}
	procs, _ := os.ReadDir("/proc")
	for _, e := range procs {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		fds, _ := os.ReadDir(fmt.Sprintf("/proc/%d/fd", p))
		for _, fd := range fds {
			if l, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", p, fd.Name())); err == nil && inodes[l] {
				return p, nil
			}
		}
	}
	return 0, fmt.Errorf("no process listens on %s", path)
}

// proc is a helper program of the benchmark (x11vnc, an xterm, ffplay),
// killed with the test binary even if it crashes.
type proc struct {
	name string
	cmd  *exec.Cmd
	done chan struct{}
}

// startProc starts a program on display with its output in the test log;
// it is stopped in t's cleanup at the latest.
func startProc(t testing.TB, display, name string, args ...string) *proc {
	t.Helper()
	return startProcOut(t, display, &prefixWriter{t: t, prefix: filepath.Base(name) + ": "}, name, args...)
}

// startQuiet is startProc for chatty programs (Chromium): output dropped.
func startQuiet(t testing.TB, display, name string, args ...string) *proc {
	t.Helper()
	return startProcOut(t, display, io.Discard, name, args...)
}

func startProcOut(t testing.TB, display string, out io.Writer, name string, args ...string) *proc {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), "DISPLAY="+display)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	p := &proc{name: name, cmd: cmd, done: make(chan struct{})}
	go func() { cmd.Wait(); close(p.done) }()
	t.Cleanup(p.stop)
	return p
}

func (p *proc) pid() int { return p.cmd.Process.Pid }

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop ends the program and waits for it; a stopped (SIGSTOP) one too. It
// is asked first (SIGTERM), so that x11vnc removes its shared memory
// segments: killed, it leaves them behind, and a machine that runs the
// suite often runs out of them (shmget: No space left on device).
func (p *proc) stop() {
	if p.exited() {
		return
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	p.cmd.Process.Signal(syscall.SIGCONT)
	select {
	case <-p.done:
	case <-time.After(3 * time.Second):
		p.cmd.Process.Kill()
		<-p.done
	}
}

// signal sends sig unless the program has ended.
func (p *proc) signal(sig syscall.Signal) {
	if !p.exited() {
		p.cmd.Process.Signal(sig)
	}
}
