//go:build unix

package selfremove

import (
	"os"
	"path/filepath"
	"testing"
)

func TestRemove(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tether-agent")
	if err := os.WriteFile(path, []byte("x"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := Remove(path); err != nil {
		t.Fatalf("Remove: %v", err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("file still there: %v", err)
	}
	if err := Remove(path); err == nil {
		t.Fatal("Remove of a missing file: want an error")
	}
}
