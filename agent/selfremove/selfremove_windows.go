package selfremove

import (
	"fmt"
	"os/exec"
	"syscall"

	"golang.org/x/sys/windows"
)

// Remove deletes path after this process has exited. Windows refuses to
// delete a running executable, so a detached, windowless cmd retries about
// once a second (ping -n 2 is the classic sleep that exists on every
// Windows) until the file is gone; see deleteCommand.
func Remove(path string) error {
	cmd := exec.Command("cmd.exe")
	// cmd /c strips the outermost quotes of its argument and runs the rest,
	// so the path keeps its own quotes; Go's argument escaping would turn
	// them into \" which cmd does not understand, hence the raw CmdLine.
	cmd.SysProcAttr = &syscall.SysProcAttr{
		CmdLine:       deleteCommand(path),
		HideWindow:    true,
		CreationFlags: windows.CREATE_NO_WINDOW | windows.DETACHED_PROCESS,
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("selfremove: start cmd: %w", err)
	}
	// The child outlives us on purpose; release its handle instead of waiting.
	if err := cmd.Process.Release(); err != nil {
		return fmt.Errorf("selfremove: release cmd: %w", err)
	}
	return nil
}
