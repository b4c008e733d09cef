//go:build !linux && !windows

package capture

// Open reports ErrUnsupported: this platform has no capture backend here
// (macOS capture needs cgo and is built on a Mac).
func Open() (Capturer, error) { return nil, ErrUnsupported }
