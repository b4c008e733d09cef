package viewer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/coder/websocket"

	"tether/server/protocol"
)

// Config wires a Viewer.
type Config struct {
	// SessionID is the session this page shows (from its URL); it is bound
	// into the key exchange with the agent.
	SessionID string
	UI        UI
	Conn      Conn
	NewPeer   NewPeerFunc
	Log       *slog.Logger
	// Inflater inflates Update messages; a GoInflater when nil.
	Inflater Inflater
	// StatsEvery is the stats and ping period; one second when zero.
	StatsEvery time.Duration
	// Files is the page's side of file transfers; nil: no files.
	Files FilePort
	// Recorder, when the session is recorded, gets what the viewer is
	// shown (record.go).
	Recorder *Recorder
}

// Viewer is one engineer's view of one session. All its state belongs to
// the goroutine running Run; everything else (the websocket reader, DOM
// callbacks, the peer) posts closures through q.
type Viewer struct {
	sessionID string
	ui        UI
	conn      Conn
	newPeer   NewPeerFunc
	log       *slog.Logger
	every     time.Duration
	q         *queue

	state    State
	grants   protocol.Grants // what the customer allowed, as the agent says
	path     string
	ice      []protocol.ICEServer
	relay    bool // protocol.ICEPolicyRelay: TURN candidates only
	peer     Peer
	answered bool
	pending  []protocol.Candidate // remote candidates before the offer is applied
	ended    bool
	// The end-to-end key exchange with the agent: hs while it runs, keys
	// once done. The relay carries nothing before the keys exist, and an
	// offer is answered only if its fingerprint is authenticated by them.
	hs   *protocol.Handshake
	keys *protocol.SessionKeys

	fb          Framebuffer
	inflater    Inflater
	inflating   []uint32 // frames of the Updates written to inflater, not applied yet
	decodeMs    float64  // decode time of the frame being received
	inflateMs   float64  // the inflating part of decodeMs
	frameStart  float64  // when the frame's first Update or Photo came; 0 before
	photos      int      // photos drawn in the frame being received
	frameFailed bool     // part of the frame being received did not decode
	frames      int      // painted since start
	tickFrames  int
	bytes       int64 // received since the last tick
	lastTick    float64
	rtt         float64
	rttKnown    bool
	askedFull   bool // a RequestFull is unanswered

	in inputState

	port     FilePort
	files    fileState
	rec      *Recorder   // nil unless the session is recorded
	recState RecordState // as last shown
	player   *Player     // playback mode (playback.go): nil when live
	quiet    bool        // decoding without painting (playback seeking)
}

// New makes a viewer; Run starts it.
func New(c Config) *Viewer {
	if c.Log == nil {
		c.Log = slog.Default()
	}
	if c.StatsEvery <= 0 {
		c.StatsEvery = time.Second
	}
	if c.Inflater == nil {
		c.Inflater = &GoInflater{}
	}
	if c.Recorder != nil {
		c.Recorder.Restart() // a new connection: a new stream from the agent
	}
	return &Viewer{sessionID: c.SessionID, ui: c.UI, conn: c.Conn, newPeer: c.NewPeer, log: c.Log, every: c.StatsEvery, q: newQueue(), inflater: c.Inflater,
		rec:  c.Recorder,
		port: c.Files, files: fileState{out: map[uint32]*fileOut{}, in: map[uint32]*fileIn{}}}
}

// Run serves the session until it ends, the signaling connection drops or
// ctx is done. It returns nil when the session ended normally.
func (v *Viewer) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	v.setState(StateConnecting, "Connecting…")
	v.ui.SetGrants(v.grants)
	v.lastTick = v.ui.Now()
	readErr := make(chan error, 1)
	go func() { readErr <- v.readLoop(ctx) }()
	tick := time.NewTicker(v.every)
	defer tick.Stop()
	defer v.closePeer()
	for !v.ended {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-v.q.ready:
			for _, f := range v.q.drain() {
				f()
			}
		case <-tick.C:
			v.tick()
		case err := <-readErr:
			// Run what the reader queued before it stopped (an "end"
			// usually precedes the close).
			for _, f := range v.q.drain() {
				f()
			}
			if v.ended {
				return nil
			}
			// The server went away (restart, network), not the session:
			// the caller dials again and the agent offers anew.
			v.closePeer()
			v.setState(StateConnecting, "Connection lost, reconnecting…")
			return fmt.Errorf("%w: %v", ErrConnectionLost, err)
		}
	}
	return nil
}

// readLoop reads the signaling websocket: text messages are envelopes,
// binary ones are relayed session messages.
func (v *Viewer) readLoop(ctx context.Context) error {
	for {
		typ, b, err := v.conn.Read(ctx)
		if err != nil {
			return err
		}
		if typ == websocket.MessageBinary {
			v.q.push(func() { v.handleRelayed(b) })
			continue
		}
		env, err := protocol.DecodeSignal(b)
		if err != nil {
			v.log.Warn("viewer: bad signal", "err", err)
			continue
		}
		v.q.push(func() { v.handleSignal(env) })
	}
}

func (v *Viewer) setState(s State, text string) {
	v.state = s
	v.ui.SetState(s, text)
}

func (v *Viewer) setGrants(g protocol.Grants) {
	if g == v.grants {
		return
	}
	v.grants = g
	v.ui.SetGrants(g)
	if !g.Has(protocol.GrantLimited) {
		v.in.reset()
	}
	if !g.Has(protocol.GrantFiles) {
		v.failAllFiles("The customer took back the permission to move files.")
	}
	v.showFilesInfo()
}

func (v *Viewer) end(reason string) {
	if v.ended {
		return
	}
	v.ended = true
	if v.rec != nil {
		v.rec.Flush(v.ui.Now())
		v.showRecording()
	}
	if reason == "" {
		reason = "closed"
	}
	v.failAllFiles("The session ended.")
	v.setState(StateEnded, "Session ended: "+reason)
	v.closePeer()
	if err := v.conn.Close(websocket.StatusNormalClosure, "session ended"); err != nil {
		v.log.Debug("viewer: close signaling", "err", err)
	}
}

// signal sends an envelope to the agent through the hub.
func (v *Viewer) signal(typ string, payload any) {
	b, err := protocol.EncodeSignal(typ, payload)
	if err == nil {
		err = v.write(websocket.MessageText, b)
	}
	if err != nil {
		v.log.Warn("viewer: send signal", "type", typ, "err", err)
	}
}

func (v *Viewer) write(typ websocket.MessageType, b []byte) error {
	// Writes to a browser WebSocket never block; the timeout only bounds
	// the native implementation used in tests.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return v.conn.Write(ctx, typ, b)
}

// ErrConnectionLost is returned by Run when the signaling connection
// dropped before the session ended; a new connection may resume it.
var ErrConnectionLost = errors.New("viewer: connection to the server lost")

// errNoPath is returned while neither channels nor relay are announced,
// or the relay is announced before the keys exist.
var errNoPath = errors.New("viewer: no session path yet")

// send sends a session message to the agent on the current path.
func (v *Viewer) send(m protocol.Message) error {
	b, err := protocol.Marshal(m)
	if err != nil {
		return fmt.Errorf("viewer: marshal %s: %w", m.Type(), err)
	}
	switch {
	case v.path == protocol.PathRelay && v.keys != nil:
		sealed, err := v.keys.Sealer.Seal(make([]byte, 0, len(b)+protocol.SealOverhead), b)
		if err != nil {
			return fmt.Errorf("viewer: seal %s: %w", m.Type(), err)
		}
		return v.write(websocket.MessageBinary, sealed)
	case (v.path == protocol.PathP2P || v.path == protocol.PathTURN) && v.peer != nil:
		return v.peer.Send(b)
	}
	return errNoPath
}

func (v *Viewer) sendLogged(m protocol.Message) {
	if err := v.send(m); err != nil && !errors.Is(err, errNoPath) {
		v.log.Warn("viewer: send", "type", m.Type(), "err", err)
	}
}

// tick updates the stats line and pings the agent.
func (v *Viewer) tick() {
	now := v.ui.Now()
	sec := (now - v.lastTick) / 1000
	if sec <= 0 {
		return
	}
	v.ui.SetStats(FormatFPS(float64(v.tickFrames)/sec), FormatRate(float64(v.bytes)/sec), FormatRTT(v.rtt, v.rttKnown))
	v.tickFrames, v.bytes, v.lastTick = 0, 0, now
	if v.rec != nil {
		if v.rec.Tick(now) && v.state == StateStreaming {
			v.requestFullOnce()
		}
		v.showRecording()
	}
	if v.path != "" {
		v.sendLogged(&protocol.Ping{Micros: uint64(now * 1000)})
	}
}
