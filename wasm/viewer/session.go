package viewer

import (
	"fmt"

	"tether/server/protocol"
)

// handleRelayed opens one sealed message from the relay and runs it. A
// message that does not open (forged, altered, replayed, sealed with other
// keys, or before the keys exist) is logged and dropped: whoever injected
// it can only delay the stream, as dropping messages could, and the
// genuine ones still open after it.
func (v *Viewer) handleRelayed(b []byte) {
	if v.ended {
		return
	}
	if v.keys == nil {
		v.log.Warn("viewer: relayed message before the key exchange, dropped", "bytes", len(b))
		return
	}
	if t, err := protocol.PeekSealed(b); err == nil && t.FileLane() {
		m, err := v.keys.FileOpener.Open(b)
		if err != nil {
			v.log.Warn("viewer: relayed file message refused", "err", err, "bytes", len(b))
			return
		}
		v.handleFileLane(m)
		return
	}
	m, err := v.keys.Opener.Open(b)
	if err != nil {
		v.log.Warn("viewer: relayed message refused", "err", err, "bytes", len(b))
		return
	}
	v.handleSession(m)
}

// handleSession runs one binary session message from the screen channel or
// the relay. A message that does not decode is logged and answered with a
// RequestFull; the stream carries on.
func (v *Viewer) handleSession(b []byte) {
	if v.ended {
		return
	}
	v.bytes += int64(len(b))
	m, err := protocol.Unmarshal(b)
	if err != nil {
		v.log.Warn("viewer: session message", "err", err)
		v.requestFullOnce()
		return
	}
	if v.rec != nil {
		v.rec.Add(v.ui.Now(), b, m)
	}
	switch m := m.(type) {
	case *protocol.Hello:
		if err := protocol.CheckScreenSize(int(m.Width), int(m.Height)); err != nil {
			v.refuseScreen(int(m.Width), int(m.Height), err)
			return
		}
		if v.player == nil { // a recording's grants are history, not this page's
			v.setGrants(m.Grants)
		}
		v.fitScreen(int(m.Width), int(m.Height))
	case *protocol.Update:
		v.onUpdate(m)
		if m.Ends() && !v.ended {
			end := m.FrameEnd()
			v.onFrameEnd(&end)
		}
	case *protocol.Photo:
		v.onPhoto(m)
	case *protocol.FrameEnd:
		v.onFrameEnd(m)
	case *protocol.CursorShape:
		if err := v.ui.SetCursorShape(m); err != nil {
			v.log.Warn("viewer: cursor shape", "err", err)
		}
	case *protocol.CursorPos:
		if err := v.ui.MoveCursor(*m); err != nil {
			v.log.Warn("viewer: cursor", "err", err)
		}
	case *protocol.Pong:
		v.rtt = v.ui.Now() - float64(m.Micros)/1000
		v.rttKnown = v.rtt >= 0
	case *protocol.Ping:
		v.sendLogged(&protocol.Pong{Micros: m.Micros})
	case *protocol.Scope:
		v.onScope(m)
	case *protocol.Paused:
		v.onPaused(m)
	case *protocol.Displays:
		v.onDisplays(m)
	case *protocol.ClipboardText, *protocol.ClipboardTooLarge:
		v.onClipboard(m)
	default:
		v.log.Debug("viewer: ignored session message", "type", m.Type())
	}
}

// fitScreen makes the framebuffer w×h, the screen size a frame message
// carries. It reports false when the size is refused and the view ended.
func (v *Viewer) fitScreen(w, h int) bool {
	if w == v.fb.W && h == v.fb.H {
		return true
	}
	if err := protocol.CheckScreenSize(w, h); err != nil {
		v.refuseScreen(w, h, err)
		return false
	}
	// What was drawn for the old size goes first.
	v.applyOps(true)
	v.fb.Resize(w, h)
	v.ui.Resize(w, h)
	return true
}

// onUpdate hands m to the inflater and applies what operations it has
// ready. The rest is applied as later messages come, and all of it before
// a photo, a resize or the end of the frame.
func (v *Viewer) onUpdate(m *protocol.Update) {
	if !v.fitScreen(int(m.Width), int(m.Height)) {
		return
	}
	if m.Reset() {
		v.applyOps(true) // the old stream's operations first
	}
	t0 := v.ui.Now()
	if v.frameStart == 0 {
		v.frameStart = t0
	}
	err := v.inflater.Write(m)
	dt := v.ui.Now() - t0
	v.inflateMs += dt
	v.decodeMs += dt
	if err != nil {
		v.decodeFailed(m.Seq, err)
		return
	}
	v.inflating = append(v.inflating, m.Seq)
	v.applyOps(false)
}

// applyOps applies the operations the inflater has ready, or with wait all
// of the written Updates'.
func (v *Viewer) applyOps(wait bool) {
	for len(v.inflating) > 0 {
		t0 := v.ui.Now()
		ops, ok, err := v.inflater.Read(wait)
		t1 := v.ui.Now()
		v.inflateMs += t1 - t0
		if !ok && err == nil {
			v.decodeMs += t1 - t0
			return
		}
		seq := v.inflating[0]
		v.inflating = v.inflating[1:]
		if err == nil {
			err = v.fb.Apply(ops)
		}
		v.decodeMs += v.ui.Now() - t0
		if err != nil {
			v.decodeFailed(seq, err)
		}
	}
}

// onPhoto has the page decode and draw m. It runs after the Updates of its
// frame and blocks the owner goroutine until the pixels are read back, so
// the next frame's copies see them.
func (v *Viewer) onPhoto(m *protocol.Photo) {
	if !v.fitScreen(int(m.Width), int(m.Height)) {
		return
	}
	if v.frameStart == 0 {
		v.frameStart = v.ui.Now()
	}
	v.applyOps(true)
	t0 := v.ui.Now()
	err := v.ui.DrawPhoto(&v.fb, m)
	v.decodeMs += v.ui.Now() - t0
	if err != nil {
		v.decodeFailed(m.Seq, fmt.Errorf("photo %dx%d+%d+%d: %w", m.W, m.H, m.X, m.Y, err))
		return
	}
	v.photos++
}

// decodeFailed asks for a full frame, which restarts the deflate stream.
// Until it comes every Update fails with protocol.ErrInflate: that is
// expected and only logged at debug level.
func (v *Viewer) decodeFailed(seq uint32, err error) {
	v.frameFailed = true
	if v.askedFull {
		v.log.Debug("viewer: decode while a full frame is on its way", "seq", seq, "err", err)
		return
	}
	v.log.Warn("viewer: decode", "seq", seq, "err", err)
	v.requestFullOnce()
}

func (v *Viewer) onFrameEnd(m *protocol.FrameEnd) {
	if v.state != StateStreaming {
		v.setState(StateStreaming, "Connected")
	}
	v.applyOps(true)
	rects := v.fb.TakeDamage()
	if (len(rects) > 0 || v.photos > 0) && !v.quiet {
		t0 := v.ui.Now()
		var err error
		if len(rects) > 0 {
			err = v.ui.Paint(&v.fb, rects)
		}
		if err != nil {
			v.log.Warn("viewer: paint", "err", err)
		} else {
			v.frames++
			v.tickFrames++
			t1 := v.ui.Now()
			s := FrameStats{Frames: v.frames, DecodeMs: v.decodeMs, InflateMs: v.inflateMs, PaintMs: t1 - t0, Rects: len(rects),
				EncodeMs: float64(m.EncodeMicros) / 1000}
			if v.frameStart > 0 {
				s.FrameMs = t1 - v.frameStart
			}
			v.ui.Painted(s)
		}
	}
	v.decodeMs, v.inflateMs, v.photos, v.frameStart = 0, 0, 0, 0
	if m.Full() {
		// A full frame answers the RequestFull; if it broke too, ask again.
		v.askedFull = false
		if v.frameFailed {
			v.requestFullOnce()
		}
	}
	v.frameFailed = false
	// The ack goes out after the paint so that the agent's window of
	// unacknowledged frames measures the whole path including this page.
	v.sendLogged(&protocol.FrameAck{Seq: m.Seq})
}

// refuseScreen ends the view of a screen too large to hold: a working agent
// never sends one, and believing it would exhaust this page's memory.
func (v *Viewer) refuseScreen(w, h int, err error) {
	v.log.Warn("viewer: refused screen size", "width", w, "height", h, "err", err)
	v.end(fmt.Sprintf("the customer's computer reported a screen of %d×%d pixels, larger than the viewer can show (at most %d pixels a side, %d megapixels). Ask the customer to restart the support program.",
		w, h, protocol.MaxScreenSide, protocol.MaxScreenPixels>>20))
}

// requestFullOnce asks for a full frame unless one is already on its way.
func (v *Viewer) requestFullOnce() {
	if v.askedFull {
		return
	}
	v.askedFull = true
	v.sendLogged(&protocol.RequestFull{})
}
