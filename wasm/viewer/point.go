package viewer

import (
	"fmt"

	"tether/server/protocol"
)

// The engineer points and draws on the customer's screen (viewer-point.js
// takes the strokes on the canvas; the agent shows them in an overlay that
// fades). It needs only view: it works in view-only sessions too.

// CmdPoint sends part of a stroke; its detail is a pointDetail.
const CmdPoint = "point"

// pointDetail is a stroke's new points as fractions (0..1) of the shown
// screen's width and height, so the page needs no knowledge of its size.
type pointDetail struct {
	Stroke uint16       `json:"stroke"`
	End    bool         `json:"end"`
	Clear  bool         `json:"clear"`
	Points [][2]float64 `json:"points"`
}

// point sends the engineer's stroke to the agent in Point messages of at
// most protocol.MaxPoints points.
func (v *Viewer) point(detail []byte) error {
	var d pointDetail
	if err := decodeDetail(CmdPoint, detail, &d); err != nil {
		return err
	}
	if d.Clear {
		return v.send(&protocol.Point{Flags: protocol.PointClear})
	}
	if v.fb.W == 0 || v.fb.H == 0 {
		return fmt.Errorf("viewer: nothing shown to point at yet")
	}
	pts := make([]protocol.XY, 0, len(d.Points))
	for _, p := range d.Points {
		x := min(max(p[0], 0), 1) * float64(v.fb.W-1)
		y := min(max(p[1], 0), 1) * float64(v.fb.H-1)
		pts = append(pts, protocol.XY{X: uint16(x + 0.5), Y: uint16(y + 0.5)})
	}
	for len(pts) > protocol.MaxPoints {
		if err := v.send(&protocol.Point{Stroke: d.Stroke, Points: pts[:protocol.MaxPoints]}); err != nil {
			return err
		}
		// The next message starts where this one ended, so the line
		// stays joined.
		pts = pts[protocol.MaxPoints-1:]
	}
	m := &protocol.Point{Stroke: d.Stroke, Points: pts}
	if d.End {
		m.Flags = protocol.PointEnd
	}
	return v.send(m)
}

// scopeEvent is what the page hears of the agent's Scope ("tether:scope").
type scopeEvent struct {
	Window bool   `json:"window"` // one window is shared, not the screen
	Title  string `json:"title"`
	Hidden int    `json:"hidden"` // windows the customer blacked out
}

func (v *Viewer) onScope(m *protocol.Scope) {
	v.ui.Emit("scope", scopeEvent{Window: m.Kind == protocol.ScopeWindow, Title: m.Title, Hidden: int(m.Hidden)})
}
