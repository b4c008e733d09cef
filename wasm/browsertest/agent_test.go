//go:build unix

package browsertest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/coder/websocket"
	"github.com/pion/webrtc/v4"

	"tether/agent/capture"
	"tether/agent/stream"
	"tether/server/protocol"
)

// fakeAgent plays the agent for one viewer: signaling as the hub would
// forward it, a native pion peer (or the relay path) and a frame streamer
// driven by the test.
type fakeAgent struct {
	grants protocol.Grants
	relay  bool

	ready    chan struct{} // closed when the session path is up
	readyOne sync.Once
	acks     chan uint32
	input    chan received // every viewer→agent message except FrameAck and Ping
	errs     chan error

	mu   sync.Mutex
	send func([]byte) error
	// keys are the agent's side of the key exchange with the viewer;
	// set before the path is up, read-only afterwards.
	keys *protocol.SessionKeys
}

// received is one message from the viewer and the path it came on.
type received struct {
	m     protocol.Message
	relay bool
}

func newAgent(grants protocol.Grants, relay bool) *fakeAgent {
	return &fakeAgent{
		grants: grants, relay: relay,
		ready: make(chan struct{}),
		acks:  make(chan uint32, 256),
		input: make(chan received, 4096),
		errs:  make(chan error, 16),
	}
}

func (a *fakeAgent) fail(err error) {
	select {
	case a.errs <- err:
	default:
	}
}

func (a *fakeAgent) setReady(send func([]byte) error) {
	a.readyOne.Do(func() {
		a.mu.Lock()
		a.send = send
		a.mu.Unlock()
		close(a.ready)
	})
}

// serve runs the signaling connection of one viewer.
func (a *fakeAgent) serve(ctx context.Context, c *websocket.Conn) {
	defer c.CloseNow()
	c.SetReadLimit(protocol.MaxSignalSize)
	sig := func(typ string, payload any) error {
		b, err := protocol.EncodeSignal(typ, payload)
		if err != nil {
			return err
		}
		wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		return c.Write(wctx, websocket.MessageText, b)
	}
	if err := errors.Join(
		sig(protocol.SigState, protocol.State{SessionID: "x", State: protocol.SessionActive, Grants: a.grants, Viewer: true, Agent: true}),
		sig(protocol.SigPeer, protocol.Peer{Role: "agent", Present: true, Grants: a.grants}),
	); err != nil {
		a.fail(err)
		return
	}
	keys, err := a.exchange(ctx, c, sig)
	if err != nil {
		a.fail(err)
		return
	}
	a.keys = keys
	var peer *agentPeer
	if a.relay {
		if err := sig(protocol.SigPath, protocol.Path{Path: "relay"}); err != nil {
			a.fail(err)
			return
		}
		var sealMu sync.Mutex // seal and write in counter order
		a.setReady(func(b []byte) error {
			sealMu.Lock()
			defer sealMu.Unlock()
			sealed, err := keys.Sealer.Seal(nil, b)
			if err != nil {
				return err
			}
			wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			defer cancel()
			return c.Write(wctx, websocket.MessageBinary, sealed)
		})
	} else {
		var err error
		peer, err = a.offer(sig, keys)
		if err != nil {
			a.fail(err)
			return
		}
		defer peer.pc.Close()
	}
	for {
		typ, b, err := c.Read(ctx)
		if err != nil {
			return
		}
		if typ == websocket.MessageBinary {
			opened, err := keys.Opener.Open(b)
			if err != nil {
				a.fail(fmt.Errorf("agent: relayed message from the viewer: %w", err))
				continue
			}
			a.handle(opened, true)
			continue
		}
		env, err := protocol.DecodeSignal(b)
		if err != nil {
			a.fail(err)
			continue
		}
		if peer != nil {
			if err := peer.signal(env); err != nil {
				a.fail(err)
			}
		}
	}
}

// exchange runs the agent's side of the key exchange with the viewer on
// the page (whose session id is "x").
func (a *fakeAgent) exchange(ctx context.Context, c *websocket.Conn, sig func(string, any) error) (*protocol.SessionKeys, error) {
	hs, err := protocol.NewHandshake(protocol.SenderAgent, "x")
	if err != nil {
		return nil, err
	}
	if err := sig(protocol.SigKey, hs.Start()); err != nil {
		return nil, err
	}
	for {
		typ, b, err := c.Read(ctx)
		if err != nil {
			return nil, fmt.Errorf("agent: waiting for the viewer's key: %w", err)
		}
		if typ != websocket.MessageText {
			return nil, errors.New("agent: relayed message before the key exchange")
		}
		env, err := protocol.DecodeSignal(b)
		if err != nil || env.Type != protocol.SigKey {
			return nil, fmt.Errorf("agent: want the viewer's key, got %s (%v)", b, err)
		}
		var reply protocol.KeyStep
		if err := env.Decode(&reply); err != nil {
			return nil, err
		}
		keys, reveal, err := hs.Accept(reply)
		if err != nil {
			return nil, err
		}
		return keys, sig(protocol.SigKey, reveal)
	}
}

// agentPeer is the agent's pion side.
type agentPeer struct {
	keys    *protocol.SessionKeys
	pc      *webrtc.PeerConnection
	mu      sync.Mutex
	haveSDP bool
	pending []webrtc.ICECandidateInit
}

// offer opens the two channels and sends the offer. Half of the agent's
// candidates go out before the offer, so the viewer must queue them.
func (a *fakeAgent) offer(sig func(string, any) error, keys *protocol.SessionKeys) (*agentPeer, error) {
	var se webrtc.SettingEngine
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	pc, err := webrtc.NewAPI(webrtc.WithSettingEngine(se)).NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return nil, err
	}
	p := &agentPeer{keys: keys, pc: pc}
	ordered := true
	screen, err := pc.CreateDataChannel("screen", &webrtc.DataChannelInit{Ordered: &ordered})
	if err != nil {
		return nil, err
	}
	input, err := pc.CreateDataChannel("input", &webrtc.DataChannelInit{Ordered: &ordered})
	if err != nil {
		return nil, err
	}
	var open sync.WaitGroup
	open.Add(2)
	screen.OnOpen(open.Done)
	input.OnOpen(open.Done)
	input.OnMessage(func(m webrtc.DataChannelMessage) { a.handle(m.Data, false) })
	go func() {
		open.Wait()
		if err := sig(protocol.SigPath, protocol.Path{Path: "p2p"}); err != nil {
			a.fail(err)
			return
		}
		a.setReady(screen.Send)
	}()

	offer, err := pc.CreateOffer(nil)
	if err != nil {
		return nil, err
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	var cands []webrtc.ICECandidateInit
	var cmu sync.Mutex
	pc.OnICECandidate(func(c *webrtc.ICECandidate) {
		if c != nil {
			cmu.Lock()
			cands = append(cands, c.ToJSON())
			cmu.Unlock()
		}
	})
	if err := pc.SetLocalDescription(offer); err != nil {
		return nil, err
	}
	select {
	case <-gathered:
	case <-time.After(10 * time.Second):
		return nil, errors.New("agent: ICE gathering timed out")
	}
	cmu.Lock()
	defer cmu.Unlock()
	if len(cands) == 0 {
		return nil, errors.New("agent: no ICE candidates")
	}
	sendCand := func(c webrtc.ICECandidateInit) error {
		return sig(protocol.SigCandidate, protocol.Candidate{Candidate: c.Candidate, SDPMid: c.SDPMid, SDPMLineIndex: c.SDPMLineIndex})
	}
	half := (len(cands) + 1) / 2
	for _, c := range cands[:half] {
		if err := sendCand(c); err != nil {
			return nil, err
		}
	}
	// The offer as created, before gathering: its candidates travel
	// trickled, as a real agent's do.
	mac, err := keys.SignSDP(offer.SDP)
	if err != nil {
		return nil, err
	}
	if err := sig(protocol.SigOffer, protocol.SDP{SDP: offer.SDP, MAC: mac}); err != nil {
		return nil, err
	}
	for _, c := range cands[half:] {
		if err := sendCand(c); err != nil {
			return nil, err
		}
	}
	return p, nil
}

func (p *agentPeer) signal(env protocol.Envelope) error {
	switch env.Type {
	case protocol.SigAnswer:
		var s protocol.SDP
		if err := env.Decode(&s); err != nil {
			return err
		}
		if err := p.keys.CheckSDP(s.SDP, s.MAC); err != nil {
			return fmt.Errorf("agent: answer: %w", err)
		}
		if err := p.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: s.SDP}); err != nil {
			return fmt.Errorf("agent: set answer: %w", err)
		}
		p.mu.Lock()
		p.haveSDP = true
		pending := p.pending
		p.pending = nil
		p.mu.Unlock()
		for _, c := range pending {
			if err := p.pc.AddICECandidate(c); err != nil {
				return fmt.Errorf("agent: queued candidate: %w", err)
			}
		}
	case protocol.SigCandidate:
		var c protocol.Candidate
		if err := env.Decode(&c); err != nil {
			return err
		}
		init := webrtc.ICECandidateInit{Candidate: c.Candidate, SDPMid: c.SDPMid, SDPMLineIndex: c.SDPMLineIndex}
		p.mu.Lock()
		if !p.haveSDP {
			p.pending = append(p.pending, init)
			p.mu.Unlock()
			return nil
		}
		p.mu.Unlock()
		if err := p.pc.AddICECandidate(init); err != nil {
			return fmt.Errorf("agent: candidate: %w", err)
		}
	}
	return nil
}

// handle records one session message from the viewer.
func (a *fakeAgent) handle(b []byte, relay bool) {
	m, err := protocol.Unmarshal(b)
	if err != nil {
		a.fail(fmt.Errorf("agent: viewer sent a bad message: %w", err))
		return
	}
	switch m := m.(type) {
	case *protocol.FrameAck:
		select {
		case a.acks <- m.Seq:
		default:
		}
	case *protocol.Ping:
		if err := a.sendMsg(&protocol.Pong{Micros: m.Micros}); err != nil {
			a.fail(err)
		}
	default:
		select {
		case a.input <- received{m, relay}:
		default:
			a.fail(errors.New("agent: input queue full"))
		}
	}
}

func (a *fakeAgent) sendMsg(m protocol.Message) error {
	b, err := protocol.Marshal(m)
	if err != nil {
		return err
	}
	a.mu.Lock()
	send := a.send
	a.mu.Unlock()
	if send == nil {
		return errors.New("agent: no path yet")
	}
	return send(b)
}

// waitReady waits for the session path.
func (a *fakeAgent) waitReady(timeout time.Duration) error {
	select {
	case <-a.ready:
		return nil
	case err := <-a.errs:
		return err
	case <-time.After(timeout):
		return errors.New("agent: session path not up in time")
	}
}

// screenStream encodes frames as the agent does, with agent/stream's
// Encoder: the changed boxes as Update messages over one deflate stream
// (copies and photos where the encoder finds them), then a FrameEnd.
type screenStream struct {
	enc  stream.Encoder
	w, h int
}

func newScreenStream(w, h int, lossless bool) *screenStream {
	return &screenStream{enc: stream.Encoder{Lossless: lossless}, w: w, h: h}
}

// frame encodes src (BGRA, w×h) as frame seq: what changed since the last
// frame, or everything over a new deflate stream when full.
func (s *screenStream) frame(seq uint32, src []byte, full bool) ([][]byte, error) {
	f := &capture.Frame{Width: s.w, Height: s.h, Stride: s.w * 4, Pix: src}
	var out [][]byte
	if _, err := s.enc.Encode(f, seq, full, func(b []byte) error {
		out = append(out, bytes.Clone(b))
		return nil
	}); err != nil {
		return nil, err
	}
	return appendFrameEnd(out, seq, s.w, s.h, full)
}

// appendFrameEnd closes frame seq.
func appendFrameEnd(msgs [][]byte, seq uint32, w, h int, full bool) ([][]byte, error) {
	end := &protocol.FrameEnd{Seq: seq, Width: uint16(w), Height: uint16(h)}
	if full {
		end.Flags = protocol.FlagFull
	}
	b, err := protocol.Marshal(end)
	if err != nil {
		return nil, err
	}
	return append(msgs, b), nil
}

// sendFrame sends prepared frame messages and waits for the viewer's ack.
func (a *fakeAgent) sendFrame(seq uint32, msgs [][]byte, timeout time.Duration) error {
	a.mu.Lock()
	send := a.send
	a.mu.Unlock()
	for _, b := range msgs {
		if err := send(b); err != nil {
			return fmt.Errorf("agent: send frame %d: %w", seq, err)
		}
	}
	deadline := time.After(timeout)
	for {
		select {
		case got := <-a.acks:
			if got == seq {
				return nil
			}
		case err := <-a.errs:
			return err
		case <-deadline:
			return fmt.Errorf("agent: no FrameAck for frame %d", seq)
		}
	}
}

// collect gathers input until done says so.
func (a *fakeAgent) collect(timeout time.Duration, done func([]received) bool) ([]received, error) {
	var got []received
	deadline := time.After(timeout)
	for !done(got) {
		select {
		case r := <-a.input:
			got = append(got, r)
		case err := <-a.errs:
			return got, err
		case <-deadline:
			return got, fmt.Errorf("agent: input not complete in time, got %s", describe(got))
		}
	}
	return got, nil
}

// drainInput takes what the viewer sent so far, without waiting.
func (a *fakeAgent) drainInput() []received {
	var got []received
	for {
		select {
		case r := <-a.input:
			got = append(got, r)
		default:
			return got
		}
	}
}

func describe(rs []received) string {
	var b bytes.Buffer
	for _, r := range rs {
		fmt.Fprintf(&b, "%s%+v ", r.m.Type(), r.m)
	}
	return b.String()
}
