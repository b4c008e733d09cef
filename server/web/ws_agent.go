package web

import (
	"context"
	"errors"
	"time"

	"github.com/coder/websocket"
	"github.com/labstack/echo/v4"

	"tether/server/hub"
	"tether/server/live"
	"tether/server/protocol"
	"tether/server/store"
)

const (
	// helloTimeout is how long an agent has to introduce itself.
	helloTimeout = 10 * time.Second
	// rejoinGrace is how long a session awaiting consent waits for its
	// agent to reconnect before it ends.
	rejoinGrace = 30 * time.Second
)

func (s *Server) wsAgent(c echo.Context) error {
	conn, err := accept(c)
	if err != nil {
		return nil // Accept has written the HTTP error.
	}
	defer conn.CloseNow()
	ctx := c.Request().Context()
	if !s.agentLimiter.Allow(c.RealIP()) {
		refuse(ctx, conn, "too many connection attempts; try again in a minute")
		return nil
	}
	hctx, cancel := context.WithTimeout(ctx, helloTimeout)
	typ, data, err := conn.Read(hctx)
	cancel()
	if err != nil {
		return nil
	}
	var hello protocol.AgentHello
	env, err := protocol.DecodeSignal(data)
	if err == nil && (typ != websocket.MessageText || env.Type != protocol.SigAgentHello) {
		err = errors.New("first message must be agent-hello")
	}
	if err == nil {
		err = env.Decode(&hello)
	}
	if err == nil && (len(hello.AgentKey) < 26 || len(hello.ConsentKey) < 26 || len(hello.AgentKey) > 64 || len(hello.ConsentKey) > 64) {
		err = errors.New("agent-hello without valid keys")
	}
	if err != nil {
		s.Log.Info("agent refused", "err", err)
		refuse(ctx, conn, "malformed hello: "+err.Error())
		return nil
	}
	sess, source, err := s.lookupToken(ctx, hello.Token)
	switch {
	case errors.Is(err, store.ErrNotFound):
		refuse(ctx, conn, "This invitation is not valid. Ask your support engineer for a new one.")
		return nil
	case err != nil:
		refuse(ctx, conn, "server error, try again")
		return err
	case sess.State == store.StateEnded:
		refuse(ctx, conn, "This support session has already ended.")
		return nil
	case sess.State == store.StateWaiting && !s.Now().Before(sess.ExpiresAt):
		refuse(ctx, conn, "This invitation has expired. Ask your support engineer for a new one.")
		return nil
	}
	hello.Source = source
	wasWaiting := sess.State == store.StateWaiting
	sess, err = s.Live.AgentJoined(ctx, sess, hello)
	switch {
	case errors.Is(err, store.ErrAgentBound):
		refuse(ctx, conn, "Another support program has already joined this invitation. Ask your support engineer for a new one.")
		return nil
	case errors.Is(err, store.ErrSessionEnded):
		refuse(ctx, conn, "This support session has already ended.")
		return nil
	case err != nil:
		refuse(ctx, conn, "server error, try again")
		return err
	}
	member := s.Live.Hub().Join(sess.ID, hub.RoleAgent)
	defer member.Leave()
	// The store logged agent_connected in the same transaction as the join.
	s.Log.Info("agent connected", "session", sess.ID, "os", hello.OS, "reconnect", !wasWaiting)
	p, err := s.Store.ProviderByID(ctx, sess.ProviderID)
	if err != nil {
		return err
	}
	eng, err := s.Store.UserByID(ctx, sess.ProviderID, sess.EngineerID)
	if err != nil {
		return err
	}
	var ice []protocol.ICEServer
	if len(s.Config.STUN) > 0 {
		ice = []protocol.ICEServer{{URLs: s.Config.STUN}}
	}
	err = sendNow(ctx, conn, protocol.SigWelcome, protocol.Welcome{
		SessionID: sess.ID, Engineer: eng.Name, Provider: p.Name, Customer: sess.CustomerName,
		ConsentURL: s.Config.BaseURL + "/i/" + hello.Token + "#consent=" + hello.ConsentKey,
		State:      string(sess.State), Level: sess.ConsentLevel, ICEServers: ice,
		P2P: s.Config.P2P, ICETimeoutMS: int(s.Config.ICETimeout / time.Millisecond),
	})
	if err != nil {
		return nil
	}
	s.Live.Notify(sess)
	s.Live.Pair(sess)

	pctx, stop := context.WithCancel(ctx)
	defer stop()
	go pump(pctx, conn, member)
	closedByAgent := s.agentLoop(ctx, conn, sess)
	member.Leave()
	s.agentGone(sess.ID, closedByAgent)
	return nil
}

// agentLoop reads the agent's messages until it disconnects. It reports
// whether the agent ended the session itself.
func (s *Server) agentLoop(ctx context.Context, conn *websocket.Conn, sess store.Session) (ended bool) {
	for {
		typ, data, err := conn.Read(ctx)
		if err != nil {
			if !isClosed(err) {
				s.Log.Info("agent connection lost", "session", sess.ID, "err", err)
			}
			return false
		}
		if typ == websocket.MessageBinary {
			if _, err := protocol.PeekType(data); err != nil {
				s.protocolError(conn, "agent", sess.ID, err)
				return false
			}
			s.Live.Hub().Send(sess.ID, hub.RoleViewer, hub.Message{Binary: true, Data: data})
			continue
		}
		env, err := protocol.DecodeSignal(data)
		if err != nil {
			s.protocolError(conn, "agent", sess.ID, err)
			return false
		}
		switch env.Type {
		case protocol.SigOffer, protocol.SigCandidate, protocol.SigPath:
			s.Live.Hub().Send(sess.ID, hub.RoleViewer, hub.Message{Data: data})
		case protocol.SigConsent:
			var cm protocol.Consent
			if err := env.Decode(&cm); err != nil {
				s.protocolError(conn, "agent", sess.ID, err)
				return false
			}
			if _, err := s.Live.Consent(ctx, sess.ID, cm.Level, false); err != nil {
				s.Log.Info("agent consent refused", "session", sess.ID, "err", err)
			}
			if cm.Level == "deny" {
				return true
			}
		case protocol.SigStats:
			var st protocol.Stats
			if err := env.Decode(&st); err != nil {
				s.protocolError(conn, "agent", sess.ID, err)
				return false
			}
			if err := s.Live.AddBytes(ctx, sess.ID, st); err != nil {
				s.Log.Error("record stats", "session", sess.ID, "err", err)
			}
		case protocol.SigEnd:
			var e protocol.End
			if err := env.Decode(&e); err != nil {
				s.protocolError(conn, "agent", sess.ID, err)
				return false
			}
			if _, _, err := s.Live.End(ctx, sess.ID, protocol.AgentEndReason(e.Reason), store.ActorCustomer); err != nil {
				s.Log.Error("end session", "session", sess.ID, "err", err)
			}
			return true
		default:
			s.protocolError(conn, "agent", sess.ID, errors.New("unexpected message "+env.Type))
			return false
		}
	}
}

// agentGone decides what a lost agent connection means: an active session
// ends at once (the customer's screen is no longer shared); one awaiting
// consent waits a moment for the agent to reconnect.
func (s *Server) agentGone(sessionID string, endedByAgent bool) {
	if endedByAgent {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	sess, err := s.Store.SessionByIDUnscoped(ctx, sessionID)
	if err != nil {
		s.Log.Error("agent gone", "session", sessionID, "err", err)
		return
	}
	s.Live.SendSignal(sessionID, hub.RoleViewer, protocol.SigPeer, protocol.Peer{Role: "agent", Present: false})
	switch sess.State {
	case store.StateActive:
		if _, _, err := s.Live.End(ctx, sessionID, live.ReasonAgentLost, store.ActorAgent); err != nil {
			s.Log.Error("end session", "session", sessionID, "err", err)
		}
	case store.StateJoined:
		s.Live.Notify(sess)
		time.AfterFunc(rejoinGrace, func() {
			if s.Live.Hub().Present(sessionID, hub.RoleAgent) {
				return
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			cur, err := s.Store.SessionByIDUnscoped(ctx, sessionID)
			if err != nil || cur.State != store.StateJoined {
				return
			}
			if _, _, err := s.Live.End(ctx, sessionID, protocol.EndCustomerClosed, store.ActorAgent); err != nil {
				s.Log.Error("end session", "session", sessionID, "err", err)
			}
		})
	}
}

// protocolError closes a connection that broke the wire contract.
func (s *Server) protocolError(conn *websocket.Conn, who, sessionID string, err error) {
	s.Log.Warn("protocol violation", "peer", who, "session", sessionID, "err", err)
	conn.Close(websocket.StatusPolicyViolation, truncateReason(err.Error()))
}
