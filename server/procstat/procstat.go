// Package procstat reads what Linux's /proc says about processes and the
// machine — CPU time, parent, resident memory — for the benchmarks that
// measure Tether's programs from outside (server/loadgen, server/e2e). See
// proc(5). Elsewhere than Linux every reader fails.
package procstat

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// ClockTicks is USER_HZ, the unit of /proc/PID/stat's times: 100 on every
// Linux architecture Go supports.
const ClockTicks = 100

// Stat is what the benchmarks take from /proc/PID/stat.
type Stat struct {
	PPID int
	// CPU is utime+stime of all the process's threads, in ClockTicks.
	CPU int64
	// ChildrenCPU is cutime+cstime: the CPU of children it has waited for.
	ChildrenCPU int64
}

// Read reads /proc/PID/stat; an error when the process is gone.
func Read(pid int) (Stat, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return Stat{}, err
	}
	// The command name is in parentheses and may hold spaces; fields
	// count from after its closing one (ppid is field 4, utime 14, stime
	// 15, cutime 16, cstime 17).
	i := bytes.LastIndexByte(b, ')')
	var f []string
	if i >= 0 {
		f = strings.Fields(string(b[i+1:]))
	}
	if len(f) < 15 {
		return Stat{}, fmt.Errorf("procstat: cannot parse /proc/%d/stat", pid)
	}
	n := func(field int) int64 { v, _ := strconv.ParseInt(f[field-3], 10, 64); return v }
	return Stat{PPID: int(n(4)), CPU: n(14) + n(15), ChildrenCPU: n(16) + n(17)}, nil
}

// TreeCPU is the CPU of pid, of its live children and of the children it
// waited for, in ClockTicks: a server that forks a process per client
// (PostgreSQL) whole.
func TreeCPU(pid int) (int64, error) {
	root, err := Read(pid)
	if err != nil {
		return 0, err
	}
	total := root.CPU + root.ChildrenCPU
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, d := range dirs {
		child, err := strconv.Atoi(filepath.Base(d))
		if err != nil || child == pid {
			continue
		}
		if s, err := Read(child); err == nil && s.PPID == pid {
			total += s.CPU + s.ChildrenCPU
		}
	}
	return total, nil
}

// RSS is the resident memory of pid in bytes (VmRSS of /proc/PID/status).
func RSS(pid int) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	return kB(f, "VmRSS:")
}

// MemTotal is the machine's memory in bytes.
func MemTotal() (int64, error) {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	return kB(f, "MemTotal:")
}

// kB finds the line starting with key in a /proc file of "key: n kB" lines.
func kB(f *os.File, key string) (int64, error) {
	s := bufio.NewScanner(f)
	for s.Scan() {
		if rest, ok := strings.CutPrefix(s.Text(), key); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb * 1024, err
		}
	}
	return 0, fmt.Errorf("procstat: no %s in %s", key, f.Name())
}

// Machine returns the busy and total CPU time of the whole machine, all
// cores, from /proc/stat: how much else ran besides the processes a
// benchmark follows.
func Machine() (busy, total int64) {
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
