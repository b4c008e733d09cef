//go:build windows

package main

import (
	"io"
	"unsafe"

	"golang.org/x/sys/windows"
)

var (
	procSetConsoleTitleW = windows.NewLazySystemDLL("kernel32.dll").NewProc("SetConsoleTitleW")
	procGetConsoleTitleW = windows.NewLazySystemDLL("kernel32.dll").NewProc("GetConsoleTitleW")
)

// setTitle names the console window the program runs in, and the returned
// function puts back the title it had (a console the customer started the
// program from). Without a console (output redirected by a script) there
// is no window to name, and the calls fail harmlessly.
func setTitle(_ io.Writer, title string) (restore func()) {
	p, err := windows.UTF16PtrFromString(title)
	if err != nil {
		return func() {}
	}
	var old [1024]uint16
	n, _, _ := procGetConsoleTitleW.Call(uintptr(unsafe.Pointer(&old[0])), uintptr(len(old)))
	if ok, _, _ := procSetConsoleTitleW.Call(uintptr(unsafe.Pointer(p))); ok == 0 || n == 0 {
		return func() {}
	}
	return func() { procSetConsoleTitleW.Call(uintptr(unsafe.Pointer(&old[0]))) }
}
