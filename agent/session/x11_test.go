//go:build linux

package session

import (
	"testing"

	"tether/agent/capture"
	"tether/agent/capture/xvfbtest"
	"tether/agent/input"
	"tether/server/protocol"
)

// TestSessionX11 runs a session on a private Xvfb with the real capture and
// input packages: the engineer's mouse move goes through XTest and comes
// back as the captured pointer position.
func TestSessionX11(t *testing.T) {
	display := xvfbtest.Start(t, 640, 480)
	t.Setenv("DISPLAY", display)
	h := start(t, welcomeFor(true), func(cfg *Config) {
		cfg.OpenCapturer = func() (Capturer, error) {
			c, err := capture.Open()
			if err != nil {
				return nil, err
			}
			return c, nil
		}
		cfg.OpenInjector = func() (Injector, error) {
			i, err := input.Open()
			if err != nil {
				return nil, err
			}
			return i, nil
		}
	})
	c := h.connect()
	peer := newTestPeer(t, c)
	h.allow(c, viewControl)
	c.send(protocol.SigPeer, protocol.Peer{Role: "viewer", Present: true})
	v := peer.view
	first := v.waitFrame(0, func(f frameSeen) bool { return f.end.Full() })
	// Blank 64×64 tiles along a row merge into one fill, so a full frame
	// draws at most one operation per tile.
	if first.end.Width != 640 || first.end.Height != 480 || first.tiles == 0 || first.tiles > 10*8 {
		t.Fatalf("first frame %+v with %d operations", first.end, first.tiles)
	}
	v.sendMsg(&protocol.MouseMove{X: 321, Y: 123})
	waitFor(t, "the pointer at 321,123", func() (ok bool) {
		v.state(func(v *screenView) {
			n := len(v.cursor)
			ok = n > 0 && v.cursor[n-1].X == 321 && v.cursor[n-1].Y == 123
		})
		return
	})
	c.send(protocol.SigEnd, protocol.End{Reason: "done"})
	if res, err := h.result(); err != nil || res.Outcome != Ended {
		t.Fatalf("Run: %+v, %v", res, err)
	}
}
