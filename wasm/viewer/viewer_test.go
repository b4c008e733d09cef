package viewer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"log/slog"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"tether/server/protocol"
)

// fakeConn is the signaling websocket: the test pushes what the hub would
// send into in and reads what the viewer wrote from out.
type fakeConn struct {
	in     chan wsMsg
	out    chan wsMsg
	closed chan struct{}
	once   sync.Once
}

type wsMsg struct {
	typ websocket.MessageType
	b   []byte
}

func newFakeConn() *fakeConn {
	return &fakeConn{in: make(chan wsMsg, 64), out: make(chan wsMsg, 256), closed: make(chan struct{})}
}

func (c *fakeConn) Read(ctx context.Context) (websocket.MessageType, []byte, error) {
	select {
	case m := <-c.in:
		return m.typ, m.b, nil
	case <-c.closed:
		return 0, nil, net.ErrClosed
	case <-ctx.Done():
		return 0, nil, ctx.Err()
	}
}

func (c *fakeConn) Write(ctx context.Context, typ websocket.MessageType, p []byte) error {
	select {
	case c.out <- wsMsg{typ, append([]byte(nil), p...)}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (c *fakeConn) Close(websocket.StatusCode, string) error {
	c.once.Do(func() { close(c.closed) })
	return nil
}

// fakeUI records what the viewer shows.
type fakeUI struct {
	mu      sync.Mutex
	state   State
	text    string
	path    string
	code    string
	grants  protocol.Grants
	w, h    int
	painted [][]image.Rectangle // per frame
	stats   FrameStats
	photos  []*protocol.Photo
	// photo, when set, is what DrawPhoto reads back: the decoded pixels.
	photo    func(m *protocol.Photo) ([]byte, error)
	frames   int
	cursor   protocol.CursorPos
	start    time.Time
	pixels   []byte // the framebuffer at the last paint
	paintErr error
	emitted  []emitted
}

// emitted is one UI.Emit call.
type emitted struct {
	name   string
	detail any
}

func (u *fakeUI) SetState(s State, text string) {
	u.mu.Lock()
	u.state, u.text = s, text
	u.mu.Unlock()
}
func (u *fakeUI) SetPath(p string)            { u.mu.Lock(); u.path = p; u.mu.Unlock() }
func (u *fakeUI) SetSecurityCode(c string)    { u.mu.Lock(); u.code = c; u.mu.Unlock() }
func (u *fakeUI) SetGrants(g protocol.Grants) { u.mu.Lock(); u.grants = g; u.mu.Unlock() }
func (u *fakeUI) SetStats(_, _, _ string)     {}
func (u *fakeUI) Resize(w, h int)             { u.mu.Lock(); u.w, u.h = w, h; u.mu.Unlock() }
func (u *fakeUI) Paint(fb *Framebuffer, rects []image.Rectangle) error {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.painted = append(u.painted, slices.Clone(rects))
	u.pixels = bytes.Clone(fb.Pix)
	return u.paintErr
}
func (u *fakeUI) DrawPhoto(fb *Framebuffer, m *protocol.Photo) error {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.photos = append(u.photos, m)
	if u.photo == nil {
		return errors.New("no photo decoder")
	}
	pix, err := u.photo(m)
	if err != nil {
		return err
	}
	return fb.SetRegion(m.Rect(), pix)
}
func (u *fakeUI) Painted(s FrameStats) {
	u.mu.Lock()
	u.frames, u.stats = s.Frames, s
	u.mu.Unlock()
}
func (u *fakeUI) SetCursorShape(*protocol.CursorShape) error { return nil }
func (u *fakeUI) MoveCursor(p protocol.CursorPos) error {
	u.mu.Lock()
	u.cursor = p
	u.mu.Unlock()
	return nil
}
func (u *fakeUI) Emit(name string, detail any) {
	u.mu.Lock()
	u.emitted = append(u.emitted, emitted{name, detail})
	u.mu.Unlock()
}
func (u *fakeUI) Now() float64 { return float64(time.Since(u.start).Microseconds()) / 1000 }

// fakePeer is the WebRTC peer.
type fakePeer struct {
	mu       sync.Mutex
	answered bool
	cands    []string
	sent     [][]byte
	ev       PeerEvents
	// what the viewer made the peer with
	ice       []protocol.ICEServer
	relayOnly bool
}

func (p *fakePeer) Answer(offer string) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.answered = true
	return "answer-to-" + offer, nil
}

func (p *fakePeer) AddCandidate(c protocol.Candidate) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.answered {
		return errors.New("candidate before the remote description")
	}
	p.cands = append(p.cands, c.Candidate)
	return nil
}

func (p *fakePeer) Send(b []byte) error {
	p.mu.Lock()
	p.sent = append(p.sent, b)
	p.mu.Unlock()
	return nil
}

func (p *fakePeer) Close() error { return nil }

type harness struct {
	t     *testing.T
	keys  *protocol.SessionKeys // the agent's side of the key exchange
	reply protocol.KeyStep      // the viewer's reply in it
	conn  *fakeConn
	ui    *fakeUI
	v     *Viewer
	mu    sync.Mutex
	peers []*fakePeer
	done  chan error
}

func newHarness(t *testing.T) *harness { return newHarnessWith(t, nil) }

// newHarnessWith starts a viewer with inflater (a GoInflater when nil).
func newHarnessWith(t *testing.T, inflater Inflater) *harness {
	h := &harness{t: t, conn: newFakeConn(), ui: &fakeUI{start: time.Now()}, done: make(chan error, 1)}
	h.v = New(Config{
		SessionID: "s1", UI: h.ui, Conn: h.conn, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Inflater: inflater,
		NewPeer: func(ice []protocol.ICEServer, relayOnly bool, ev PeerEvents) (Peer, error) {
			p := &fakePeer{ev: ev, ice: ice, relayOnly: relayOnly}
			h.mu.Lock()
			h.peers = append(h.peers, p)
			h.mu.Unlock()
			return p, nil
		},
		StatsEvery: time.Hour,
	})
	ctx, cancel := context.WithCancel(context.Background())
	go func() { h.done <- h.v.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-h.done:
		case <-time.After(5 * time.Second):
			t.Error("viewer did not stop")
		}
	})
	return h
}

func (h *harness) signal(typ string, payload any) {
	h.t.Helper()
	b, err := protocol.EncodeSignal(typ, payload)
	if err != nil {
		h.t.Fatal(err)
	}
	h.conn.in <- wsMsg{websocket.MessageText, b}
}

// exchange runs the agent's side of the key exchange with the viewer and
// waits until the viewer shows the code.
func (h *harness) exchange() {
	h.t.Helper()
	a, err := protocol.NewHandshake(protocol.SenderAgent, "s1")
	if err != nil {
		h.t.Fatal(err)
	}
	h.signal(protocol.SigKey, a.Start())
	m := h.nextSent()
	env, err := protocol.DecodeSignal(m.b)
	if err != nil || env.Type != protocol.SigKey {
		h.t.Fatalf("viewer answered the key commitment with %s (%v)", m.b, err)
	}
	if err := env.Decode(&h.reply); err != nil {
		h.t.Fatal(err)
	}
	keys, reveal, err := a.Accept(h.reply)
	if err != nil {
		h.t.Fatal(err)
	}
	h.keys = keys
	h.signal(protocol.SigKey, reveal)
	h.eventually("security code", h.ui_(func(u *fakeUI) bool { return u.code == keys.Code }))
}

// binary sends m on the relay as the agent does: sealed.
func (h *harness) binary(m protocol.Message) {
	h.t.Helper()
	b, err := protocol.Marshal(m)
	if err != nil {
		h.t.Fatal(err)
	}
	h.binaryRaw(b)
}

// binaryRaw seals the encoded (or broken) message b and sends it.
func (h *harness) binaryRaw(b []byte) {
	h.t.Helper()
	sealed, err := h.keys.Sealer.Seal(nil, b)
	if err != nil {
		h.t.Fatal(err)
	}
	h.conn.in <- wsMsg{websocket.MessageBinary, sealed}
}

// eventually polls cond until it holds.
func (h *harness) eventually(what string, cond func() bool) {
	h.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			h.t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func (h *harness) ui_(f func(u *fakeUI) bool) func() bool {
	return func() bool {
		h.ui.mu.Lock()
		defer h.ui.mu.Unlock()
		return f(h.ui)
	}
}

// nextSent returns the next message the viewer wrote on the websocket.
func (h *harness) nextSent() wsMsg {
	h.t.Helper()
	select {
	case m := <-h.conn.out:
		return m
	case <-time.After(5 * time.Second):
		h.t.Fatal("viewer sent nothing")
		return wsMsg{}
	}
}

func (h *harness) nextSession() protocol.Message {
	h.t.Helper()
	for {
		m := h.nextSent()
		if m.typ != websocket.MessageBinary {
			continue
		}
		b, err := h.keys.Opener.Open(m.b)
		if err != nil {
			h.t.Fatalf("viewer's relayed message does not open: %v", err)
		}
		msg, err := protocol.Unmarshal(b)
		if err != nil {
			h.t.Fatal(err)
		}
		return msg
	}
}

func TestViewerSignalingP2P(t *testing.T) {
	h := newHarness(t)
	h.signal(protocol.SigState, protocol.State{SessionID: "s", State: "waiting"})
	h.eventually("waiting", h.ui_(func(u *fakeUI) bool { return u.state == StateWaiting }))
	h.signal(protocol.SigPeer, protocol.Peer{Role: "agent", Present: true, Grants: protocol.GrantView | protocol.GrantControl})
	// A candidate before the offer must wait for the remote description.
	mid := "0"
	h.signal(protocol.SigCandidate, protocol.Candidate{Candidate: "candidate:1", SDPMid: &mid})
	h.exchange()
	offerMAC, err := h.keys.SignSDP(testOffer)
	if err != nil {
		t.Fatal(err)
	}
	h.signal(protocol.SigOffer, protocol.SDP{SDP: testOffer, MAC: offerMAC})
	h.signal(protocol.SigCandidate, protocol.Candidate{Candidate: "candidate:2"})

	m := h.nextSent()
	env, err := protocol.DecodeSignal(m.b)
	if err != nil || env.Type != protocol.SigAnswer {
		t.Fatalf("first write = %s (%v), want an answer", m.b, err)
	}
	var sdp protocol.SDP
	if err := env.Decode(&sdp); err != nil || sdp.SDP != "answer-to-"+testOffer {
		t.Fatalf("answer = %+v, %v", sdp, err)
	}
	if err := h.keys.CheckSDP(sdp.SDP, sdp.MAC); err != nil {
		t.Fatalf("answer not authenticated: %v", err)
	}
	h.eventually("both candidates added", func() bool {
		h.mu.Lock()
		defer h.mu.Unlock()
		if len(h.peers) != 1 {
			return false
		}
		p := h.peers[0]
		p.mu.Lock()
		defer p.mu.Unlock()
		return fmt.Sprint(p.cands) == "[candidate:1 candidate:2]"
	})
	// A local candidate is trickled to the agent.
	h.mu.Lock()
	p := h.peers[0]
	h.mu.Unlock()
	p.ev.Candidate(protocol.Candidate{Candidate: "candidate:local"})
	if env, err := protocol.DecodeSignal(h.nextSent().b); err != nil || env.Type != protocol.SigCandidate {
		t.Fatalf("local candidate not trickled: %+v %v", env, err)
	}

	h.signal(protocol.SigPath, protocol.Path{Path: "p2p"})
	h.eventually("streaming", h.ui_(func(u *fakeUI) bool { return u.state == StateStreaming && u.path == protocol.PathP2P }))
	// Frames arrive on the screen channel; the ack leaves on the input channel.
	for _, msg := range []protocol.Message{
		&protocol.Hello{Grants: protocol.GrantView | protocol.GrantControl, Width: 8, Height: 4},
		fill(t, 1, 8, 4, image.Rect(2, 1, 4, 3), 0x010203),
		&protocol.FrameEnd{Seq: 1, Width: 8, Height: 4},
	} {
		b, _ := protocol.Marshal(msg)
		p.ev.Message(b)
	}
	h.eventually("ack on the input channel", func() bool {
		p.mu.Lock()
		defer p.mu.Unlock()
		for _, b := range p.sent {
			if m, err := protocol.Unmarshal(b); err == nil {
				if a, ok := m.(*protocol.FrameAck); ok && a.Seq == 1 {
					return true
				}
			}
		}
		return false
	})
	h.eventually("painted", h.ui_(func(u *fakeUI) bool { return u.frames == 1 && u.w == 8 && u.h == 4 }))

	h.signal(protocol.SigEnd, protocol.End{Reason: "engineer closed"})
	h.eventually("ended", h.ui_(func(u *fakeUI) bool {
		return u.state == StateEnded && u.text == "Session ended: engineer closed"
	}))
}

// TestViewerTURNFromTheFirstState: the TURN server and relay-only policy in
// the viewer's first state make its peer connection, and a "turn" path
// streams over that peer like p2p.
func TestViewerTURNFromTheFirstState(t *testing.T) {
	h := newHarness(t)
	turn := protocol.ICEServer{URLs: []string{"turn:127.0.0.1:3478?transport=udp"}, Username: "1700000000:s", Credential: "c"}
	h.signal(protocol.SigState, protocol.State{SessionID: "s", State: "joined", ICEServers: []protocol.ICEServer{turn}, ICEPolicy: protocol.ICEPolicyRelay})
	h.signal(protocol.SigPeer, protocol.Peer{Role: "agent", Present: true, Grants: protocol.GrantView | protocol.GrantControl})
	// A later state without them (as everyone gets) changes nothing.
	h.signal(protocol.SigState, protocol.State{SessionID: "s", State: "active", Grants: protocol.GrantView | protocol.GrantControl})
	h.exchange()
	offerMAC, err := h.keys.SignSDP(testOffer)
	if err != nil {
		t.Fatal(err)
	}
	h.signal(protocol.SigOffer, protocol.SDP{SDP: testOffer, MAC: offerMAC})
	if env, err := protocol.DecodeSignal(h.nextSent().b); err != nil || env.Type != protocol.SigAnswer {
		t.Fatalf("no answer: %+v %v", env, err)
	}
	h.mu.Lock()
	p := h.peers[0]
	h.mu.Unlock()
	if !p.relayOnly || len(p.ice) != 1 || p.ice[0].Username != turn.Username || p.ice[0].URLs[0] != turn.URLs[0] {
		t.Fatalf("peer made with relayOnly %v, servers %+v", p.relayOnly, p.ice)
	}
	h.signal(protocol.SigPath, protocol.Path{Path: protocol.PathTURN})
	h.eventually("streaming on TURN", h.ui_(func(u *fakeUI) bool { return u.state == StateStreaming && u.path == protocol.PathTURN }))
	b, _ := protocol.Marshal(&protocol.Hello{Grants: protocol.GrantView, Width: 8, Height: 4})
	p.ev.Message(b)
	h.v.q.push(func() { h.v.sendLogged(&protocol.Ping{Micros: 1}) })
	h.eventually("a ping on the peer", func() bool {
		p.mu.Lock()
		defer p.mu.Unlock()
		return len(p.sent) > 0
	})
}

func TestViewerRelayInput(t *testing.T) {
	tests := []struct {
		name  string
		level protocol.Grants
		want  []protocol.Type // what reaches the agent after the input burst
	}{
		// Moves are checked apart (their count depends on timing).
		{"control", protocol.GrantView | protocol.GrantControl, []protocol.Type{protocol.TypeMouseButton, protocol.TypeWheel, protocol.TypeKey, protocol.TypeKey, protocol.TypeMouseButton, protocol.TypeRequestFull}},
		// Limited control: the pointer, never a key.
		{"limited", protocol.GrantView | protocol.GrantLimited, []protocol.Type{protocol.TypeMouseButton, protocol.TypeWheel, protocol.TypeMouseButton, protocol.TypeRequestFull}},
		{"view", protocol.GrantView, []protocol.Type{protocol.TypeRequestFull}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			h.signal(protocol.SigPeer, protocol.Peer{Role: "agent", Present: true, Grants: tt.level})
			h.exchange()
			h.signal(protocol.SigPath, protocol.Path{Path: "relay"})
			h.eventually("relay", h.ui_(func(u *fakeUI) bool { return u.path == protocol.PathRelay }))

			h.binary(fill(t, 4, 4, 4, image.Rect(0, 0, 4, 4), 0x090909))
			h.binary(&protocol.FrameEnd{Seq: 4, Width: 4, Height: 4})
			if m, ok := h.nextSession().(*protocol.FrameAck); !ok || m.Seq != 4 {
				t.Fatalf("want FrameAck 4 on the relay, got %+v", m)
			}

			h.v.MouseMove(1, 1)
			h.v.MouseMove(2, 2)
			h.v.MouseMove(3, 3)
			h.v.MouseButton(protocol.ButtonLeft, true, 3, 3)
			h.v.Wheel(0, 100, DeltaPixel)
			h.v.Key(protocol.Key{Down: true, Key: "Shift", Code: "ShiftLeft"})
			h.v.Key(protocol.Key{Down: false, Key: "x", Code: "KeyX"}) // never sent down: dropped
			h.v.Blur()                                                 // releases Shift and the button
			h.v.Command(CmdRefresh, []byte("null"))

			var got []protocol.Type
			var moves []protocol.MouseMove
			for len(got) == 0 || got[len(got)-1] != protocol.TypeRequestFull {
				m := h.nextSession()
				if mv, ok := m.(*protocol.MouseMove); ok {
					if len(got) > 0 {
						t.Errorf("move %+v after %v: the pending move must go before the click", mv, got)
					}
					moves = append(moves, *mv)
					continue
				}
				got = append(got, m.Type())
			}
			// Three quick moves: the first goes at once, later ones within
			// 8 ms collapse into the latest.
			if tt.level.Has(protocol.GrantLimited) && (len(moves) == 0 || len(moves) > 3 || moves[len(moves)-1] != protocol.MouseMove{X: 3, Y: 3}) {
				t.Errorf("moves = %+v, want at most 3 ending at 3,3", moves)
			}
			if !tt.level.Has(protocol.GrantLimited) && len(moves) > 0 {
				t.Errorf("view-only viewer sent moves %+v", moves)
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("agent got %v, want %v", got, tt.want)
			}
		})
	}
}

// fill is one Update of frame seq on a w×h screen that fills r with the
// colour 0xRRGGBB, starting a new deflate stream.
func fill(t *testing.T, seq uint32, w, h int, r image.Rectangle, rgb uint32) *protocol.Update {
	t.Helper()
	var ops protocol.OpWriter
	ops.Fill(r, rgb)
	var enc protocol.UpdateEncoder
	b, err := enc.Encode(seq, w, h, ops.Buf)
	if err != nil {
		t.Fatal(err)
	}
	m, err := protocol.Unmarshal(bytes.Clone(b))
	if err != nil {
		t.Fatal(err)
	}
	return m.(*protocol.Update)
}

// relayHarness is a viewer on the relay path.
func relayHarness(t *testing.T) *harness {
	h := newHarness(t)
	h.exchange()
	h.signal(protocol.SigPath, protocol.Path{Path: "relay"})
	h.eventually("relay", h.ui_(func(u *fakeUI) bool { return u.path == protocol.PathRelay }))
	return h
}

// sessionTypes returns the types of the next n session messages.
func (h *harness) sessionTypes(n int) []protocol.Type {
	h.t.Helper()
	var got []protocol.Type
	for range n {
		got = append(got, h.nextSession().Type())
	}
	return got
}

func TestViewerDecodeErrorAsksForFullFrame(t *testing.T) {
	h := relayHarness(t)
	const w, ht = 64, 32
	enc := newEncoder(w, ht)
	src := bgra(w, ht)
	// Frame 1, which starts the stream, is lost: the next Updates cannot
	// inflate, and the garbage message does not parse.
	enc.frame(t, 1, src, nil)
	src[0] ^= 0xff
	frame2 := enc.frame(t, 2, src, nil, image.Rect(0, 0, 1, 1))
	src[4] ^= 0xff
	frame3 := enc.frame(t, 3, src, nil, image.Rect(1, 0, 2, 1))
	h.binary(frame2[0])
	h.binaryRaw([]byte{protocol.Version, 99})
	h.binary(&protocol.FrameEnd{Seq: 2, Width: w, Height: ht})
	h.binary(frame3[0])
	h.binary(&protocol.FrameEnd{Seq: 3, Width: w, Height: ht})
	// One RequestFull for all of it: until the full frame restarts the
	// stream, failures are expected.
	want := []protocol.Type{protocol.TypeRequestFull, protocol.TypeFrameAck, protocol.TypeFrameAck}
	if got := h.sessionTypes(3); !slices.Equal(got, want) {
		t.Fatalf("viewer sent %v, want %v", got, want)
	}

	// The full frame restarts the stream and paints.
	full := newEncoder(w, ht).frame(t, 4, src, nil)
	for _, m := range full {
		h.binary(m)
	}
	h.binary(&protocol.FrameEnd{Seq: 4, Width: w, Height: ht, Flags: protocol.FlagFull})
	if got := h.sessionTypes(1); !slices.Equal(got, []protocol.Type{protocol.TypeFrameAck}) {
		t.Fatalf("after the full frame the viewer sent %v, want a frame-ack", got)
	}
	h.ui_(func(u *fakeUI) bool {
		if !bytes.Equal(u.pixels, rgbaOf(src)) {
			t.Error("the full frame did not repair the picture")
		}
		return true
	})()

	// A later failure asks again; so does a full frame that broke.
	h.binary(&protocol.Update{Seq: 5, Width: w, Height: ht, RawLen: 10, Data: []byte{0xff, 0xff, 0xff}}) // reserved block type
	h.binary(&protocol.FrameEnd{Seq: 5, Width: w, Height: ht, Flags: protocol.FlagFull})
	h.binary(&protocol.FrameEnd{Seq: 6, Width: w, Height: ht})
	want = []protocol.Type{protocol.TypeRequestFull, protocol.TypeRequestFull, protocol.TypeFrameAck, protocol.TypeFrameAck}
	if got := h.sessionTypes(4); !slices.Equal(got, want) {
		t.Fatalf("viewer sent %v, want %v", got, want)
	}
}

// TestViewerPhotoThenCopy: a photo lands in the framebuffer after the
// Updates of its frame, and the next frame's copy reads its pixels.
func TestViewerPhotoThenCopy(t *testing.T) {
	h := relayHarness(t)
	const w, ht = 64, 32
	photoPix := bytes.Repeat([]byte{200, 100, 50, 255}, 16*8)
	h.ui.mu.Lock()
	h.ui.photo = func(m *protocol.Photo) ([]byte, error) { return photoPix, nil }
	h.ui.mu.Unlock()

	enc := newEncoder(w, ht)
	src := bgra(w, ht)
	for _, m := range enc.frame(t, 1, src, nil) {
		h.binary(m)
	}
	h.binary(&protocol.Photo{Seq: 1, Width: w, Height: ht, X: 8, Y: 4, W: 16, H: 8, Format: protocol.PhotoJPEG, Data: []byte("jpeg")})
	h.binary(&protocol.FrameEnd{Seq: 1, Width: w, Height: ht, Flags: protocol.FlagFull})
	if m := h.nextSession(); m.Type() != protocol.TypeFrameAck {
		t.Fatalf("viewer sent %s, want frame-ack", m.Type())
	}
	// Frame 2 copies the photo's area to the right.
	var ops protocol.OpWriter
	ops.Copy(image.Rect(40, 4, 56, 12), image.Pt(8, 4))
	b, err := enc.upd.Encode(2, w, ht, ops.Buf)
	if err != nil {
		t.Fatal(err)
	}
	h.binaryRaw(b)
	h.binary(&protocol.FrameEnd{Seq: 2, Width: w, Height: ht})
	if m := h.nextSession(); m.Type() != protocol.TypeFrameAck {
		t.Fatalf("viewer sent %s, want frame-ack", m.Type())
	}
	h.ui_(func(u *fakeUI) bool {
		for _, p := range []image.Point{{8, 4}, {23, 11}, {40, 4}, {55, 11}} {
			o := (p.Y*w + p.X) * 4
			if got := u.pixels[o : o+4]; !bytes.Equal(got, photoPix[:4]) {
				t.Errorf("pixel %v = %v, want the photo's %v", p, got, photoPix[:4])
			}
		}
		if o := (4*w + 7) * 4; !bytes.Equal(u.pixels[o:o+4], rgbaOf(src)[o:o+4]) {
			t.Errorf("pixel left of the photo = %v, want the screen's", u.pixels[o:o+4])
		}
		if len(u.painted) != 2 || !slices.Equal(u.painted[1], []image.Rectangle{image.Rect(40, 4, 56, 12)}) {
			t.Errorf("painted %v, want the screen then only the copy", u.painted)
		}
		return true
	})()
}

// lazyInflater inflates only when waited for, like a native inflater whose
// output is not out yet. It records the calls.
type lazyInflater struct {
	GoInflater
	waits int
}

func (l *lazyInflater) Read(wait bool) ([]byte, bool, error) {
	if !wait {
		return nil, false, nil
	}
	l.waits++
	return l.GoInflater.Read(true)
}

// TestViewerWaitsForOperations: with an inflater that works in the
// background, a frame's operations are all applied before its photo is
// drawn and before it is painted.
func TestViewerWaitsForOperations(t *testing.T) {
	lazy := &lazyInflater{}
	h := newHarnessWith(t, lazy)
	h.exchange()
	h.signal(protocol.SigPath, protocol.Path{Path: "relay"})
	h.eventually("relay", h.ui_(func(u *fakeUI) bool { return u.path == protocol.PathRelay }))
	const w, ht = 64, 32
	var drawnBefore []byte
	h.ui.mu.Lock()
	h.ui.photo = func(m *protocol.Photo) ([]byte, error) {
		drawnBefore = bytes.Clone(h.v.fb.Pix) // the owner goroutine is in DrawPhoto
		return make([]byte, int(m.W)*int(m.H)*4), nil
	}
	h.ui.mu.Unlock()
	enc := newEncoder(w, ht)
	src := bgra(w, ht)
	msgs := enc.frame(t, 1, src, nil)
	for _, m := range msgs {
		h.binary(m)
	}
	h.binary(&protocol.Photo{Seq: 1, Width: w, Height: ht, X: 48, Y: 16, W: 16, H: 16, Format: protocol.PhotoJPEG, Data: []byte("jpeg")})
	src2 := bytes.Clone(src)
	src2[0] ^= 0xff
	for _, m := range enc.frame(t, 1, src2, nil, image.Rect(0, 0, 1, 1)) {
		h.binary(m)
	}
	h.binary(&protocol.FrameEnd{Seq: 1, Width: w, Height: ht, Flags: protocol.FlagFull})
	if m := h.nextSession(); m.Type() != protocol.TypeFrameAck {
		t.Fatalf("viewer sent %s, want frame-ack", m.Type())
	}
	h.ui_(func(u *fakeUI) bool {
		if !bytes.Equal(drawnBefore, rgbaOf(src)) {
			t.Error("the photo was drawn before the Updates before it were applied")
		}
		want := rgbaOf(src2)
		for y := 16; y < 32; y++ { // the photo's transparent black
			clear(want[(y*w+48)*4 : (y*w+64)*4])
		}
		if !bytes.Equal(u.pixels, want) {
			t.Error("painted before the frame's last Update was applied")
		}
		return true
	})()
	if lazy.waits != len(msgs)+1 {
		t.Errorf("%d waits, want one per Update", lazy.waits)
	}
}

func TestViewerPhotoErrors(t *testing.T) {
	h := relayHarness(t)
	h.ui.mu.Lock()
	h.ui.photo = func(m *protocol.Photo) ([]byte, error) { return nil, errors.New("not a JPEG") }
	h.ui.mu.Unlock()
	h.binary(fill(t, 1, 64, 32, image.Rect(0, 0, 64, 32), 0x336699))
	h.binary(&protocol.Photo{Seq: 1, Width: 64, Height: 32, X: 0, Y: 0, W: 16, H: 8, Format: protocol.PhotoJPEG, Data: []byte("junk")})
	h.binary(&protocol.FrameEnd{Seq: 1, Width: 64, Height: 32})
	want := []protocol.Type{protocol.TypeRequestFull, protocol.TypeFrameAck}
	if got := h.sessionTypes(2); !slices.Equal(got, want) {
		t.Fatalf("viewer sent %v, want %v", got, want)
	}

	// A frame of nothing but a photo is a painted frame.
	h.ui.mu.Lock()
	h.ui.photo = func(m *protocol.Photo) ([]byte, error) { return make([]byte, int(m.W)*int(m.H)*4), nil }
	h.ui.mu.Unlock()
	h.binary(&protocol.Photo{Seq: 2, Width: 64, Height: 32, X: 0, Y: 0, W: 16, H: 8, Format: protocol.PhotoJPEG, Data: []byte("jpeg")})
	h.binary(&protocol.FrameEnd{Seq: 2, Width: 64, Height: 32})
	h.eventually("the photo frame counted", h.ui_(func(u *fakeUI) bool { return u.frames == 2 && len(u.painted) == 1 }))
}

// TestViewerPaintsChangedRects: two small changes far apart are painted
// as two rectangles, not their bounding box.
func TestViewerPaintsChangedRects(t *testing.T) {
	h := relayHarness(t)
	const w, ht = 640, 400
	enc := newEncoder(w, ht)
	src := bgra(w, ht)
	for _, m := range enc.frame(t, 1, src, nil) {
		h.binary(m)
	}
	h.binary(&protocol.FrameEnd{Seq: 1, Width: w, Height: ht, Flags: protocol.FlagFull})
	a, b := image.Rect(10, 10, 18, 26), image.Rect(600, 350, 608, 366)
	for _, r := range []image.Rectangle{a, b} {
		for y := r.Min.Y; y < r.Max.Y; y++ {
			for x := r.Min.X; x < r.Max.X; x++ {
				src[(y*w+x)*4] ^= 0x55
			}
		}
	}
	for _, m := range enc.frame(t, 2, src, nil, a, b) {
		h.binary(m)
	}
	h.binary(&protocol.FrameEnd{Seq: 2, Width: w, Height: ht, EncodeMicros: 1250})
	h.eventually("two frames", h.ui_(func(u *fakeUI) bool { return u.frames == 2 }))
	h.ui_(func(u *fakeUI) bool {
		got := slices.Clone(u.painted[1])
		slices.SortFunc(got, func(p, q image.Rectangle) int { return p.Min.X - q.Min.X })
		if !slices.Equal(got, []image.Rectangle{a, b}) {
			t.Errorf("painted %v, want %v and %v", got, a, b)
		}
		if u.stats.Rects != 2 || u.stats.DecodeMs < u.stats.InflateMs || u.stats.InflateMs < 0 || u.stats.EncodeMs != 1.25 {
			t.Errorf("stats %+v, want 2 rects, inflate within decode and the agent's 1.25 ms", u.stats)
		}
		if !bytes.Equal(u.pixels, rgbaOf(src)) {
			t.Error("framebuffer differs from the source")
		}
		return true
	})()
}

func TestViewerStateEnded(t *testing.T) {
	h := newHarness(t)
	h.signal(protocol.SigState, protocol.State{SessionID: "s", State: "ended", Reason: "expired"})
	h.eventually("ended", h.ui_(func(u *fakeUI) bool { return u.state == StateEnded && u.text == "Session ended: expired" }))
	select {
	case err := <-h.done:
		h.done <- err // for the cleanup
		if err != nil {
			t.Errorf("Run = %v, want nil after a normal end", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after the session ended")
	}
}

// TestViewerRefusesAbsurdScreen: a screen no real computer has (a broken
// or hostile agent) ends the view with a clear message instead of a
// framebuffer of gigabytes.
func TestViewerRefusesAbsurdScreen(t *testing.T) {
	for _, m := range []protocol.Message{
		&protocol.Hello{Grants: protocol.GrantView, Width: 65535, Height: 65535},
		fill(t, 1, 65535, 65535, image.Rect(0, 0, 1, 1), 0),
	} {
		t.Run(m.Type().String(), func(t *testing.T) {
			h := newHarness(t)
			h.exchange()
			h.signal(protocol.SigPath, protocol.Path{Path: "relay"})
			h.binary(m)
			h.eventually("the view ends", h.ui_(func(u *fakeUI) bool {
				return u.state == StateEnded && strings.Contains(u.text, "65535×65535") && strings.Contains(u.text, "larger than the viewer can show")
			}))
			h.ui_(func(u *fakeUI) bool {
				if u.w != 0 || u.h != 0 {
					t.Errorf("the viewer sized itself to %dx%d", u.w, u.h)
				}
				return true
			})()
		})
	}
}

// testOffer is an offer with a DTLS fingerprint, as the agent sends.
const testOffer = "v=0\r\na=fingerprint:sha-256 AB:CD:EF\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"

// TestViewerRefusesUnauthenticatedOffers: an offer before the key
// exchange, or whose fingerprint the agent's MAC does not cover (a server
// offering its own DTLS endpoint), gets no answer and no peer connection.
func TestViewerRefusesUnauthenticatedOffers(t *testing.T) {
	h := newHarness(t)
	h.signal(protocol.SigPeer, protocol.Peer{Role: "agent", Present: true, Grants: protocol.GrantView})
	h.signal(protocol.SigOffer, protocol.SDP{SDP: testOffer})
	h.exchange() // the viewer's first write is its key reply, not an answer
	mac, err := h.keys.SignSDP(testOffer)
	if err != nil {
		t.Fatal(err)
	}
	swapped := strings.Replace(testOffer, "AB:CD:EF", "00:11:22", 1)
	h.signal(protocol.SigOffer, protocol.SDP{SDP: swapped, MAC: mac})
	h.signal(protocol.SigOffer, protocol.SDP{SDP: testOffer})
	h.signal(protocol.SigOffer, protocol.SDP{SDP: testOffer, MAC: mac})
	m := h.nextSent()
	env, err := protocol.DecodeSignal(m.b)
	var sdp protocol.SDP
	if err != nil || env.Type != protocol.SigAnswer || env.Decode(&sdp) != nil || sdp.SDP != "answer-to-"+testOffer {
		t.Fatalf("first write after the forged offers: %s", m.b)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.peers) != 1 {
		t.Fatalf("%d peer connections, want one for the genuine offer only", len(h.peers))
	}
}

// TestViewerRelayIsSealed: on the relay the viewer seals what it sends,
// drops what does not open (forged, replayed, sealed with old keys), and a
// new exchange (the agent restarted the connection) brings a new code.
func TestViewerRelayIsSealed(t *testing.T) {
	h := relayHarness(t)
	old := h.keys
	// A frame, its replay, and a forged one: one frame painted.
	h.binary(fill(t, 1, 4, 4, image.Rect(0, 0, 4, 4), 0x112233))
	end, _ := protocol.Marshal(&protocol.FrameEnd{Seq: 1, Width: 4, Height: 4})
	sealed, err := h.keys.Sealer.Seal(nil, end)
	if err != nil {
		t.Fatal(err)
	}
	forged := append([]byte{protocol.Version, byte(protocol.TypeFrameEnd)}, make([]byte, 40)...)
	for _, b := range [][]byte{sealed, sealed, forged} {
		h.conn.in <- wsMsg{websocket.MessageBinary, b}
	}
	m := h.nextSent()
	if m.typ != websocket.MessageBinary {
		t.Fatalf("viewer wrote %s, want a sealed ack", m.b)
	}
	ackBytes, err := h.keys.Opener.Open(m.b)
	if err != nil {
		t.Fatalf("ack does not open: %v", err)
	}
	if ack, err := protocol.Unmarshal(ackBytes); err != nil || ack.(*protocol.FrameAck).Seq != 1 {
		t.Fatalf("ack %v, %v", ack, err)
	}
	h.v.Command(CmdRefresh, []byte("null"))
	if got := h.nextSession(); got.Type() != protocol.TypeRequestFull {
		t.Fatalf("after the replay and the forgery the viewer sent %s", got.Type())
	}
	h.eventually("one frame", h.ui_(func(u *fakeUI) bool { return u.frames == 1 }))

	// The agent starts over: new keys, new code; the old keys open nothing.
	h.exchange()
	stale, _ := old.Sealer.Seal(nil, end)
	h.conn.in <- wsMsg{websocket.MessageBinary, stale}
	h.binary(&protocol.FrameEnd{Seq: 2, Width: 4, Height: 4})
	if ack, ok := h.nextSession().(*protocol.FrameAck); !ok || ack.Seq != 2 {
		t.Fatalf("after a new exchange: %+v, want the ack of frame 2 only", ack)
	}
	// The agent leaves: the code goes.
	h.signal(protocol.SigPeer, protocol.Peer{Role: "agent", Present: false})
	h.eventually("no code", h.ui_(func(u *fakeUI) bool { return u.code == "" }))
}
