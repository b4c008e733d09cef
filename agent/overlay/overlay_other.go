//go:build !linux && !windows

package overlay

import "image"

// Overlay is not available on this platform.
type Overlay struct{}

// Open returns ErrUnsupported.
func Open() (*Overlay, error) { return nil, ErrUnsupported }

func (*Overlay) Draw(uint16, []image.Point, bool) error { return ErrUnsupported }
func (*Overlay) Clear() error                           { return ErrUnsupported }
func (*Overlay) Close() error                           { return nil }
