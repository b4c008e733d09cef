package web

import (
	"context"
	"errors"
	"time"

	"github.com/coder/websocket"
	"github.com/labstack/echo/v4"

	"tether/server/hub"
	"tether/server/protocol"
)

// writeTimeout bounds every websocket write: a peer that cannot take a
// message in this time is dropped, never waited on.
const writeTimeout = 10 * time.Second

// accept upgrades the request. Browser connections must come from this
// server's own pages (coder/websocket checks Origin against Host); agents
// send no Origin.
func accept(c echo.Context) (*websocket.Conn, error) {
	conn, err := websocket.Accept(c.Response(), c.Request(), &websocket.AcceptOptions{CompressionMode: websocket.CompressionDisabled})
	if err != nil {
		return nil, err
	}
	conn.SetReadLimit(protocol.MaxMessageSize + 1024)
	return conn, nil
}

// pump writes a member's messages to its websocket until the member is
// dropped or the context ends. It closes the connection when a message asks
// to, or with the reason the hub dropped the member.
func pump(ctx context.Context, conn *websocket.Conn, m *hub.Member) {
	for {
		select {
		case msg := <-m.Inbox():
			if len(msg.Data) > 0 {
				typ := websocket.MessageText
				if msg.Binary {
					typ = websocket.MessageBinary
				}
				wctx, cancel := context.WithTimeout(ctx, writeTimeout)
				err := conn.Write(wctx, typ, msg.Data)
				cancel()
				if err != nil {
					conn.CloseNow()
					return
				}
			}
			if msg.Close != "" {
				conn.Close(websocket.StatusNormalClosure, msg.Close)
				return
			}
		case <-m.Done():
			switch err := m.Err(); {
			case errors.Is(err, hub.ErrReplaced):
				conn.Close(websocket.StatusPolicyViolation, "replaced by a newer connection")
			case errors.Is(err, hub.ErrSlow):
				conn.Close(websocket.StatusTryAgainLater, "connection too slow")
			}
			return
		case <-ctx.Done():
			return
		}
	}
}

// sendNow writes one signaling envelope directly (before a member pumps).
func sendNow(ctx context.Context, conn *websocket.Conn, typ string, payload any) error {
	b, err := protocol.EncodeSignal(typ, payload)
	if err != nil {
		return err
	}
	wctx, cancel := context.WithTimeout(ctx, writeTimeout)
	defer cancel()
	return conn.Write(wctx, websocket.MessageText, b)
}

// refuse tells a client why it cannot continue and closes the connection.
func refuse(ctx context.Context, conn *websocket.Conn, msg string) {
	_ = sendNow(ctx, conn, protocol.SigError, protocol.Error{Message: msg})
	conn.Close(websocket.StatusPolicyViolation, truncateReason(msg))
}

// truncateReason fits a close reason into the 123 bytes a close frame allows.
func truncateReason(s string) string {
	if len(s) > 120 {
		return s[:120]
	}
	return s
}

// isClosed reports whether a read error is an ordinary end of connection.
func isClosed(err error) bool {
	return websocket.CloseStatus(err) != -1 || errors.Is(err, context.Canceled)
}
