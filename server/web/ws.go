package web

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"
	"github.com/labstack/echo/v4"

	"tether/server/hub"
	"tether/server/protocol"
	"tether/server/store"
)

// writeTimeout bounds every websocket write: a peer that cannot take a
// message in this time is dropped, never waited on.
const writeTimeout = 10 * time.Second

// socketKind names a websocket endpoint for its rate limit.
type socketKind string

const (
	socketAgent    socketKind = "agent"
	socketPage     socketKind = "page"
	socketEngineer socketKind = "engineer"
)

// accept checks a websocket request before anything is upgraded: the
// Origin, the client's connection rate and its number of open sockets. On
// success the connection is open and release must be called when it
// closes; on failure an HTTP error is returned and nothing was upgraded.
func (s *Server) accept(c echo.Context, kind socketKind) (*websocket.Conn, func(), error) {
	if err := s.checkOrigin(c.Request()); err != nil {
		return nil, nil, err
	}
	addr := clientKey(c.RealIP())
	if spent, err := s.spend(c, "websocket", budget{"ws:" + string(kind) + ":" + addr, socketRates[kind]}); err != nil || spent != nil {
		if err == nil {
			s.Metrics.Refused("websocket")
			err = &httpError{status: http.StatusTooManyRequests, heading: "Too many attempts",
				message: "Too many connection attempts from your network. Wait a moment and try again."}
		}
		return nil, nil, err
	}
	release, ok := s.conns.take(addr)
	if !ok {
		s.Log.Warn("websocket refused: too many open connections", "addr", addr, "kind", kind)
		s.Metrics.Refused("sockets")
		return nil, nil, &httpError{status: http.StatusTooManyRequests, heading: "Too many connections",
			message: "Your network has too many connections open to this server. Close some tabs and try again."}
	}
	// The Origin was checked above, with its scheme; coder/websocket's own
	// check compares hosts only.
	conn, err := websocket.Accept(c.Response(), c.Request(), &websocket.AcceptOptions{
		CompressionMode: websocket.CompressionDisabled, InsecureSkipVerify: true,
	})
	if err != nil {
		release()
		// Accept has written the HTTP error; a second answer would fail.
		s.Log.Info("websocket upgrade failed", "path", c.Path(), "err", err)
		return nil, nil, nil
	}
	conn.SetReadLimit(protocol.MaxMessageSize + 1024)
	s.drain.open.Add(1)
	ctx, stop := context.WithCancel(c.Request().Context())
	go s.closeOnDrain(ctx, conn)
	var once sync.Once
	return conn, func() { once.Do(func() { stop(); release(); s.drain.open.Add(-1) }) }, nil
}

// socketRates are the connection rates per client address and endpoint:
// reconnecting pages back off to seconds, so these only stop floods.
var socketRates = map[socketKind]store.Rate{
	socketAgent:    {Every: 2 * time.Second, Burst: 20},
	socketPage:     {Every: time.Second, Burst: 30},
	socketEngineer: {Every: time.Second, Burst: 30},
}

// checkOrigin refuses a browser websocket from another site. A browser
// always sends Origin; it must be this server as the browser reached it,
// scheme included (coder/websocket compares only the host, so an http page
// could talk to the https server). Agents send no Origin.
func (s *Server) checkOrigin(r *http.Request) error {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return nil
	}
	scheme := "http"
	if r.TLS != nil || s.Config.TLSProxy {
		scheme = "https"
	}
	if !strings.EqualFold(origin, scheme+"://"+r.Host) {
		s.Log.Warn("websocket refused: foreign origin", "origin", origin, "host", r.Host, "path", r.URL.Path)
		return &httpError{status: http.StatusForbidden, heading: "Not allowed", message: "This connection must come from this server's own pages."}
	}
	return nil
}

// pump writes a member's messages to its websocket until the member is
// dropped or the context ends. It closes the connection when a message asks
// to, or with the reason the hub dropped the member. admit, when set,
// decides which messages may be written. The file lane (Member.Files) is
// written only when the main inbox is empty, so a file queues behind the
// screen and never ahead of it. linger, when not zero, is how long a
// connection asked to close may stay open for the other end to close it
// first (ctx ending): an agent told the session ended sends its last byte
// counts before it closes.
func pump(ctx context.Context, conn *websocket.Conn, m *hub.Member, admit func(hub.Message) bool, linger time.Duration) {
	for {
		var msg hub.Message
		select {
		case msg = <-m.Inbox():
		default:
			select {
			case msg = <-m.Inbox():
			case msg = <-m.Files():
			case <-m.Done():
				closeForHub(conn, m.Err())
				return
			case <-ctx.Done():
				return
			}
		}
		if admit != nil && !admit(msg) {
			continue
		}
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
			if linger > 0 {
				t := time.NewTimer(linger)
				select {
				case <-ctx.Done():
				case <-t.C:
				}
				t.Stop()
			}
			conn.Close(websocket.StatusNormalClosure, msg.Close)
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
		return strings.ToValidUTF8(s[:120], "")
	}
	return s
}

// isClosed reports whether a read error is an ordinary end of connection.
func isClosed(err error) bool {
	return websocket.CloseStatus(err) != -1 || errors.Is(err, context.Canceled)
}

// protocolError closes a connection that broke the wire contract.
func (s *Server) protocolError(conn *websocket.Conn, who, sessionID string, err error) {
	s.Log.Warn("protocol violation", "peer", who, "session", sessionID, "err", err)
	conn.Close(websocket.StatusPolicyViolation, truncateReason(err.Error()))
}

// watchSignIn closes a signed-in websocket when its sign-in ends: at once
// on sign-out (through the hub, from any instance), and within
// SignInRecheck when the sign-in expires or its user is deactivated. stop
// ends the watch.
func (s *Server) watchSignIn(ctx context.Context, conn *websocket.Conn, en engineer) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	member := s.Live.Hub().Join(en.LoginHash, hub.RoleSignIn)
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer member.Leave()
		t := time.NewTicker(s.SignInRecheck)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-member.Inbox():
			case <-member.Done():
				return
			case <-t.C:
				if _, _, err := s.Store.LoginUser(ctx, en.LoginHash); err == nil || ctx.Err() != nil {
					continue
				} else if !errors.Is(err, store.ErrNotFound) {
					s.Log.Error("re-check sign-in", "user", en.User.ID, "err", err)
					continue
				}
			}
			s.Log.Info("closing a signed-in connection: its sign-in ended", "user", en.User.ID)
			conn.Close(protocol.CloseSignedOut, "signed out")
			return
		}
	}()
	var once sync.Once
	return func() { once.Do(func() { cancel(); <-done }) }
}

// closeForHub tells a page why the hub let its member go: a newer connection replaced it, or it read too
// slowly (the page reconnects and catches up). Other ends need no word.
func closeForHub(conn *websocket.Conn, err error) {
	switch {
	case errors.Is(err, hub.ErrReplaced):
		conn.Close(websocket.StatusPolicyViolation, "replaced by a newer connection")
	case errors.Is(err, hub.ErrSlow):
		conn.Close(websocket.StatusTryAgainLater, "connection too slow")
	}
}
