//go:build linux

package codecbench

import (
	"syscall"
	"testing"
)

type cpuClock struct {
	start int64
	ok    bool
}

func cpuNanos() (int64, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return ru.Utime.Nano() + ru.Stime.Nano(), true
}

func startCPU() cpuClock {
	n, ok := cpuNanos()
	return cpuClock{start: n, ok: ok}
}

// report adds cpu-ns/op: process CPU time per iteration since startCPU.
func (c cpuClock) report(b *testing.B) {
	n, ok := cpuNanos()
	if c.ok && ok && b.N > 0 {
		b.ReportMetric(float64(n-c.start)/float64(b.N), "cpu-ns/op")
	}
}
