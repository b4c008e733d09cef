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

// UI is the page. wasm/jsdom implements it over the DOM; every method is
// called from the viewer's owner goroutine only.
type UI interface {
	// SetState shows the state and its human text in #v-state.
	SetState(s State, text string)
	// SetPath shows protocol.PathP2P, PathTURN, PathRelay or "" (unknown).
	SetPath(path string)
	// SetSecurityCode shows the code of the key exchange with the agent
	// ("042 917"), or nothing when there is none. The customer's side shows
	// the same code unless someone in between replaced the keys.
	SetSecurityCode(code string)
	// SetGrants shows what the customer allowed; nothing before they did.
	SetGrants(g protocol.Grants)
	// SetStats shows the once-a-second counters, already formatted.
	SetStats(fps, bandwidth, rtt string)
	// Resize sets both canvases' intrinsic size to the remote screen.
	Resize(w, h int)
	// Paint copies the rectangles rects of fb onto the screen canvas.
	Paint(fb *Framebuffer, rects []image.Rectangle) error
	// DrawPhoto decodes m's image, draws it on the screen canvas at its
	// place and reads those pixels back into fb, so that later copy
	// operations read what the canvas shows. It returns when all of that
	// is done, so the next message applies after it.
	DrawPhoto(fb *Framebuffer, m *protocol.Photo) error
	// Painted records a painted frame.
	Painted(s FrameStats)
	// SetCursorShape stores a pointer image; MoveCursor draws it.
	SetCursorShape(s *protocol.CursorShape) error
	MoveCursor(p protocol.CursorPos) error
	// Now is the page clock in milliseconds (performance.now).
	Now() float64
	// Emit tells the page's scripts about a session tool's event: a DOM
	// event "tether:<name>" on window whose detail is detail's JSON form
	// (see tools.go).
	Emit(name string, detail any)
}

// FrameStats describes one painted frame. Times are in milliseconds.
type FrameStats struct {
	Frames    int     // painted since start, this one included
	DecodeMs  float64 // inflating, applying operations and drawing photos
	InflateMs float64 // the inflating part of DecodeMs
	PaintMs   float64 // copying the changed rectangles to the canvas
	// EncodeMs is the agent's capture and encode time of the frame, as
	// its FrameEnd (or ending Update) reported it.
	EncodeMs float64
	Rects    int // rectangles painted
	// FrameMs is the wall time from the frame's first Update or Photo to
	// the end of its paint: decode and paint plus what the browser did in
	// between (a native inflater's work, the arrival of the rest).
	FrameMs float64
}

// Inflater reads the drawing operations out of Update messages, keeping the
// deflate stream across them. Write hands a message over; Read returns the
// operations of the oldest message written and not read yet. An inflater
// that works in the background (the browser's DecompressionStream, between
// the viewer's messages) may report ok false from Read(false) while they are
// not out yet; Read(true) waits for them. Once the stream is broken, every
// message fails with protocol.ErrInflate until one starts a new stream
// (protocol.UpdateReset).
type Inflater interface {
	Write(m *protocol.Update) error
	Read(wait bool) (ops []byte, ok bool, err error)
}

// GoInflater is protocol.Inflater as an Inflater: it inflates in Go, at
// Read.
type GoInflater struct {
	d     protocol.Inflater
	queue []*protocol.Update
}

// Write implements Inflater.
func (g *GoInflater) Write(m *protocol.Update) error {
	g.queue = append(g.queue, m)
	return nil
}

// Read implements Inflater; it never needs to wait.
func (g *GoInflater) Read(bool) ([]byte, bool, error) {
	if len(g.queue) == 0 {
		return nil, false, nil
	}
	m := g.queue[0]
	g.queue[0] = nil
	g.queue = g.queue[1:]
	ops, err := g.d.Inflate(m)
	return ops, true, err
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
	// File is a file-lane message from the "files" channel.
	File func([]byte)
	// Failed reports that the connection failed or closed.
	Failed func(error)
}

// NewPeerFunc makes a peer connection with the given ICE servers; with
// relayOnly (protocol.ICEPolicyRelay) it uses TURN candidates only.
type NewPeerFunc func(ice []protocol.ICEServer, relayOnly bool, ev PeerEvents) (Peer, error)
