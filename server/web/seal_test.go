package web

import (
	"bytes"
	"context"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"tether/server/hub"
	"tether/server/live"
	"tether/server/protocol"
)

// exchangeThrough runs the end-to-end key exchange between a test agent
// and a test viewer through the server, as the real ends do, and returns
// their keys.
func exchangeThrough(t *testing.T, agent, viewer *websocket.Conn, sessionID string) (agentKeys, viewerKeys *protocol.SessionKeys) {
	t.Helper()
	a, err := protocol.NewHandshake(protocol.SenderAgent, sessionID)
	if err != nil {
		t.Fatal(err)
	}
	v, err := protocol.NewHandshake(protocol.SenderViewer, sessionID)
	if err != nil {
		t.Fatal(err)
	}
	send(t, agent, protocol.SigKey, a.Start())
	var start, gotReply, gotReveal protocol.KeyStep
	expect(t, viewer, protocol.SigKey, &start)
	reply, err := v.Reply(start)
	if err != nil {
		t.Fatal(err)
	}
	send(t, viewer, protocol.SigKey, reply)
	expect(t, agent, protocol.SigKey, &gotReply)
	agentKeys, reveal, err := a.Accept(gotReply)
	if err != nil {
		t.Fatal(err)
	}
	send(t, agent, protocol.SigKey, reveal)
	expect(t, viewer, protocol.SigKey, &gotReveal)
	if viewerKeys, err = v.Reveal(gotReveal); err != nil {
		t.Fatal(err)
	}
	return agentKeys, viewerKeys
}

// sealedWriter seals session messages of one end and writes them.
func sealedWriter(t *testing.T, c *websocket.Conn, k *protocol.SessionKeys) func(protocol.Message) {
	return func(m protocol.Message) {
		t.Helper()
		b, err := protocol.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		sealed, err := k.Sealer.Seal(nil, b)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := c.Write(ctx, websocket.MessageBinary, sealed); err != nil {
			t.Fatal(err)
		}
	}
}

// readSealed returns the next binary message on c, opened with k.
func readSealed(t *testing.T, c *websocket.Conn, k *protocol.SessionKeys) protocol.Message {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for {
		mt, data, err := c.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if mt != websocket.MessageBinary {
			continue
		}
		b, err := k.Opener.Open(data)
		if err != nil {
			t.Fatalf("relayed message does not open: %v", err)
		}
		m, err := protocol.Unmarshal(b)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
}

// recordingHub is the server's hub, keeping a copy of every message that
// passes it: what a bus between instances would carry.
type recordingHub struct {
	hub.Hub
	mu   sync.Mutex
	seen [][]byte
}

func (r *recordingHub) Send(topic string, role hub.Role, m hub.Message) {
	r.mu.Lock()
	r.seen = append(r.seen, bytes.Clone(m.Data))
	r.mu.Unlock()
	r.Hub.Send(topic, role, m)
}

func (r *recordingHub) carried(pattern []byte) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, b := range r.seen {
		if bytes.Contains(b, pattern) {
			return true
		}
	}
	return false
}

// TestRelayCarriesOnlyCiphertext: with the key exchange done between the
// two ends through the server, a screen picture and typed keys relayed
// between them pass the hub (and so any bus) only as ciphertext, and the
// server forwards them by their clear type alone.
func TestRelayCarriesOnlyCiphertext(t *testing.T) {
	rec := &recordingHub{Hub: hub.NewLocal()}
	h := newHarnessWith(t, nil, func(d *Deps) {
		d.Live = live.New(d.Store.(live.Store), rec, live.Config{Instance: "test"}, d.Log)
	})
	eng := h.signedUp("Acme", "erin@acme.test")
	id, token := h.newSession(eng, "Maria Lopez")
	agent := h.wsDial(nil, "/ws/agent")
	send(t, agent, protocol.SigAgentHello, hello(token))
	var w protocol.Welcome
	expect(t, agent, protocol.SigWelcome, &w)
	viewer := h.wsDial(eng, "/ws/viewer/"+id)
	expect(t, viewer, protocol.SigState, nil)
	send(t, agent, protocol.SigConsent, protocol.Consent{Grants: protocol.GrantView | protocol.GrantControl})
	expect(t, agent, protocol.SigPeer, nil)
	expect(t, viewer, protocol.SigPeer, nil)

	agentKeys, viewerKeys := exchangeThrough(t, agent, viewer, w.SessionID)
	if agentKeys.Code != viewerKeys.Code {
		t.Fatalf("security codes differ through an honest server: %s, %s", agentKeys.Code, viewerKeys.Code)
	}
	screen := bytes.Repeat([]byte("PAYROLL-SPREADSHEET "), 200)
	typed := "hunter2-the-customer-password"
	sealedWriter(t, agent, agentKeys)(&protocol.Photo{Seq: 1, Width: 640, Height: 480, W: 64, H: 64, Format: protocol.PhotoJPEG, Data: screen})
	if m, ok := readSealed(t, viewer, viewerKeys).(*protocol.Photo); !ok || !bytes.Equal(m.Data, screen) {
		t.Fatal("the viewer did not get the picture")
	}
	sealedWriter(t, viewer, viewerKeys)(&protocol.Key{Down: true, Key: typed, Code: "KeyH"})
	if m, ok := readSealed(t, agent, agentKeys).(*protocol.Key); !ok || m.Key != typed {
		t.Fatal("the agent did not get the key")
	}
	for what, p := range map[string][]byte{"screen": []byte("PAYROLL-SPREADSHEET"), "input": []byte(typed)} {
		if rec.carried(p) {
			t.Errorf("the hub carried the %s in clear", what)
		}
	}
	rec.mu.Lock()
	seen := len(rec.seen)
	rec.mu.Unlock()
	if seen == 0 {
		t.Fatal("the recording hub saw nothing")
	}
}
