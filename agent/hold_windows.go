//go:build windows

package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"time"
	"unsafe"

	"golang.org/x/sys/windows"
)

// holdWindow keeps the console window open for a moment when the program
// was started by a double-click: Windows gave it a console of its own, which
// closes with the process, and the last lines (why the session ended, or why
// the program cannot start) would vanish unread. Started from a terminal, it
// returns at once; so it does when stdin is not that console (redirected
// by a script or a test harness): nobody can press Enter there, and an
// open pipe would hold the program for holdFor.
func holdWindow(in *os.File, out io.Writer) {
	if !isConsole(in) {
		return
	}
	var pids [2]uint32
	n, _, _ := procGetConsoleProcessList.Call(uintptr(unsafe.Pointer(&pids[0])), uintptr(len(pids)))
	if n != 1 {
		return
	}
	fmt.Fprintln(out, "\nPress Enter to close this window.")
	done := make(chan struct{})
	go func() {
		bufio.NewReader(in).ReadString('\n')
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(holdFor):
	}
}

// isConsole reports whether f is a console input handle.
func isConsole(f *os.File) bool {
	var mode uint32
	return f != nil && windows.GetConsoleMode(windows.Handle(f.Fd()), &mode) == nil
}

var procGetConsoleProcessList = windows.NewLazySystemDLL("kernel32.dll").NewProc("GetConsoleProcessList")

// holdFor bounds the wait, so an unattended window still closes.
const holdFor = 60 * time.Second
