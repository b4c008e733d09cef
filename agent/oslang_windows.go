//go:build windows

package main

import (
	"unsafe"

	"golang.org/x/sys/windows"
)

var procGetUserDefaultLocaleName = windows.NewLazySystemDLL("kernel32.dll").NewProc("GetUserDefaultLocaleName")

// osLanguage is the user's locale name ("de-DE"), from GetUserDefaultLocaleName
// (https://learn.microsoft.com/windows/win32/api/winnls/nf-winnls-getuserdefaultlocalename); "" when
// Windows cannot say.
func osLanguage() string {
	const localeNameMaxLength = 85
	var buf [localeNameMaxLength]uint16
	n, _, _ := procGetUserDefaultLocaleName.Call(uintptr(unsafe.Pointer(&buf[0])), localeNameMaxLength)
	if n == 0 {
		return ""
	}
	return windows.UTF16ToString(buf[:])
}
