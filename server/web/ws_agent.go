package web

import (
	"context"
	"errors"
	"time"

	"github.com/coder/websocket"
	"github.com/labstack/echo/v4"

	"tether/server/live"
	"tether/server/protocol"
)

// helloTimeout is how long an agent has to introduce itself.
const helloTimeout = 10 * time.Second

// wsAgent is the agent's signaling and relay connection. Everything it
// means for the session is decided in live; this handler only reads and
// writes the websocket.
func (s *Server) wsAgent(c echo.Context) error {
	conn, release, err := s.accept(c, socketAgent)
	if err != nil || conn == nil {
		return err
	}
	defer release()
	defer conn.CloseNow()
	if s.retryLater(conn) {
		return nil
	}
	ctx := c.Request().Context()
	hctx, cancel := context.WithTimeout(ctx, helloTimeout)
	typ, data, err := conn.Read(hctx)
	cancel()
	if err != nil {
		return nil // gone before saying hello
	}
	var hello protocol.AgentHello
	env, err := protocol.DecodeSignal(data)
	if err == nil && (typ != websocket.MessageText || env.Type != protocol.SigAgentHello) {
		err = errors.New("first message must be agent-hello")
	}
	if err == nil {
		err = env.Decode(&hello)
	}
	if err != nil {
		s.Log.Info("agent refused", "addr", c.RealIP(), "err", err)
		refuse(ctx, conn, "malformed hello: "+err.Error())
		return nil
	}
	agent, welcome, err := s.Live.AgentHello(ctx, hello)
	var no *live.RefusedError
	if errors.As(err, &no) {
		s.Log.Info("agent refused", "addr", c.RealIP(), "err", err)
		refuse(ctx, conn, no.Message)
		return nil
	}
	if err != nil {
		refuse(ctx, conn, "The support server had a problem. Try again in a moment.")
		return err
	}
	endedByAgent := false
	defer func() { agent.Leave(ctx, endedByAgent) }()
	if err := sendNow(ctx, conn, protocol.SigWelcome, welcome); err != nil {
		return nil
	}
	if err := s.sendChatHistory(ctx, conn, agent.Session()); err != nil {
		return nil
	}
	pctx, stop := context.WithCancel(ctx)
	defer stop()
	go pump(pctx, conn, agent.Member(), agent.Admit, agentLinger)
	endedByAgent = s.agentLoop(ctx, conn, agent)
	return nil
}

// agentLinger is how long an agent told the session ended keeps its
// connection for its last byte counts before the server closes it.
const agentLinger = 2 * time.Second

// agentLoop reads the agent's messages until it disconnects. It reports
// whether the agent ended the session itself.
func (s *Server) agentLoop(ctx context.Context, conn *websocket.Conn, agent *live.Agent) (ended bool) {
	for {
		typ, data, err := conn.Read(ctx)
		if err != nil {
			if !isClosed(err) {
				s.Log.Info("agent connection lost", "session", agent.SessionID(), "err", err)
			}
			return false
		}
		if typ == websocket.MessageBinary {
			if err := agent.Binary(data); err != nil {
				s.protocolError(conn, "agent", agent.SessionID(), err)
				return false
			}
			continue
		}
		ended, err = agent.Signal(ctx, data)
		if err != nil {
			s.protocolError(conn, "agent", agent.SessionID(), err)
			return false
		}
		if ended {
			return true
		}
	}
}
