package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"tether/server/live"
	"tether/server/protocol"
)

// wsInvite keeps a customer's invitation page live: state changes arrive as
// `state` messages, and the chat (its history first) as `chat` and
// `typing`. The page sends only chat and typing. A session takes a few page
// connections (live.Config.MaxPages), not thousands.
func (s *Server) wsInvite(c echo.Context) error {
	inv, err := s.customerSession(c, true)
	if err != nil {
		return err
	}
	sess := inv.Session
	// The page takes its place before the upgrade, so a flood costs no
	// websocket.
	member, state, err := s.Live.JoinPage(sess)
	if errors.Is(err, live.ErrTooMany) {
		s.Log.Warn("invitation page refused: too many open", "session", sess.ID, "addr", c.RealIP())
		return &httpError{status: http.StatusTooManyRequests, heading: "Too many pages", message: "This invitation is open in too many pages. Close some and reload."}
	}
	if err != nil {
		return err
	}
	defer member.Leave()
	conn, release, err := s.accept(c, socketPage)
	if err != nil || conn == nil {
		return err
	}
	defer release()
	defer conn.CloseNow()
	ctx := c.Request().Context()
	if err := sendNow(ctx, conn, protocol.SigState, state); err != nil {
		return nil
	}
	if err := s.sendChatHistory(ctx, conn, sess); err != nil {
		return nil
	}
	// A customer's request waiting for an engineer: its place in the queue (requests).
	if up, ok, err := s.Live.QueueOf(ctx, sess); err != nil {
		s.Log.Error("read queue place", "session", sess.ID, "err", err)
	} else if ok {
		if err := sendNow(ctx, conn, protocol.SigRequest, up); err != nil {
			return nil
		}
	}
	pctx, stop := context.WithCancel(ctx)
	defer stop()
	go pump(pctx, conn, member, nil, 0)
	s.pageLoop(ctx, conn, s.Live.NewPageChat(sess), sess.ID)
	return nil
}

var errBinaryFromPage = fmt.Errorf("%w: binary message from an invitation page", protocol.ErrType)

// wsConsole tells an engineer's console about every change to the
// provider's sessions they may see, with a snapshot first and after each
// change (consoleStream); the page then re-renders its list. It closes when
// the engineer's sign-in ends.
func (s *Server) wsConsole(c echo.Context, en engineer) error {
	conn, release, err := s.accept(c, socketEngineer)
	if err != nil || conn == nil {
		return err
	}
	defer release()
	defer conn.CloseNow()
	if s.retryLater(conn) {
		return nil
	}
	member := s.Live.JoinConsole(en.Provider.ID)
	defer member.Leave()
	stopWatch := s.watchSignIn(c.Request().Context(), conn, en)
	defer stopWatch()
	s.consoleStream(c.Request().Context(), conn, member, en)
	return nil
}
