package web

import (
	"context"
	"errors"

	"github.com/coder/websocket"
	"github.com/labstack/echo/v4"

	"tether/server/hub"
	"tether/server/protocol"
	"tether/server/store"
)

func (s *Server) wsViewer(c echo.Context, en engineer) error {
	ctx := c.Request().Context()
	sess, err := s.Store.SessionByID(ctx, en.Provider.ID, c.Param("id"))
	if err != nil {
		return err
	}
	conn, err := accept(c)
	if err != nil {
		return nil
	}
	defer conn.CloseNow()
	if sess.State == store.StateEnded {
		_ = sendNow(ctx, conn, protocol.SigState, s.Live.StateOf(sess))
		_ = sendNow(ctx, conn, protocol.SigEnd, protocol.End{Reason: sess.EndReason})
		conn.Close(websocket.StatusNormalClosure, "session ended")
		return nil
	}
	member := s.Live.Hub().Join(sess.ID, hub.RoleViewer)
	defer member.Leave()
	s.Live.Event(ctx, sess, store.EventViewerConnected, store.ActorEngineer(en.User.ID), en.User.Name)
	if err := sendNow(ctx, conn, protocol.SigState, s.Live.StateOf(sess)); err != nil {
		return nil
	}
	pctx, stop := context.WithCancel(ctx)
	defer stop()
	go pump(pctx, conn, member)
	s.Live.Notify(sess)
	s.Live.Pair(sess)

	s.viewerLoop(ctx, conn, sess.ID)
	member.Leave()
	s.Live.SendSignal(sess.ID, hub.RoleAgent, protocol.SigPeer, protocol.Peer{Role: "viewer", Present: false})
	if cur, err := s.Store.SessionByIDUnscoped(context.WithoutCancel(ctx), sess.ID); err == nil {
		s.Live.Notify(cur)
	}
	return nil
}

func (s *Server) viewerLoop(ctx context.Context, conn *websocket.Conn, sessionID string) {
	for {
		typ, data, err := conn.Read(ctx)
		if err != nil {
			return
		}
		if typ == websocket.MessageBinary {
			if _, err := protocol.PeekType(data); err != nil {
				s.protocolError(conn, "viewer", sessionID, err)
				return
			}
			s.Live.Hub().Send(sessionID, hub.RoleAgent, hub.Message{Binary: true, Data: data})
			continue
		}
		env, err := protocol.DecodeSignal(data)
		if err != nil {
			s.protocolError(conn, "viewer", sessionID, err)
			return
		}
		switch env.Type {
		case protocol.SigAnswer, protocol.SigCandidate:
			s.Live.Hub().Send(sessionID, hub.RoleAgent, hub.Message{Data: data})
		default:
			s.protocolError(conn, "viewer", sessionID, errors.New("unexpected message "+env.Type))
			return
		}
	}
}
