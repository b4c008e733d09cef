//go:build linux

package codecbench

import (
	"testing"

	"tether/agent/capture/xvfbtest"
)

func startDisplay(t testing.TB) string { return xvfbtest.Start(t, screenW, screenH) }
