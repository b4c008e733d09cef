//go:build !linux && !windows

package input

// Open reports ErrUnsupported: no injection backend on this platform.
func Open() (Injector, error) { return nil, ErrUnsupported }
