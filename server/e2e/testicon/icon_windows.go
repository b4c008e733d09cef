//go:build windows

package main

import (
	"fmt"
	"unsafe"

	"golang.org/x/sys/windows"
)

var (
	shell32            = windows.NewLazySystemDLL("shell32.dll")
	user32             = windows.NewLazySystemDLL("user32.dll")
	gdi32              = windows.NewLazySystemDLL("gdi32.dll")
	procExtractIconExW = shell32.NewProc("ExtractIconExW")
	procDrawIconEx     = user32.NewProc("DrawIconEx")
	procDestroyIcon    = user32.NewProc("DestroyIcon")
	procCreateCompatDC = gdi32.NewProc("CreateCompatibleDC")
	procCreateDIBSect  = gdi32.NewProc("CreateDIBSection")
	procSelectObject   = gdi32.NewProc("SelectObject")
	procDeleteObject   = gdi32.NewProc("DeleteObject")
	procDeleteDC       = gdi32.NewProc("DeleteDC")
	procGdiFlush       = gdi32.NewProc("GdiFlush")
)

type bitmapInfoHeader struct {
	Size                         uint32
	Width, Height                int32
	Planes, BitCount             uint16
	Compression, SizeImage       uint32
	XPelsPerMeter, YPelsPerMeter int32
	ClrUsed, ClrImportant        uint32
}

// iconPixels returns how many icons the program has and its first large
// icon drawn on white at side×side, BGRA top-down.
func iconPixels(program string) (int, []byte, error) {
	p, err := windows.UTF16PtrFromString(program)
	if err != nil {
		return 0, nil, err
	}
	n, _, _ := procExtractIconExW.Call(uintptr(unsafe.Pointer(p)), ^uintptr(0), 0, 0, 0) // nIconIndex -1: the count
	var icon windows.Handle
	got, _, _ := procExtractIconExW.Call(uintptr(unsafe.Pointer(p)), 0, uintptr(unsafe.Pointer(&icon)), 0, 1)
	if got == 0 || icon == 0 {
		return int(n), nil, fmt.Errorf("%s: no icon (ExtractIconExW counted %d)", program, n)
	}
	defer procDestroyIcon.Call(uintptr(icon))
	dc, _, _ := procCreateCompatDC.Call(0)
	if dc == 0 {
		return 0, nil, fmt.Errorf("CreateCompatibleDC failed")
	}
	defer procDeleteDC.Call(dc)
	bi := bitmapInfoHeader{Width: side, Height: -side, Planes: 1, BitCount: 32}
	bi.Size = uint32(unsafe.Sizeof(bi))
	var bits unsafe.Pointer
	bmp, _, _ := procCreateDIBSect.Call(dc, uintptr(unsafe.Pointer(&bi)), 0, uintptr(unsafe.Pointer(&bits)), 0, 0)
	if bmp == 0 || bits == nil {
		return 0, nil, fmt.Errorf("CreateDIBSection failed")
	}
	defer procDeleteObject.Call(bmp)
	procSelectObject.Call(dc, bmp)
	pix := unsafe.Slice((*byte)(bits), side*side*4)
	for i := range pix {
		pix[i] = 0xff
	}
	const diNormal = 3
	if ok, _, err := procDrawIconEx.Call(dc, 0, 0, uintptr(icon), side, side, 0, 0, diNormal); ok == 0 {
		return 0, nil, fmt.Errorf("DrawIconEx: %v", err)
	}
	procGdiFlush.Call()
	return int(n), append([]byte(nil), pix...), nil
}
