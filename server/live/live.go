// Package live runs support sessions while they are live: it decides what
// each connection of a session (agent, viewer, customer pages, consoles) may
// do, applies state changes to the store and tells everyone through the hub.
// The web handlers only turn websockets and HTTP into calls to it.
//
// What the server may decide is limited on purpose: consent and grants come
// only from the customer's agent (protocol.Consent), and the relay forwards
// a session message only from the end that may send it and only within the
// grants the agent reported (protocol.Type.Route). Time-based decisions (the
// rejoin grace, expiry) are made by the store's clock in Sweep, so they
// survive a restart and work the same on every instance.
package live

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"tether/server/auth"
	"tether/server/hub"
	"tether/server/protocol"
	"tether/server/store"
)

// Store is what live needs from the database.
type Store interface {
	TrustStore
	RequestStore
	SessionByIDUnscoped(ctx context.Context, id string) (store.Session, error)
	SessionByTokenHash(ctx context.Context, tokenHash string) (store.Session, error)
	SessionByCodeTokenHash(ctx context.Context, tokenHash string) (store.Session, error)
	SessionByWidgetTokenHash(ctx context.Context, tokenHash string) (store.Session, error)
	ProviderByID(ctx context.Context, id string) (store.Provider, error)
	UserByID(ctx context.Context, providerID, id string) (store.User, error)
	JoinAgent(ctx context.Context, id string, j store.AgentJoin) (store.Session, error)
	GiveConsent(ctx context.Context, id string, g protocol.Grants) (store.Session, error)
	ChangeGrants(ctx context.Context, id string, g protocol.Grants) (store.Session, error)
	MarkAgentLost(ctx context.Context, id, instance string) error
	LostAgents(ctx context.Context, grace time.Duration) ([]store.Session, error)
	ClearAgentLost(ctx context.Context, id string) error
	EndLostAgent(ctx context.Context, lost store.Session, grace time.Duration) (store.Session, bool, error)
	EndSession(ctx context.Context, id, reason, actor string) (store.Session, bool, error)
	ExpireDue(ctx context.Context) ([]store.Session, error)
	StartInstance(ctx context.Context, instance string) ([]store.Session, error)
	Heartbeat(ctx context.Context, instance string) error
	StopInstance(ctx context.Context, instance string) ([]store.Session, error)
	LoseDeadInstances(ctx context.Context, deadAfter time.Duration) ([]store.Session, error)
	AppendEvent(ctx context.Context, e store.Event) (store.Event, error)
	Events(ctx context.Context, providerID, sessionID string) ([]store.Event, error)
	Allow(ctx context.Context, key string, r store.Rate) (ok bool, retry time.Duration, err error)
	AddStats(ctx context.Context, id string, toViewer, toAgent int64, idle *time.Duration) error
	// StartRecording marks the session recorded when its provider records.
	StartRecording(ctx context.Context, sessionID, providerID string) error
	Recording(ctx context.Context, providerID, sessionID string) (store.Recording, error)
	// DeskTemplateOf is the permission template of the session's desk: what the engineer may ask for.
	DeskTemplateOf(ctx context.Context, providerID, deskID string) (store.DeskTemplate, error)
}

// Config is what live takes from the server's configuration.
type Config struct {
	// Instance names this server instance; a restart interrupts only the
	// sessions whose agent was connected to it.
	Instance string
	// P2P and ICETimeout go to the agent in its welcome.
	P2P        bool
	ICETimeout time.Duration
	// MaxFPS caps the agents' frame rate (zero: protocol.DefaultFPS).
	MaxFPS int
	// ICE hands out the STUN and TURN servers, with TURN credentials
	// minted per session, to the agent in its welcome and to a viewer in
	// its first state; nil means none (host candidates only).
	ICE ICEServers
	// ICEPolicy goes with them: protocol.ICEPolicyAll (or empty) or
	// protocol.ICEPolicyRelay.
	ICEPolicy string
	// RejoinGrace is how long a session waits for its lost agent to come
	// back, to this instance or another, keeping the customer's consent
	// (60 s when zero, as long as the agent holds it: agent/session's
	// ConsentHold).
	RejoinGrace time.Duration
	// Minute is the length of one minute of the providers' session
	// policies (time limits, extensions, warnings): a minute when zero;
	// tests shorten it.
	Minute time.Duration
	// Now is the clock the time-limit warnings are computed with; the
	// store's decisions use the store's own (time.Now when nil).
	Now func() time.Time
	// DeadAfter is how long an instance may miss heartbeats before the
	// others take its agents for lost (10 s when zero; heartbeats go every
	// Sweep interval).
	DeadAfter time.Duration
	// MaxPages bounds the invitation-page connections of one session
	// (8 when zero): a customer has a tab or two open, not thousands.
	MaxPages int
}

// ICEServers mints the ICE servers for one peer of a session
// (restcred.Issuer).
type ICEServers interface {
	ICEServers(sessionID string) []protocol.ICEServer
}

// iceServers returns the ICE servers for a peer of session id.
func (s *Service) iceServers(id string) []protocol.ICEServer {
	if s.cfg.ICE == nil {
		return nil
	}
	return s.cfg.ICE.ICEServers(id)
}

// Service is the live side of sessions.
type Service struct {
	store Store
	hub   hub.Hub
	cfg   Config
	log   *slog.Logger

	// Bytes relayed by this instance, for metrics.
	relayedToViewer, relayedToAgent atomic.Int64
}

// RelayBytes reports the session bytes this instance relayed to viewers and
// to agents since it started.
func (s *Service) RelayBytes() (toViewer, toAgent int64) {
	return s.relayedToViewer.Load(), s.relayedToAgent.Load()
}

// New returns a Service.
func New(s Store, h hub.Hub, cfg Config, log *slog.Logger) *Service {
	if cfg.RejoinGrace <= 0 {
		cfg.RejoinGrace = 60 * time.Second
	}
	if cfg.Minute <= 0 {
		cfg.Minute = time.Minute
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.DeadAfter <= 0 {
		cfg.DeadAfter = 10 * time.Second
	}
	if cfg.MaxPages <= 0 {
		cfg.MaxPages = 8
	}
	if cfg.ICETimeout <= 0 {
		cfg.ICETimeout = 5 * time.Second
	}
	return &Service{store: s, hub: h, cfg: cfg, log: log}
}

// Hub is the hub the service routes through.
func (s *Service) Hub() hub.Hub { return s.hub }

// RefusedError is a connection the session cannot take; Message is for the
// person behind it.
type RefusedError struct {
	Message string
	Cause   error // logged, never shown
}

func (e *RefusedError) Error() string {
	if e.Cause != nil {
		return e.Message + ": " + e.Cause.Error()
	}
	return e.Message
}

func (e *RefusedError) Unwrap() error { return e.Cause }

func refused(msg string, cause error) error { return &RefusedError{Message: msg, Cause: cause} }

// Errors of this package.
var (
	// ErrEnded: the session has ended; the connection is told so.
	ErrEnded = errors.New("live: the session has ended")
	// ErrTooMany: the session has as many connections of this kind as it may.
	ErrTooMany = errors.New("live: too many connections to this session")
)

// SessionByToken finds the session an invitation token belongs to: its link
// token, its code token (where the code page leads) or its widget token
// (where the code typed into the provider's website widget leads), and says
// which.
func (s *Service) SessionByToken(ctx context.Context, token string) (store.Session, string, error) {
	if len(token) < 26 || len(token) > 64 {
		return store.Session{}, "", store.ErrNotFound
	}
	h := auth.HashToken(token)
	for _, by := range []struct {
		source string
		find   func(context.Context, string) (store.Session, error)
	}{
		{protocol.SourceLink, s.store.SessionByTokenHash},
		{protocol.SourceCode, s.store.SessionByCodeTokenHash},
		{protocol.SourceWidget, s.store.SessionByWidgetTokenHash},
	} {
		sess, err := by.find(ctx, h)
		if err == nil {
			return sess, by.source, nil
		}
		if !errors.Is(err, store.ErrNotFound) {
			return sess, "", err
		}
	}
	return store.Session{}, "", store.ErrNotFound
}

// StateOf builds the state message for a session.
func (s *Service) StateOf(sess store.Session) protocol.State {
	st := protocol.State{
		SessionID: sess.ID,
		State:     sess.State,
		Grants:    sess.Grants,
		Reason:    sess.EndReason,
		Viewer:    s.hub.Present(sess.ID, hub.RoleViewer),
		Agent:     s.hub.Present(sess.ID, hub.RoleAgent),
	}
	s.trustState(&st, sess)
	return st
}

// Notify tells the session's pages and viewer, and the provider's consoles,
// that the session changed, and returns the state it sent: its presence
// was looked up once (across instances, a bus round trip each).
func (s *Service) Notify(sess store.Session) protocol.State {
	st := s.StateOf(sess)
	b, err := protocol.EncodeSignal(protocol.SigState, st)
	if err != nil {
		s.log.Error("encode state", "err", err)
		return st
	}
	s.hub.Send(sess.ID, hub.RolePage, hub.Message{Data: b})
	s.hub.Send(sess.ID, hub.RoleViewer, hub.Message{Data: b})
	s.hub.Send(sess.ProviderID, hub.RoleConsole, hub.Message{Data: b})
	return st
}

// NotifyCurrent re-reads a session and notifies; for changes of presence,
// which the store does not record.
func (s *Service) NotifyCurrent(ctx context.Context, id string) {
	sess, err := s.store.SessionByIDUnscoped(ctx, id)
	if err != nil {
		s.log.Error("read session", "session", id, "err", err)
		return
	}
	s.Notify(sess)
}

// sendSignal sends one envelope to the member of a session with role.
func (s *Service) sendSignal(sessionID string, role hub.Role, typ string, payload any) {
	b, err := protocol.EncodeSignal(typ, payload)
	if err != nil {
		s.log.Error("encode signal", "type", typ, "err", err)
		return
	}
	s.hub.Send(sessionID, role, hub.Message{Data: b})
}

// pair tells agent and viewer about each other when both are connected (as
// st, the state just sent, says) and the customer has consented; the agent
// then starts the peer connection.
func (s *Service) pair(sess store.Session, st protocol.State) {
	if sess.State != store.StateActive || !st.Agent || !st.Viewer {
		return
	}
	s.sendSignal(sess.ID, hub.RoleViewer, protocol.SigPeer, protocol.Peer{Role: protocol.RoleAgent, Present: true, Grants: sess.Grants})
	s.sendSignal(sess.ID, hub.RoleAgent, protocol.SigPeer, protocol.Peer{Role: protocol.RoleViewer, Present: true})
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
	s.Notify(sess)
	s.requestEnded(sess)
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

// Start records that this instance started. The agents it held before a
// restart are marked lost: they reconnect (here or to another instance)
// within the rejoin grace and their sessions go on, or the sweep lapses
// their consent and, after another grace, ends them.
func (s *Service) Start(ctx context.Context) error {
	lost, err := s.store.StartInstance(ctx, s.cfg.Instance)
	if err != nil {
		return fmt.Errorf("start instance: %w", err)
	}
	if len(lost) > 0 {
		s.log.Info("waiting for the agents of before the restart", "count", len(lost), "instance", s.cfg.Instance, "grace", s.cfg.RejoinGrace)
	}
	return nil
}

// Stop records that this instance stops on purpose: the agents it still
// holds are lost as of now, so another instance's sweep need not wait for
// the heartbeat to go stale. Their sessions wait the rejoin grace as after
// any drop.
func (s *Service) Stop(ctx context.Context) error {
	lost, err := s.store.StopInstance(ctx, s.cfg.Instance)
	if err != nil {
		return fmt.Errorf("stop instance: %w", err)
	}
	s.log.Info("instance stopped", "instance", s.cfg.Instance, "agents_lost", len(lost))
	return nil
}

// Sweep runs SweepOnce every interval until ctx ends.
func (s *Service) Sweep(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := s.SweepOnce(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("sweep sessions", "err", err)
		}
	}
}

// SweepOnce beats this instance's heartbeat; takes the agents of instances
// that died for lost; ends invitations that expired before the customer
// joined; and ends sessions whose agent has been lost for more than the
// rejoin grace: an active one's consent lapses (the customer approves again
// if the agent comes back), a joined one ends as agent lost; and ends the
// customers' requests nobody accepted within their provider's timeout.
// Every instance sweeps, and the store's conditional updates make each end
// happen once.
func (s *Service) SweepOnce(ctx context.Context) error {
	herr := s.store.Heartbeat(ctx, s.cfg.Instance)
	orphans, oerr := s.store.LoseDeadInstances(ctx, s.cfg.DeadAfter)
	for _, sess := range orphans {
		s.log.Info("agent lost with its instance", "session", sess.ID, "instance", sess.AgentInstance)
		s.Notify(sess)
	}
	expired, err := s.store.ExpireDue(ctx)
	for _, sess := range expired {
		s.log.Info("session expired", "session", sess.ID)
		s.closeEnded(sess)
	}
	lost, lerr := s.store.LostAgents(ctx, s.cfg.RejoinGrace)
	for _, sess := range lost {
		if s.hub.Present(sess.ID, hub.RoleAgent) {
			// It came back while an old connection of it was closing.
			if err := s.store.ClearAgentLost(ctx, sess.ID); err != nil {
				lerr = errors.Join(lerr, err)
			}
			continue
		}
		if sess.State == store.StateActive {
			// The consent lapses; the customer is asked again if the
			// agent comes back within another grace.
			lapsed, changed, err := s.store.LapseLostAgent(ctx, sess, s.cfg.RejoinGrace)
			if err != nil {
				lerr = errors.Join(lerr, err)
			} else if changed {
				s.log.Info("consent lapsed: the support program did not come back in time", "session", sess.ID, "grace", s.cfg.RejoinGrace)
				s.Notify(lapsed)
			}
			continue
		}
		ended, changed, err := s.store.EndLostAgent(ctx, sess, s.cfg.RejoinGrace)
		if err != nil {
			lerr = errors.Join(lerr, err)
			continue
		}
		if changed {
			s.log.Info("session ended: the support program did not come back", "session", sess.ID, "reason", ended.EndReason, "grace", s.cfg.RejoinGrace)
			s.closeEnded(ended)
		}
	}
	terr := s.sweepTimeLimits(ctx)
	rerr := s.sweepRequests(ctx)
	return errors.Join(herr, oerr, err, lerr, terr, rerr)
}

// event appends to a session's log, logging (not failing) on error: the
// action it records has already happened.
func (s *Service) event(ctx context.Context, sess store.Session, kind, actor, detail string) {
	if _, err := s.store.AppendEvent(ctx, store.Event{SessionID: sess.ID, ProviderID: sess.ProviderID, Kind: kind, Actor: actor, Detail: detail}); err != nil {
		s.log.Error("append event", "session", sess.ID, "kind", kind, "err", err)
	}
}

// trim cuts s to at most n bytes without splitting a character.
func trim(s string, n int) string {
	if len(s) > n {
		return strings.ToValidUTF8(s[:n], "")
	}
	return s
}
