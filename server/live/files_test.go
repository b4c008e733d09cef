package live

import (
	"context"
	"testing"

	"tether/server/hub"
	"tether/server/protocol"
)

// drainFiles empties a member's file lane.
func drainFiles(m *hub.Member) []hub.Message {
	var out []hub.Message
	for {
		select {
		case x := <-m.Files():
			out = append(out, x)
		default:
			return out
		}
	}
}

// TestRelayFilesNeedTheGrant: file messages are relayed only while the
// customer's grants include files, and then on the file lane, both ways;
// the viewer and the agent learn the provider's file limit.
func TestRelayFilesNeedTheGrant(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	agent := f.join(t)
	v, st, err := f.svc.JoinViewer(ctx, f.current(t), f.sess.EngineerID, "Erin")
	if err != nil {
		t.Fatal(err)
	}
	if st.FileMaxBytes <= 0 {
		t.Fatalf("viewer's state carries file limit %d", st.FileMaxBytes)
	}
	chunk := msg(t, &protocol.FileChunk{ID: 1, Data: []byte("secret")})
	ack := msg(t, &protocol.FileAck{ID: 1, Offset: 6})
	if _, err := agent.Signal(ctx, sig(t, protocol.SigConsent, protocol.Consent{Grants: protocol.GrantView | protocol.GrantControl})); err != nil {
		t.Fatal(err)
	}
	drain(v.Member())
	if err := agent.Binary(chunk); err != nil {
		t.Fatal(err)
	}
	if got := len(drain(v.Member())) + len(drainFiles(v.Member())); got != 0 {
		t.Fatalf("without files the viewer got %d messages", got)
	}
	if agent.Admit(hub.Message{Binary: true, Files: true, Data: ack}) {
		t.Fatal("without files the agent would get a file message")
	}

	if _, err := agent.Signal(ctx, sig(t, protocol.SigConsent, protocol.Consent{Grants: protocol.GrantView | protocol.GrantFiles})); err != nil {
		t.Fatal(err)
	}
	drain(v.Member())
	if err := agent.Binary(chunk); err != nil {
		t.Fatal(err)
	}
	if got := drainFiles(v.Member()); len(got) != 1 || !got[0].Files || len(drain(v.Member())) != 0 {
		t.Fatalf("with files the viewer's file lane got %d messages", len(got))
	}
	if err := v.Binary(ack); err != nil {
		t.Fatal(err)
	}
	got := drainFiles(agent.Member())
	if len(got) != 1 || !agent.Admit(got[0]) {
		t.Fatalf("with files the agent's file lane got %d messages", len(got))
	}
}
