//go:build !linux && !(js && wasm)

package codecbench

import "testing"

// cpuClock is a no-op where there is no cheap per-process CPU clock
// (windows, darwin): those runs report wall time only.
type cpuClock struct{}

func startCPU() cpuClock           { return cpuClock{} }
func (cpuClock) report(*testing.B) {}
