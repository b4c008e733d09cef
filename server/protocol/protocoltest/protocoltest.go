// Package protocoltest helps tests of the programs that speak the protocol.
package protocoltest

import (
	"bytes"
	"fmt"
	"image"
	"image/draw"
	"image/jpeg"
	"testing"

	"tether/server/protocol"
)

// Keys runs a whole end-to-end key exchange for sessionID in memory and
// returns the agent's and the viewer's keys, as if the two ends had run it
// through the server.
func Keys(tb testing.TB, sessionID string) (agent, viewer *protocol.SessionKeys) {
	tb.Helper()
	a, err := protocol.NewHandshake(protocol.SenderAgent, sessionID)
	if err != nil {
		tb.Fatal(err)
	}
	v, err := protocol.NewHandshake(protocol.SenderViewer, sessionID)
	if err != nil {
		tb.Fatal(err)
	}
	reply, err := v.Reply(a.Start())
	if err != nil {
		tb.Fatal(err)
	}
	agent, reveal, err := a.Accept(reply)
	if err != nil {
		tb.Fatal(err)
	}
	if viewer, err = v.Reveal(reveal); err != nil {
		tb.Fatal(err)
	}
	return agent, viewer
}

// PaintPhoto decodes a Photo and paints it into dst where it belongs, as
// the viewer's createImageBitmap and drawImage do in the browser.
func PaintPhoto(dst *image.RGBA, m *protocol.Photo) error {
	img, err := jpeg.Decode(bytes.NewReader(m.Data))
	if err != nil {
		return err
	}
	r := m.Rect()
	if img.Bounds().Size() != r.Size() {
		return fmt.Errorf("photo %v decodes to %v", r, img.Bounds())
	}
	draw.Draw(dst, r, img, img.Bounds().Min, draw.Src)
	return nil
}
