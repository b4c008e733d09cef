package link

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"tether/server/protocol"
)

// SignalOptions configures Connect.
type SignalOptions struct {
	// Server is the base URL from the agent settings, http(s)://host[:port][/prefix].
	Server string
	// Hello is sent as the first message of every connection, reconnects
	// included: the same agent key lets the server recognise this agent.
	Hello protocol.AgentHello
	// HTTPClient dials the websocket; nil means http.DefaultClient.
	HTTPClient *http.Client
	// MaxBackoff bounds the wait between connection attempts (default 5 s).
	MaxBackoff time.Duration
	// GiveUp ends reconnecting after this long without a connection
	// (default 10 minutes).
	GiveUp time.Duration
	// OnRetry, if set, hears about each failed attempt before the wait.
	OnRetry func(err error, wait time.Duration)
	// OnDown, if set, hears that the connection dropped, before the
	// Signal starts reconnecting.
	OnDown func()
	Logger *slog.Logger
}

// Identity is the support server as the connection proved it: the host
// name a valid certificate was presented for, not a name from anywhere
// else.
type Identity struct {
	// Host is the host (and port, unless the default) that was dialed.
	Host string
	// Verified: the connection is TLS and the server's certificate is
	// valid for Host.
	Verified bool
	// Local: a server on this computer (loopback), reached without TLS.
	Local bool
}

// Timeouts of one connection attempt and of one write.
const (
	dialTimeout    = 15 * time.Second
	welcomeTimeout = 15 * time.Second
	writeTimeout   = 10 * time.Second
	pingInterval   = 15 * time.Second
	readLimit      = max(protocol.MaxSignalSize, protocol.MaxSealedSize)
)

// Signal is the agent's signaling connection. It reconnects by itself when
// the websocket drops and delivers the new Welcome as an envelope; it stops
// for good when the server ends the session, when Close is called, or when
// the server stayed unreachable for GiveUp.
type Signal struct {
	opts SignalOptions
	url  string
	log  *slog.Logger

	env    chan protocol.Envelope
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}
	err    error // set before env closes

	closing atomic.Bool

	mu       sync.Mutex
	ws       *websocket.Conn // nil while reconnecting
	relay    *Relay          // bound to ws, or nil
	identity Identity        // of the current (or last) connection
	outage   time.Duration   // how long the last reconnect took
}

// WebsocketURL turns the server base URL into the agent's signaling URL:
// https becomes wss, http becomes ws, which only a server on this computer
// may use (protocol.CheckServerURL): nothing of a session crosses a network
// in clear.
func WebsocketURL(server string) (string, error) {
	if err := protocol.CheckServerURL(server); err != nil {
		return "", fmt.Errorf("link: %w", err)
	}
	u, err := url.Parse(server)
	if err != nil {
		return "", fmt.Errorf("link: server URL: %w", err)
	}
	switch u.Scheme {
	case "https":
		u.Scheme = "wss"
	case "http":
		u.Scheme = "ws"
	default:
		return "", fmt.Errorf("link: server URL %q: scheme must be http or https", server)
	}
	u.Path = strings.TrimSuffix(u.Path, "/") + "/ws/agent"
	u.RawQuery, u.Fragment = "", ""
	return u.String(), nil
}

// Connect dials the server, sends Hello and waits for the Welcome, retrying
// with backoff until GiveUp. It returns an *EndedError when the server
// answers end or error instead.
func Connect(ctx context.Context, opts SignalOptions) (*Signal, protocol.Welcome, error) {
	if opts.MaxBackoff <= 0 {
		opts.MaxBackoff = 5 * time.Second
	}
	if opts.GiveUp <= 0 {
		opts.GiveUp = 10 * time.Minute
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	u, err := WebsocketURL(opts.Server)
	if err != nil {
		return nil, protocol.Welcome{}, err
	}
	s := &Signal{
		opts: opts,
		url:  u,
		log:  opts.Logger,
		env:  make(chan protocol.Envelope, 32),
		done: make(chan struct{}),
	}
	s.ctx, s.cancel = context.WithCancel(context.WithoutCancel(ctx))
	ws, welcome, err := s.redial(ctx)
	if err != nil {
		s.cancel()
		return nil, protocol.Welcome{}, err
	}
	s.ws = ws
	go s.run(ws)
	return s, welcome, nil
}

// Identity is the server as the current (or last) connection proved it.
func (s *Signal) Identity() Identity {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.identity
}

// LastOutage is how long the connection was down before the latest
// reconnect; valid once its welcome was delivered.
func (s *Signal) LastOutage() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.outage
}

// Envelopes delivers the server's messages in order, a fresh welcome after
// each reconnect included. It is closed when the Signal stops; Err then says why.
func (s *Signal) Envelopes() <-chan protocol.Envelope { return s.env }

// Err is why the Signal stopped; valid once Envelopes is closed.
func (s *Signal) Err() error {
	<-s.done
	return s.err
}

// Connected reports whether the websocket is up right now.
func (s *Signal) Connected() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ws != nil
}

// Send writes one envelope. It fails with ErrDisconnected while reconnecting;
// signaling that matters is repeated by the protocol (a reconnect brings a
// new welcome and peer messages), so nothing is queued.
func (s *Signal) Send(ctx context.Context, typ string, payload any) error {
	b, err := protocol.EncodeSignal(typ, payload)
	if err != nil {
		return err
	}
	if typ == protocol.SigEnd {
		// The agent ends the session itself: the server closing the
		// connection after it is the end, not a drop to reconnect from.
		s.closing.Store(true)
	}
	s.mu.Lock()
	ws := s.ws
	s.mu.Unlock()
	if ws == nil {
		return fmt.Errorf("send %s: %w", typ, ErrDisconnected)
	}
	ctx, cancel := context.WithTimeout(ctx, writeTimeout)
	defer cancel()
	if err := ws.Write(ctx, websocket.MessageText, b); err != nil {
		return fmt.Errorf("link: send %s: %w", typ, err)
	}
	return nil
}

// Relay binds a relay Conn to the current websocket: binary messages from
// the server go to it, and its Send writes binary messages, sealed and
// opened with keys from the exchange with the viewer. A previous relay is
// closed. The relay fails with ErrClosed when the websocket drops.
func (s *Signal) Relay(keys *protocol.SessionKeys) (*Relay, error) {
	if keys == nil || keys.Sealer == nil || keys.Opener == nil {
		return nil, errNoKeys
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ws == nil {
		return nil, ErrDisconnected
	}
	if s.relay != nil {
		s.relay.shut()
	}
	s.relay = newRelay(s, s.ws, keys)
	return s.relay, nil
}

// Close ends the connection with a normal closure and stops reconnecting.
func (s *Signal) Close() error {
	s.closing.Store(true)
	s.mu.Lock()
	ws := s.ws
	s.mu.Unlock()
	var err error
	if ws != nil {
		// Close waits for the server's close frame, which the read loop
		// receives; it gives up by itself after a few seconds.
		err = ws.Close(websocket.StatusNormalClosure, "agent closing")
	}
	s.cancel()
	<-s.done
	if err != nil && !errors.Is(err, net.ErrClosed) && websocket.CloseStatus(err) == -1 {
		return fmt.Errorf("link: close: %w", err)
	}
	return nil
}

// run reads the websocket, reconnecting when it drops, until the Signal stops.
func (s *Signal) run(ws *websocket.Conn) {
	defer close(s.done)
	defer close(s.env)
	ended := false
	for {
		stopPing := s.keepalive(ws)
		err := s.read(ws, &ended)
		stopPing()
		s.detach(ws)
		_ = ws.CloseNow() // already failed; make sure its resources go
		switch {
		case s.closing.Load() || s.ctx.Err() != nil:
			s.err = ErrClosed
			return
		case ended:
			s.err = err
			return
		case websocket.CloseStatus(err) == websocket.StatusPolicyViolation:
			// The server refused what we sent; saying it again will not help.
			s.err = fmt.Errorf("link: server closed the connection: %w", err)
			return
		}
		s.log.Info("signaling connection lost, reconnecting", "err", err)
		downAt := time.Now()
		if s.opts.OnDown != nil {
			s.opts.OnDown()
		}
		next, welcome, err := s.redial(s.ctx)
		if err != nil {
			s.err = err
			return
		}
		ws = next
		s.mu.Lock()
		s.ws = ws
		s.outage = time.Since(downAt)
		s.mu.Unlock()
		env, err := protocol.NewEnvelope(protocol.SigWelcome, welcome)
		if err != nil {
			s.err = err
			return
		}
		if !s.deliver(env) {
			s.err = s.ctx.Err()
			return
		}
	}
}

// read handles messages of one websocket until it fails. ended becomes true
// after an end or error envelope.
func (s *Signal) read(ws *websocket.Conn, ended *bool) error {
	for {
		typ, data, err := ws.Read(s.ctx)
		if err != nil {
			if *ended {
				return &EndedError{Reason: "closed after end"}
			}
			return err
		}
		if typ == websocket.MessageBinary {
			s.toRelay(ws, data)
			continue
		}
		env, err := protocol.DecodeSignal(data)
		if err != nil {
			s.log.Warn("bad signaling message from server", "err", err)
			continue
		}
		if env.Type == protocol.SigEnd || env.Type == protocol.SigError {
			*ended = true
		}
		if !s.deliver(env) {
			return s.ctx.Err()
		}
	}
}

func (s *Signal) deliver(env protocol.Envelope) bool {
	select {
	case s.env <- env:
		return true
	case <-s.ctx.Done():
		return false
	}
}

func (s *Signal) toRelay(ws *websocket.Conn, data []byte) {
	s.mu.Lock()
	r := s.relay
	s.mu.Unlock()
	if r == nil || r.ws != ws {
		s.log.Debug("binary message without a relay, dropped", "bytes", len(data))
		return
	}
	if t, err := protocol.PeekSealed(data); err == nil && t.FileLane() {
		r.deliverFile(data)
		return
	}
	// Blocking here holds up signaling, but the relay's reader is the
	// session's receive loop, which only dispatches; losing a FrameAck
	// instead would stall the stream for good.
	r.deliver(s.ctx, data)
}

// detach forgets ws and fails the relay bound to it.
func (s *Signal) detach(ws *websocket.Conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ws == ws {
		s.ws = nil
	}
	if s.relay != nil && s.relay.ws == ws {
		s.relay.shut()
		s.relay = nil
	}
}

// keepalive pings the server so a dead network is noticed within about
// pingInterval+writeTimeout, not at the next TCP timeout.
func (s *Signal) keepalive(ws *websocket.Conn) (stop func()) {
	ctx, cancel := context.WithCancel(s.ctx)
	go func() {
		t := time.NewTicker(pingInterval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				pctx, pcancel := context.WithTimeout(ctx, writeTimeout)
				err := ws.Ping(pctx)
				pcancel()
				if err != nil && ctx.Err() == nil {
					s.log.Info("signaling ping failed", "err", err)
					_ = ws.CloseNow() // the read loop sees the failure and reconnects
					return
				}
			}
		}
	}()
	return cancel
}

// redial connects until it succeeds, the server ends the session, ctx ends,
// or GiveUp passes.
func (s *Signal) redial(ctx context.Context) (*websocket.Conn, protocol.Welcome, error) {
	start := time.Now()
	wait := 250 * time.Millisecond
	for {
		ws, welcome, err := s.dialOnce(ctx)
		if err == nil {
			return ws, welcome, nil
		}
		var ended *EndedError
		if errors.As(err, &ended) || ctx.Err() != nil {
			return nil, protocol.Welcome{}, err
		}
		if time.Since(start) > s.opts.GiveUp {
			return nil, protocol.Welcome{}, fmt.Errorf("link: server unreachable for %s: %w", s.opts.GiveUp.Round(time.Second), err)
		}
		// Full jitter keeps many agents from retrying in step after a restart.
		d := wait/2 + rand.N(wait/2+1)
		if s.opts.OnRetry != nil {
			s.opts.OnRetry(err, d)
		}
		s.log.Info("cannot reach server", "err", err, "retry_in", d)
		select {
		case <-ctx.Done():
			return nil, protocol.Welcome{}, ctx.Err()
		case <-time.After(d):
		}
		wait = min(wait*2, s.opts.MaxBackoff)
	}
}

// identify says what the connection to rawURL proved about the server. A
// wss connection must have verified the certificate (net/http does, unless
// someone configured it not to); ws is only for this computer.
func identify(rawURL string, resp *http.Response) (Identity, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return Identity{}, err
	}
	id := Identity{Host: u.Host}
	switch {
	case u.Scheme == "ws" && protocol.IsLoopbackHost(u.Host):
		id.Local = true
	case u.Scheme == "wss" && resp != nil && resp.TLS != nil && len(resp.TLS.VerifiedChains) > 0:
		id.Verified = true
	default:
		return Identity{}, fmt.Errorf("link: the connection to %s is not secured by a verified certificate", u.Host)
	}
	return id, nil
}

// dialOnce opens one websocket, says hello and reads the welcome.
func (s *Signal) dialOnce(ctx context.Context) (*websocket.Conn, protocol.Welcome, error) {
	var welcome protocol.Welcome
	dctx, cancel := context.WithTimeout(ctx, dialTimeout)
	defer cancel()
	ws, resp, err := websocket.Dial(dctx, s.url, &websocket.DialOptions{HTTPClient: s.opts.HTTPClient})
	if resp != nil && resp.Body != nil {
		_ = resp.Body.Close() // coder/websocket has read what it needs
	}
	if err != nil {
		return nil, welcome, fmt.Errorf("link: dial %s: %w", s.url, err)
	}
	id, err := identify(s.url, resp)
	if err != nil {
		_ = ws.CloseNow() // not a server we may talk to
		return nil, welcome, err
	}
	s.mu.Lock()
	s.identity = id
	s.mu.Unlock()
	ws.SetReadLimit(readLimit)
	fail := func(err error) (*websocket.Conn, protocol.Welcome, error) {
		_ = ws.CloseNow() // the attempt failed already; err says why
		return nil, welcome, err
	}
	hello, err := protocol.EncodeSignal(protocol.SigAgentHello, s.opts.Hello)
	if err != nil {
		return fail(err)
	}
	wctx, wcancel := context.WithTimeout(ctx, writeTimeout)
	err = ws.Write(wctx, websocket.MessageText, hello)
	wcancel()
	if err != nil {
		return fail(fmt.Errorf("link: send hello: %w", err))
	}
	rctx, rcancel := context.WithTimeout(ctx, welcomeTimeout)
	defer rcancel()
	for {
		typ, data, err := ws.Read(rctx)
		if err != nil {
			return fail(fmt.Errorf("link: read welcome: %w", err))
		}
		if typ != websocket.MessageText {
			return fail(fmt.Errorf("%w: binary message before welcome", protocol.ErrInvalid))
		}
		env, err := protocol.DecodeSignal(data)
		if err != nil {
			return fail(err)
		}
		switch env.Type {
		case protocol.SigWelcome:
			if err := env.Decode(&welcome); err != nil {
				return fail(err)
			}
			return ws, welcome, nil
		case protocol.SigEnd:
			var e protocol.End
			if err := env.Decode(&e); err != nil {
				return fail(err)
			}
			_ = ws.CloseNow() // the server is done with us; nothing to say back
			return nil, welcome, &EndedError{Reason: e.Reason}
		case protocol.SigError:
			var e protocol.Error
			if err := env.Decode(&e); err != nil {
				return fail(err)
			}
			_ = ws.CloseNow() // the server is done with us; nothing to say back
			return nil, welcome, &EndedError{Reason: e.Message, ServerError: true}
		}
		// Anything else (a state broadcast) can wait for the welcome.
		s.log.Debug("signaling message before welcome ignored", "type", env.Type)
	}
}
