//go:build linux

package capture

import (
	"testing"

	"github.com/kbinani/screenshot"

	"tether/agent/capture/xvfbtest"
)

// BenchmarkKbinaniScreenshot is the baseline BenchmarkCaptureX11 beats:
// kbinani/screenshot opens a connection and an SHM segment per call.
func BenchmarkKbinaniScreenshot(b *testing.B) {
	b.Setenv("DISPLAY", xvfbtest.Start(b, 1920, 1080))
	b.SetBytes(1920 * 1080 * 4)
	for b.Loop() {
		img, err := screenshot.CaptureDisplay(0)
		if err != nil {
			b.Fatal(err)
		}
		if img.Bounds().Dx() != 1920 {
			b.Fatalf("captured %v", img.Bounds())
		}
	}
}
