package link

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/coder/websocket"

	"tether/server/protocol"
)

// Relay is the fallback path: session messages as binary websocket messages
// on the signaling connection, forwarded by the server to the viewer.
type Relay struct {
	s  *Signal
	ws *websocket.Conn

	in       chan []byte
	down     chan struct{}
	downOnce sync.Once
	// inFlight counts bytes inside Send: the websocket has no send queue of
	// its own to ask, and a Send blocks until its bytes are written.
	inFlight atomic.Int64
}

func newRelay(s *Signal, ws *websocket.Conn) *Relay {
	return &Relay{s: s, ws: ws, in: make(chan []byte, 64), down: make(chan struct{})}
}

// Send writes b as one binary websocket message.
func (r *Relay) Send(b []byte) error {
	select {
	case <-r.down:
		return ErrClosed
	default:
	}
	r.inFlight.Add(int64(len(b)))
	defer r.inFlight.Add(-int64(len(b)))
	// A write that outlives writeTimeout closes the websocket (coder/websocket
	// does so on any expired write context); the Signal then reconnects.
	ctx, cancel := context.WithTimeout(r.s.ctx, writeTimeout)
	defer cancel()
	if err := r.ws.Write(ctx, websocket.MessageBinary, b); err != nil {
		return fmt.Errorf("link: relay send: %w", err)
	}
	return nil
}

// Recv returns the next binary message from the viewer.
func (r *Relay) Recv(ctx context.Context) ([]byte, error) {
	select {
	case b := <-r.in:
		return b, nil
	case <-r.down:
		return nil, ErrClosed
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// BufferedAmount is the number of bytes being written right now.
func (r *Relay) BufferedAmount() uint64 { return uint64(max(r.inFlight.Load(), 0)) }

// Path is protocol.PathRelay.
func (r *Relay) Path() string { return protocol.PathRelay }

// Close detaches the relay; the signaling websocket stays open.
func (r *Relay) Close() error {
	r.s.mu.Lock()
	if r.s.relay == r {
		r.s.relay = nil
	}
	r.s.mu.Unlock()
	r.shut()
	return nil
}

func (r *Relay) shut() { r.downOnce.Do(func() { close(r.down) }) }

func (r *Relay) deliver(ctx context.Context, b []byte) {
	select {
	case r.in <- b:
	case <-r.down:
	case <-ctx.Done():
	}
}
