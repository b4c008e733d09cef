package live

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"tether/server/auth"
	"tether/server/hub"
	"tether/server/protocol"
	"tether/server/protocol/protocoltest"
	"tether/server/store"
	"tether/server/turn/restcred"
)

const (
	token    = "abcdefghijklmnopqrstuvwxyz234567"
	agentKey = "kkkkkkkkkkkkkkkkkkkkkkkkkk"
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
	f.svc = New(st, f.hub, Config{Instance: "i1", P2P: true, RejoinGrace: 30 * time.Second, Now: f.clock}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	f.sess = f.newSession(t, token, "ABCDEF")
	return f
}

func (f *fixture) newSession(t *testing.T, tok, code string) store.Session {
	t.Helper()
	ctx := context.Background()
	p, err := f.st.ProviderByID(ctx, f.sess.ProviderID)
	if err != nil {
		var u store.User
		if p, u, err = f.st.CreateProviderWithOwner(ctx, "Acme", "Erin", "erin@acme.test", "x"); err != nil {
			t.Fatal(err)
		}
		f.sess.ProviderID, f.sess.EngineerID = p.ID, u.ID
	}
	d, err := f.st.DefaultDesk(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	sess, err := f.st.CreateSession(ctx, store.NewSession{ProviderID: p.ID, DeskID: d.ID, EngineerID: f.sess.EngineerID, CustomerName: "Maria",
		TokenHash: auth.HashToken(tok), Code: code, ExpiresAt: f.now.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	return sess
}

func hello(tok string) protocol.AgentHello {
	return protocol.AgentHello{Token: tok, AgentKey: agentKey, Source: protocol.SourceLink, Version: int(protocol.Version), OS: "linux", Host: "pc-1"}
}

// join brings the session's agent in.
func (f *fixture) join(t *testing.T) *Agent {
	t.Helper()
	a, w, err := f.svc.AgentHello(context.Background(), hello(token))
	if err != nil {
		t.Fatal(err)
	}
	if w.Engineer != "Erin" || w.Provider != "Acme" || w.Customer != "Maria" || !w.P2P || w.ICETimeoutMS != 5000 {
		t.Fatalf("welcome %+v", w)
	}
	return a
}

func (f *fixture) current(t *testing.T) store.Session {
	t.Helper()
	s, err := f.st.SessionByIDUnscoped(context.Background(), f.sess.ID)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func sig(t *testing.T, typ string, payload any) []byte {
	t.Helper()
	b, err := protocol.EncodeSignal(typ, payload)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// msg is m as the relay carries it: sealed by one end with keys the server
// never sees.
func msg(t *testing.T, m protocol.Message) []byte {
	t.Helper()
	b, err := protocol.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	keys, _ := protocoltest.Keys(t, "s")
	sealed, err := keys.Sealer.Seal(nil, b)
	if err != nil {
		t.Fatal(err)
	}
	return sealed
}

// drain returns what a member received so far.
func drain(m *hub.Member) []hub.Message {
	var out []hub.Message
	for {
		select {
		case x := <-m.Inbox():
			out = append(out, x)
		default:
			return out
		}
	}
}

// types lists the envelope types among messages (binary ones as "binary").
func types(ms []hub.Message) string {
	var out []string
	for _, m := range ms {
		if m.Binary {
			out = append(out, "binary")
			continue
		}
		e, _ := protocol.DecodeSignal(m.Data)
		out = append(out, e.Type)
	}
	return strings.Join(out, ",")
}

func TestAgentHelloRefusals(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	old := hello(token)
	old.Version = 1
	short := hello(token)
	short.AgentKey = "short"
	for name, h := range map[string]protocol.AgentHello{
		"another version": old,
		"unknown token":   hello(strings.Repeat("z", 32)),
		"short key":       short,
	} {
		var no *RefusedError
		if _, _, err := f.svc.AgentHello(ctx, h); !errors.As(err, &no) || no.Message == "" {
			t.Errorf("%s: %v, want a refusal with a message", name, err)
		}
	}
	f.join(t)
	other := hello(token)
	other.AgentKey = strings.Repeat("o", 26)
	var no *RefusedError
	if _, _, err := f.svc.AgentHello(ctx, other); !errors.As(err, &no) || !strings.Contains(no.Message, "Another support program") {
		t.Fatalf("second agent: %v", err)
	}
	if _, _, err := f.svc.End(ctx, f.sess.ID, "done", store.ActorSystem); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.svc.AgentHello(ctx, hello(token)); !errors.As(err, &no) || !strings.Contains(no.Message, "ended") {
		t.Fatalf("ended session: %v", err)
	}
}

// TestConsentComesOnlyFromTheAgent: the agent's consent makes the session
// active and pairs agent and viewer; its grant changes reach the viewer.
func TestConsentComesOnlyFromTheAgent(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	agent := f.join(t)
	v, st, err := f.svc.JoinViewer(ctx, f.current(t), f.sess.EngineerID, "Erin")
	if err != nil || st.State != protocol.SessionJoined || !st.Agent || !st.Viewer {
		t.Fatalf("join viewer: %+v %v", st, err)
	}
	// Before consent, nobody is paired.
	if got := types(drain(agent.Member())); strings.Contains(got, protocol.SigPeer) {
		t.Fatalf("agent got %s before consent", got)
	}
	for _, bad := range []string{
		`{"type":"consent","payload":{"grants":[]}}`,
		`{"type":"consent","payload":{"grants":["view","root"]}}`,
		`{"type":"consent","payload":{"level":"control"}}`,
	} {
		if _, err := agent.Signal(ctx, []byte(bad)); err == nil {
			t.Errorf("consent %s accepted", bad)
		}
	}
	if s := f.current(t); s.State != protocol.SessionJoined {
		t.Fatalf("a refused consent changed the session to %s", s.State)
	}
	if _, err := agent.Signal(ctx, sig(t, protocol.SigConsent, protocol.Consent{Grants: protocol.GrantView})); err != nil {
		t.Fatal(err)
	}
	if s := f.current(t); s.State != protocol.SessionActive || s.Grants != protocol.GrantView {
		t.Fatalf("after consent: %s %v", s.State, s.Grants)
	}
	if got := types(drain(agent.Member())); got != "peer" {
		t.Fatalf("agent got %q, want peer", got)
	}
	var peer protocol.Peer
	for _, m := range drain(v.Member()) {
		if e, _ := protocol.DecodeSignal(m.Data); e.Type == protocol.SigPeer {
			_ = e.Decode(&peer)
		}
	}
	if !peer.Present || peer.Grants != protocol.GrantView {
		t.Fatalf("viewer peer %+v", peer)
	}
	// A repeat (after a reconnect) changes nothing; a change is recorded
	// and shown to the viewer.
	if _, err := agent.Signal(ctx, sig(t, protocol.SigConsent, protocol.Consent{Grants: protocol.GrantView})); err != nil {
		t.Fatal(err)
	}
	if _, err := agent.Signal(ctx, sig(t, protocol.SigConsent, protocol.Consent{Grants: protocol.GrantView | protocol.GrantControl})); err != nil {
		t.Fatal(err)
	}
	var state protocol.State
	for _, m := range drain(v.Member()) {
		if e, _ := protocol.DecodeSignal(m.Data); e.Type == protocol.SigState {
			_ = e.Decode(&state)
		}
	}
	if state.Grants != protocol.GrantView|protocol.GrantControl {
		t.Fatalf("viewer told %+v after the change", state)
	}
	evs, err := f.st.Events(ctx, f.sess.ProviderID, f.sess.ID)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, e := range evs {
		kinds = append(kinds, e.Kind+":"+e.Detail)
	}
	if got := strings.Join(kinds, " "); got != "created: agent_connected:source=link os=linux host=pc-1 viewer_connected:Erin consent_given:view grants_changed:view,control" {
		t.Fatalf("events %s", got)
	}
}

// TestRelayFollowsGrants: the relay forwards nothing before consent, input
// only with control, and refuses types from the wrong end or unknown ones.
func TestRelayFollowsGrants(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	agent := f.join(t)
	v, _, err := f.svc.JoinViewer(ctx, f.current(t), f.sess.EngineerID, "Erin")
	if err != nil {
		t.Fatal(err)
	}
	drain(agent.Member())
	drain(v.Member())
	frame := msg(t, &protocol.FrameEnd{Seq: 1, Width: 8, Height: 8})
	key := msg(t, &protocol.Key{Down: true, Key: "a", Code: "KeyA"})
	ack := msg(t, &protocol.FrameAck{Seq: 1})
	admitted := func(b []byte) bool { return agent.Admit(hub.Message{Binary: true, Data: b}) }
	toAgent := func(typ string) bool {
		return agent.Admit(hub.Message{Data: func() []byte { b, _ := protocol.EncodeSignal(typ, protocol.SDP{SDP: "x"}); return b }()})
	}

	// Before consent: nothing either way, not even signaling.
	if err := agent.Binary(frame); err != nil {
		t.Fatal(err)
	}
	if _, err := agent.Signal(ctx, sig(t, protocol.SigOffer, protocol.SDP{SDP: "offer"})); err != nil {
		t.Fatal(err)
	}
	if _, err := agent.Signal(ctx, sig(t, protocol.SigKey, protocol.KeyStep{Commit: make([]byte, protocol.CommitSize)})); err != nil {
		t.Fatal(err)
	}
	if got := types(drain(v.Member())); got != "" {
		t.Fatalf("viewer got %q before consent", got)
	}
	if admitted(ack) || admitted(key) || toAgent(protocol.SigAnswer) || toAgent(protocol.SigCandidate) || toAgent(protocol.SigKey) {
		t.Fatal("agent would receive viewer messages before consent")
	}
	if !toAgent(protocol.SigPeer) {
		t.Fatal("server messages must reach the agent")
	}

	// View only: frames and acks, no input.
	if _, err := agent.Signal(ctx, sig(t, protocol.SigConsent, protocol.Consent{Grants: protocol.GrantView})); err != nil {
		t.Fatal(err)
	}
	drain(v.Member())
	if err := agent.Binary(frame); err != nil {
		t.Fatal(err)
	}
	if got := types(drain(v.Member())); got != "binary" {
		t.Fatalf("viewer got %q, want the frame", got)
	}
	if !admitted(ack) || admitted(key) || !toAgent(protocol.SigAnswer) || !toAgent(protocol.SigKey) {
		t.Fatal("view only: want acks, key steps and answers, no input")
	}
	// The key exchange passes both ways, as it came.
	step := sig(t, protocol.SigKey, protocol.KeyStep{Commit: make([]byte, protocol.CommitSize)})
	if _, err := agent.Signal(ctx, step); err != nil {
		t.Fatal(err)
	}
	if got := drain(v.Member()); len(got) != 1 || !bytes.Equal(got[0].Data, step) {
		t.Fatalf("viewer got %v, want the agent's key step", types(got))
	}
	if err := v.Signal(ctx, sig(t, protocol.SigKey, protocol.KeyStep{Public: make([]byte, protocol.KeySize)})); err != nil {
		t.Fatalf("viewer's key step: %v", err)
	}
	// A session message that is not sealed breaks the contract.
	plain, _ := protocol.Marshal(&protocol.FrameEnd{Seq: 1, Width: 8, Height: 8})
	if err := agent.Binary(plain); !errors.Is(err, protocol.ErrShort) {
		t.Fatalf("unsealed frame from the agent: %v, want ErrShort", err)
	}

	// Limited control: the pointer, not the keys.
	click := msg(t, &protocol.MouseButton{Button: protocol.ButtonLeft, Down: true, X: 1, Y: 1})
	if _, err := agent.Signal(ctx, sig(t, protocol.SigConsent, protocol.Consent{Grants: protocol.GrantView | protocol.GrantLimited})); err != nil {
		t.Fatal(err)
	}
	if !admitted(click) || admitted(key) {
		t.Fatal("limited control: want the pointer and no keys")
	}

	// Control: input too.
	if _, err := agent.Signal(ctx, sig(t, protocol.SigConsent, protocol.Consent{Grants: protocol.GrantView | protocol.GrantControl})); err != nil {
		t.Fatal(err)
	}
	if !admitted(key) || !admitted(click) {
		t.Fatal("control granted, input refused")
	}

	// The wrong end, or an unknown type, breaks the contract.
	if err := agent.Binary(key); !errors.Is(err, protocol.ErrType) {
		t.Errorf("input from the agent: %v", err)
	}
	if err := v.Binary(frame); !errors.Is(err, protocol.ErrType) {
		t.Errorf("a frame from the viewer: %v", err)
	}
	unknown := append([]byte{protocol.Version, 99}, make([]byte, protocol.SealOverhead)...)
	if err := agent.Binary(unknown); !errors.Is(err, protocol.ErrType) {
		t.Errorf("unknown type from the agent: %v", err)
	}
	if err := v.Binary(unknown); !errors.Is(err, protocol.ErrType) {
		t.Errorf("unknown type from the viewer: %v", err)
	}
	if admitted(unknown) {
		t.Error("unknown type admitted to the agent")
	}
	if err := v.Signal(ctx, sig(t, protocol.SigConsent, protocol.Consent{Grants: protocol.GrantView | protocol.GrantControl})); err == nil {
		t.Error("the viewer sent consent")
	}
	if _, err := agent.Signal(ctx, []byte(`{"type":"x-evil"}`)); err == nil {
		t.Error("unknown signal type accepted from the agent")
	}
}

func TestAgentLostWaitsForItsReturn(t *testing.T) {
	for _, tc := range []struct {
		name     string
		back     bool
		wantLive bool
	}{
		{"comes back within the grace", true, true},
		{"does not come back", false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			ctx := context.Background()
			page := f.hub.Join(f.sess.ID, hub.RolePage)
			a := f.join(t)
			a.Leave(ctx, false)
			f.advance(20 * time.Second)
			if err := f.svc.SweepOnce(ctx); err != nil {
				t.Fatal(err)
			}
			if s := f.current(t); s.State != protocol.SessionJoined {
				t.Fatalf("before the grace: %s", s.State)
			}
			if tc.back {
				f.join(t)
			}
			f.advance(15 * time.Second)
			if err := f.svc.SweepOnce(ctx); err != nil {
				t.Fatal(err)
			}
			s := f.current(t)
			if s.Live() != tc.wantLive {
				t.Fatalf("after the grace: %s (%s)", s.State, s.EndReason)
			}
			if !tc.wantLive {
				if s.EndReason != protocol.EndAgentLost {
					t.Errorf("reason %q", s.EndReason)
				}
				if got := types(drain(page)); !strings.HasSuffix(got, "state,end") {
					t.Errorf("page got %q, want the end", got)
				}
			}
		})
	}
}

// TestActiveAgentLostWaitsThenLapses: an active session whose agent
// dropped waits the rejoin grace (the agent may be reconnecting to another
// instance) keeping its consent, then goes back to asking the customer,
// and ends when the agent does not come back within another grace.
func TestActiveAgentLostWaitsThenLapses(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	a := f.join(t)
	if _, err := a.Signal(ctx, sig(t, protocol.SigConsent, protocol.Consent{Grants: protocol.GrantView})); err != nil {
		t.Fatal(err)
	}
	// A newer connection of the same agent replaces this one: its leaving
	// must not touch the session.
	b := f.join(t)
	a.Leave(ctx, false)
	if s := f.current(t); s.State != protocol.SessionActive || s.AgentLostAt != nil {
		t.Fatalf("replaced connection touched the session: %s lost at %v", s.State, s.AgentLostAt)
	}
	b.Leave(ctx, false)
	if s := f.current(t); s.State != protocol.SessionActive || s.AgentLostAt == nil {
		t.Fatalf("lost agent: %s lost at %v", s.State, s.AgentLostAt)
	}
	f.advance(29 * time.Second)
	if err := f.svc.SweepOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if s := f.current(t); s.State != protocol.SessionActive || s.Grants != protocol.GrantView {
		t.Fatalf("within the grace: %s %s", s.State, s.Grants)
	}
	f.advance(2 * time.Second)
	if err := f.svc.SweepOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if s := f.current(t); s.State != protocol.SessionJoined || s.Grants.Consented() {
		t.Fatalf("after the grace: %s %s, want joined without grants", s.State, s.Grants)
	}
	f.advance(31 * time.Second)
	if err := f.svc.SweepOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if s := f.current(t); s.State != protocol.SessionEnded || s.EndReason != protocol.EndAgentLost {
		t.Fatalf("after another grace: %s %q", s.State, s.EndReason)
	}
}

// TestSweepKeepsAnAgentThatIsBack: a loss recorded while the agent was
// already connected again (an old connection closing late) does not end
// the session.
func TestSweepKeepsAnAgentThatIsBack(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.join(t)
	if err := f.st.MarkAgentLost(ctx, f.sess.ID, f.svc.cfg.Instance); err != nil {
		t.Fatal(err)
	}
	f.advance(31 * time.Second)
	if err := f.svc.SweepOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if s := f.current(t); s.State != protocol.SessionJoined || s.AgentLostAt != nil {
		t.Fatalf("connected agent's session: %s lost at %v", s.State, s.AgentLostAt)
	}
}

func TestAgentEndsTheSession(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	a := f.join(t)
	page := f.hub.Join(f.sess.ID, hub.RolePage)
	ended, err := a.Signal(ctx, sig(t, protocol.SigEnd, protocol.End{Reason: protocol.EndCustomerDenied}))
	if err != nil || !ended {
		t.Fatalf("end: %v %v", ended, err)
	}
	s := f.current(t)
	if s.State != protocol.SessionEnded || s.EndReason != protocol.EndCustomerDenied {
		t.Fatalf("%s %q", s.State, s.EndReason)
	}
	var closed string
	for _, m := range drain(a.Member()) {
		closed += m.Close
	}
	if closed == "" {
		t.Error("the agent's connection was not asked to close")
	}
	if got := types(drain(page)); !strings.HasSuffix(got, "end") {
		t.Errorf("page got %q", got)
	}
	// Free text from an agent is not written into the record.
	f2 := newFixture(t)
	a2 := f2.join(t)
	if _, err := a2.Signal(ctx, sig(t, protocol.SigEnd, protocol.End{Reason: "<script>"})); err != nil {
		t.Fatal(err)
	}
	if s := f2.current(t); s.EndReason != protocol.EndCustomerClosed {
		t.Errorf("reason %q", s.EndReason)
	}
}

// TestInterruptOnlyOwnSessions: a restarted instance ends the sessions it
// held, not those of another instance on the same database.
// TestRestartWaitsForOwnAgents: an instance that restarts gives the agents
// it held the rejoin grace and leaves other instances' sessions alone.
func TestRestartWaitsForOwnAgents(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	other := New(f.st, hub.NewLocal(), Config{Instance: "i2"}, slog.New(slog.DiscardHandler))
	if err := other.Start(ctx); err != nil {
		t.Fatal(err)
	}
	mine := f.join(t)
	if _, err := mine.Signal(ctx, sig(t, protocol.SigConsent, protocol.Consent{Grants: protocol.GrantView})); err != nil {
		t.Fatal(err)
	}
	tok2 := strings.Repeat("b", 32)
	s2 := f.newSession(t, tok2, "GHJKMN")
	theirs, _, err := other.AgentHello(ctx, hello(tok2))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := theirs.Signal(ctx, sig(t, protocol.SigConsent, protocol.Consent{Grants: protocol.GrantView})); err != nil {
		t.Fatal(err)
	}
	// The restart: a new service on a fresh hub, same instance name.
	restarted := New(f.st, hub.NewLocal(), f.svc.cfg, slog.New(slog.DiscardHandler))
	if err := restarted.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if s := f.current(t); s.State != protocol.SessionActive || s.AgentLostAt == nil {
		t.Errorf("own session right after the restart: %s lost at %v", s.State, s.AgentLostAt)
	}
	f.advance(31 * time.Second)
	if err := other.store.Heartbeat(ctx, "i2"); err != nil {
		t.Fatal(err)
	}
	if err := restarted.SweepOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if s := f.current(t); s.State != protocol.SessionJoined || s.Grants.Consented() {
		t.Errorf("own session after the grace: %s %q, want its consent lapsed", s.State, s.Grants)
	}
	if s, err := f.st.SessionByIDUnscoped(ctx, s2.ID); err != nil || s.State != protocol.SessionActive || s.AgentLostAt != nil {
		t.Errorf("other instance's session: %s %v lost at %v", s.State, err, s.AgentLostAt)
	}
}

func TestSweepExpires(t *testing.T) {
	f := newFixture(t)
	page := f.hub.Join(f.sess.ID, hub.RolePage)
	f.advance(time.Hour)
	if err := f.svc.SweepOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	if s := f.current(t); s.EndReason != protocol.EndExpired {
		t.Fatalf("reason %q", s.EndReason)
	}
	if got := types(drain(page)); got != "state,end" {
		t.Fatalf("page got %q", got)
	}
}

func TestPagesAreCapped(t *testing.T) {
	f := newFixture(t)
	for i := range f.svc.cfg.MaxPages {
		if _, _, err := f.svc.JoinPage(f.sess); err != nil {
			t.Fatalf("page %d: %v", i+1, err)
		}
	}
	if _, _, err := f.svc.JoinPage(f.sess); !errors.Is(err, ErrTooMany) {
		t.Fatalf("one page too many: %v", err)
	}
}

// TestAgentAndViewerGetSessionTURNCredentials: the agent's welcome and the
// viewer's first state carry TURN credentials minted for this session and
// the relay-only policy; the states everyone else gets carry neither.
func TestAgentAndViewerGetSessionTURNCredentials(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	secret := []byte("turn secret")
	f.svc = New(f.st, f.hub, Config{Instance: "i1", P2P: true, ICEPolicy: protocol.ICEPolicyRelay, ICE: &restcred.Issuer{
		STUN: []string{"stun:stun.example.com"}, TURN: []string{"turn:198.51.100.7:3478?transport=udp"}, Secret: secret, Now: f.clock,
	}}, slog.New(slog.DiscardHandler))
	page, _, err := f.svc.JoinPage(f.current(t))
	if err != nil {
		t.Fatal(err)
	}
	_, w, err := f.svc.AgentHello(ctx, hello(token))
	if err != nil {
		t.Fatal(err)
	}
	checkTURN := func(who string, ice []protocol.ICEServer, policy string) {
		t.Helper()
		if policy != protocol.ICEPolicyRelay || len(ice) != 2 || ice[0].Username != "" {
			t.Fatalf("%s: policy %q, servers %+v", who, policy, ice)
		}
		turn := ice[1]
		if exp, id, err := restcred.Expiry(turn.Username); err != nil || id != f.sess.ID || !exp.Equal(f.clock().Add(restcred.TTL)) {
			t.Fatalf("%s: TURN username %q: %v", who, turn.Username, err)
		}
		if err := restcred.Check(secret, turn.Username, turn.Credential, f.clock()); err != nil {
			t.Fatalf("%s: %v", who, err)
		}
	}
	checkTURN("agent", w.ICEServers, w.ICEPolicy)
	_, st, err := f.svc.JoinViewer(ctx, f.current(t), f.sess.EngineerID, "Erin")
	if err != nil {
		t.Fatal(err)
	}
	checkTURN("viewer", st.ICEServers, st.ICEPolicy)
	for _, m := range drain(page) {
		if strings.Contains(string(m.Data), "ice_servers") || strings.Contains(string(m.Data), "ice_policy") {
			t.Fatalf("the invitation page got %s", m.Data)
		}
	}
}

// TestAgentAuditIsRecorded: what the agent reports for the audit log is
// recorded after consent, refused before it, and refused when malformed.
func TestAgentAuditIsRecorded(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	a := f.join(t)
	file := protocol.Audit{Kind: protocol.AuditFileToCustomer, Name: "report.pdf", Size: 1234, SHA256: strings.Repeat("ab", 32)}
	if _, err := a.Signal(ctx, sig(t, protocol.SigAudit, file)); err == nil {
		t.Fatal("an audit before consent was accepted")
	}
	if _, err := a.Signal(ctx, sig(t, protocol.SigConsent, protocol.Consent{Grants: protocol.GrantView | protocol.GrantFiles})); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Signal(ctx, sig(t, protocol.SigAudit, file)); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []protocol.Audit{
		{Kind: "grant_given"},
		{Kind: protocol.AuditFileToCustomer, Name: strings.Repeat("x", 300)},
		{Kind: protocol.AuditFileToCustomer, SHA256: "XYZ"},
		{Kind: protocol.AuditClipboardToCustomer, Size: -1},
	} {
		if _, err := a.Signal(ctx, sig(t, protocol.SigAudit, bad)); !errors.Is(err, protocol.ErrInvalid) {
			t.Errorf("audit %+v: %v, want ErrInvalid", bad, err)
		}
	}
	evs, err := f.st.Events(ctx, f.sess.ProviderID, f.sess.ID)
	if err != nil {
		t.Fatal(err)
	}
	var got []store.Event
	for _, e := range evs {
		if e.Kind == protocol.AuditFileToCustomer {
			got = append(got, e)
		}
	}
	if len(got) != 1 || got[0].Actor != store.ActorAgent || !strings.Contains(got[0].Detail, `"name":"report.pdf"`) {
		t.Fatalf("recorded %+v", got)
	}
}

// TestScopeChangesAreLogged: what the customer shares is logged when it
// changes, not each time the agent repeats its consent; a viewer leaving
// is logged too.
func TestScopeChangesAreLogged(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	a := f.join(t)
	for _, c := range []protocol.Consent{
		{Grants: protocol.GrantView},
		{Grants: protocol.GrantView, Window: "Terminal"},
		{Grants: protocol.GrantView, Window: "Terminal"},
		{Grants: protocol.GrantView, Hidden: 2},
		{Grants: protocol.GrantView},
	} {
		if _, err := a.Signal(ctx, sig(t, protocol.SigConsent, c)); err != nil {
			t.Fatal(err)
		}
	}
	v, _, err := f.svc.JoinViewer(ctx, f.sess, "u1", "Erin")
	if err != nil {
		t.Fatal(err)
	}
	v.Leave(ctx)
	evs, err := f.st.Events(ctx, f.sess.ProviderID, f.sess.ID)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range evs {
		switch e.Kind {
		case store.EventScopeChanged, store.EventViewerDisconnected:
			got = append(got, e.Kind+":"+e.Detail)
		}
	}
	want := []string{"scope_changed:window “Terminal”", "scope_changed:whole screen · 2 windows hidden", "scope_changed:", "viewer_disconnected:"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("logged %q, want %q", got, want)
	}
}

// TestLateLeaveAfterTheAgentMoved: an instance that drains lets go of the
// agent's old connection only after the agent is back through another
// instance; the late leave must not tell the viewer the agent left.
func TestLateLeaveAfterTheAgentMoved(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	a := f.join(t)
	if _, err := a.Signal(ctx, sig(t, protocol.SigConsent, protocol.Consent{Grants: protocol.GrantView})); err != nil {
		t.Fatal(err)
	}
	viewer := f.hub.Join(f.sess.ID, hub.RoleViewer)
	drain(viewer)
	other := New(f.st, hub.NewLocal(), Config{Instance: "i2", P2P: true, RejoinGrace: 30 * time.Second, Now: f.clock}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if _, _, err := other.AgentHello(ctx, hello(token)); err != nil {
		t.Fatal(err)
	}
	a.Leave(ctx, false)
	for _, m := range drain(viewer) {
		if env, err := protocol.DecodeSignal(m.Data); err == nil && env.Type == protocol.SigPeer {
			t.Fatalf("the viewer was told %s after the agent had moved", m.Data)
		}
	}
	if s := f.current(t); s.AgentLostAt != nil || s.AgentInstance != "i2" {
		t.Fatalf("session lost at %v on %q, want connected on i2", s.AgentLostAt, s.AgentInstance)
	}
}
