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
)

// clockTicks is USER_HZ, the unit of /proc/PID/stat's times: 100 on every
// Linux architecture Go supports.
const clockTicks = 100

// cpuTicks returns utime+stime of a process (all its threads), or false
// when it is gone.
func cpuTicks(pid int) (int64, bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, false
	}
	// The command name is in parentheses and may hold spaces; fields
	// count from after it.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0, false
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return u + st, true
}

// parentPID returns a process's parent.
func parentPID(pid int) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 2 {
		return 0
	}
	p, _ := strconv.Atoi(f[1])
	return p
}

// descendants returns the processes below pid whose command line
// contains all of want (none: every descendant).
func descendants(pid int, want ...string) []int {
	entries, _ := os.ReadDir("/proc")
	parent := map[int]int{}
	for _, e := range entries {
		if p, err := strconv.Atoi(e.Name()); err == nil {
			parent[p] = parentPID(p)
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
		if v, ok := cpuTicks(p); ok {
			m[p] = v
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
	return float64(ticks) / clockTicks / d.Seconds() * 100
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

// stop kills the program and waits for it; a stopped (SIGSTOP) one too.
func (p *proc) stop() {
	if p.exited() {
		return
	}
	p.cmd.Process.Kill()
	<-p.done
}

// signal sends sig unless the program has ended.
func (p *proc) signal(sig syscall.Signal) {
	if !p.exited() {
		p.cmd.Process.Signal(sig)
	}
}

// machineTicks returns the busy and total CPU time of the whole machine,
// all cores, from /proc/stat: how much else was running besides the
// processes the benchmark follows.
func machineTicks() (busy, total int64) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 5 || f[0] != "cpu" {
		return 0, 0
	}
	for i, v := range f[1:] {
		n, _ := strconv.ParseInt(v, 10, 64)
		total += n
		if i != 3 && i != 4 { // idle, iowait
			busy += n
		}
	}
	return busy, total
}
