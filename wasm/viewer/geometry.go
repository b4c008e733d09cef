package viewer

import "math"

// Rect is a DOMRect as getBoundingClientRect returns it, in CSS pixels.
type Rect struct{ Left, Top, Width, Height float64 }

// RemotePoint maps a pointer event's client coordinates to remote screen
// pixels. The canvas's intrinsic size is the remote screen size (w×h) and r
// is its on-page box, so the ratio w/r.Width absorbs both the CSS scaling
// and devicePixelRatio. The result is the remote pixel under the pointer,
// the one whose centre is nearest, clamped to the screen. It needs the
// pointer events' fractional coordinates: with a mouse event's whole CSS
// pixels, a scaled-down view loses up to one remote pixel up and left.
func RemotePoint(clientX, clientY float64, r Rect, w, h int) (x, y uint16) {
	return axis(clientX-r.Left, r.Width, w), axis(clientY-r.Top, r.Height, h)
}

// ButtonsBit is the bit of PointerEvent.buttons for the button numbered b in
// PointerEvent.button (the two orders differ for middle and right).
func ButtonsBit(b int) int {
	switch b {
	case 1:
		return 4
	case 2:
		return 2
	}
	if b < 0 || b > 15 {
		return 0
	}
	return 1 << b
}

func axis(offset, size float64, n int) uint16 {
	if n <= 0 || size <= 0 || math.IsNaN(offset) {
		return 0
	}
	v := math.Floor(offset * float64(n) / size)
	hi := float64(min(n, math.MaxUint16+1) - 1)
	return uint16(math.Max(0, math.Min(v, hi)))
}

// Scale is how the screen canvas is sized inside the stage.
type Scale int

const (
	// ScaleFit shrinks the screen to fit the stage, keeping its aspect
	// ratio. It never enlarges: a remote screen smaller than the stage
	// stays at 1:1 and centred, because upscaled text is blurry and the
	// engineer gains nothing from it.
	ScaleFit Scale = iota
	// ScaleOne shows one remote pixel per CSS pixel; the stage scrolls.
	ScaleOne
)

// Box is where a canvas goes inside the stage, in CSS pixels.
type Box struct{ Left, Top, Width, Height int }

// Layout places a w×h remote screen in a stageW×stageH stage.
func Layout(mode Scale, stageW, stageH, w, h int) Box {
	if w <= 0 || h <= 0 {
		return Box{}
	}
	s := 1.0
	if mode == ScaleFit && stageW > 0 && stageH > 0 {
		s = math.Min(1, math.Min(float64(stageW)/float64(w), float64(stageH)/float64(h)))
	}
	b := Box{Width: int(math.Round(float64(w) * s)), Height: int(math.Round(float64(h) * s))}
	b.Width, b.Height = max(b.Width, 1), max(b.Height, 1)
	// Centre when smaller than the stage; a larger 1:1 screen starts at the
	// top left so that scrolling reaches every edge.
	b.Left = max(0, (stageW-b.Width)/2)
	b.Top = max(0, (stageH-b.Height)/2)
	return b
}

// WebSocketURL turns the page's data-ws path into an absolute URL on the
// page's own origin: ws: for http:, wss: for https:.
func WebSocketURL(pageProtocol, host, path string) string {
	scheme := "ws:"
	if pageProtocol == "https:" {
		scheme = "wss:"
	}
	return scheme + "//" + host + path
}
