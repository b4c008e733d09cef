//go:build unix

package selfremove

import (
	"fmt"
	"os"
)

// Remove deletes path. Unix systems unlink a running executable at once; the
// kernel keeps the pages mapped until the process exits.
func Remove(path string) error {
	if err := os.Remove(path); err != nil {
		return fmt.Errorf("selfremove: %w", err)
	}
	return nil
}
