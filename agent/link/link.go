// Package link carries the agent's traffic: the signaling websocket to the
// server (Signal), the WebRTC peer connection to the viewer (Peer) and the
// relay through the server when peer-to-peer cannot connect (Relay).
//
// Session messages travel on a Conn, which hides which path carries them:
// the "screen" and "input" data channels, or binary websocket messages.
package link

import (
	"context"
	"errors"
)

// Conn carries binary session messages (protocol.Message encodings) between
// the agent and one viewer.
type Conn interface {
	// Send queues one message. It does not keep b after it returns. It is
	// safe to call from several goroutines.
	Send(b []byte) error
	// Recv returns the next message from the viewer.
	Recv(ctx context.Context) ([]byte, error)
	// BufferedAmount is the number of bytes sent but not yet handed to the
	// network, for flow control.
	BufferedAmount() uint64
	// Path is protocol.PathP2P, PathTURN or PathRelay, as announced in
	// protocol.Path.
	Path() string
	// Close releases the path. Recv then returns ErrClosed.
	Close() error
}

// FileLane is the file lane of a Conn (protocol.Type.FileLane): the
// "files" data channel on peer-to-peer and TURN, the relay's file lane
// (own queue on the server, own keys) otherwise. Both Conns of this package
// have one. Its messages never wait behind the screen's, nor the screen's
// behind them for longer than one message.
type FileLane interface {
	// SendFile queues one file-lane message; like Send, it does not keep b.
	SendFile(b []byte) error
	// RecvFile returns the next file-lane message from the viewer.
	RecvFile(ctx context.Context) ([]byte, error)
}

// Errors of this package.
var (
	// ErrClosed is returned by a Conn after Close, or after its path went away.
	ErrClosed = errors.New("link: connection closed")
	// ErrDisconnected is returned while the signaling websocket is down.
	ErrDisconnected = errors.New("link: not connected to the server")
	// ErrICETimeout means the data channels did not open in time.
	ErrICETimeout = errors.New("link: peer-to-peer connection timed out")
	// ErrICEFailed means ICE or DTLS failed before the channels opened.
	ErrICEFailed = errors.New("link: peer-to-peer connection failed")
	// ErrPeerUnverified means the viewer's answer carried a DTLS
	// fingerprint the key exchange does not authenticate: someone between
	// the ends (the server) answered in the viewer's place.
	ErrPeerUnverified = errors.New("link: peer-to-peer refused: the answer's DTLS fingerprint is not the viewer's")
)

// EndedError is returned when the server ended the session (an end or error
// envelope); reconnecting would not help.
type EndedError struct {
	// Reason is the server's reason or error message.
	Reason string
	// ServerError is true for an error envelope, false for end.
	ServerError bool
}

func (e *EndedError) Error() string {
	if e.ServerError {
		return "link: server error: " + e.Reason
	}
	return "link: session ended: " + e.Reason
}
