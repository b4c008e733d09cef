package link

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/webrtc/v4"

	"tether/server/protocol"
)

// Data channel labels; see docs/architecture.md.
const (
	ChannelScreen = "screen" // agent → viewer: frames, cursor, hello, pong
	ChannelInput  = "input"  // viewer → agent: input, acks, pings, requests
	ChannelFiles  = "files"  // both ways: the file lane (protocol.Type.FileLane)
)

// PeerOptions configures NewPeer.
type PeerOptions struct {
	// ICEServers come from the server's welcome.
	ICEServers []protocol.ICEServer
	// Keys are from the key exchange with this viewer: the offer carries a
	// MAC of its DTLS fingerprint, and the answer must carry one of the
	// viewer's, so that the data channels are bound to the same exchange
	// as the relay and the security code.
	Keys *protocol.SessionKeys
	// RelayOnly gathers TURN candidates only (protocol.ICEPolicyRelay):
	// the viewer never learns this computer's addresses.
	RelayOnly bool
	// SettingEngine tunes pion (tests restrict candidates with it); nil
	// means pion's defaults.
	SettingEngine *webrtc.SettingEngine
	// Signal sends an offer or candidate envelope to the viewer through the
	// server. It is called from pion's goroutines.
	Signal func(typ string, payload any) error
	Logger *slog.Logger
}

// Peer is the agent's side of one WebRTC connection to one viewer. The
// agent offers; the viewer answers.
type Peer struct {
	pc     *webrtc.PeerConnection
	screen *webrtc.DataChannel
	input  *webrtc.DataChannel
	files  *webrtc.DataChannel
	log    *slog.Logger
	signal func(typ string, payload any) error
	keys   *protocol.SessionKeys

	ready  chan struct{} // closed when both channels are open
	failed chan struct{} // closed when ICE/DTLS fails or the connection closes
	closed chan struct{} // closed by Close
	in     chan []byte
	fileIn chan []byte

	unverified atomic.Bool // the answer's fingerprint was not authenticated

	mu          sync.Mutex
	opened      int
	readyDone   bool
	failOnce    sync.Once
	closeOnce   sync.Once
	offerSent   bool
	localCands  []protocol.Candidate // gathered before the offer went out
	gathered    int                  // local candidates so far
	remoteSet   bool
	remoteCands []webrtc.ICECandidateInit // arrived before the answer
}

// NewPeer creates the peer connection and its two channels and sends the
// offer through opts.Signal; local candidates follow as they are gathered.
func NewPeer(opts PeerOptions) (*Peer, error) {
	if opts.Signal == nil {
		return nil, errors.New("link: NewPeer without a Signal function")
	}
	if opts.Keys == nil {
		return nil, errors.New("link: NewPeer before the key exchange")
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	se := webrtc.SettingEngine{}
	if opts.SettingEngine != nil {
		se = *opts.SettingEngine
	}
	cfg := webrtc.Configuration{}
	if opts.RelayOnly {
		cfg.ICETransportPolicy = webrtc.ICETransportPolicyRelay
		// pion waits 2 s before nominating a relayed pair, in case a
		// direct one turns up; with relayed candidates only, none will.
		se.SetRelayAcceptanceMinWait(0)
	}
	api := webrtc.NewAPI(webrtc.WithSettingEngine(se))
	for _, s := range opts.ICEServers {
		cfg.ICEServers = append(cfg.ICEServers, webrtc.ICEServer{URLs: s.URLs, Username: s.Username, Credential: s.Credential})
	}
	pc, err := api.NewPeerConnection(cfg)
	if err != nil {
		return nil, fmt.Errorf("link: new peer connection: %w", err)
	}
	p := &Peer{
		pc:     pc,
		log:    opts.Logger,
		signal: opts.Signal,
		keys:   opts.Keys,
		ready:  make(chan struct{}),
		failed: make(chan struct{}),
		closed: make(chan struct{}),
		in:     make(chan []byte, 64),
		fileIn: make(chan []byte, 64),
	}
	if err := p.setup(); err != nil {
		return nil, errors.Join(err, pc.Close())
	}
	return p, nil
}

func (p *Peer) setup() error {
	ordered := true
	var err error
	// Both channels are ordered and reliable: tiles depend on the frame
	// before them, and input must not be reordered or lost.
	if p.screen, err = p.pc.CreateDataChannel(ChannelScreen, &webrtc.DataChannelInit{Ordered: &ordered}); err != nil {
		return fmt.Errorf("link: create %s channel: %w", ChannelScreen, err)
	}
	if p.input, err = p.pc.CreateDataChannel(ChannelInput, &webrtc.DataChannelInit{Ordered: &ordered}); err != nil {
		return fmt.Errorf("link: create %s channel: %w", ChannelInput, err)
	}
	// Files have a channel of their own, so that SCTP interleaves them
	// with the screen instead of queueing one behind the other, and a
	// blocked file reader never holds up input.
	if p.files, err = p.pc.CreateDataChannel(ChannelFiles, &webrtc.DataChannelInit{Ordered: &ordered}); err != nil {
		return fmt.Errorf("link: create %s channel: %w", ChannelFiles, err)
	}
	for _, dc := range []*webrtc.DataChannel{p.screen, p.input, p.files} {
		dc.OnOpen(p.channelOpen)
		dc.OnClose(p.fail)
	}
	p.screen.OnMessage(p.message)
	p.input.OnMessage(p.message)
	p.files.OnMessage(p.fileMessage)
	p.pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		p.log.Debug("peer connection state", "state", s)
		if s == webrtc.PeerConnectionStateFailed || s == webrtc.PeerConnectionStateClosed {
			p.fail()
		}
	})
	p.pc.OnICECandidate(p.localCandidate)

	offer, err := p.pc.CreateOffer(nil)
	if err != nil {
		return fmt.Errorf("link: create offer: %w", err)
	}
	if err := p.pc.SetLocalDescription(offer); err != nil {
		return fmt.Errorf("link: set local description: %w", err)
	}
	// The fingerprint of the description pion will use; the MAC binds it
	// to the key exchange.
	sdp := offer.SDP
	if d := p.pc.LocalDescription(); d != nil {
		sdp = d.SDP
	}
	mac, err := p.keys.SignSDP(sdp)
	if err != nil {
		return fmt.Errorf("link: sign offer: %w", err)
	}
	if err := p.signal(protocol.SigOffer, protocol.SDP{SDP: sdp, MAC: mac}); err != nil {
		return fmt.Errorf("link: send offer: %w", err)
	}
	// Candidates gathered meanwhile waited, so the viewer never sees a
	// candidate before the offer it belongs to.
	p.mu.Lock()
	p.offerSent = true
	queued := p.localCands
	p.localCands = nil
	p.mu.Unlock()
	for _, c := range queued {
		if err := p.signal(protocol.SigCandidate, c); err != nil {
			return fmt.Errorf("link: send candidate: %w", err)
		}
	}
	return nil
}

func (p *Peer) localCandidate(c *webrtc.ICECandidate) {
	if c == nil {
		// Gathering finished; the viewer needs no end marker. Without a
		// single local candidate (no usable interface, or UDP sockets
		// refused, as under Wine) peer-to-peer cannot connect: fail now
		// rather than after the ICE timeout, so the relay takes over.
		p.mu.Lock()
		none := p.gathered == 0
		p.mu.Unlock()
		if none {
			p.log.Info("no local ICE candidate: peer-to-peer cannot connect")
			p.fail()
		}
		return
	}
	init := c.ToJSON()
	pc := protocol.Candidate{Candidate: init.Candidate, SDPMid: init.SDPMid, SDPMLineIndex: init.SDPMLineIndex}
	p.mu.Lock()
	p.gathered++
	if !p.offerSent {
		p.localCands = append(p.localCands, pc)
		p.mu.Unlock()
		return
	}
	p.mu.Unlock()
	if err := p.signal(protocol.SigCandidate, pc); err != nil {
		p.log.Info("send candidate", "err", err)
	}
}

func (p *Peer) channelOpen() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.opened++
	if p.opened == 3 && !p.readyDone {
		p.readyDone = true
		close(p.ready)
	}
}

func (p *Peer) fail() { p.failOnce.Do(func() { close(p.failed) }) }

// message hands a viewer message to Recv. Blocking pion's read loop here
// pushes back on the viewer through SCTP flow control instead of dropping.
func (p *Peer) message(m webrtc.DataChannelMessage) {
	select {
	case p.in <- m.Data:
	case <-p.closed:
	case <-p.failed:
	}
}

// fileMessage hands a file-lane message to RecvFile; blocking here pushes
// back on the files channel only (pion reads each channel on its own).
func (p *Peer) fileMessage(m webrtc.DataChannelMessage) {
	select {
	case p.fileIn <- m.Data:
	case <-p.closed:
	case <-p.failed:
	}
}

// SetAnswer applies the viewer's answer and then the candidates that came
// before it. An answer whose DTLS fingerprint the viewer's MAC does not
// authenticate (a server answering in the viewer's place) fails the peer
// connection, so Wait returns ErrPeerUnverified.
func (p *Peer) SetAnswer(sdp string, mac []byte) error {
	if err := p.keys.CheckSDP(sdp, mac); err != nil {
		p.unverified.Store(true)
		p.fail()
		return fmt.Errorf("%w: %w", ErrPeerUnverified, err)
	}
	if err := p.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: sdp}); err != nil {
		return fmt.Errorf("link: set answer: %w", err)
	}
	p.mu.Lock()
	p.remoteSet = true
	queued := p.remoteCands
	p.remoteCands = nil
	p.mu.Unlock()
	var errs []error
	for _, c := range queued {
		if err := p.pc.AddICECandidate(c); err != nil {
			errs = append(errs, fmt.Errorf("link: add candidate: %w", err))
		}
	}
	return errors.Join(errs...)
}

// AddCandidate adds a viewer candidate, or keeps it until the answer is set.
func (p *Peer) AddCandidate(c protocol.Candidate) error {
	init := webrtc.ICECandidateInit{Candidate: c.Candidate, SDPMid: c.SDPMid, SDPMLineIndex: c.SDPMLineIndex}
	p.mu.Lock()
	if !p.remoteSet {
		p.remoteCands = append(p.remoteCands, init)
		p.mu.Unlock()
		return nil
	}
	p.mu.Unlock()
	if err := p.pc.AddICECandidate(init); err != nil {
		return fmt.Errorf("link: add candidate: %w", err)
	}
	return nil
}

// Wait returns the peer-to-peer Conn once all channels are open. It returns
// ErrICETimeout after timeout, ErrICEFailed when the connection fails first.
// The caller closes the Peer on error.
func (p *Peer) Wait(ctx context.Context, timeout time.Duration) (Conn, error) {
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-p.ready:
		return &p2pConn{p: p, path: p.path()}, nil
	case <-p.failed:
		if p.unverified.Load() {
			return nil, ErrPeerUnverified
		}
		return nil, ErrICEFailed
	case <-p.closed:
		return nil, ErrClosed
	case <-t.C:
		return nil, ErrICETimeout
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Close closes the channels and the peer connection.
func (p *Peer) Close() error {
	var err error
	p.closeOnce.Do(func() {
		close(p.closed)
		if cerr := p.pc.Close(); cerr != nil {
			err = fmt.Errorf("link: close peer: %w", cerr)
		}
	})
	return err
}

// path tells whether the connected data channels run straight between the
// peers or through a TURN server: the latter when the selected ICE
// candidate pair has a relayed candidate on either end.
func (p *Peer) path() string {
	sctp := p.pc.SCTP()
	if sctp == nil || sctp.Transport() == nil || sctp.Transport().ICETransport() == nil {
		return protocol.PathP2P
	}
	pair, err := sctp.Transport().ICETransport().GetSelectedCandidatePair()
	if err != nil || pair == nil {
		p.log.Info("selected candidate pair unknown", "err", err)
		return protocol.PathP2P
	}
	p.log.Info("peer-to-peer connected", "local", pair.Local.Typ.String(), "remote", pair.Remote.Typ.String())
	return pairPath(pair.Local.Typ, pair.Remote.Typ)
}

// pairPath is PathTURN when either candidate of the pair is relayed.
func pairPath(local, remote webrtc.ICECandidateType) string {
	if local == webrtc.ICECandidateTypeRelay || remote == webrtc.ICECandidateTypeRelay {
		return protocol.PathTURN
	}
	return protocol.PathP2P
}

// p2pConn sends on the screen channel and receives from both.
type p2pConn struct {
	p    *Peer
	path string // protocol.PathP2P or PathTURN
}

func (c *p2pConn) Send(b []byte) error { return c.send(c.p.screen, b, "send") }

func (c *p2pConn) Recv(ctx context.Context) ([]byte, error) { return c.recv(ctx, c.p.in) }

var _ FileLane = (*p2pConn)(nil)

// SendFile sends on the files channel.
func (c *p2pConn) SendFile(b []byte) error { return c.send(c.p.files, b, "send file") }

// RecvFile receives from the files channel.
func (c *p2pConn) RecvFile(ctx context.Context) ([]byte, error) { return c.recv(ctx, c.p.fileIn) }

func (c *p2pConn) send(dc *webrtc.DataChannel, b []byte, what string) error {
	select {
	case <-c.p.failed:
		return ErrClosed
	case <-c.p.closed:
		return ErrClosed
	default:
	}
	if err := dc.Send(b); err != nil {
		return fmt.Errorf("link: p2p %s: %w", what, err)
	}
	return nil
}

func (c *p2pConn) recv(ctx context.Context, in <-chan []byte) ([]byte, error) {
	select {
	case b := <-in:
		return b, nil
	case <-c.p.failed:
		return nil, ErrClosed
	case <-c.p.closed:
		return nil, ErrClosed
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (c *p2pConn) BufferedAmount() uint64 { return c.p.screen.BufferedAmount() }
func (c *p2pConn) Path() string           { return c.path }
func (c *p2pConn) Close() error           { return c.p.Close() }
