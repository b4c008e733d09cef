//go:build js && wasm

package codecbench

import (
	"syscall/js"
	"testing"
)

type cpuClock struct {
	start float64
	ok    bool
}

// cpuMicros asks node for the process's CPU time (process.cpuUsage), so the
// wasm benchmarks, like the native ones, can report a figure that other
// builds on a shared box inflate less than wall time.
func cpuMicros() (us float64, ok bool) {
	defer func() {
		if recover() != nil { // not node: no process.cpuUsage
			us, ok = 0, false
		}
	}()
	u := js.Global().Get("process").Call("cpuUsage")
	return u.Get("user").Float() + u.Get("system").Float(), true
}

func startCPU() cpuClock {
	us, ok := cpuMicros()
	return cpuClock{start: us, ok: ok}
}

// report adds cpu-ns/op: process CPU time per iteration since startCPU.
func (c cpuClock) report(b *testing.B) {
	us, ok := cpuMicros()
	if c.ok && ok && b.N > 0 {
		b.ReportMetric((us-c.start)*1000/float64(b.N), "cpu-ns/op")
	}
}
