//go:build linux

package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"tether/server/protocol"
)

// writeTimeout bounds every websocket write of the generator, as the
// server's own: a write that cannot finish in time is a failure, counted,
// never an unbounded wait.
const writeTimeout = 10 * time.Second

// peer is one network identity of the generator: a customer's computer or
// an engineer's browser, each with its own loopback address (127.0.0.0/8
// is all local on Linux). The server limits websockets and their rate per
// client address; thousands of customers behind one address would measure
// the limits, not the server.
type peer struct {
	addr   net.IP
	client *http.Client
}

func newPeer(addr net.IP) *peer {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: addr}, Timeout: 10 * time.Second}
	return &peer{addr: addr, client: &http.Client{Transport: &http.Transport{DialContext: d.DialContext}}}
}

// customerAddr and engineerAddr hand out distinct loopback addresses:
// customers in 127.10.0.0 up, engineers in 127.200.0.0 up.
func customerAddr(i int) net.IP {
	return net.IPv4(127, byte(10+i/62500), byte(i/250%250+1), byte(i%250+1))
}

func engineerAddr(i int) net.IP {
	return net.IPv4(127, byte(200+i/62500), byte(i/250%250+1), byte(i%250+1))
}

// dial opens a websocket from the peer. origin is the page's origin for a
// browser (console, page, viewer), empty for an agent, which sends none;
// cookie is the engineer's sign-in.
func (p *peer) dial(ctx context.Context, url, origin, cookie string) (*conn, error) {
	h := http.Header{}
	if origin != "" {
		h.Set("Origin", origin)
	}
	if cookie != "" {
		h.Set("Cookie", cookie)
	}
	dctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	c, resp, err := websocket.Dial(dctx, url, &websocket.DialOptions{
		HTTPClient: p.client, HTTPHeader: h, CompressionMode: websocket.CompressionDisabled,
	})
	if err != nil {
		if resp != nil {
			return nil, fmt.Errorf("dial %s: HTTP %d: %w", url, resp.StatusCode, err)
		}
		return nil, fmt.Errorf("dial %s: %w", url, err)
	}
	c.SetReadLimit(protocol.MaxMessageSize + 1024)
	return &conn{Conn: c}, nil
}

// conn is a websocket that knows whether the generator closed it itself.
type conn struct {
	*websocket.Conn
	mine atomic.Bool

	// mu orders the session messages of one end: each is sealed with the
	// next counter and written before the next is sealed, as the opener
	// on the other end takes counters only upwards.
	mu     sync.Mutex
	sealer *protocol.Sealer // nil until the key exchange
	sealed []byte
}

// keyed makes every later session message sealed with keys.
func (c *conn) keyed(keys *protocol.SessionKeys) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sealer = keys.Sealer
}

// drop closes the connection without a close handshake, as a dropped
// network does; its reader then ends quietly.
func (c *conn) drop() {
	c.mine.Store(true)
	c.CloseNow()
}

// write sends one message with the write deadline.
func write(ctx context.Context, c *conn, typ websocket.MessageType, b []byte) error {
	wctx, cancel := context.WithTimeout(ctx, writeTimeout)
	defer cancel()
	return c.Write(wctx, typ, b)
}

// sendSignal sends one signaling envelope.
func sendSignal(ctx context.Context, c *conn, typ string, payload any) error {
	b, err := protocol.EncodeSignal(typ, payload)
	if err != nil {
		return err
	}
	return write(ctx, c, websocket.MessageText, b)
}

// sendMessage marshals one session message into buf, seals it end to end
// (protocol.Sealer, the real agent's and viewer's relay format) and sends
// it; it returns the bytes sent.
func sendMessage(ctx context.Context, c *conn, m protocol.Message, buf []byte) (int, error) {
	n, err := m.MarshalTo(buf[:m.MarshalSize()])
	if err != nil {
		return 0, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sealer == nil {
		return 0, errors.New("session message before the key exchange")
	}
	if c.sealed, err = c.sealer.Seal(c.sealed[:0], buf[:n]); err != nil {
		return 0, err
	}
	return len(c.sealed), write(ctx, c, websocket.MessageBinary, c.sealed)
}

// readSignal reads text messages until one arrives, with a timeout, and
// decodes it. Binary messages before it are an error: nothing is relayed
// before the exchange readSignal is used for.
func readSignal(ctx context.Context, c *conn, timeout time.Duration) (protocol.Envelope, error) {
	rctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	typ, b, err := c.Read(rctx)
	if err != nil {
		return protocol.Envelope{}, err
	}
	if typ != websocket.MessageText {
		return protocol.Envelope{}, fmt.Errorf("binary message before signaling")
	}
	return protocol.DecodeSignal(b)
}
