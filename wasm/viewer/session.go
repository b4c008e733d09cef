package viewer

import (
	"fmt"

	"tether/server/protocol"
)

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
	switch m := m.(type) {
	case *protocol.Hello:
		if err := protocol.CheckScreenSize(int(m.Width), int(m.Height)); err != nil {
			v.refuseScreen(int(m.Width), int(m.Height), err)
			return
		}
		v.setGrants(m.Grants)
		if int(m.Width) != v.fb.W || int(m.Height) != v.fb.H {
			v.fb.Resize(int(m.Width), int(m.Height))
			v.ui.Resize(v.fb.W, v.fb.H)
		}
	case *protocol.Tiles:
		v.onTiles(m)
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
	default:
		v.log.Debug("viewer: ignored session message", "type", m.Type())
	}
}

func (v *Viewer) onTiles(m *protocol.Tiles) {
	if err := protocol.CheckScreenSize(int(m.Width), int(m.Height)); err != nil {
		v.refuseScreen(int(m.Width), int(m.Height), err)
		return
	}
	t0 := v.ui.Now()
	resized, err := v.fb.Apply(m)
	if resized {
		v.ui.Resize(v.fb.W, v.fb.H)
	}
	v.decodeMs += v.ui.Now() - t0
	if err != nil {
		v.log.Warn("viewer: decode", "err", err)
		if !v.askedFull || v.failedSeq != m.Seq {
			v.failedSeq = m.Seq
			v.requestFullOnce()
		}
	}
}

func (v *Viewer) onFrameEnd(m *protocol.FrameEnd) {
	if v.state != StateStreaming {
		v.setState(StateStreaming, "Connected")
	}
	if r := v.fb.TakeDirty(); !r.Empty() {
		t0 := v.ui.Now()
		if err := v.ui.Paint(&v.fb, r); err != nil {
			v.log.Warn("viewer: paint", "err", err)
		} else {
			v.frames++
			v.tickFrames++
			v.ui.Painted(v.frames, v.decodeMs, v.ui.Now()-t0)
		}
	}
	v.decodeMs = 0
	// A full frame repaired whatever a decode error broke.
	if m.Full() {
		v.askedFull = false
	}
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
