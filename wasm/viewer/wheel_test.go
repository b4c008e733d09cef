package viewer

import (
	"testing"

	"tether/server/protocol"
)

func TestWheelAccumulator(t *testing.T) {
	type step struct {
		dx, dy float64
		mode   int
		want   protocol.Wheel
		ok     bool
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"one pixel notch", []step{{0, 100, DeltaPixel, protocol.Wheel{DY: 120}, true}}},
		{"up and left", []step{{-100, -100, DeltaPixel, protocol.Wheel{DX: -120, DY: -120}, true}}},
		{"three lines", []step{{0, 3, DeltaLine, protocol.Wheel{DY: 120}, true}}},
		{"one page", []step{{0, 1, DeltaPage, protocol.Wheel{DY: 120}, true}}},
		{"fractions accumulate", []step{
			{0, 0.4, DeltaPixel, protocol.Wheel{}, false},
			{0, 0.5, DeltaPixel, protocol.Wheel{DY: 1}, true}, // 0.48+0.6 = 1.08
			{0, 0.5, DeltaPixel, protocol.Wheel{}, false},     // 0.08+0.6 = 0.68
			{0, 0.5, DeltaPixel, protocol.Wheel{DY: 1}, true}, // 1.28
		}},
		{"touchpad pixels", []step{{0, 4.2, DeltaPixel, protocol.Wheel{DY: 5}, true}}},
		{"huge clamps", []step{{0, 1e9, DeltaPixel, protocol.Wheel{DY: 32767}, true}, {0, 0, DeltaPixel, protocol.Wheel{}, false}}},
		{"nan ignored", []step{{0, nan(), DeltaPixel, protocol.Wheel{}, false}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var a WheelAccumulator
			for i, s := range tt.steps {
				got, ok := a.Add(s.dx, s.dy, s.mode)
				if got != s.want || ok != s.ok {
					t.Fatalf("step %d: Add = %+v,%v, want %+v,%v", i, got, ok, s.want, s.ok)
				}
			}
		})
	}
}

func nan() float64 {
	var z float64
	return z / z
}
