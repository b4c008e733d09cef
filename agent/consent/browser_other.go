//go:build !unix && !windows

package consent

func openDefault(string) error { return ErrUnsupported }
