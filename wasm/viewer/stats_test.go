package viewer

import "testing"

func TestFormat(t *testing.T) {
	tests := []struct{ got, want string }{
		{FormatRate(0), "0 kB/s"},
		{FormatRate(12_400), "12 kB/s"},
		{FormatRate(124_999), "125 kB/s"},
		{FormatRate(125_000), "1.0 Mb/s"},
		{FormatRate(3_000_000), "24.0 Mb/s"},
		{FormatFPS(29.6), "30 fps"},
		{FormatRTT(0, false), "– ms"},
		{FormatRTT(1.234, true), "1.2 ms"},
		{FormatRTT(42.4, true), "42 ms"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %q, want %q", tt.got, tt.want)
			}
		})
	}
}
