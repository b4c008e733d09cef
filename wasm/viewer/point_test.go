package viewer

import (
	"fmt"
	"image"
	"strings"
	"testing"

	"tether/server/protocol"
)

// TestPointAndScope: in a view-only session the Point tool's strokes go to
// the agent as Point messages in frame pixels, long strokes split and
// joined; the agent's Scope reaches the page as tether:scope.
func TestPointAndScope(t *testing.T) {
	h := newHarness(t)
	h.signal(protocol.SigPeer, protocol.Peer{Role: "agent", Present: true, Grants: protocol.GrantView})
	h.exchange()
	h.signal(protocol.SigPath, protocol.Path{Path: "relay"})
	h.eventually("relay", h.ui_(func(u *fakeUI) bool { return u.path == protocol.PathRelay }))
	h.binary(&protocol.Hello{Grants: protocol.GrantView, Width: 101, Height: 51, OS: "linux"})
	h.binary(fill(t, 1, 101, 51, image.Rect(0, 0, 101, 51), 0x090909))
	h.binary(&protocol.FrameEnd{Seq: 1, Width: 101, Height: 51})
	for {
		if _, ok := h.nextSession().(*protocol.FrameAck); ok {
			break
		}
	}

	h.v.Command(CmdPoint, []byte(`{"stroke":3,"points":[[0,0],[0.5,1],[2,-1]]}`))
	if m, ok := h.nextSession().(*protocol.Point); !ok || m.Stroke != 3 || m.Flags != 0 ||
		fmt.Sprint(m.Points) != "[{0 0} {50 50} {100 0}]" {
		t.Fatalf("point %+v", m)
	}
	// 100 points: two messages, the second starting where the first ended.
	pts := make([]string, 100)
	for i := range pts {
		pts[i] = fmt.Sprintf("[%g,0.5]", float64(i)/100)
	}
	h.v.Command(CmdPoint, []byte(`{"stroke":4,"end":true,"points":[`+strings.Join(pts, ",")+`]}`))
	a, _ := h.nextSession().(*protocol.Point)
	b, _ := h.nextSession().(*protocol.Point)
	if a == nil || b == nil || len(a.Points) != protocol.MaxPoints || a.Flags != 0 || b.Flags != protocol.PointEnd ||
		len(a.Points)+len(b.Points) != 101 || b.Points[0] != a.Points[len(a.Points)-1] {
		t.Fatalf("split stroke %+v then %+v", a, b)
	}
	h.v.Command(CmdPoint, []byte(`{"clear":true}`))
	if m, ok := h.nextSession().(*protocol.Point); !ok || m.Flags != protocol.PointClear {
		t.Fatalf("clear %+v", m)
	}

	h.binary(&protocol.Scope{Kind: protocol.ScopeWindow, Hidden: 2, Title: "Terminal"})
	h.eventually("tether:scope", h.ui_(func(u *fakeUI) bool {
		for _, e := range u.emitted {
			if e.name == "scope" && e.detail == (scopeEvent{Window: true, Title: "Terminal", Hidden: 2}) {
				return true
			}
		}
		return false
	}))
}
