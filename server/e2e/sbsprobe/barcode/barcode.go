// Package barcode is the picture the side-by-side benchmark's probe draws
// in a corner of the X screen, and reads back from both the X screen and a
// viewer's canvas: a timestamp and a frame counter in black and white cells,
// and a square whose colour changes at each press of the probe's key.
//
//	x: 0       8            256    272      304
//	   +-------+--- ... ----+------+--------+ y: 0
//	   | bit 0 | bit 1  ... bit 31 |        |
//	   +-------+--- ... ----+------+ square |    8
//	   | bit 32| bit 33 ... bit 63 |        |
//	   +-------+--- ... ----+------+        |    16
//	   |          grey             |        |
//	   +---------------------------+--------+    32
//
// Bits 0-31 are the low 32 bits of the Unix time in milliseconds when the
// probe drew the code, 32-47 the frame counter, 48-55 the low byte of the
// CRC-32 of those six bytes, 56-63 a fixed pattern; most significant bit
// first, white is 1. The cells are 8 pixels square and, with the window at
// a multiple of 8, on the 8×8 grid lossy codecs work on, so a reader that
// samples cell centres reads them through JPEG.
package barcode

import (
	"encoding/binary"
	"hash/crc32"
)

// Geometry of the probe window, in pixels from its top left corner.
const (
	Cell       = 8
	Cols       = 32
	Rows       = 2
	Bits       = Cols * Rows
	SquareX    = 272
	SquareY    = 0
	SquareSize = 32
	Width      = SquareX + SquareSize
	Height     = 32
)

// sync is the fixed last byte; a screen without the probe rarely shows it.
const sync = 0xa5

// Grey is the window's background.
var Grey = [3]uint8{128, 128, 128}

// Palette are the square's colours: after n presses it shows Palette[n%8].
// Far apart, so that the nearest one is right through lossy compression.
var Palette = [8][3]uint8{
	{255, 0, 0}, {0, 170, 0}, {0, 0, 255}, {255, 255, 0},
	{0, 255, 255}, {255, 0, 255}, {255, 255, 255}, {0, 0, 0},
}

// Code is what one drawing of the barcode says.
type Code struct {
	Millis  uint32 // low 32 bits of Unix milliseconds
	Counter uint16
}

// Word packs the code into the 64 bits drawn, bit 0 first.
func (c Code) Word() uint64 {
	var b [6]byte
	binary.BigEndian.PutUint32(b[:4], c.Millis)
	binary.BigEndian.PutUint16(b[4:], c.Counter)
	sum := crc32.ChecksumIEEE(b[:]) & 0xff
	return uint64(c.Millis)<<32 | uint64(c.Counter)<<16 | uint64(sum)<<8 | sync
}

// Bit reports bit i (0 = top left cell) of w.
func Bit(w uint64, i int) bool { return w>>(Bits-1-i)&1 == 1 }

// CellAt returns the top left pixel of bit i's cell.
func CellAt(i int) (x, y int) { return (i % Cols) * Cell, (i / Cols) * Cell }

// Parse checks a word read off a screen and returns its code; ok is false
// for a torn or foreign word.
func Parse(w uint64) (c Code, ok bool) {
	c = Code{Millis: uint32(w >> 32), Counter: uint16(w >> 16)}
	return c, c.Word() == w
}

// Read samples the cell centres of a barcode whose window starts at (ox,
// oy) in an image given by its pixel function, and parses them.
func Read(pixel func(x, y int) (r, g, b uint8), ox, oy int) (Code, bool) {
	var w uint64
	for i := 0; i < Bits; i++ {
		x, y := CellAt(i)
		r, g, b := pixel(ox+x+Cell/2, oy+y+Cell/2)
		w <<= 1
		if int(r)+int(g)+int(b) >= 3*128 {
			w |= 1
		}
	}
	return Parse(w)
}

// Nearest returns the index of the palette colour closest to (r, g, b).
func Nearest(r, g, b uint8) int {
	best, bestD := 0, 1<<30
	for i, p := range Palette {
		dr, dg, db := int(r)-int(p[0]), int(g)-int(p[1]), int(b)-int(p[2])
		if d := dr*dr + dg*dg + db*db; d < bestD {
			best, bestD = i, d
		}
	}
	return best
}
