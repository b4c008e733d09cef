//go:build !linux

package codecbench

import "testing"

func startDisplay(t testing.TB) string {
	t.Skip("the live X capture needs Xvfb, which runs on Linux only")
	return ""
}
