// Package protocoltest helps tests of the programs that speak the protocol.
package protocoltest

import (
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
