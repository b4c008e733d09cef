package live

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"tether/server/hub"
	"tether/server/protocol"
	"tether/server/store"
)

// chats decodes the chat envelopes among messages.
func chats(t *testing.T, ms []hub.Message) []protocol.Chat {
	t.Helper()
	var out []protocol.Chat
	for _, m := range ms {
		e, err := protocol.DecodeSignal(m.Data)
		if err != nil || e.Type != protocol.SigChat {
			continue
		}
		var c protocol.Chat
		if err := e.Decode(&c); err != nil {
			t.Fatal(err)
		}
		out = append(out, c)
	}
	return out
}

// TestChatReachesEveryoneAndIsStored: a message from the engineer's viewer,
// the agent (consent page) or an invitation page is stored as a "chat"
// event and reaches all three, before consent too; history replays it.
func TestChatReachesEveryoneAndIsStored(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	agent := f.join(t)
	v, _, err := f.svc.JoinViewer(ctx, f.current(t), f.sess.EngineerID, "Erin")
	if err != nil {
		t.Fatal(err)
	}
	page, _, err := f.svc.JoinPage(f.current(t))
	if err != nil {
		t.Fatal(err)
	}
	pc := f.svc.NewPageChat(f.current(t))
	drain(agent.Member())
	drain(v.Member())
	drain(page)

	if err := v.Signal(ctx, sig(t, protocol.SigChat, protocol.Chat{Text: "  Hello Maria ", Ref: "v1"})); err != nil {
		t.Fatal(err)
	}
	if _, err := agent.Signal(ctx, sig(t, protocol.SigChat, protocol.Chat{Text: "Who are you?", Ref: "a1"})); err != nil {
		t.Fatal(err)
	}
	if err := pc.Signal(ctx, sig(t, protocol.SigChat, protocol.Chat{Text: "Привет", Ref: "p1"})); err != nil {
		t.Fatal(err)
	}
	want := []struct{ from, side, text, ref string }{
		{"Erin", protocol.SideEngineer, "Hello Maria", "v1"},
		{"Maria", protocol.SideCustomer, "Who are you?", "a1"},
		{"Maria", protocol.SideCustomer, "Привет", "p1"},
	}
	for name, m := range map[string]*hub.Member{"agent": agent.Member(), "viewer": v.Member(), "page": page} {
		got := chats(t, drain(m))
		if len(got) != len(want) {
			t.Fatalf("%s got %d messages: %+v", name, len(got), got)
		}
		for i, w := range want {
			g := got[i]
			if g.From != w.from || g.Side != w.side || g.Text != w.text || g.Ref != w.ref || g.ID == "" || g.At.IsZero() || g.Error != "" {
				t.Errorf("%s message %d = %+v, want %+v", name, i, g, w)
			}
		}
	}

	evs, err := f.st.Events(ctx, f.sess.ProviderID, f.sess.ID)
	if err != nil {
		t.Fatal(err)
	}
	var stored []store.Event
	for _, e := range evs {
		if e.Kind == "chat" {
			stored = append(stored, e)
		}
	}
	if len(stored) != 3 || stored[0].Actor != "engineer:"+f.sess.EngineerID || stored[1].Actor != "customer" || stored[0].Detail != `{"text":"Hello Maria"}` {
		t.Fatalf("stored %+v", stored)
	}

	history, err := f.svc.ChatHistory(ctx, f.current(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(history) != 3 {
		t.Fatalf("history has %d messages", len(history))
	}
	var first protocol.Chat
	env, _ := protocol.DecodeSignal(history[0])
	if err := env.Decode(&first); err != nil || first.From != "Erin" || first.Side != protocol.SideEngineer || first.Text != "Hello Maria" || first.ID != stored[0].ID || !first.History {
		t.Fatalf("history[0] = %+v %v", first, err)
	}
}

// TestChatRefusals: bad text, a flood and an ended session are refused to
// the sender only, with a reason and the text given back; nothing is
// stored. A payload of the wrong shape breaks the contract.
func TestChatRefusals(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	v, _, err := f.svc.JoinViewer(ctx, f.current(t), f.sess.EngineerID, "Erin")
	if err != nil {
		t.Fatal(err)
	}
	page, _, err := f.svc.JoinPage(f.current(t))
	if err != nil {
		t.Fatal(err)
	}
	drain(v.Member())
	drain(page)
	refusal := func(text, wantWord string) {
		t.Helper()
		if err := v.Signal(ctx, sig(t, protocol.SigChat, protocol.Chat{Text: text, Ref: "r"})); err != nil {
			t.Fatal(err)
		}
		got := chats(t, drain(v.Member()))
		if len(got) != 1 || got[0].Error == "" || !strings.Contains(got[0].Error, wantWord) || got[0].Ref != "r" || got[0].Text != text || got[0].ID != "" {
			t.Fatalf("%q: viewer got %+v, want a refusal mentioning %q", text, got, wantWord)
		}
		if others := chats(t, drain(page)); len(others) != 0 {
			t.Fatalf("%q reached the page: %+v", text, others)
		}
	}
	refusal(strings.Repeat("a", protocol.MaxChatText+1), "2000")
	refusal("   ", "empty")
	refusal("\x1b[31m", "control")

	for i := range ChatRate.Burst {
		if err := v.Signal(ctx, sig(t, protocol.SigChat, protocol.Chat{Text: "quick", Ref: "q"})); err != nil {
			t.Fatal(err)
		}
		if got := chats(t, drain(v.Member())); len(got) != 1 || got[0].Error != "" {
			t.Fatalf("message %d of the burst: %+v", i, got)
		}
		drain(page)
	}
	refusal("one too many", "too quickly")
	// The customer has a budget of their own.
	pc := f.svc.NewPageChat(f.current(t))
	if err := pc.Signal(ctx, sig(t, protocol.SigChat, protocol.Chat{Text: "still me"})); err != nil {
		t.Fatal(err)
	}
	if got := chats(t, drain(page)); len(got) != 1 || got[0].Error != "" {
		t.Fatalf("customer's message: %+v", got)
	}
	drain(v.Member())
	f.advance(time.Second)
	if err := v.Signal(ctx, sig(t, protocol.SigChat, protocol.Chat{Text: "later"})); err != nil {
		t.Fatal(err)
	}
	if got := chats(t, drain(v.Member())); len(got) != 1 || got[0].Error != "" {
		t.Fatalf("after a second: %+v", got)
	}

	for _, bad := range []string{
		`{"type":"chat","payload":{"text":5}}`,
		`{"type":"chat"}`,
		`{"type":"chat","payload":{"text":"x","ref":"<b>"}}`,
		`{"type":"typing","payload":{"typing":"yes"}}`,
	} {
		if err := v.Signal(ctx, []byte(bad)); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
	if err := pc.Signal(ctx, sig(t, protocol.SigConsent, protocol.Consent{Grants: protocol.GrantView})); err == nil {
		t.Error("an invitation page sent a consent")
	}

	before, _ := f.st.Events(ctx, f.sess.ProviderID, f.sess.ID)
	if _, _, err := f.svc.End(ctx, f.sess.ID, "done", store.ActorSystem); err != nil {
		t.Fatal(err)
	}
	drain(v.Member())
	drain(page)
	f.advance(time.Minute)
	refusal("hello?", "ended")
	after, _ := f.st.Events(ctx, f.sess.ProviderID, f.sess.ID)
	if len(after) != len(before)+1 { // the end, and no chat
		t.Fatalf("%d events before the end, %d after", len(before), len(after))
	}
	var n int
	for _, e := range after {
		if e.Kind == EventChat {
			var d chatDetail
			if err := json.Unmarshal([]byte(e.Detail), &d); err != nil || d.Text == "" {
				t.Errorf("chat event detail %q", e.Detail)
			}
			n++
		}
	}
	if n != ChatRate.Burst+2 {
		t.Fatalf("%d chat events stored, want %d", n, ChatRate.Burst+2)
	}
}

// TestTypingGoesToTheOtherSide: the engineer's typing reaches the agent
// and pages, the customer's the viewer; none is stored, and a stream of
// them is thinned.
func TestTypingGoesToTheOtherSide(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	agent := f.join(t)
	v, _, err := f.svc.JoinViewer(ctx, f.current(t), f.sess.EngineerID, "Erin")
	if err != nil {
		t.Fatal(err)
	}
	page, _, err := f.svc.JoinPage(f.current(t))
	if err != nil {
		t.Fatal(err)
	}
	drain(agent.Member())
	drain(v.Member())
	drain(page)
	before, _ := f.st.Events(ctx, f.sess.ProviderID, f.sess.ID)

	for range 5 {
		if err := v.Signal(ctx, sig(t, protocol.SigTyping, protocol.Typing{Typing: true})); err != nil {
			t.Fatal(err)
		}
	}
	if err := v.Signal(ctx, sig(t, protocol.SigTyping, protocol.Typing{Typing: false})); err != nil {
		t.Fatal(err)
	}
	for range 50 { // a flood of "not typing" changes nothing
		if err := v.Signal(ctx, sig(t, protocol.SigTyping, protocol.Typing{Typing: false})); err != nil {
			t.Fatal(err)
		}
	}
	for name, m := range map[string]*hub.Member{"agent": agent.Member(), "page": page} {
		if got := types(drain(m)); got != "typing,typing" {
			t.Errorf("%s got %q, want one start and one stop", name, got)
		}
	}
	if got := types(drain(v.Member())); got != "" {
		t.Errorf("the viewer heard itself: %q", got)
	}
	if _, err := agent.Signal(ctx, sig(t, protocol.SigTyping, protocol.Typing{Typing: true})); err != nil {
		t.Fatal(err)
	}
	ms := drain(v.Member())
	if types(ms) != "typing" {
		t.Fatalf("viewer got %q", types(ms))
	}
	e, _ := protocol.DecodeSignal(ms[0].Data)
	var ty protocol.Typing
	if err := e.Decode(&ty); err != nil || ty.Side != protocol.SideCustomer || ty.From != "Maria" || !ty.Typing {
		t.Fatalf("typing %+v %v", ty, err)
	}
	after, _ := f.st.Events(ctx, f.sess.ProviderID, f.sess.ID)
	if len(after) != len(before) {
		t.Fatalf("typing was stored: %d events, then %d", len(before), len(after))
	}
}

// TestChatAcrossInstances: the engineer's viewer on one instance and the
// customer's page on another, sharing the store and a bus, hear each other,
// and a page joining later on either gets the same history.
func TestChatAcrossInstances(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	bus, err := hub.StartBusServer(hub.BusServerOptions{Listen: "127.0.0.1:0", User: "tether", Password: "bus-password-123"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(bus.Shutdown)
	instance := func(name string) *Service {
		b, err := hub.NewBus(hub.BusOptions{URL: "nats://tether:bus-password-123@" + bus.Addr(), Secret: make([]byte, 32), Instance: name,
			Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(b.Close)
		deadline := time.Now().Add(5 * time.Second)
		for b.Ready() != nil {
			if time.Now().After(deadline) {
				t.Fatalf("bus of %s not ready: %v", name, b.Ready())
			}
			time.Sleep(5 * time.Millisecond)
		}
		return New(f.st, b, Config{Instance: name}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	}
	one, two := instance("one"), instance("two")
	v, _, err := one.JoinViewer(ctx, f.current(t), f.sess.EngineerID, "Erin")
	if err != nil {
		t.Fatal(err)
	}
	page, _, err := two.JoinPage(f.current(t))
	if err != nil {
		t.Fatal(err)
	}
	wait := func(m *hub.Member, what string) protocol.Chat {
		t.Helper()
		for {
			select {
			case msg := <-m.Inbox():
				if got := chats(t, []hub.Message{msg}); len(got) == 1 {
					return got[0]
				}
			case <-time.After(5 * time.Second):
				t.Fatalf("no %s", what)
			}
		}
	}
	if err := two.NewPageChat(f.current(t)).Signal(ctx, sig(t, protocol.SigChat, protocol.Chat{Text: "from instance two"})); err != nil {
		t.Fatal(err)
	}
	if got := wait(v.Member(), "message on instance one"); got.Text != "from instance two" || got.From != "Maria" {
		t.Fatalf("viewer got %+v", got)
	}
	if err := v.Signal(ctx, sig(t, protocol.SigChat, protocol.Chat{Text: "from instance one"})); err != nil {
		t.Fatal(err)
	}
	for {
		if got := wait(page, "message on instance two"); got.Text == "from instance one" {
			break
		}
	}
	for _, svc := range []*Service{one, two} {
		h, err := svc.ChatHistory(ctx, f.current(t))
		if err != nil || len(h) != 2 {
			t.Fatalf("history: %d messages, %v", len(h), err)
		}
	}
}

// TestChatFloodCloses: a connection that goes on sending after being told
// it is too fast is closed (Signal's error), after maxTooFast refusals.
func TestChatFloodCloses(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	pc := f.svc.NewPageChat(f.current(t))
	msg := sig(t, protocol.SigChat, protocol.Chat{Text: "spam"})
	for i := range ChatRate.Burst + maxTooFast {
		if err := pc.Signal(ctx, msg); err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
	}
	if err := pc.Signal(ctx, msg); err == nil {
		t.Fatal("the flood goes on")
	}
}
