package viewer

import (
	"fmt"
	"image"
	"testing"

	"tether/server/protocol"
)

// TestViewerTouch: the page's touch actions reach the agent as the mouse
// and keys a mouse and keyboard would send, at the pixel under the finger,
// and only under the grants that allow them.
func TestViewerTouch(t *testing.T) {
	tests := []struct {
		name  string
		level protocol.Grants
		want  string // the messages after the actions, up to the RequestFull
	}{
		{"control", protocol.GrantView | protocol.GrantControl,
			"[move 3,1 down0 3,1 up0 3,1 move 0,3 down2 0,3 up2 0,3 move 1,1 down0 1,1 move 2,2 up0 2,2 key+é key-é key+Backspace key-Backspace]"},
		{"limited", protocol.GrantView | protocol.GrantLimited,
			"[move 3,1 down0 3,1 up0 3,1 move 0,3 down2 0,3 up2 0,3 move 1,1 down0 1,1 move 2,2 up0 2,2]"},
		{"view", protocol.GrantView, "[]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			h.signal(protocol.SigPeer, protocol.Peer{Role: "agent", Present: true, Grants: tt.level})
			h.exchange()
			h.signal(protocol.SigPath, protocol.Path{Path: "relay"})
			h.eventually("relay", h.ui_(func(u *fakeUI) bool { return u.path == protocol.PathRelay }))
			h.binary(fill(t, 4, 4, 4, image.Rect(0, 0, 4, 4), 0x090909))
			h.binary(&protocol.FrameEnd{Seq: 4, Width: 4, Height: 4})
			if m, ok := h.nextSession().(*protocol.FrameAck); !ok || m.Seq != 4 {
				t.Fatalf("want FrameAck 4, got %+v", m)
			}

			for _, c := range []struct{ name, detail string }{
				{CmdTouch, `{"action":"click","button":0,"x":0.9,"y":0.2}`}, // tap
				{CmdTouch, `{"action":"click","button":2,"x":-1,"y":7}`},    // long press, clamped
				{CmdTouch, `{"action":"down","button":0,"x":0.34,"y":0.34}`},
				{CmdTouch, `{"action":"move","button":0,"x":0.66,"y":0.66}`},
				{CmdTouch, `{"action":"up","button":0,"x":0.66,"y":0.66}`},
				{CmdTouch, `{"action":"fly","button":0,"x":0.5,"y":0.5}`}, // unknown: dropped
				{CmdTouch, `{"action":"click","button":9,"x":0.5,"y":0.5}`},
				{CmdTouchText, `{"text":"é"}`},
				{CmdTouchKey, `"Backspace"`},
				{CmdTouchKey, `"F13"`}, // not an editing key: dropped
				{CmdRefresh, `null`},
			} {
				h.v.Command(c.name, []byte(c.detail))
			}
			var got []string
			for {
				m := h.nextSession()
				if _, ok := m.(*protocol.RequestFull); ok {
					break
				}
				switch m := m.(type) {
				case *protocol.MouseMove:
					got = append(got, fmt.Sprintf("move %d,%d", m.X, m.Y))
				case *protocol.MouseButton:
					d := "up"
					if m.Down {
						d = "down"
					}
					got = append(got, fmt.Sprintf("%s%d %d,%d", d, m.Button, m.X, m.Y))
				case *protocol.Key:
					d := "-"
					if m.Down {
						d = "+"
					}
					got = append(got, "key"+d+m.Key)
				default:
					got = append(got, m.Type().String())
				}
			}
			// Moves within 8 ms of each other may merge; the test's
			// expectations list those the timing cannot merge (a move
			// goes out before every button).
			if fmt.Sprint(got) != tt.want {
				t.Errorf("agent got\n %v\nwant\n %v", got, tt.want)
			}
		})
	}
}
