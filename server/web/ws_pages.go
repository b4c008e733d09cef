package web

import (
	"context"

	"github.com/coder/websocket"
	"github.com/labstack/echo/v4"

	"tether/server/hub"
	"tether/server/protocol"
)

// wsInvite keeps a customer's invitation page live: state changes arrive as
// `state` messages. The page sends nothing.
func (s *Server) wsInvite(c echo.Context) error {
	sess, _, _, _, err := s.customerSession(c, true)
	if err != nil {
		return err
	}
	conn, err := accept(c)
	if err != nil {
		return nil
	}
	defer conn.CloseNow()
	ctx := c.Request().Context()
	member := s.Live.Hub().Join(sess.ID, hub.RolePage)
	defer member.Leave()
	if err := sendNow(ctx, conn, protocol.SigState, s.Live.StateOf(sess)); err != nil {
		return nil
	}
	s.listenOnly(ctx, conn, member)
	return nil
}

// wsConsole tells an engineer's console about every change to the
// provider's sessions; the page then re-renders its list.
func (s *Server) wsConsole(c echo.Context, en engineer) error {
	conn, err := accept(c)
	if err != nil {
		return nil
	}
	defer conn.CloseNow()
	member := s.Live.Hub().Join(en.Provider.ID, hub.RoleConsole)
	defer member.Leave()
	s.listenOnly(c.Request().Context(), conn, member)
	return nil
}

// listenOnly pumps hub messages to a page that only listens; any message
// from the page is a protocol violation.
func (s *Server) listenOnly(ctx context.Context, conn *websocket.Conn, member *hub.Member) {
	pctx, stop := context.WithCancel(ctx)
	defer stop()
	go pump(pctx, conn, member)
	if _, _, err := conn.Read(ctx); err == nil {
		conn.Close(websocket.StatusPolicyViolation, "this connection only listens")
	}
}
