//go:build windows

package main

import (
	"io"
	"unsafe"

	"golang.org/x/sys/windows"
)

var procSetConsoleTitleW = windows.NewLazySystemDLL("kernel32.dll").NewProc("SetConsoleTitleW")

// setTitle names the console window the program runs in. Without a
// console (output redirected by a script) there is no window to name, and
// the call fails harmlessly.
func setTitle(_ io.Writer, title string) {
	p, err := windows.UTF16PtrFromString(title)
	if err != nil {
		return
	}
	_, _, _ = procSetConsoleTitleW.Call(uintptr(unsafe.Pointer(p)))
}
