//go:build !linux && !windows

package desktop

func open() (Desktop, error) { return nil, ErrUnsupported }
