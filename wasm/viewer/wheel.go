package viewer

import (
	"math"

	"tether/server/protocol"
)

// WheelEvent.deltaMode values.
// https://www.w3.org/TR/uievents/#dom-wheelevent-deltamode
const (
	DeltaPixel = 0
	DeltaLine  = 1
	DeltaPage  = 2
)

// Conversions to wheel notches. Chrome and Edge report 100 pixels for one
// notch on Windows (a little less on Linux), Firefox reports 3 lines; one
// page is taken as one notch, because a page scroll usually comes from a
// single gesture.
const (
	PixelsPerNotch = 100.0
	LinesPerNotch  = 3.0
	PagesPerNotch  = 1.0
)

// WheelAccumulator turns DOM wheel deltas into protocol.Wheel units (1/120
// notch), carrying fractions over so that many small touchpad deltas add up
// to the same scroll as one notch.
type WheelAccumulator struct{ fx, fy float64 }

// Add converts one WheelEvent's deltas and returns the whole units to send;
// ok is false when they round to nothing yet.
func (a *WheelAccumulator) Add(dx, dy float64, mode int) (w protocol.Wheel, ok bool) {
	per := PixelsPerNotch
	switch mode {
	case DeltaLine:
		per = LinesPerNotch
	case DeltaPage:
		per = PagesPerNotch
	}
	if math.IsNaN(dx) || math.IsInf(dx, 0) {
		dx = 0
	}
	if math.IsNaN(dy) || math.IsInf(dy, 0) {
		dy = 0
	}
	a.fx += dx * protocol.WheelNotch / per
	a.fy += dy * protocol.WheelNotch / per
	ix, iy := take(&a.fx), take(&a.fy)
	return protocol.Wheel{DX: ix, DY: iy}, ix != 0 || iy != 0
}

// take removes the whole part of *f (clamped to int16) and returns it.
func take(f *float64) int16 {
	whole := math.Max(math.MinInt16, math.Min(math.MaxInt16, math.Trunc(*f)))
	*f -= whole
	// A huge delta beyond int16 is dropped rather than replayed for seconds.
	if math.Abs(*f) >= 1 {
		*f = 0
	}
	return int16(whole)
}

// Reset forgets carried fractions (after blur or a level change).
func (a *WheelAccumulator) Reset() { a.fx, a.fy = 0, 0 }
