package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// clockTicks is USER_HZ, the unit of /proc/<pid>/stat times; 100 on every
// Linux the benchmark runs on.
const clockTicks = 100

// cpuStat is a process's CPU time in clock ticks: its own, and that of its
// children it has waited for (PostgreSQL's ended backends).
type cpuStat struct {
	self, children int64
}

// readCPU reads utime+stime (and cutime+cstime) of pid from /proc/<pid>/stat.
func readCPU(pid int) (cpuStat, int, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return cpuStat{}, 0, err
	}
	// The command name is in parentheses and may hold spaces; fields
	// count from after its closing one (man 5 proc: ppid is field 4,
	// utime 14, stime 15, cutime 16, cstime 17).
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return cpuStat{}, 0, fmt.Errorf("parse /proc/%d/stat", pid)
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 15 {
		return cpuStat{}, 0, fmt.Errorf("parse /proc/%d/stat", pid)
	}
	n := func(k int) int64 { v, _ := strconv.ParseInt(f[k-3], 10, 64); return v }
	return cpuStat{self: n(14) + n(15), children: n(16) + n(17)}, int(n(4)), nil
}

// readRSS reads VmRSS of pid in bytes.
func readRSS(pid int) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if rest, ok := strings.CutPrefix(s.Text(), "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb * 1024, err
		}
	}
	return 0, fmt.Errorf("no VmRSS for %d", pid)
}

// treeCPU is the CPU of pid and all its live children, plus what its
// ended children used: PostgreSQL's postmaster and backends.
func treeCPU(pid int) int64 {
	root, _, err := readCPU(pid)
	if err != nil {
		return 0
	}
	total := root.self + root.children
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, d := range dirs {
		child, err := strconv.Atoi(filepath.Base(d))
		if err != nil || child == pid {
			continue
		}
		if c, ppid, err := readCPU(child); err == nil && ppid == pid {
			total += c.self + c.children
		}
	}
	return total
}

// machineBusy reads the whole machine's busy and total time in ticks from
// /proc/stat, to show what else ran during a window.
func machineBusy() (busy, total int64) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	for i, s := range f[1:] {
		v, _ := strconv.ParseInt(s, 10, 64)
		total += v
		if i != 3 && i != 4 { // idle, iowait
			busy += v
		}
	}
	return busy, total
}

// openFiles counts the descriptors this process holds.
func openFiles() int {
	d, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return 0
	}
	return len(d)
}

// memTotal is the machine's memory in bytes, for the report's header.
func memTotal() int64 {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(l, "MemTotal:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb * 1024
		}
	}
	return 0
}
