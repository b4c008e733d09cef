package session

import (
	"image"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/webrtc/v4"

	"tether/agent/capture"
	"tether/server/protocol"
)

// loopbackEngine keeps ICE on the loopback interface, so tests need no
// network and connect fast.
func loopbackEngine() *webrtc.SettingEngine {
	se := &webrtc.SettingEngine{}
	se.SetIncludeLoopbackCandidate(true)
	se.SetInterfaceFilter(func(name string) bool { return name == "lo" })
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	return se
}

// deafEngine gathers no candidates at all, so ICE can never connect.
func deafEngine() *webrtc.SettingEngine {
	se := loopbackEngine()
	se.SetIPFilter(func(net.IP) bool { return false })
	return se
}

// screenView is the engineer's side: it paints what arrives and acks frames.
type screenView struct {
	t    *testing.T
	send func([]byte) error

	mu     sync.Mutex
	dec    protocol.Inflater
	w, h   int
	img    []byte
	tiles  int
	hellos []protocol.Hello
	frames []frameSeen
	pongs  []uint64
	cursor []protocol.CursorPos
	paused []bool             // Paused messages, in order
	clips  []protocol.Message // ClipboardText and ClipboardTooLarge
	// displays are the Displays messages, each with the number of frames
	// seen before it.
	displays []displaysSeen
	err      error
	noAck    bool
}

type frameSeen struct {
	end   protocol.FrameEnd
	tiles int
	img   []byte
}

func (v *screenView) feed(b []byte) {
	m, err := protocol.Unmarshal(b)
	v.mu.Lock()
	defer v.mu.Unlock()
	if err != nil {
		v.err = err
		return
	}
	switch m := m.(type) {
	case *protocol.Hello:
		v.hellos = append(v.hellos, *m)
		v.w, v.h = int(m.Width), int(m.Height)
		v.img = make([]byte, v.w*v.h*4)
	case *protocol.Update:
		ops, err := v.dec.Inflate(m)
		if err == nil {
			err = protocol.ApplyOps(v.img, v.w*4, v.w, v.h, ops, func(image.Rectangle) { v.tiles++ })
		}
		if err != nil {
			v.err = err
		}
		if m.Ends() {
			v.endFrame(m.FrameEnd())
		}
	case *protocol.FrameEnd:
		v.endFrame(*m)
	case *protocol.Pong:
		v.pongs = append(v.pongs, m.Micros)
	case *protocol.CursorPos:
		v.cursor = append(v.cursor, *m)
	case *protocol.Paused:
		v.paused = append(v.paused, m.Paused)
	case *protocol.Displays:
		v.displays = append(v.displays, displaysSeen{Displays: *m, frames: len(v.frames)})
	case *protocol.ClipboardText, *protocol.ClipboardTooLarge:
		v.clips = append(v.clips, m)
	}
}

// endFrame records a frame and acknowledges it; v.mu is held.
func (v *screenView) endFrame(m protocol.FrameEnd) {
	v.frames = append(v.frames, frameSeen{end: m, tiles: v.tiles, img: append([]byte(nil), v.img...)})
	v.tiles = 0
	if !v.noAck {
		ack, _ := protocol.Marshal(&protocol.FrameAck{Seq: m.Seq})
		go func() { _ = v.send(ack) }() // not under the lock; a lost ack shows as a stall
	}
}

func (v *screenView) sendMsg(m protocol.Message) {
	v.t.Helper()
	b, err := protocol.Marshal(m)
	if err != nil {
		v.t.Fatal(err)
	}
	if err := v.send(b); err != nil {
		v.t.Fatalf("viewer send %s: %v", m.Type(), err)
	}
}

func (v *screenView) state(fn func(v *screenView)) {
	v.mu.Lock()
	defer v.mu.Unlock()
	fn(v)
}

// waitFrame waits for a frame after the first `after` frames that
// satisfies ok, and returns it.
func (v *screenView) waitFrame(after int, ok func(f frameSeen) bool) frameSeen {
	v.t.Helper()
	var got frameSeen
	waitFor(v.t, "a frame", func() (found bool) {
		v.state(func(v *screenView) {
			for _, f := range v.frames[min(after, len(v.frames)):] {
				if ok(f) {
					got, found = f, true
				}
			}
		})
		return
	})
	return got
}

// ping sends a Ping and waits for its Pong: everything the viewer sent
// before has been handled by then, the path being ordered.
func (v *screenView) ping(micros uint64) {
	v.t.Helper()
	v.sendMsg(&protocol.Ping{Micros: micros})
	waitFor(v.t, "pong", func() (ok bool) {
		v.state(func(v *screenView) {
			for _, p := range v.pongs {
				ok = ok || p == micros
			}
		})
		return
	})
}

// sameImage compares a painted RGBA image with a BGRA frame.
func sameImage(img []byte, f capture.Frame) bool {
	if len(img) != f.Width*f.Height*4 {
		return false
	}
	for y := 0; y < f.Height; y++ {
		for x := 0; x < f.Width; x++ {
			s := f.Pix[y*f.Stride+x*4:]
			d := img[(y*f.Width+x)*4:]
			if d[0] != s[2] || d[1] != s[1] || d[2] != s[0] || d[3] != 255 {
				return false
			}
		}
	}
	return true
}

// testPeer is a native pion peer playing the viewer's browser.
type testPeer struct {
	t         *testing.T
	pc        *webrtc.PeerConnection
	view      *screenView
	mu        sync.Mutex
	input     *webrtc.DataChannel
	inputOpen chan struct{}
	// The file lane: the "files" channel, its messages in fileIn.
	files     *webrtc.DataChannel
	filesOpen chan struct{}
	fileIn    chan []byte
}

// newTestPeer answers the agent's offer on c and trickles candidates.
func newTestPeer(t *testing.T, c *agentConn) *testPeer {
	t.Helper()
	api := webrtc.NewAPI(webrtc.WithSettingEngine(*loopbackEngine()))
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pc.Close() })
	p := &testPeer{t: t, pc: pc, inputOpen: make(chan struct{}), filesOpen: make(chan struct{}), fileIn: make(chan []byte, 1024)}
	p.view = &screenView{t: t, send: p.sendInput}
	pc.OnICECandidate(func(cand *webrtc.ICECandidate) {
		if cand == nil {
			return
		}
		init := cand.ToJSON()
		c.send(protocol.SigCandidate, protocol.Candidate{Candidate: init.Candidate, SDPMid: init.SDPMid, SDPMLineIndex: init.SDPMLineIndex})
	})
	pc.OnDataChannel(func(dc *webrtc.DataChannel) {
		switch dc.Label() {
		case "screen":
			dc.OnMessage(func(m webrtc.DataChannelMessage) { p.view.feed(m.Data) })
		case "input":
			dc.OnOpen(func() {
				p.mu.Lock()
				p.input = dc
				p.mu.Unlock()
				close(p.inputOpen)
			})
		case "files":
			dc.OnMessage(func(m webrtc.DataChannelMessage) { p.fileIn <- m.Data })
			dc.OnOpen(func() {
				p.mu.Lock()
				p.files = dc
				p.mu.Unlock()
				close(p.filesOpen)
			})
		default:
			t.Errorf("unexpected channel %q", dc.Label())
		}
	})
	hook := func(env protocol.Envelope) bool {
		switch env.Type {
		case protocol.SigOffer:
			var sdp protocol.SDP
			if err := env.Decode(&sdp); err != nil {
				t.Errorf("offer: %v", err)
				return true
			}
			if k := c.keys.Load(); k == nil || k.CheckSDP(sdp.SDP, sdp.MAC) != nil {
				t.Errorf("offer not authenticated by the key exchange")
				return true
			}
			p.answer(c, sdp.SDP)
			return false // the test sees offers too
		case protocol.SigCandidate:
			var cand protocol.Candidate
			if err := env.Decode(&cand); err != nil {
				t.Errorf("candidate: %v", err)
				return true
			}
			if err := pc.AddICECandidate(webrtc.ICECandidateInit{Candidate: cand.Candidate, SDPMid: cand.SDPMid, SDPMLineIndex: cand.SDPMLineIndex}); err != nil {
				t.Errorf("add candidate: %v", err)
			}
			return true
		}
		return false
	}
	c.hook.Store(&hook)
	return p
}

func (p *testPeer) answer(c *agentConn, offer string) {
	if err := p.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offer}); err != nil {
		p.t.Errorf("set offer: %v", err)
		return
	}
	ans, err := p.pc.CreateAnswer(nil)
	if err != nil {
		p.t.Errorf("answer: %v", err)
		return
	}
	if err := p.pc.SetLocalDescription(ans); err != nil {
		p.t.Errorf("set answer: %v", err)
		return
	}
	mac, err := c.keys.Load().SignSDP(ans.SDP)
	if err != nil {
		p.t.Errorf("sign answer: %v", err)
		return
	}
	c.send(protocol.SigAnswer, protocol.SDP{SDP: ans.SDP, MAC: mac})
}

func (p *testPeer) sendInput(b []byte) error {
	select {
	case <-p.inputOpen:
	case <-time.After(10 * time.Second):
		p.t.Error("input channel never opened")
		return nil
	}
	p.mu.Lock()
	dc := p.input
	p.mu.Unlock()
	return dc.Send(b)
}

// relayView reads the agent's binary websocket messages as the viewer.
func relayView(t *testing.T, c *agentConn) *screenView {
	v := &screenView{t: t, send: c.sendBinary}
	go func() {
		for {
			select {
			case b := <-c.bin:
				v.feed(b)
			case <-c.done:
				return
			}
		}
	}()
	return v
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
