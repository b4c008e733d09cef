package link

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/coder/websocket"

	"tether/server/protocol"
)

// Relay is the fallback path: session messages as binary websocket messages
// on the signaling connection, forwarded by the server to the viewer. Every
// message is sealed end to end with the keys of the exchange with this
// viewer (protocol.Sealer): the server, and any bus behind it, carry only
// ciphertext and the clear message type.
type Relay struct {
	s  *Signal
	ws *websocket.Conn

	main  lane // the session's messages
	files lane // the file lane, sealed with keys of its own

	down     chan struct{}
	downOnce sync.Once
	// inFlight counts bytes inside Send: the websocket has no send queue of
	// its own to ask, and a Send blocks until its bytes are written.
	inFlight atomic.Int64
}

// lane is one stream of sealed messages on the relay's websocket.
type lane struct {
	what string // in errors and logs: "message" or "file message"
	// mu makes sealing and writing one step: the counter order must be the
	// order on the wire, and senders are several goroutines.
	mu     sync.Mutex
	sealer *protocol.Sealer
	opener *protocol.Opener // used by the lane's one reader only
	in     chan []byte
}

func newRelay(s *Signal, ws *websocket.Conn, keys *protocol.SessionKeys) *Relay {
	return &Relay{s: s, ws: ws, down: make(chan struct{}),
		main:  lane{what: "message", sealer: keys.Sealer, opener: keys.Opener, in: make(chan []byte, 64)},
		files: lane{what: "file message", sealer: keys.FileSealer, opener: keys.FileOpener, in: make(chan []byte, relayFileQueue)},
	}
}

// relayFileQueue bounds the file-lane messages waiting for RecvFile: more
// than a viewer keeping protocol.FileWindow may have in flight.
const relayFileQueue = 4 * protocol.FileWindow

var _ FileLane = (*Relay)(nil)

// SendFile seals b with the file lane's keys and writes it as one binary
// websocket message. The server queues it on the viewer's file lane.
func (r *Relay) SendFile(b []byte) error { return r.send(&r.files, b) }

// RecvFile returns the next file-lane message from the viewer, opened.
func (r *Relay) RecvFile(ctx context.Context) ([]byte, error) { return r.recv(ctx, &r.files) }

// deliverFile queues a file-lane message without blocking the websocket's
// reader, which also carries the screen's acknowledgements and input: a
// viewer that sends past its window loses the message, and with it the
// transfer (its hash will not match), not the session.
func (r *Relay) deliverFile(b []byte) {
	select {
	case r.files.in <- b:
	case <-r.down:
	default:
		r.s.log.Warn("relayed file message beyond the window, dropped", "bytes", len(b))
	}
}

// Send seals b and writes it as one binary websocket message.
func (r *Relay) Send(b []byte) error {
	r.inFlight.Add(int64(len(b)))
	defer r.inFlight.Add(-int64(len(b)))
	return r.send(&r.main, b)
}

// Recv returns the next message from the viewer, opened. A message that
// does not open (forged, altered, replayed, sealed with other keys) is
// logged and dropped: whoever injected it can only delay the stream, as it
// could by dropping messages, and the genuine ones still open after it.
func (r *Relay) Recv(ctx context.Context) ([]byte, error) { return r.recv(ctx, &r.main) }

func (r *Relay) send(l *lane, b []byte) error {
	select {
	case <-r.down:
		return ErrClosed
	default:
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	sealed, err := l.sealer.Seal(make([]byte, 0, len(b)+protocol.SealOverhead), b)
	if err != nil {
		return fmt.Errorf("link: relay send %s: %w", l.what, err)
	}
	// A write that outlives writeTimeout closes the websocket (coder/websocket
	// does so on any expired write context); the Signal then reconnects.
	ctx, cancel := context.WithTimeout(r.s.ctx, writeTimeout)
	defer cancel()
	if err := r.ws.Write(ctx, websocket.MessageBinary, sealed); err != nil {
		return fmt.Errorf("link: relay send %s: %w", l.what, err)
	}
	return nil
}

func (r *Relay) recv(ctx context.Context, l *lane) ([]byte, error) {
	for {
		select {
		case b := <-l.in:
			m, err := l.opener.Open(b)
			if err != nil {
				r.s.log.Warn("relayed "+l.what+" from the viewer refused", "err", err, "bytes", len(b))
				continue
			}
			return m, nil
		case <-r.down:
			return nil, ErrClosed
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// errNoKeys: the relay carries nothing before the key exchange.
var errNoKeys = errors.New("link: no relay before the end-to-end key exchange")

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
	case r.main.in <- b:
	case <-r.down:
	case <-ctx.Done():
	}
}
