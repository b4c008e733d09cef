package web

import (
	"context"

	"github.com/coder/websocket"

	"tether/server/live"
	"tether/server/store"
)

// sendChatHistory writes the session's conversation so far to a connection
// that just joined (before its pump starts). Messages that arrive meanwhile
// may come twice, in the history and from the hub; pages drop the repeat
// by its id.
func (s *Server) sendChatHistory(ctx context.Context, conn *websocket.Conn, sess store.Session) error {
	history, err := s.Live.ChatHistory(ctx, sess)
	if err != nil {
		s.Log.Error("chat history", "session", sess.ID, "err", err)
		return nil // the session goes on without its history
	}
	for _, b := range history {
		wctx, cancel := context.WithTimeout(ctx, writeTimeout)
		err := conn.Write(wctx, websocket.MessageText, b)
		cancel()
		if err != nil {
			return err
		}
	}
	return nil
}

// pageLoop reads an invitation page's messages, chat and typing, until it
// closes; anything else breaks the wire contract and closes it.
func (s *Server) pageLoop(ctx context.Context, conn *websocket.Conn, chat *live.PageChat, sessionID string) {
	for {
		typ, data, err := conn.Read(ctx)
		if err != nil {
			return
		}
		if typ != websocket.MessageText {
			s.protocolError(conn, "page", sessionID, errBinaryFromPage)
			return
		}
		if err := chat.Signal(ctx, data); err != nil {
			s.protocolError(conn, "page", sessionID, err)
			return
		}
	}
}
