// Package selfremove deletes the agent's own executable when a session ends,
// so a one-shot support program does not stay on the customer's computer.
package selfremove

import (
	"errors"
	"fmt"
	"os"
)

// ErrUnsupported is returned on systems where the agent cannot remove itself.
var ErrUnsupported = errors.New("selfremove: not supported on this system")

// Executable removes the running program's own file.
func Executable() error {
	path, err := os.Executable()
	if err != nil {
		return fmt.Errorf("selfremove: find own file: %w", err)
	}
	return Remove(path)
}
