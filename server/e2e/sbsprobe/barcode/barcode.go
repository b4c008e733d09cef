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
//	   | bit 64| bit 65 ... bit 95 |        |
//	   +-------+--- ... ----+------+        |    24
//	   |          grey             |        |
//	   +---------------------------+--------+    32
//
// Three 32-bit words, most significant bit first, white is 1: the low 32
// bits of the Unix time in milliseconds when the probe drew the code; the
// frame counter and a fixed pattern; the CRC-32 of those eight bytes, so a
// reader that catches the barcode half redrawn (the probe draws it in two
// requests, and a capture or a viewer may take one without the other)
// rejects it. The cells are 8 pixels square and, with the window at a
// multiple of 8, on the 8×8 grid lossy codecs work on, so a reader that
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
	Rows       = 3
	Bits       = Cols * Rows
	Words      = Bits / 32
	SquareX    = 272
	SquareY    = 0
	SquareSize = 32
	Width      = SquareX + SquareSize
	Height     = 32
)

// sync fills the counter's word; a screen without the probe rarely shows it.
const sync = 0xa55a

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

// Words packs the code into the 96 bits drawn, bit 0 first.
func (c Code) Words() [Words]uint32 {
	var b [8]byte
	binary.BigEndian.PutUint32(b[:4], c.Millis)
	binary.BigEndian.PutUint32(b[4:], uint32(c.Counter)<<16|sync)
	return [Words]uint32{c.Millis, uint32(c.Counter)<<16 | sync, crc32.ChecksumIEEE(b[:])}
}

// Bit reports bit i (0 = top left cell) of w.
func Bit(w [Words]uint32, i int) bool { return w[i/32]>>(31-i%32)&1 == 1 }

// CellAt returns the top left pixel of bit i's cell.
func CellAt(i int) (x, y int) { return (i % Cols) * Cell, (i / Cols) * Cell }

// Parse checks words read off a screen and returns their code; ok is false
// for a torn or foreign barcode.
func Parse(w [Words]uint32) (c Code, ok bool) {
	c = Code{Millis: w[0], Counter: uint16(w[1] >> 16)}
	return c, c.Words() == w
}

// Read samples the cell centres of a barcode whose window starts at (ox,
// oy) in an image given by its pixel function, and parses them.
func Read(pixel func(x, y int) (r, g, b uint8), ox, oy int) (Code, bool) {
	var w [Words]uint32
	for i := 0; i < Bits; i++ {
		x, y := CellAt(i)
		r, g, b := pixel(ox+x+Cell/2, oy+y+Cell/2)
		if int(r)+int(g)+int(b) >= 3*128 {
			w[i/32] |= 1 << (31 - i%32)
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
