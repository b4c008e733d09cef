//go:build linux

package capture

import (
	"errors"
	"fmt"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/shm"
	"golang.org/x/sys/unix"
)

// segment is a SysV shared-memory segment attached both here and in the X
// server, which writes each frame straight into it.
type segment struct {
	id  shm.Seg
	mem []byte
}

// newSegment creates a segment of size bytes and attaches it to the X
// server. The segment is marked for removal as soon as both sides are
// attached, so the kernel frees it when the agent exits however it exits.
func newSegment(c *xgb.Conn, size int) (*segment, error) {
	shmid, err := unix.SysvShmGet(unix.IPC_PRIVATE, size, unix.IPC_CREAT|0o600)
	if err != nil {
		return nil, fmt.Errorf("capture: shmget %d bytes: %w", size, err)
	}
	mem, err := unix.SysvShmAttach(shmid, 0, 0)
	if err != nil {
		_, rmErr := unix.SysvShmCtl(shmid, unix.IPC_RMID, nil)
		return nil, errors.Join(fmt.Errorf("capture: shmat: %w", err), rmErr)
	}
	seg, err := shm.NewSegId(c)
	if err == nil {
		// Checked, so the server has attached before the segment is removed.
		err = shm.AttachChecked(c, seg, uint32(shmid), false).Check()
	}
	if _, rmErr := unix.SysvShmCtl(shmid, unix.IPC_RMID, nil); err == nil && rmErr != nil {
		err = errors.Join(rmErr, shm.DetachChecked(c, seg).Check())
	}
	if err != nil {
		return nil, errors.Join(fmt.Errorf("capture: attach shm to X server: %w", err), unix.SysvShmDetach(mem))
	}
	return &segment{id: seg, mem: mem}, nil
}

func (s *segment) close(c *xgb.Conn) error {
	err := shm.DetachChecked(c, s.id).Check()
	if dtErr := unix.SysvShmDetach(s.mem); dtErr != nil {
		err = errors.Join(err, dtErr)
	}
	if err != nil {
		return fmt.Errorf("capture: free shm segment: %w", err)
	}
	return nil
}
