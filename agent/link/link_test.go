package link

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/pion/ice/v4"
	"github.com/pion/webrtc/v4"

	"tether/server/protocol"
	"tether/server/protocol/protocoltest"
	"tether/server/turn"
	"tether/server/turn/restcred"
)

func TestWebsocketURL(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"https://tether.example.com", "wss://tether.example.com/ws/agent"},
		{"http://127.0.0.1:8080/", "ws://127.0.0.1:8080/ws/agent"},
		{"https://example.com/support/", "wss://example.com/support/ws/agent"},
		{"ftp://example.com", ""},
		// Only a server on this computer may be reached without TLS.
		{"http://tether.example.com", ""},
		{"http://192.168.1.10:8080", ""},
		{"http://localhost:8080", "ws://localhost:8080/ws/agent"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := WebsocketURL(tc.in)
			if tc.want == "" {
				if err == nil {
					t.Fatalf("got %q, want an error", got)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

func loopbackEngine() *webrtc.SettingEngine {
	se := &webrtc.SettingEngine{}
	se.SetIncludeLoopbackCandidate(true)
	se.SetInterfaceFilter(func(name string) bool { return name == "lo" })
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	return se
}

// answerer is a pion viewer wired to a Peer without a server in between.
type answerer struct {
	t      *testing.T
	keys   *protocol.SessionKeys // the viewer's, from exchange
	pc     *webrtc.PeerConnection
	agent  atomic.Pointer[Peer]
	input  chan *webrtc.DataChannel
	screen chan []byte
}

// exchange runs a key exchange and returns the agent's and the viewer's keys.
func exchange(t *testing.T) (agent, viewer *protocol.SessionKeys) {
	return protocoltest.Keys(t, "sess")
}

func newAnswerer(t *testing.T, keys *protocol.SessionKeys) *answerer {
	return newAnswererWith(t, keys, webrtc.Configuration{})
}

// newAnswererWith is an answerer with cfg (ICE servers and policy).
func newAnswererWith(t *testing.T, keys *protocol.SessionKeys, cfg webrtc.Configuration) *answerer {
	api := webrtc.NewAPI(webrtc.WithSettingEngine(*loopbackEngine()))
	pc, err := api.NewPeerConnection(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pc.Close() })
	a := &answerer{t: t, keys: keys, pc: pc, input: make(chan *webrtc.DataChannel, 1), screen: make(chan []byte, 16)}
	pc.OnDataChannel(func(dc *webrtc.DataChannel) {
		switch dc.Label() {
		case ChannelInput:
			dc.OnOpen(func() { a.input <- dc })
		case ChannelScreen:
			dc.OnMessage(func(m webrtc.DataChannelMessage) { a.screen <- m.Data })
		}
	})
	pc.OnICECandidate(func(c *webrtc.ICECandidate) {
		if c == nil {
			return
		}
		init := c.ToJSON()
		go func() {
			// the agent's Peer may not exist yet while it sends its offer
			waitFor(t, "agent peer", func() bool { return a.agent.Load() != nil })
			if err := a.agent.Load().AddCandidate(protocol.Candidate{Candidate: init.Candidate, SDPMid: init.SDPMid, SDPMLineIndex: init.SDPMLineIndex}); err != nil {
				t.Errorf("agent add candidate: %v", err)
			}
		}()
	})
	return a
}

// signal is the agent Peer's Signal function.
func (a *answerer) signal(typ string, payload any) error {
	switch typ {
	case protocol.SigOffer:
		offer := payload.(protocol.SDP)
		if err := a.keys.CheckSDP(offer.SDP, offer.MAC); err != nil {
			return err
		}
		if err := a.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offer.SDP}); err != nil {
			return err
		}
		ans, err := a.pc.CreateAnswer(nil)
		if err != nil {
			return err
		}
		if err := a.pc.SetLocalDescription(ans); err != nil {
			return err
		}
		mac, err := a.keys.SignSDP(ans.SDP)
		if err != nil {
			return err
		}
		go func() {
			waitFor(a.t, "agent peer", func() bool { return a.agent.Load() != nil })
			if err := a.agent.Load().SetAnswer(ans.SDP, mac); err != nil && !errors.Is(err, ErrPeerUnverified) {
				a.t.Errorf("set answer: %v", err)
			}
		}()
	case protocol.SigCandidate:
		c := payload.(protocol.Candidate)
		return a.pc.AddICECandidate(webrtc.ICECandidateInit{Candidate: c.Candidate, SDPMid: c.SDPMid, SDPMLineIndex: c.SDPMLineIndex})
	}
	return nil
}

func waitFor(t *testing.T, what string, cond func() bool) {
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Errorf("timed out waiting for %s", what)
			return
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// connect makes the agent's Peer with opts towards a, waits for the
// channels, checks the path it announces and that a frame reaches a.
func connect(t *testing.T, a *answerer, opts PeerOptions, wantPath string) Conn {
	t.Helper()
	opts.SettingEngine, opts.Signal = loopbackEngine(), a.signal
	p, err := NewPeer(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	a.agent.Store(p)
	conn, err := p.Wait(context.Background(), 10*time.Second)
	if err != nil {
		t.Fatalf("Wait: %v", err)
	}
	if conn.Path() != wantPath {
		t.Errorf("path %q, want %q", conn.Path(), wantPath)
	}
	if err := conn.Send([]byte("frame")); err != nil {
		t.Fatal(err)
	}
	if got := string(<-a.screen); got != "frame" {
		t.Errorf("viewer got %q", got)
	}
	return conn
}

func TestPeerConnects(t *testing.T) {
	agentKeys, viewerKeys := exchange(t)
	a := newAnswerer(t, viewerKeys)
	conn := connect(t, a, PeerOptions{Keys: agentKeys}, protocol.PathP2P)
	in := <-a.input
	if err := in.Send([]byte("ack")); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if b, err := conn.Recv(ctx); err != nil || string(b) != "ack" {
		t.Fatalf("Recv: %q, %v", b, err)
	}
	if err := conn.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Recv(ctx); !errors.Is(err, ErrClosed) {
		t.Fatalf("Recv after Close: %v", err)
	}
}

// TestPeerConnectsThroughTURN: with the relay-only policy on both ends and
// session credentials for Tether's embedded TURN server, the channels open
// through TURN and the agent says so (PathTURN).
func TestPeerConnectsThroughTURN(t *testing.T) {
	secret := []byte("turn secret")
	ts, err := turn.Start(turn.Config{Listen: "127.0.0.1:0", RelayIP: netip.MustParseAddr("127.0.0.1"), Realm: "test", Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	defer ts.Close()
	iss := &restcred.Issuer{TURN: ts.URLs()[:1], Secret: secret}
	viewerICE := iss.ICEServers("s1")[0]
	agentKeys, viewerKeys := exchange(t)
	a := newAnswererWith(t, viewerKeys, webrtc.Configuration{ICETransportPolicy: webrtc.ICETransportPolicyRelay, ICEServers: []webrtc.ICEServer{
		{URLs: viewerICE.URLs, Username: viewerICE.Username, Credential: viewerICE.Credential},
	}})
	connect(t, a, PeerOptions{ICEServers: iss.ICEServers("s1"), RelayOnly: true, Keys: agentKeys}, protocol.PathTURN)
	if n := ts.Allocations(); n != 2 {
		t.Errorf("%d TURN allocations, want one per peer", n)
	}
}

func TestPairPath(t *testing.T) {
	host, srflx, relay := webrtc.ICECandidateTypeHost, webrtc.ICECandidateTypeSrflx, webrtc.ICECandidateTypeRelay
	for _, tt := range []struct {
		local, remote webrtc.ICECandidateType
		want          string
	}{
		{host, host, protocol.PathP2P},
		{srflx, host, protocol.PathP2P},
		{relay, host, protocol.PathTURN},
		{srflx, relay, protocol.PathTURN},
		{relay, relay, protocol.PathTURN},
	} {
		if got := pairPath(tt.local, tt.remote); got != tt.want {
			t.Errorf("%s/%s: %q, want %q", tt.local, tt.remote, got, tt.want)
		}
	}
}

// TestPeerTimesOut: when the viewer never answers (its network swallows
// the signaling, or it cannot reach any of the agent's candidates) Wait
// gives up after the timeout, which is when the session switches to the
// relay.
func TestPeerTimesOut(t *testing.T) {
	agentKeys, _ := exchange(t)
	p, err := NewPeer(PeerOptions{SettingEngine: loopbackEngine(), Keys: agentKeys, Signal: func(string, any) error { return nil }})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	const timeout = 800 * time.Millisecond
	start := time.Now()
	_, err = p.Wait(context.Background(), timeout)
	took := time.Since(start)
	if !errors.Is(err, ErrICETimeout) {
		t.Fatalf("Wait: %v, want a timeout", err)
	}
	if took < timeout || took > timeout+time.Second {
		t.Fatalf("Wait took %v with a %v timeout", took, timeout)
	}
}

// TestPeerWithoutCandidatesFailsAtOnce: when not a single local candidate
// can be gathered (UDP refused, as under Wine 8), peer-to-peer cannot
// connect, and Wait says so as soon as gathering ends, not at the timeout.
func TestPeerWithoutCandidatesFailsAtOnce(t *testing.T) {
	agentKeys, viewerKeys := exchange(t)
	a := newAnswerer(t, viewerKeys)
	none := loopbackEngine()
	none.SetInterfaceFilter(func(string) bool { return false })
	p, err := NewPeer(PeerOptions{SettingEngine: none, Keys: agentKeys, Signal: a.signal})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	start := time.Now()
	if _, err := p.Wait(context.Background(), 30*time.Second); !errors.Is(err, ErrICEFailed) {
		t.Fatalf("Wait: %v, want ErrICEFailed", err)
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Fatalf("Wait took %v", took)
	}
}

// TestPeerRefusesAnAnswerFromSomeoneElse: an answer whose DTLS fingerprint
// the viewer's MAC does not cover (the server answering in the viewer's
// place, with its own certificate) fails the peer connection at once with
// ErrPeerUnverified, and the offer never reaches an answerer whose keys it
// does not match either.
func TestPeerRefusesAnAnswerFromSomeoneElse(t *testing.T) {
	agentKeys, _ := exchange(t)
	_, mitmKeys := exchange(t) // the server's own exchange with the agent's viewer
	a := newAnswerer(t, mitmKeys)
	offered := make(chan error, 1)
	p, err := NewPeer(PeerOptions{SettingEngine: loopbackEngine(), Keys: agentKeys, Signal: func(typ string, payload any) error {
		if typ == protocol.SigOffer {
			offer := payload.(protocol.SDP)
			offered <- a.keys.CheckSDP(offer.SDP, offer.MAC)
		}
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if err := <-offered; !errors.Is(err, protocol.ErrFingerprint) {
		t.Fatalf("the offer checked with other keys: %v, want ErrFingerprint", err)
	}
	// The man in the middle answers with its own fingerprint and MAC.
	ans := answerFor(t, a, p)
	mac, err := mitmKeys.SignSDP(ans)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.SetAnswer(ans, mac); !errors.Is(err, ErrPeerUnverified) || !errors.Is(err, protocol.ErrFingerprint) {
		t.Fatalf("SetAnswer: %v, want ErrPeerUnverified", err)
	}
	if _, err := p.Wait(context.Background(), 10*time.Second); !errors.Is(err, ErrPeerUnverified) {
		t.Fatalf("Wait: %v, want ErrPeerUnverified", err)
	}
}

// answerFor has a's connection answer p's current offer, unchecked.
func answerFor(t *testing.T, a *answerer, p *Peer) string {
	t.Helper()
	if err := a.pc.SetRemoteDescription(*p.pc.LocalDescription()); err != nil {
		t.Fatal(err)
	}
	ans, err := a.pc.CreateAnswer(nil)
	if err != nil {
		t.Fatal(err)
	}
	return ans.SDP
}

// wsServer answers hellos with welcome and then runs fn on the connection.
func wsServer(t *testing.T, fn func(n int, ws *websocket.Conn)) (*httptest.Server, *atomic.Int32) {
	var count atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		n := int(count.Add(1))
		if _, _, err := ws.Read(r.Context()); err != nil {
			return
		}
		b, _ := protocol.EncodeSignal(protocol.SigWelcome, protocol.Welcome{SessionID: "s"})
		if err := ws.Write(r.Context(), websocket.MessageText, b); err != nil {
			return
		}
		fn(n, ws)
	}))
	t.Cleanup(srv.Close)
	return srv, &count
}

func TestSignalEndStopsReconnecting(t *testing.T) {
	srv, count := wsServer(t, func(n int, ws *websocket.Conn) {
		b, _ := protocol.EncodeSignal(protocol.SigEnd, protocol.End{Reason: "expired"})
		_ = ws.Write(context.Background(), websocket.MessageText, b)
		_ = ws.Close(websocket.StatusNormalClosure, "")
	})
	s, _, err := Connect(context.Background(), SignalOptions{Server: srv.URL, MaxBackoff: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	env, ok := <-s.Envelopes()
	if !ok || env.Type != protocol.SigEnd {
		t.Fatalf("got %+v %v, want end", env, ok)
	}
	for range s.Envelopes() {
	}
	var ended *EndedError
	if !errors.As(s.Err(), &ended) {
		t.Fatalf("Err %v, want EndedError", s.Err())
	}
	if n := count.Load(); n != 1 {
		t.Fatalf("%d connections, want no reconnect after end", n)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestSignalReconnectsAndRelays: after a dropped connection the relay
// works on the new one, sealed end to end: the bytes the server sees never
// hold the message in clear, a viewer with the keys opens them, and what a
// server injects, replays or alters on the way is dropped by the agent.
func TestSignalReconnectsAndRelays(t *testing.T) {
	agentKeys, viewerKeys := exchange(t)
	secret := []byte("THE-CUSTOMER'S-PASSWORD-ON-SCREEN")
	plain, err := protocol.Marshal(&protocol.Photo{Seq: 1, Width: 64, Height: 64, W: 8, H: 8, Format: protocol.PhotoJPEG, Data: secret})
	if err != nil {
		t.Fatal(err)
	}
	pong, _ := protocol.Marshal(&protocol.Pong{Micros: 77})
	serverSaw := make(chan error, 1)
	srv, count := wsServer(t, func(n int, ws *websocket.Conn) {
		if n == 1 {
			_ = ws.CloseNow() // a dropped connection
			return
		}
		// The server's view of the relay, with the viewer's keys behind it.
		ctx := context.Background()
		for {
			typ, b, err := ws.Read(ctx)
			if err != nil {
				return
			}
			if typ != websocket.MessageBinary {
				continue
			}
			if bytes.Contains(b, secret) {
				serverSaw <- errors.New("the server saw the message in clear")
				return
			}
			if typ, err := protocol.PeekSealed(b); err != nil || typ != protocol.TypePhoto {
				serverSaw <- fmt.Errorf("the clear type: %s, %v", typ, err)
				return
			}
			got, err := viewerKeys.Opener.Open(b)
			if err == nil && !bytes.Equal(got, plain) {
				err = fmt.Errorf("viewer opened %x", got)
			}
			serverSaw <- err
			// Injected, then replayed, then altered, then the real reply.
			forged := append([]byte{protocol.Version, byte(protocol.TypePong)}, make([]byte, 8+8+16)...)
			sealed, _ := viewerKeys.Sealer.Seal(nil, pong)
			altered := bytes.Clone(sealed)
			altered[len(altered)-1] ^= 1
			for _, m := range [][]byte{forged, altered, sealed, sealed} {
				if err := ws.Write(ctx, websocket.MessageBinary, m); err != nil {
					return
				}
			}
		}
	})
	s, _, err := Connect(context.Background(), SignalOptions{Server: srv.URL, MaxBackoff: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	env := <-s.Envelopes()
	if env.Type != protocol.SigWelcome || count.Load() != 2 {
		t.Fatalf("after drop: %s, %d connections; want a new welcome", env.Type, count.Load())
	}
	if _, err := s.Relay(nil); err == nil {
		t.Fatal("a relay without keys")
	}
	r, err := s.Relay(agentKeys)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Send(plain); err != nil {
		t.Fatal(err)
	}
	if err := <-serverSaw; err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if b, err := r.Recv(ctx); err != nil || !bytes.Equal(b, pong) {
		t.Fatalf("relay reply %x, %v; want the genuine pong", b, err)
	}
	// The replayed copy was dropped too: nothing else is waiting.
	short, scancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer scancel()
	if b, err := r.Recv(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("after the reply: %x, %v; want nothing", b, err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if err := r.Send(pong); !errors.Is(err, ErrClosed) {
		t.Fatalf("Send after Close: %v", err)
	}
}

func TestSignalGivesUp(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	var retries atomic.Int32
	_, _, err := Connect(context.Background(), SignalOptions{
		Server:     srv.URL,
		MaxBackoff: 20 * time.Millisecond,
		// Long enough for several retries even when a dial is slow under
		// load; the test ends as soon as Connect gives up.
		GiveUp:  2 * time.Second,
		OnRetry: func(error, time.Duration) { retries.Add(1) },
	})
	if err == nil || retries.Load() < 2 {
		t.Fatalf("Connect: %v after %d retries, want to give up after retrying", err, retries.Load())
	}
}
