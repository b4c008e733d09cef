//go:build linux

package procstat

import (
	"os"
	"testing"
)

func TestReadsThisProcess(t *testing.T) {
	s, err := Read(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if s.PPID != os.Getppid() {
		t.Errorf("PPID %d, want %d", s.PPID, os.Getppid())
	}
	if s.CPU < 0 || s.ChildrenCPU < 0 {
		t.Errorf("negative CPU: %+v", s)
	}
	if tree, err := TreeCPU(os.Getpid()); err != nil || tree < s.CPU {
		t.Errorf("TreeCPU %d, %v; want at least %d", tree, err, s.CPU)
	}
	if rss, err := RSS(os.Getpid()); err != nil || rss < 1<<20 {
		t.Errorf("RSS %d, %v", rss, err)
	}
	if mem, err := MemTotal(); err != nil || mem < 1<<20 {
		t.Errorf("MemTotal %d, %v", mem, err)
	}
	if busy, total := Machine(); total <= 0 || busy > total {
		t.Errorf("Machine busy %d of %d", busy, total)
	}
	if _, err := Read(-1); err == nil {
		t.Error("Read(-1) succeeded")
	}
}
