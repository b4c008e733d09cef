package viewer

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/coder/websocket"

	"tether/server/protocol"
)

// TestChatThroughTheViewer: the server's chat and typing reach the page as
// events, the engineer's message and typing go out as signaling, and a
// message too long is refused at once with its text, without sending it.
func TestChatThroughTheViewer(t *testing.T) {
	h := newHarness(t)
	h.signal(protocol.SigChat, protocol.Chat{ID: "e1", From: "Maria", Side: protocol.SideCustomer, Text: "hi"})
	h.signal(protocol.SigTyping, protocol.Typing{From: "Maria", Side: protocol.SideCustomer, Typing: true})
	h.eventually("two events", h.ui_(func(u *fakeUI) bool { return len(u.emitted) == 2 }))
	h.ui.mu.Lock()
	first, second := h.ui.emitted[0], h.ui.emitted[1]
	h.ui.mu.Unlock()
	b, _ := json.Marshal(first.detail)
	if first.name != "chat" || !strings.Contains(string(b), `"from":"Maria"`) || second.name != "typing" {
		t.Fatalf("emitted %s %s, then %s", first.name, b, second.name)
	}

	h.v.Command(CmdChat, []byte(`{"text":" Hello Maria ","ref":"m1"}`))
	m := h.nextSent()
	env, err := protocol.DecodeSignal(m.b)
	var c protocol.Chat
	if err == nil {
		err = env.Decode(&c)
	}
	if m.typ != websocket.MessageText || env.Type != protocol.SigChat || c.Text != "Hello Maria" || c.Ref != "m1" || err != nil {
		t.Fatalf("sent %s (%v)", m.b, err)
	}
	h.v.Command(CmdTyping, []byte(`{"typing":true}`))
	if m := h.nextSent(); !strings.Contains(string(m.b), `"type":"typing"`) || !strings.Contains(string(m.b), `"typing":true`) {
		t.Fatalf("sent %s", m.b)
	}

	long := strings.Repeat("x", protocol.MaxChatText+1)
	detail, _ := json.Marshal(protocol.Chat{Text: long, Ref: "m2"})
	h.v.Command(CmdChat, detail)
	h.eventually("refusal", h.ui_(func(u *fakeUI) bool { return len(u.emitted) == 3 }))
	h.ui.mu.Lock()
	refusal, _ := h.ui.emitted[2].detail.(protocol.Chat)
	h.ui.mu.Unlock()
	if refusal.Ref != "m2" || refusal.Text != long || !strings.Contains(refusal.Error, "2000") {
		t.Fatalf("refusal %+v", refusal)
	}
	select {
	case m := <-h.conn.out:
		t.Fatalf("the long message went out: %.80s", m.b)
	default:
	}
}
