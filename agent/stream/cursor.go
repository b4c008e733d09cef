package stream

import (
	"sync"

	"tether/agent/capture"
	"tether/server/protocol"
)

// RememberCursor wraps src so Cursor always carries the current pointer
// image. A Capturer returns the image only when it changed since its last
// call, but the capturer outlives one viewer's stream: the next viewer's
// Streamer must still get the image it never saw.
// A source's change reports (capture.Notifier) pass through.
func RememberCursor(src Source) Source {
	m := &cursorMemo{Source: src}
	if n, ok := src.(notifier); ok {
		return notifyingMemo{m, n}
	}
	return m
}

type notifyingMemo struct {
	*cursorMemo
	notifier
}

type cursorMemo struct {
	Source
	mu   sync.Mutex
	last capture.Cursor
	seen bool
}

func (m *cursorMemo) Cursor() (capture.Cursor, error) {
	c, err := m.Source.Cursor()
	if err != nil {
		return c, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if c.RGBA != nil {
		m.last = c
		m.last.RGBA = append([]byte(nil), c.RGBA...)
		m.seen = true
	} else if m.seen && c.Serial == m.last.Serial {
		c.HotX, c.HotY, c.W, c.H, c.RGBA = m.last.HotX, m.last.HotY, m.last.W, m.last.H, m.last.RGBA
	}
	return c, nil
}

// cursorShape converts a capture cursor into a message, cropping images
// larger than protocol.MaxCursorSize (rare, huge accessibility pointers)
// rather than dropping them.
func cursorShape(c capture.Cursor) (*protocol.CursorShape, bool) {
	if c.W <= 0 || c.H <= 0 || len(c.RGBA) < c.W*c.H*4 {
		return nil, false
	}
	w, h := min(c.W, protocol.MaxCursorSize), min(c.H, protocol.MaxCursorSize)
	px := make([]byte, 0, w*h*4)
	for y := range h {
		px = append(px, c.RGBA[y*c.W*4:y*c.W*4+w*4]...)
	}
	return &protocol.CursorShape{
		Serial: c.Serial,
		HotX:   uint16(min(max(c.HotX, 0), w)),
		HotY:   uint16(min(max(c.HotY, 0), h)),
		W:      uint16(w),
		H:      uint16(h),
		RGBA:   px,
	}, true
}

func clampU16(v int) uint16 { return uint16(min(max(v, 0), 0xffff)) }
