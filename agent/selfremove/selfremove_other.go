//go:build !unix && !windows

package selfremove

// Remove is not supported here.
func Remove(string) error { return ErrUnsupported }
