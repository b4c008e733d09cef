package viewer

import "testing"

func TestRemotePoint(t *testing.T) {
	tests := []struct {
		name         string
		cx, cy       float64
		r            Rect
		w, h         int
		wantX, wantY uint16
	}{
		{"1:1 origin", 10, 20, Rect{10, 20, 1920, 1080}, 1920, 1080, 0, 0},
		{"1:1 inside", 110.5, 70, Rect{10, 20, 1920, 1080}, 1920, 1080, 100, 50},
		{"half scale", 500, 300, Rect{0, 0, 960, 540}, 1920, 1080, 1000, 600},
		{"css and dpr scaled", 400, 225, Rect{0, 0, 800, 450}, 2560, 1440, 1280, 720},
		{"offset page", 260, 160, Rect{60, 40, 400, 240}, 800, 480, 400, 240},
		{"left of canvas clamps", -5, 10, Rect{0, 0, 100, 100}, 200, 200, 0, 20},
		{"right edge clamps", 100, 100, Rect{0, 0, 100, 100}, 200, 200, 199, 199},
		{"far outside clamps", 5000, 5000, Rect{0, 0, 100, 100}, 200, 200, 199, 199},
		{"empty rect", 5, 5, Rect{0, 0, 0, 0}, 200, 200, 0, 0},
		{"no screen", 5, 5, Rect{0, 0, 100, 100}, 0, 0, 0, 0},
		{"upscaled", 150, 75, Rect{0, 0, 400, 200}, 200, 100, 75, 37},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x, y := RemotePoint(tt.cx, tt.cy, tt.r, tt.w, tt.h)
			if x != tt.wantX || y != tt.wantY {
				t.Errorf("RemotePoint = %d,%d, want %d,%d", x, y, tt.wantX, tt.wantY)
			}
		})
	}
}

func TestLayout(t *testing.T) {
	tests := []struct {
		name         string
		mode         Scale
		sw, sh, w, h int
		want         Box
	}{
		{"fit shrinks wide", ScaleFit, 960, 1000, 1920, 1080, Box{0, 230, 960, 540}},
		{"fit shrinks tall", ScaleFit, 1000, 540, 1920, 1080, Box{20, 0, 960, 540}},
		{"fit never enlarges", ScaleFit, 2000, 1200, 800, 600, Box{600, 300, 800, 600}},
		{"one to one scrolls", ScaleOne, 800, 600, 1920, 1080, Box{0, 0, 1920, 1080}},
		{"one to one centres small", ScaleOne, 1000, 800, 800, 600, Box{100, 100, 800, 600}},
		{"no stage yet", ScaleFit, 0, 0, 640, 480, Box{0, 0, 640, 480}},
		{"no screen yet", ScaleFit, 800, 600, 0, 0, Box{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Layout(tt.mode, tt.sw, tt.sh, tt.w, tt.h); got != tt.want {
				t.Errorf("Layout = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestWebSocketURL(t *testing.T) {
	tests := []struct{ proto, host, path, want string }{
		{"http:", "localhost:8080", "/ws/viewer/a", "ws://localhost:8080/ws/viewer/a"},
		{"https:", "tether.example", "/ws/viewer/b", "wss://tether.example/ws/viewer/b"},
	}
	for _, tt := range tests {
		t.Run(tt.proto, func(t *testing.T) {
			if got := WebSocketURL(tt.proto, tt.host, tt.path); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
