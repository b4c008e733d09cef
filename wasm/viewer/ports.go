package viewer

import (
	"context"
	"image"

	"github.com/coder/websocket"

	"tether/server/protocol"
)

// State is the viewer's coarse state, mirrored on #viewer[data-state].
type State string

const (
	StateConnecting State = "connecting"
	StateWaiting    State = "waiting"
	StateStreaming  State = "streaming"
	StateEnded      State = "ended"
)

// Path names the transport carrying session messages.
const (
	PathP2P   = "p2p"
	PathRelay = "relay"
)

// UI is the page. wasm/jsdom implements it over the DOM; every method is
// called from the viewer's owner goroutine only.
type UI interface {
	// SetState shows the state and its human text in #v-state.
	SetState(s State, text string)
	// SetPath shows "p2p", "relay" or "" (unknown).
	SetPath(path string)
	// SetGrants shows what the customer allowed; nothing before they did.
	SetGrants(g protocol.Grants)
	// SetStats shows the once-a-second counters, already formatted.
	SetStats(fps, bandwidth, rtt string)
	// Resize sets both canvases' intrinsic size to the remote screen.
	Resize(w, h int)
	// Paint copies r of fb onto the screen canvas.
	Paint(fb *Framebuffer, r image.Rectangle) error
	// Painted records a painted frame: the running count, the time spent
	// decoding its tiles and the time spent painting it, in milliseconds.
	Painted(frames int, decodeMs, paintMs float64)
	// SetCursorShape stores a pointer image; MoveCursor draws it.
	SetCursorShape(s *protocol.CursorShape) error
	MoveCursor(p protocol.CursorPos) error
	// Now is the page clock in milliseconds (performance.now).
	Now() float64
}

// Conn is the signaling websocket; *websocket.Conn satisfies it both in the
// browser and natively.
type Conn interface {
	Read(ctx context.Context) (websocket.MessageType, []byte, error)
	Write(ctx context.Context, typ websocket.MessageType, p []byte) error
	Close(code websocket.StatusCode, reason string) error
}

// Peer is the WebRTC peer connection to the agent; wasm/rtc implements it
// with pion. Methods are called from the owner goroutine only.
type Peer interface {
	// Answer applies the agent's offer and returns the local answer.
	Answer(offerSDP string) (answerSDP string, err error)
	// AddCandidate adds a remote candidate; only after Answer.
	AddCandidate(c protocol.Candidate) error
	// Send sends a session message on the "input" channel.
	Send(b []byte) error
	Close() error
}

// PeerEvents are the peer's callbacks into the viewer. They may be called
// from any goroutine (or a JS callback) and never block.
type PeerEvents struct {
	// Candidate is a local ICE candidate to trickle to the agent.
	Candidate func(protocol.Candidate)
	// Message is a session message from the "screen" channel.
	Message func([]byte)
	// Failed reports that the connection failed or closed.
	Failed func(error)
}

// NewPeerFunc makes a peer connection with the given ICE servers.
type NewPeerFunc func(ice []protocol.ICEServer, ev PeerEvents) (Peer, error)
