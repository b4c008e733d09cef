// Package live coordinates support sessions while they run: it applies
// state changes to the store and tells every connection of the session
// (agent, viewer, customer pages, consoles) through the hub.
package live

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"tether/server/auth"
	"tether/server/hub"
	"tether/server/protocol"
	"tether/server/store"
)

// Store is what live needs from the database.
type Store interface {
	SessionByIDUnscoped(ctx context.Context, id string) (store.Session, error)
	JoinAgent(ctx context.Context, id, agentKeyHash, source, agentOS, agentHost string) (store.Session, error)
	GiveConsent(ctx context.Context, id, level string) (store.Session, error)
	ChangeControl(ctx context.Context, id, level string) (store.Session, error)
	EndSession(ctx context.Context, id, reason, actor string) (store.Session, bool, error)
	ExpireDue(ctx context.Context) ([]store.Session, error)
	InterruptActive(ctx context.Context) ([]store.Session, error)
	AppendEvent(ctx context.Context, e store.Event) (store.Event, error)
	AddBytes(ctx context.Context, id string, toViewer, toAgent int64) error
}

// Reasons a session ends that the server decides itself; the store adds
// expiry and restart (store.ReasonExpired, store.ReasonInterrupted) and the
// agent its own (protocol.EndCustomerClosed and friends).
const (
	ReasonCustomerStop   = "stopped by the customer"
	ReasonCustomerDenied = protocol.EndCustomerDenied
	ReasonAgentLost      = "support program disconnected"
)

// Service is the live side of sessions.
type Service struct {
	store Store
	hub   hub.Hub
	log   *slog.Logger

	// mu guards consentKeys: the hash of the consent key each connected
	// agent made, so only the page the agent opened may give consent.
	mu          sync.Mutex
	consentKeys map[string]string
}

// New returns a Service.
func New(s Store, h hub.Hub, log *slog.Logger) *Service {
	return &Service{store: s, hub: h, log: log, consentKeys: make(map[string]string)}
}

// Hub is the hub the service routes through.
func (s *Service) Hub() hub.Hub { return s.hub }

// StateOf builds the state message for a session.
func (s *Service) StateOf(sess store.Session) protocol.State {
	return protocol.State{
		SessionID: sess.ID,
		State:     string(sess.State),
		Level:     sess.ConsentLevel,
		Reason:    sess.EndReason,
		Viewer:    s.hub.Present(sess.ID, hub.RoleViewer),
		Agent:     s.hub.Present(sess.ID, hub.RoleAgent),
	}
}

// Notify tells the session's pages and viewer, and the provider's consoles,
// that the session changed.
func (s *Service) Notify(sess store.Session) {
	b, err := protocol.EncodeSignal(protocol.SigState, s.StateOf(sess))
	if err != nil {
		s.log.Error("encode state", "err", err)
		return
	}
	s.hub.Send(sess.ID, hub.RolePage, hub.Message{Data: b})
	s.hub.Send(sess.ID, hub.RoleViewer, hub.Message{Data: b})
	s.hub.Send(sess.ProviderID, hub.RoleConsole, hub.Message{Data: b})
}

// SendSignal sends one envelope to the member of a session with role.
func (s *Service) SendSignal(sessionID string, role hub.Role, typ string, payload any) bool {
	b, err := protocol.EncodeSignal(typ, payload)
	if err != nil {
		s.log.Error("encode signal", "type", typ, "err", err)
		return false
	}
	return s.hub.Send(sessionID, role, hub.Message{Data: b}) > 0
}

// AgentJoined binds the agent and remembers its consent key.
func (s *Service) AgentJoined(ctx context.Context, sess store.Session, h protocol.AgentHello) (store.Session, error) {
	source := h.Source
	if source != store.SourceCode {
		source = store.SourceLink
	}
	joined, err := s.store.JoinAgent(ctx, sess.ID, auth.HashToken(h.AgentKey), source, trim(h.OS, 32), trim(h.Host, 64))
	if err != nil {
		return sess, err
	}
	s.mu.Lock()
	s.consentKeys[sess.ID] = auth.HashToken(h.ConsentKey)
	s.mu.Unlock()
	return joined, nil
}

// CheckConsentKey reports whether key is the consent key of the session's agent.
func (s *Service) CheckConsentKey(sessionID, key string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	want, ok := s.consentKeys[sessionID]
	return ok && key != "" && auth.HashToken(key) == want
}

// ErrNoAgent is returned when consent arrives while no agent is connected.
var ErrNoAgent = errors.New("live: the support program is not connected")

// Consent applies the customer's decision: "view", "control" or "deny".
// fromPage is true when it came from the consent page (and must be passed
// on to the agent), false when the agent itself reported it.
func (s *Service) Consent(ctx context.Context, sessionID, level string, fromPage bool) (store.Session, error) {
	if level == "deny" {
		if fromPage {
			s.SendSignal(sessionID, hub.RoleAgent, protocol.SigConsent, protocol.Consent{Level: "deny"})
		}
		sess, _, err := s.End(ctx, sessionID, ReasonCustomerDenied, store.ActorCustomer)
		return sess, err
	}
	if _, err := protocol.ParseLevel(level); err != nil {
		return store.Session{}, err
	}
	if !s.hub.Present(sessionID, hub.RoleAgent) {
		return store.Session{}, ErrNoAgent
	}
	cur, err := s.store.SessionByIDUnscoped(ctx, sessionID)
	if err != nil {
		return cur, err
	}
	var sess store.Session
	switch cur.State {
	case store.StateJoined:
		sess, err = s.store.GiveConsent(ctx, sessionID, level)
	case store.StateActive:
		sess, err = s.store.ChangeControl(ctx, sessionID, level)
	default:
		return cur, fmt.Errorf("consent in state %s: %w", cur.State, store.ErrInvalidTransition)
	}
	if err != nil {
		return sess, err
	}
	if fromPage {
		s.SendSignal(sessionID, hub.RoleAgent, protocol.SigConsent, protocol.Consent{Level: level})
	}
	s.log.Info("consent given", "session", sessionID, "level", level)
	s.Notify(sess)
	s.Pair(sess)
	return sess, nil
}

// Pair tells agent and viewer about each other when both are connected and
// the customer has consented; the agent then starts the peer connection.
func (s *Service) Pair(sess store.Session) {
	if sess.State != store.StateActive || !s.hub.Present(sess.ID, hub.RoleAgent) || !s.hub.Present(sess.ID, hub.RoleViewer) {
		return
	}
	s.SendSignal(sess.ID, hub.RoleViewer, protocol.SigPeer, protocol.Peer{Role: "agent", Present: true, Level: sess.ConsentLevel})
	s.SendSignal(sess.ID, hub.RoleAgent, protocol.SigPeer, protocol.Peer{Role: "viewer", Present: true})
}

// End ends a session for reason and closes every connection of it. The
// bool reports whether this call ended it (false: it had already ended).
func (s *Service) End(ctx context.Context, sessionID, reason, actor string) (store.Session, bool, error) {
	sess, changed, err := s.store.EndSession(ctx, sessionID, reason, actor)
	if err != nil {
		return sess, false, err
	}
	if changed {
		s.log.Info("session ended", "session", sessionID, "reason", reason, "actor", actor)
		s.closeEnded(sess)
	}
	return sess, changed, nil
}

// closeEnded tells everyone a session ended and closes its connections.
func (s *Service) closeEnded(sess store.Session) {
	s.mu.Lock()
	delete(s.consentKeys, sess.ID)
	s.mu.Unlock()
	s.Notify(sess)
	end, err := protocol.EncodeSignal(protocol.SigEnd, protocol.End{Reason: sess.EndReason})
	if err != nil {
		s.log.Error("encode end", "err", err)
		return
	}
	// Pages stay open to show the ended state; agent and viewer close.
	s.hub.Send(sess.ID, hub.RoleAgent, hub.Message{Data: end, Close: "session ended"})
	s.hub.Send(sess.ID, hub.RoleViewer, hub.Message{Data: end, Close: "session ended"})
	s.hub.Send(sess.ID, hub.RolePage, hub.Message{Data: end})
}

// Interrupt ends sessions that were active when the server last stopped:
// their peer connections are gone with the old process.
func (s *Service) Interrupt(ctx context.Context) error {
	ended, err := s.store.InterruptActive(ctx)
	if err != nil {
		return fmt.Errorf("interrupt active sessions: %w", err)
	}
	if len(ended) > 0 {
		s.log.Info("sessions interrupted by restart", "count", len(ended))
	}
	return nil
}

// Sweep ends invitations that expired before the customer joined, every
// interval until ctx ends.
func (s *Service) Sweep(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		ended, err := s.store.ExpireDue(ctx)
		if err != nil {
			if ctx.Err() == nil {
				s.log.Error("expire sessions", "err", err)
			}
			continue
		}
		for _, sess := range ended {
			s.log.Info("session expired", "session", sess.ID)
			s.closeEnded(sess)
		}
	}
}

// AddBytes records traffic counters reported by the agent.
func (s *Service) AddBytes(ctx context.Context, sessionID string, st protocol.Stats) error {
	if st.ToViewer < 0 || st.ToAgent < 0 || st.ToViewer > 1<<40 || st.ToAgent > 1<<40 {
		return fmt.Errorf("%w: stats %+v", protocol.ErrInvalid, st)
	}
	return s.store.AddBytes(ctx, sessionID, st.ToViewer, st.ToAgent)
}

// Event appends to a session's log, logging (not failing) on error: the
// action it records has already happened.
func (s *Service) Event(ctx context.Context, sess store.Session, kind, actor, detail string) {
	if _, err := s.store.AppendEvent(ctx, store.Event{SessionID: sess.ID, ProviderID: sess.ProviderID, Kind: kind, Actor: actor, Detail: detail}); err != nil {
		s.log.Error("append event", "session", sess.ID, "kind", kind, "err", err)
	}
}

func trim(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
