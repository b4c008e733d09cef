package web

import (
	"context"
	"errors"
	"net/http"

	"github.com/coder/websocket"
	"github.com/labstack/echo/v4"

	"tether/server/live"
	"tether/server/protocol"
	"tether/server/store"
)

// wsViewer is the engineer's viewer connection: signaling, and the relay
// when peer-to-peer does not connect. It closes when the engineer's sign-in
// ends.
func (s *Server) wsViewer(c echo.Context, en engineer) error {
	ctx := c.Request().Context()
	sess, err := s.sessionOf(c, en)
	if err != nil {
		return err
	}
	if sess.EngineerID == "" && sess.State != store.StateEnded {
		// Nobody accepted the customer's request yet: nobody may watch before (requests).
		return &httpError{status: http.StatusConflict, heading: "Not accepted yet", message: "Accept the request before you open the viewer."}
	}
	conn, release, err := s.accept(c, socketEngineer)
	if err != nil || conn == nil {
		return err
	}
	defer release()
	defer conn.CloseNow()
	if s.retryLater(conn) {
		return nil
	}
	viewer, state, err := s.Live.JoinViewer(ctx, sess, en.User.ID, en.User.Name)
	if errors.Is(err, live.ErrEnded) {
		_ = sendNow(ctx, conn, protocol.SigState, state)
		_ = sendNow(ctx, conn, protocol.SigEnd, protocol.End{Reason: sess.EndReason})
		conn.Close(websocket.StatusNormalClosure, "session ended")
		return nil
	}
	if err != nil {
		return err
	}
	defer viewer.Leave(ctx)
	stopWatch := s.watchSignIn(ctx, conn, en)
	defer stopWatch()
	if err := sendNow(ctx, conn, protocol.SigState, state); err != nil {
		return nil
	}
	if err := s.sendChatHistory(ctx, conn, sess); err != nil {
		return nil
	}
	pctx, stop := context.WithCancel(ctx)
	defer stop()
	go pump(pctx, conn, viewer.Member(), nil, 0)
	s.viewerLoop(ctx, conn, viewer, sess.ID)
	return nil
}

func (s *Server) viewerLoop(ctx context.Context, conn *websocket.Conn, viewer *live.Viewer, sessionID string) {
	for {
		typ, data, err := conn.Read(ctx)
		if err != nil {
			return
		}
		if typ == websocket.MessageBinary {
			err = viewer.Binary(data)
		} else {
			err = viewer.Signal(ctx, data)
		}
		if err != nil {
			s.protocolError(conn, "viewer", sessionID, err)
			return
		}
	}
}
