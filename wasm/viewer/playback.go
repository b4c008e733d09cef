package viewer

import (
	"context"
	"errors"
	"fmt"
	"image"
	"time"

	"github.com/coder/websocket"

	"tether/server/protocol"
)

// Player plays a recording (record.go) back through a Viewer: the recorded
// messages go through the same decoder as a live session's, at their
// recorded times scaled by the speed. Seeking starts from the last full
// frame before the target (the recorder asks for one every KeyframeEvery)
// and decodes up to the target without painting.
type Player struct {
	v       *Viewer
	entries []protocol.Recorded
	keys    []int // indices of the full frames (Updates with UpdateReset)
	endMs   uint32
	damaged string // what the page says when the recording does not play to its end

	pos     float64 // ms into the recording
	next    int     // the next entry to decode
	playing bool
	speed   float64
	last    float64 // page clock at the last step
	shown   PlaybackState
	shownAt float64
}

// PlaybackState is what the page's controls show (DOM event
// "tether:playback").
type PlaybackState struct {
	PosMs   int64   `json:"pos_ms"`
	EndMs   int64   `json:"end_ms"`
	Playing bool    `json:"playing"`
	Speed   float64 `json:"speed"`
	// Damaged says, when the recording does not play to its end, after
	// what time it is damaged ("The recording is damaged after 03:12").
	Damaged string `json:"damaged,omitempty"`
}

// Speeds the player offers.
var Speeds = []float64{0.5, 1, 2, 4}

// NewPlayer makes a player of recording rec (protocol.ParseRecording's
// format, as the server sends it), whose index says it lasts durationMs.
// c.Conn and c.NewPeer are not used. A recording that does not parse to
// its end plays up to the damage and says so; one of another protocol
// version is an error.
func NewPlayer(c Config, rec []byte, durationMs int64) (*Player, error) {
	entries, err := protocol.ParseRecording(rec)
	if errors.Is(err, protocol.ErrRecordingVersion) {
		return nil, fmt.Errorf("this recording was made by another version of Tether and cannot be played here: %w", err)
	}
	c.Conn, c.Recorder = noConn{}, nil
	if c.Inflater == nil {
		c.Inflater = &GoInflater{}
	}
	p := &Player{v: New(c), entries: entries, speed: 1}
	p.v.player = p
	for i, e := range entries {
		if isReset(e.Msg) {
			p.keys = append(p.keys, i)
		}
	}
	if len(entries) > 0 {
		p.endMs = entries[len(entries)-1].Millis
	}
	switch {
	case len(entries) == 0:
		p.damaged = "The recording is damaged from its start: there is nothing to play."
	case err != nil, durationMs > int64(p.endMs)+int64(ChunkEvery/time.Millisecond)+1000:
		// Parsed short, or chunks are missing at the end.
		p.damaged = "The recording is damaged after " + FormatClock(int64(p.endMs)) + ": it plays up to there."
	}
	if err != nil {
		p.v.log.Warn("viewer: recording damaged", "err", err, "entries", len(entries), "end_ms", p.endMs)
	}
	return p, nil
}

// isReset reports whether an Update message starts a new deflate stream.
func isReset(msg []byte) bool {
	m, err := protocol.Unmarshal(msg)
	if err != nil {
		return false
	}
	u, ok := m.(*protocol.Update)
	return ok && u.Reset()
}

// Viewer is the player's viewer, for the page's bindings.
func (p *Player) Viewer() *Viewer { return p.v }

// Run plays until ctx ends: it starts paused at the first frame.
func (p *Player) Run(ctx context.Context) error {
	v := p.v
	p.last = v.ui.Now()
	p.seek(0)
	p.show(true)
	tick := time.NewTicker(16 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-v.q.ready:
			for _, f := range v.q.drain() {
				f()
			}
		case <-tick.C:
			p.step()
		}
	}
}

// step advances the clock and decodes what is due.
func (p *Player) step() {
	now := p.v.ui.Now()
	if p.playing {
		p.pos += (now - p.last) * p.speed
		p.feed(p.pos)
		if p.next >= len(p.entries) {
			p.pos, p.playing = float64(p.endMs), false
		}
	}
	p.last = now
	p.show(false)
}

// feed decodes the entries up to ms.
func (p *Player) feed(ms float64) {
	for p.next < len(p.entries) && float64(p.entries[p.next].Millis) <= ms {
		p.v.handleSession(p.entries[p.next].Msg)
		p.next++
	}
}

// seek shows the picture at ms.
func (p *Player) seek(ms float64) {
	ms = max(0, min(ms, float64(p.endMs)))
	v := p.v
	// The last full frame at or before ms; -1 when there is none.
	k := -1
	for _, i := range p.keys {
		if float64(p.entries[i].Millis) > ms {
			break
		}
		k = i
	}
	// Going on from here decodes less, unless a full frame is passed.
	forward := ms >= p.pos && (k < 0 || k < p.next) && p.next > 0
	v.quiet = true
	if !forward {
		start := max(k, 0)
		v.applyOps(true)
		v.inflater, v.inflating, v.askedFull, v.frameFailed = &GoInflater{}, nil, false, false
		v.decodeMs, v.inflateMs, v.photos, v.frameStart = 0, 0, 0, 0
		// The pointer as it was at the full frame.
		var shape, pos []byte
		for _, e := range p.entries[:start] {
			switch t, _ := protocol.PeekType(e.Msg); t {
			case protocol.TypeCursorShape:
				shape = e.Msg
			case protocol.TypeCursorPos:
				pos = e.Msg
			}
		}
		for _, b := range [][]byte{shape, pos} {
			if b != nil {
				v.handleSession(b)
			}
		}
		p.next = start
	}
	p.feed(ms)
	v.applyOps(true)
	v.quiet = false
	v.fb.TakeDamage()
	if v.fb.W > 0 && v.fb.H > 0 {
		if err := v.ui.Paint(&v.fb, []image.Rectangle{image.Rect(0, 0, v.fb.W, v.fb.H)}); err != nil {
			v.log.Warn("viewer: paint after seek", "err", err)
		}
	}
	p.pos = ms
	p.last = v.ui.Now()
}

// command runs a playback control from the page: detail is
// {"action": "play"|"pause"|"seek"|"speed", "ms": ..., "speed": ...}.
func (p *Player) command(detail []byte) error {
	var c struct {
		Action string  `json:"action"`
		Ms     float64 `json:"ms"`
		Speed  float64 `json:"speed"`
	}
	if err := decodeDetail(CmdPlayback, detail, &c); err != nil {
		return err
	}
	switch c.Action {
	case "play":
		if p.next >= len(p.entries) {
			p.seek(0) // from the start again
		}
		p.playing, p.last = true, p.v.ui.Now()
	case "pause":
		p.playing = false
	case "seek":
		p.seek(c.Ms)
	case "speed":
		ok := false
		for _, s := range Speeds {
			ok = ok || s == c.Speed
		}
		if !ok {
			return fmt.Errorf("viewer: playback speed %v (offered: %v)", c.Speed, Speeds)
		}
		p.speed = c.Speed
	default:
		return fmt.Errorf("viewer: playback action %q", c.Action)
	}
	p.show(true)
	return nil
}

// State is where the player is.
func (p *Player) State() PlaybackState {
	return PlaybackState{PosMs: int64(p.pos), EndMs: int64(p.endMs), Playing: p.playing, Speed: p.speed, Damaged: p.damaged}
}

// show tells the page where the player is, four times a second while it
// plays and at once after a command.
func (p *Player) show(now bool) {
	s := p.State()
	t := p.v.ui.Now()
	if s == p.shown || (!now && t-p.shownAt < 250 && s.Playing == p.shown.Playing) {
		return
	}
	if s.Playing != p.shown.Playing || s.Speed != p.shown.Speed || p.shownAt == 0 {
		text := "Paused"
		if s.Playing {
			text = "Playing"
		}
		if s.Speed != 1 {
			text += fmt.Sprintf(" · %g×", s.Speed)
		}
		p.v.setState(StateStreaming, text)
	}
	p.shown, p.shownAt = s, t
	p.v.ui.Emit("playback", s)
}

// FormatClock is "03:12", or "1:03:12" past an hour.
func FormatClock(ms int64) string {
	s := ms / 1000
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%02d:%02d", s/60, s%60)
}

// noConn is the playback's signaling connection: there is none.
type noConn struct{}

func (noConn) Read(ctx context.Context) (websocket.MessageType, []byte, error) {
	<-ctx.Done()
	return 0, nil, ctx.Err()
}

func (noConn) Write(context.Context, websocket.MessageType, []byte) error {
	return errors.New("viewer: playing a recording, nothing to send")
}

func (noConn) Close(websocket.StatusCode, string) error { return nil }
