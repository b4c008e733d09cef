package viewer

import "fmt"

// FormatRate shows a byte rate: kB/s below one megabit, Mb/s above, since
// engineers compare the latter with their line speed.
func FormatRate(bytesPerSec float64) string {
	switch {
	case bytesPerSec <= 0:
		return "0 kB/s"
	case bytesPerSec*8 < 1e6:
		return fmt.Sprintf("%.0f kB/s", bytesPerSec/1000)
	default:
		return fmt.Sprintf("%.1f Mb/s", bytesPerSec*8/1e6)
	}
}

// FormatFPS shows painted frames per second.
func FormatFPS(fps float64) string { return fmt.Sprintf("%.0f fps", fps) }

// FormatRTT shows a round-trip time in milliseconds, or a dash before the
// first Pong.
func FormatRTT(ms float64, known bool) string {
	if !known {
		return "– ms"
	}
	if ms < 10 {
		return fmt.Sprintf("%.1f ms", ms)
	}
	return fmt.Sprintf("%.0f ms", ms)
}
