//go:build !linux && !windows

package clipboard

// Supported reports whether this build has a clipboard backend.
const Supported = false

// Open reports ErrUnsupported: this build has no clipboard backend.
func Open() (Clipboard, error) { return nil, ErrUnsupported }
