//go:build linux

package main

import (
	"fmt"

	"github.com/jezek/xgb/xproto"
)

// maxPoints keeps each PolyPoint request well under the core request
// size limit (256 KiB).
const maxPoints = 16000

// paint draws the picture ColorAt describes.
func (t *win) paint() error {
	d := xproto.Drawable(t.id)
	gh := gridHeight(t.h)
	fill := func(colour uint32, r xproto.Rectangle) {
		xproto.ChangeGC(t.c, t.gc, xproto.GcForeground, []uint32{colour})
		xproto.PolyFillRectangle(t.c, d, t.gc, []xproto.Rectangle{r})
	}
	if t.solid >= 0 {
		fill(uint32(t.solid), xproto.Rectangle{Width: uint16(t.w), Height: uint16(t.h)})
		gh = t.h // no grid, no checkerboard
	} else {
		for row := range gridRows {
			y0, y1 := blockStart(row, gridRows, gh), blockStart(row+1, gridRows, gh)
			for col := range gridCols {
				x0, x1 := blockStart(col, gridCols, t.w), blockStart(col+1, gridCols, t.w)
				fill(blockColor(col, row), xproto.Rectangle{X: int16(x0), Y: int16(y0), Width: uint16(x1 - x0), Height: uint16(y1 - y0)})
			}
		}
	}
	if gh < t.h {
		fill(0xffffff, xproto.Rectangle{X: 0, Y: int16(gh), Width: uint16(t.w), Height: uint16(t.h - gh)})
		xproto.ChangeGC(t.c, t.gc, xproto.GcForeground, []uint32{0x000000})
		var pts []xproto.Point
		flush := func() {
			xproto.PolyPoint(t.c, xproto.CoordModeOrigin, d, t.gc, pts)
			pts = pts[:0]
		}
		for y := gh; y < t.h; y++ {
			for x := y % 2; x < t.w; x += 2 { // (x+y) even is black
				if pts = append(pts, xproto.Point{X: int16(x), Y: int16(y)}); len(pts) == maxPoints {
					flush()
				}
			}
		}
		if len(pts) > 0 {
			flush()
		}
	}
	// One round trip so drawing errors surface and "ready" follows the paint.
	if _, err := xproto.GetInputFocus(t.c).Reply(); err != nil {
		return fmt.Errorf("paint: %w", err)
	}
	return nil
}

// markSize is the side of the square painted at a click with -mark.
const markSize = 16

// paintMark fills a square centred on x, y, black and white in turn.
func (t *win) paintMark(x, y int) error {
	colour := uint32(0x000000)
	if t.marks%2 == 1 {
		colour = 0xffffff
	}
	t.marks++
	xproto.ChangeGC(t.c, t.gc, xproto.GcForeground, []uint32{colour})
	xproto.PolyFillRectangle(t.c, xproto.Drawable(t.id), t.gc, []xproto.Rectangle{{X: int16(x - markSize/2), Y: int16(y - markSize/2), Width: markSize, Height: markSize}})
	// A round trip, so the square is on screen before the click is reported.
	if _, err := xproto.GetInputFocus(t.c).Reply(); err != nil {
		return fmt.Errorf("mark: %w", err)
	}
	return nil
}

// Glyph cells painted with -echo: the size of a character of 11-point text.
const glyphW, glyphH = 9, 17

// paintGlyph fills the next character cell, wrapping like a line of text.
func (t *win) paintGlyph() error {
	perLine := max(1, (t.w-40)/glyphW)
	col, row := t.caret%perLine, t.caret/perLine
	t.caret++
	x, y := 20+col*glyphW, 20+(row%20)*glyphH
	xproto.ChangeGC(t.c, t.gc, xproto.GcForeground, []uint32{uint32(0x101010 * (1 + t.caret%7))})
	xproto.PolyFillRectangle(t.c, xproto.Drawable(t.id), t.gc, []xproto.Rectangle{{X: int16(x), Y: int16(y), Width: glyphW - 2, Height: glyphH - 3}})
	if _, err := xproto.GetInputFocus(t.c).Reply(); err != nil {
		return fmt.Errorf("glyph: %w", err)
	}
	return nil
}
