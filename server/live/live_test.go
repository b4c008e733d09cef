package live

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"tether/server/hub"
	"tether/server/protocol"
	"tether/server/store"
)

type fixture struct {
	st   *store.Store
	hub  *hub.Local
	svc  *Service
	sess store.Session

	mu  sync.Mutex // guards now: the sweeper reads the clock concurrently
	now time.Time
}

func (f *fixture) clock() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fixture) advance(d time.Duration) {
	f.mu.Lock()
	f.now = f.now.Add(d)
	f.mu.Unlock()
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{hub: hub.NewLocal(), now: time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)}
	ctx := context.Background()
	st, err := store.Open(ctx, "sqlite://:memory:", f.clock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	f.st = st
	f.svc = New(st, f.hub, slog.New(slog.NewTextHandler(io.Discard, nil)))
	p, u, err := st.CreateProviderWithOwner(ctx, "Acme", "Erin", "erin@acme.test", "x")
	if err != nil {
		t.Fatal(err)
	}
	d, err := st.DefaultDesk(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	f.sess, err = st.CreateSession(ctx, store.NewSession{ProviderID: p.ID, DeskID: d.ID, EngineerID: u.ID, CustomerName: "Maria",
		TokenHash: strings.Repeat("a", 64), CodeTokenHash: strings.Repeat("b", 64), Code: "ABCDEF", ExpiresAt: f.now.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// join binds an agent to the session and puts it in the hub.
func (f *fixture) join(t *testing.T) *hub.Member {
	t.Helper()
	var err error
	f.sess, err = f.svc.AgentJoined(context.Background(), f.sess, protocol.AgentHello{AgentKey: strings.Repeat("k", 26), ConsentKey: "consentkeyconsentkey123456", Source: "link"})
	if err != nil {
		t.Fatal(err)
	}
	return f.hub.Join(f.sess.ID, hub.RoleAgent)
}

// next returns the next envelope a member received.
func next(t *testing.T, m *hub.Member) protocol.Envelope {
	t.Helper()
	select {
	case msg := <-m.Inbox():
		e, err := protocol.DecodeSignal(msg.Data)
		if err != nil {
			t.Fatal(err)
		}
		return e
	case <-time.After(time.Second):
		t.Fatal("no message")
	}
	return protocol.Envelope{}
}

func TestConsentPairsAgentAndViewer(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if _, err := f.svc.Consent(ctx, f.sess.ID, "control", true); !errors.Is(err, ErrNoAgent) {
		t.Fatalf("consent without an agent: %v", err)
	}
	agent := f.join(t)
	if !f.svc.CheckConsentKey(f.sess.ID, "consentkeyconsentkey123456") || f.svc.CheckConsentKey(f.sess.ID, "wrong") || f.svc.CheckConsentKey(f.sess.ID, "") {
		t.Fatal("CheckConsentKey")
	}
	viewer := f.hub.Join(f.sess.ID, hub.RoleViewer)
	// Before consent, nobody is paired.
	f.svc.Pair(f.sess)
	select {
	case <-agent.Inbox():
		t.Fatal("agent paired before consent")
	default:
	}
	if _, err := f.svc.Consent(ctx, f.sess.ID, "sideways", true); err == nil {
		t.Fatal("bad level accepted")
	}
	sess, err := f.svc.Consent(ctx, f.sess.ID, "view", true)
	if err != nil || sess.State != store.StateActive || sess.ConsentLevel != "view" {
		t.Fatalf("consent: %+v %v", sess, err)
	}
	if e := next(t, agent); e.Type != protocol.SigConsent {
		t.Fatalf("agent got %s first, want consent", e.Type)
	}
	if e := next(t, agent); e.Type != protocol.SigPeer {
		t.Fatalf("agent got %s, want peer", e.Type)
	}
	for e := next(t, viewer); e.Type != protocol.SigPeer; e = next(t, viewer) {
	}
	// Changing the level while active is a control change, not a second consent.
	if sess, err := f.svc.Consent(ctx, f.sess.ID, "control", false); err != nil || sess.ConsentLevel != "control" {
		t.Fatalf("change control: %+v %v", sess, err)
	}
	evs, err := f.st.Events(ctx, f.sess.ProviderID, f.sess.ID)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, e := range evs {
		kinds = append(kinds, e.Kind)
	}
	if got := strings.Join(kinds, ","); got != "created,agent_connected,consent_given,control_changed" {
		t.Fatalf("events %s", got)
	}
}

func TestDenyAndEnd(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	agent := f.join(t)
	page := f.hub.Join(f.sess.ID, hub.RolePage)
	sess, err := f.svc.Consent(ctx, f.sess.ID, "deny", true)
	if err != nil || sess.State != store.StateEnded || sess.EndReason != ReasonCustomerDenied {
		t.Fatalf("deny: %+v %v", sess, err)
	}
	// The agent hears the denial, then the end, and its connection is closed.
	var types []string
	var closeReason string
	for len(types) < 2 {
		msg := <-agent.Inbox()
		e, _ := protocol.DecodeSignal(msg.Data)
		types = append(types, e.Type)
		closeReason = msg.Close
	}
	if strings.Join(types, ",") != "consent,end" || closeReason == "" {
		t.Fatalf("agent got %v, close %q", types, closeReason)
	}
	// The page stays open and sees the ended state.
	for e := next(t, page); ; e = next(t, page) {
		var st protocol.State
		if e.Type == protocol.SigState && e.Decode(&st) == nil && st.State == "ended" {
			break
		}
	}
	// Ending twice is harmless.
	if _, changed, err := f.svc.End(ctx, f.sess.ID, "ended by Erin", "engineer"); err != nil || changed {
		t.Fatalf("second end: %v %v", changed, err)
	}
	if f.svc.CheckConsentKey(f.sess.ID, "consentkeyconsentkey123456") {
		t.Fatal("consent key kept after the end")
	}
}

func TestSweepExpires(t *testing.T) {
	f := newFixture(t)
	page := f.hub.Join(f.sess.ID, hub.RolePage)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go f.svc.Sweep(ctx, time.Millisecond)
	f.advance(time.Hour)
	for {
		var st protocol.State
		if e := next(t, page); e.Type == protocol.SigState && e.Decode(&st) == nil && st.State == "ended" {
			if st.Reason != store.ReasonExpired {
				t.Fatalf("reason %q", st.Reason)
			}
			return
		}
	}
}
