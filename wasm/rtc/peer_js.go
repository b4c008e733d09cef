//go:build js && wasm

package rtc

import (
	"errors"
	"fmt"
	"sync"
	"syscall/js"

	"github.com/pion/webrtc/v4"

	"tether/server/protocol"
	"tether/wasm/viewer"
)

// Data channel labels, as the agent opens them (docs/architecture.md).
const (
	LabelScreen = "screen"
	LabelInput  = "input"
	LabelFiles  = "files"
)

// ErrNotOpen is returned by Send and SendFile before their channel opens.
var ErrNotOpen = errors.New("rtc: data channel not open")

// Peer is one RTCPeerConnection to the agent. It implements viewer.Peer.
//
// Candidates and channel messages are taken from the browser objects
// directly rather than through pion's callbacks: pion's browser build drops
// a candidate's sdpMid and sdpMLineIndex and delivers each message on its
// own goroutine, which could reorder Updates and FrameEnd.
type Peer struct {
	pc *webrtc.PeerConnection
	ev viewer.PeerEvents

	mu        sync.Mutex // guards input and listeners (JS callbacks add channels)
	input     js.Value
	files     js.Value
	listeners []listener
	closed    bool
}

type listener struct {
	target js.Value
	typ    string
	fn     js.Func
}

// New makes a peer connection; it is a viewer.NewPeerFunc.
func New(ice []protocol.ICEServer, relayOnly bool, ev viewer.PeerEvents) (viewer.Peer, error) {
	cfg := webrtc.Configuration{}
	if relayOnly {
		cfg.ICETransportPolicy = webrtc.ICETransportPolicyRelay
	}
	for _, s := range ice {
		cfg.ICEServers = append(cfg.ICEServers, webrtc.ICEServer{URLs: s.URLs, Username: s.Username, Credential: s.Credential})
	}
	pc, err := webrtc.NewPeerConnection(cfg)
	if err != nil {
		return nil, fmt.Errorf("rtc: new peer connection: %w", err)
	}
	p := &Peer{pc: pc, ev: ev, input: js.Undefined(), files: js.Undefined()}
	err = catch("listen", func() {
		raw := pc.JSValue()
		p.on(raw, "icecandidate", func(e js.Value) {
			c := e.Get("candidate")
			if c.IsNull() || c.IsUndefined() || c.Get("candidate").String() == "" {
				return // end of gathering
			}
			out := protocol.Candidate{Candidate: c.Get("candidate").String()}
			if mid := c.Get("sdpMid"); mid.Type() == js.TypeString {
				s := mid.String()
				out.SDPMid = &s
			}
			if idx := c.Get("sdpMLineIndex"); idx.Type() == js.TypeNumber {
				i := uint16(idx.Int())
				out.SDPMLineIndex = &i
			}
			ev.Candidate(out)
		})
		p.on(raw, "datachannel", func(e js.Value) { p.attach(e.Get("channel")) })
		p.on(raw, "connectionstatechange", func(js.Value) {
			if st := raw.Get("connectionState").String(); st == "failed" {
				ev.Failed(fmt.Errorf("rtc: connection %s", st))
			}
		})
	})
	if err != nil {
		return nil, errors.Join(err, p.Close())
	}
	return p, nil
}

// on adds an event listener whose js.Func Close releases. The callback runs
// inside the JS event; f must not block.
func (p *Peer) on(target js.Value, typ string, f func(e js.Value)) {
	fn := js.FuncOf(func(_ js.Value, args []js.Value) any {
		if len(args) > 0 {
			if err := catch(typ, func() { f(args[0]) }); err != nil {
				p.ev.Failed(err)
			}
		}
		return nil
	})
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		fn.Release() // a channel announced while closing
		return
	}
	target.Call("addEventListener", typ, fn)
	p.listeners = append(p.listeners, listener{target, typ, fn})
}

// attach wires a channel the agent opened.
func (p *Peer) attach(ch js.Value) {
	ch.Set("binaryType", "arraybuffer")
	switch ch.Get("label").String() {
	case LabelScreen:
		p.on(ch, "message", func(e js.Value) {
			data := e.Get("data")
			if data.Type() == js.TypeString {
				return // the protocol is binary only
			}
			// One copy out of JS, synchronously, so messages keep their order.
			u8 := js.Global().Get("Uint8Array").New(data)
			b := make([]byte, u8.Get("length").Int())
			js.CopyBytesToGo(b, u8)
			p.ev.Message(b)
		})
	case LabelInput:
		p.mu.Lock()
		p.input = ch
		p.mu.Unlock()
	case LabelFiles:
		p.mu.Lock()
		p.files = ch
		p.mu.Unlock()
		p.on(ch, "message", func(e js.Value) {
			data := e.Get("data")
			if data.Type() == js.TypeString || p.ev.File == nil {
				return
			}
			u8 := js.Global().Get("Uint8Array").New(data)
			b := make([]byte, u8.Get("length").Int())
			js.CopyBytesToGo(b, u8)
			p.ev.File(b)
		})
	}
}

// Answer implements viewer.Peer.
func (p *Peer) Answer(offer string) (string, error) {
	if err := p.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offer}); err != nil {
		return "", fmt.Errorf("rtc: set offer: %w", err)
	}
	answer, err := p.pc.CreateAnswer(nil)
	if err != nil {
		return "", fmt.Errorf("rtc: create answer: %w", err)
	}
	if err := p.pc.SetLocalDescription(answer); err != nil {
		return "", fmt.Errorf("rtc: set answer: %w", err)
	}
	if d := p.pc.LocalDescription(); d != nil {
		return d.SDP, nil
	}
	return answer.SDP, nil
}

// AddCandidate implements viewer.Peer.
func (p *Peer) AddCandidate(c protocol.Candidate) error {
	err := p.pc.AddICECandidate(webrtc.ICECandidateInit{Candidate: c.Candidate, SDPMid: c.SDPMid, SDPMLineIndex: c.SDPMLineIndex})
	if err != nil {
		return fmt.Errorf("rtc: add candidate: %w", err)
	}
	return nil
}

// Send implements viewer.Peer.
func (p *Peer) Send(b []byte) error {
	p.mu.Lock()
	ch := p.input
	p.mu.Unlock()
	return sendOn(ch, b)
}

// SendFile implements viewer.FilePeer: the "files" channel.
func (p *Peer) SendFile(b []byte) error {
	p.mu.Lock()
	ch := p.files
	p.mu.Unlock()
	return sendOn(ch, b)
}

func sendOn(ch js.Value, b []byte) error {
	return catch("send", func() {
		if ch.IsUndefined() || ch.Get("readyState").String() != "open" {
			panic(ErrNotOpen)
		}
		u8 := js.Global().Get("Uint8Array").New(len(b))
		js.CopyBytesToJS(u8, b)
		ch.Call("send", u8)
	})
}

// Close implements viewer.Peer: it removes the listeners, releases their
// functions and closes the connection.
func (p *Peer) Close() error {
	p.mu.Lock()
	ls := p.listeners
	p.listeners, p.closed = nil, true
	p.mu.Unlock()
	var errs []error
	for _, l := range ls {
		err := catch("remove listener", func() { l.target.Call("removeEventListener", l.typ, l.fn) })
		if err != nil {
			errs = append(errs, err)
			continue // a function JS may still call is never released
		}
		l.fn.Release()
	}
	if err := p.pc.Close(); err != nil {
		errs = append(errs, fmt.Errorf("rtc: close: %w", err))
	}
	return errors.Join(errs...)
}

// catch turns a syscall/js panic into an error.
func catch(what string, f func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			if e, ok := r.(error); ok {
				err = fmt.Errorf("rtc: %s: %w", what, e)
				return
			}
			err = fmt.Errorf("rtc: %s: %v", what, r)
		}
	}()
	f()
	return nil
}
