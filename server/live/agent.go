package live

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"tether/server/auth"
	"tether/server/hub"
	"tether/server/protocol"
	"tether/server/store"
)

// Agent is one agent connection's place in its session. The handler that
// reads the agent's websocket owns it: every method is called from that
// goroutine, except Admit, which the connection's writer calls; grants is
// an atomic for that reason.
type Agent struct {
	svc    *Service
	sess   store.Session // as it was at join: id and provider
	member *hub.Member
	grants grantsBox // what the customer allowed, as this agent said
	chat   chatter   // the customer, chatting on the consent page

	droppedInput bool   // a refusal was logged once already
	scope        string // what the customer shares, as last logged (scopeText); "" is the whole screen
}

// scopeText words what the customer shares for the session's log: "" for
// the whole screen with nothing hidden.
func scopeText(c protocol.Consent) string {
	var parts []string
	if c.Window != "" {
		parts = append(parts, "window “"+protocol.ClipTitle(c.Window)+"”")
	}
	switch {
	case c.Hidden == 1:
		parts = append(parts, "1 window hidden")
	case c.Hidden > 1:
		parts = append(parts, fmt.Sprintf("%d windows hidden", c.Hidden))
	}
	if len(parts) > 0 && c.Window == "" {
		parts = append([]string{"whole screen"}, parts...)
	}
	return strings.Join(parts, " · ")
}

// Member is the agent's hub membership: its inbox feeds the websocket.
func (a *Agent) Member() *hub.Member { return a.member }

// Session is the agent's session as it was when the agent joined.
func (a *Agent) Session() store.Session { return a.sess }

// SessionID is the id of the agent's session.
func (a *Agent) SessionID() string { return a.sess.ID }

// AgentHello admits an agent that introduced itself with h: it binds the
// session to the agent's key, puts the agent in the hub and returns the
// welcome to send it. A *RefusedError says why an agent cannot join.
func (s *Service) AgentHello(ctx context.Context, h protocol.AgentHello) (*Agent, protocol.Welcome, error) {
	var w protocol.Welcome
	if h.Version != int(protocol.Version) {
		return nil, w, refused("This support program is from another version of the server. Download it again from your invitation link.",
			fmt.Errorf("agent version %d, server %d", h.Version, protocol.Version))
	}
	if len(h.AgentKey) < 26 || len(h.AgentKey) > 64 {
		return nil, w, refused("malformed hello: agent key", nil)
	}
	sess, source, err := s.SessionByToken(ctx, h.Token)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, w, refused("This invitation is not valid. Ask your support engineer for a new one.", err)
	case err != nil:
		return nil, w, err
	case sess.State == store.StateEnded:
		return nil, w, refused("This support session has already ended.", nil)
	}
	sess, err = s.store.JoinAgent(ctx, sess.ID, store.AgentJoin{
		KeyHash: auth.HashToken(h.AgentKey), Source: source, OS: trim(h.OS, 32), Host: trim(h.Host, 64), Instance: s.cfg.Instance,
	})
	switch {
	case errors.Is(err, store.ErrAgentBound):
		return nil, w, refused("Another support program has already joined this invitation. Ask your support engineer for a new one.", err)
	case errors.Is(err, store.ErrSessionEnded):
		return nil, w, refused("This support session has already ended, or its invitation has expired.", err)
	case err != nil:
		return nil, w, err
	}
	p, err := s.store.ProviderByID(ctx, sess.ProviderID)
	if err != nil {
		return nil, w, err
	}
	// A request from the portal has no engineer until one accepts it: the agent waits without one.
	var eng store.User
	if sess.EngineerID != "" {
		if eng, err = s.store.UserByID(ctx, sess.ProviderID, sess.EngineerID); err != nil {
			return nil, w, err
		}
	}
	recorded, err := s.recorded(ctx, sess, p)
	if err != nil {
		return nil, w, err
	}
	tpl, err := s.store.DeskTemplateOf(ctx, sess.ProviderID, sess.DeskID)
	if err != nil {
		return nil, w, err
	}
	a := &Agent{svc: s, sess: sess, member: s.hub.Join(sess.ID, hub.RoleAgent)}
	a.chat = chatter{svc: s, sessionID: sess.ID, side: protocol.SideCustomer, actor: store.ActorCustomer, from: sess.CustomerName, self: hub.RoleAgent}
	if sess.State == store.StateActive {
		// The same agent coming back: it repeats its consent after every
		// reconnect, and until then what it said before stands.
		a.grants.Store(sess.Grants)
	}
	s.log.Info("agent connected", "session", sess.ID, "os", h.OS, "state", sess.State)
	w = protocol.Welcome{
		SessionID: sess.ID, Engineer: eng.Name, Provider: p.Name, Customer: sess.CustomerName,
		ICEServers: s.iceServers(sess.ID), ICEPolicy: s.cfg.ICEPolicy, P2P: s.cfg.P2P, ICETimeoutMS: int(s.cfg.ICETimeout / time.Millisecond), MaxFPS: s.cfg.MaxFPS,
		FileMaxBytes: p.FileMaxBytes(),
		Recorded:     recorded,
		Allowed:      tpl.Allowed, Defaults: tpl.Defaults,
	}
	s.pair(sess, s.Notify(sess))
	return a, w, nil
}

// recorded reports whether the session is recorded, and starts its
// recording when its provider records and the customer has not consented
// yet: the welcome tells the customer before consent, and from then on the
// engineer's viewer may upload the recording. A session that was already
// active (the agent reconnecting) stays as it was when the customer agreed.
func (s *Service) recorded(ctx context.Context, sess store.Session, p store.Provider) (bool, error) {
	if !p.Recording {
		return false, nil
	}
	if sess.State != store.StateActive {
		return true, s.store.StartRecording(ctx, sess.ID, sess.ProviderID)
	}
	_, err := s.store.Recording(ctx, sess.ProviderID, sess.ID)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// Signal handles one text message (a signaling envelope) from the agent.
// ended reports that the agent ended the session; an error is a breach of
// the wire contract, and the connection should close with it.
func (a *Agent) Signal(ctx context.Context, data []byte) (ended bool, err error) {
	s := a.svc
	env, err := protocol.DecodeSignal(data)
	if err != nil {
		return false, err
	}
	switch env.Type {
	case protocol.SigKey, protocol.SigOffer, protocol.SigCandidate, protocol.SigPath:
		if !a.grants.Load().Consented() {
			// Nothing of the session moves before consent.
			s.log.Info("agent signal before consent dropped", "session", a.sess.ID, "type", env.Type)
			return false, nil
		}
		s.hub.Send(a.sess.ID, hub.RoleViewer, hub.Message{Data: data})
	case protocol.SigConsent:
		var c protocol.Consent
		if err := env.Decode(&c); err != nil {
			return false, err
		}
		if !c.Grants.Consented() {
			return false, fmt.Errorf("%w: consent without grants", protocol.ErrInvalid)
		}
		if scope := scopeText(c); scope != a.scope {
			// Said again after every change and reconnect: logged when it changed.
			a.scope = scope
			s.event(ctx, a.sess, store.EventScopeChanged, store.ActorCustomer, scope)
		}
		a.consent(ctx, c.Grants)
	case protocol.SigStats:
		var st protocol.Stats
		if err := env.Decode(&st); err != nil {
			return false, err
		}
		if st.ToViewer < 0 || st.ToAgent < 0 || st.ToViewer > 1<<40 || st.ToAgent > 1<<40 {
			return false, fmt.Errorf("%w: stats %+v", protocol.ErrInvalid, st)
		}
		a.stats(ctx, st)
	case protocol.SigChat, protocol.SigTyping:
		// The customer may talk before consenting: to ask first.
		return false, a.chat.signal(ctx, env)
	case protocol.SigGrantAnswer, protocol.SigPause, protocol.SigExtend:
		return false, a.trustSignal(ctx, env)
	case protocol.SigAudit:
		var au protocol.Audit
		if err := env.Decode(&au); err != nil {
			return false, err
		}
		if err := au.Validate(); err != nil {
			return false, err
		}
		if !a.grants.Load().Consented() {
			return false, fmt.Errorf("%w: audit before consent", protocol.ErrInvalid)
		}
		detail, err := json.Marshal(au)
		if err != nil {
			return false, err
		}
		if _, err := s.store.AppendEvent(ctx, store.Event{SessionID: a.sess.ID, Kind: au.Kind, Actor: store.ActorAgent, Detail: string(detail)}); err != nil {
			s.log.Error("record audit", "session", a.sess.ID, "err", err)
		}
	case protocol.SigEnd:
		var e protocol.End
		if err := env.Decode(&e); err != nil {
			return false, err
		}
		if _, _, err := s.End(ctx, a.sess.ID, protocol.AgentEndReason(e.Reason), store.ActorCustomer); err != nil {
			s.log.Error("end session", "session", a.sess.ID, "err", err)
		}
		return true, nil
	default:
		return false, fmt.Errorf("%w: unexpected message %q from the agent", protocol.ErrType, env.Type)
	}
	return false, nil
}

// consent records the grants the customer chose on their machine.
func (a *Agent) consent(ctx context.Context, g protocol.Grants) {
	s := a.svc
	cur, err := s.store.SessionByIDUnscoped(ctx, a.sess.ID)
	if err != nil {
		s.log.Error("consent", "session", a.sess.ID, "err", err)
		return
	}
	var sess store.Session
	switch {
	case cur.State == store.StateJoined:
		if sess, err = s.store.GiveConsent(ctx, a.sess.ID, g); err == nil {
			sess = s.startLimits(ctx, sess)
		}
	case cur.State == store.StateActive && cur.Grants != g:
		if sess, err = s.store.ChangeGrants(ctx, a.sess.ID, g); err == nil {
			s.touch(ctx, sess)
		}
	case cur.State == store.StateActive:
		a.grants.Store(g) // a repeat after a reconnect
		return
	default:
		s.log.Info("consent refused", "session", a.sess.ID, "state", cur.State)
		return
	}
	if err != nil {
		s.log.Info("consent refused", "session", a.sess.ID, "err", err)
		return
	}
	a.grants.Store(g)
	if cur.State == store.StateJoined {
		s.log.Info("consent given", "session", a.sess.ID, "grants", g.String())
	} else {
		s.log.Info("grants changed", "session", a.sess.ID, "grants", g.String())
	}
	st := s.Notify(sess)
	if cur.State == store.StateJoined {
		s.pair(sess, st)
	}
	// A change reaches the viewer in the state above; the agent applies it
	// itself and says so in its next Hello.
}

// Binary relays one session message from the agent to the viewer, if the
// agent may send it and the customer's grants allow it. An error is a breach
// of the wire contract. The message is sealed end to end: the server reads
// only its clear type (protocol.PeekSealed) and never has the keys.
func (a *Agent) Binary(data []byte) error {
	t, err := protocol.PeekSealed(data)
	if err != nil {
		return err
	}
	from, need := t.Route()
	if from&protocol.SenderAgent == 0 {
		return fmt.Errorf("%w: %s from the agent", protocol.ErrType, t)
	}
	if !a.grants.Load().Has(need) {
		return nil // before consent, or beyond it: nothing leaves
	}
	a.svc.relayedToViewer.Add(int64(len(data)))
	a.svc.hub.Send(a.sess.ID, hub.RoleViewer, hub.Message{Binary: true, Data: data, Files: t.FileLane()})
	return nil
}

// Admit decides whether a message from the hub may be written to the
// agent: the viewer's session messages only within the grants (no input
// without control, nothing before consent), its key steps, answers and
// candidates only after consent. Everything else the server itself sent.
func (a *Agent) Admit(m hub.Message) bool {
	g := a.grants.Load()
	if !m.Binary {
		if g.Consented() || len(m.Data) == 0 {
			return true
		}
		env, err := protocol.DecodeSignal(m.Data)
		return err == nil && env.Type != protocol.SigKey && env.Type != protocol.SigAnswer && env.Type != protocol.SigCandidate
	}
	t, err := protocol.PeekSealed(m.Data)
	if err != nil {
		return false
	}
	from, need := t.Route()
	if from&protocol.SenderViewer != 0 && g.Has(need) {
		return true
	}
	if !a.droppedInput {
		a.droppedInput = true
		a.svc.log.Info("relay refused a viewer message beyond the customer's grants", "session", a.sess.ID, "type", t, "grants", g.String())
	}
	return false
}

// Leave takes the agent out of its session. Unless the agent ended the
// session itself, or a newer connection of the same agent replaced this
// one, the session learns its agent is gone and waits RejoinGrace for it to
// come back, to this instance or another (see SweepOnce): a network blip or
// an instance stopping does not end a session.
func (a *Agent) Leave(ctx context.Context, endedByAgent bool) {
	s := a.svc
	a.member.Leave()
	if endedByAgent || errors.Is(a.member.Err(), hub.ErrReplaced) {
		return
	}
	ctx = context.WithoutCancel(ctx)
	if err := s.store.MarkAgentLost(ctx, a.sess.ID, s.cfg.Instance); err != nil {
		s.log.Error("mark agent lost", "session", a.sess.ID, "err", err)
	}
	sess, err := s.store.SessionByIDUnscoped(ctx, a.sess.ID)
	if err != nil {
		s.log.Error("agent gone", "session", a.sess.ID, "err", err)
		return
	}
	if sess.State == store.StateEnded {
		return
	}
	if sess.AgentInstance != s.cfg.Instance || sess.AgentLostAt == nil {
		// The agent is connected again, through another instance, before
		// this one let go of its old connection (a drain): telling the
		// viewer it left would stop a stream that goes on.
		s.log.Info("agent moved to another instance", "session", sess.ID, "instance", sess.AgentInstance)
		return
	}
	s.sendSignal(sess.ID, hub.RoleViewer, protocol.SigPeer, protocol.Peer{Role: protocol.RoleAgent, Present: false})
	s.log.Info("agent lost, waiting for it to come back", "session", sess.ID, "state", sess.State, "grace", s.cfg.RejoinGrace)
	s.Notify(sess)
}
