package selfremove

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestRemoveWindows runs the real delete command on a file that is not in
// use: the detached cmd deletes it within about a second.
func TestRemoveWindows(t *testing.T) {
	// Not t.TempDir: its os.RemoveAll fails under Wine 8 ("Invalid
	// function"), and the folder is empty once the test passes.
	dir, err := os.MkdirTemp("", "tether-selfremove")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Remove(dir) })
	path := filepath.Join(dir, "Ann Lee's TetherSupport (1).exe")
	if err := os.WriteFile(path, []byte("MZ"), 0o755); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := Remove(path); err != nil {
		t.Fatalf("Remove: %v", err)
	}
	for {
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			t.Logf("deleted after %v", time.Since(start).Round(time.Millisecond))
			return
		}
		if time.Since(start) > 10*time.Second {
			t.Fatal("file still there after 10s")
		}
		time.Sleep(50 * time.Millisecond)
	}
}
