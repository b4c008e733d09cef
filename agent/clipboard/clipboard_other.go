//go:build !linux && !windows

package clipboard

// Open reports ErrUnsupported: this build has no clipboard backend.
func Open() (Clipboard, error) { return nil, ErrUnsupported }
