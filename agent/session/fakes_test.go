package session

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"tether/agent/capture"
	"tether/server/protocol"
)

const testToken = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"

// fakeServer speaks the hub's side of /ws/agent.
type fakeServer struct {
	t       *testing.T
	srv     *httptest.Server
	welcome protocol.Welcome
	reject  *protocol.Error // answer the hello with this error instead
	// welcomeRaw, when set, is sent as the welcome envelope instead (a
	// hostile server adding fields of its own).
	welcomeRaw []byte
	// down makes the server refuse connections (503), for outages.
	down  atomic.Bool
	conns chan *agentConn
}

// agentConn is one agent websocket as the server sees it.
type agentConn struct {
	t     *testing.T
	ws    *websocket.Conn
	hello protocol.AgentHello
	env   chan protocol.Envelope
	bin   chan []byte
	done  chan struct{}
	// hook, when set, sees envelopes first and keeps those it returns true
	// for (the test viewer takes offers and candidates).
	hook atomic.Pointer[func(protocol.Envelope) bool]

	// The test viewer's side of the end-to-end key exchange: the server
	// loop answers the agent's key steps as a viewer would, opens relayed
	// messages before they reach bin and seals what sendBinary sends.
	hs     *protocol.Handshake // read loop only
	keys   atomic.Pointer[protocol.SessionKeys]
	sealMu sync.Mutex      // seal and write as one step, in counter order
	sealed chan relayedMsg // relayed messages as they crossed the server, and opened
	// files gets the relayed file-lane messages, opened with the lane's keys.
	files     chan []byte
	fileSeaMu sync.Mutex
}

func newFakeServer(t *testing.T, w protocol.Welcome) *fakeServer {
	t.Helper()
	fs := &fakeServer{t: t, welcome: w, conns: make(chan *agentConn, 4)}
	fs.srv = httptest.NewServer(http.HandlerFunc(fs.serve))
	t.Cleanup(fs.srv.Close)
	return fs
}

func (fs *fakeServer) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/ws/agent" {
		http.NotFound(w, r)
		return
	}
	if fs.down.Load() {
		http.Error(w, "down", http.StatusServiceUnavailable)
		return
	}
	ws, err := websocket.Accept(w, r, nil)
	if err != nil {
		fs.t.Errorf("accept: %v", err)
		return
	}
	ws.SetReadLimit(protocol.MaxMessageSize)
	ctx := r.Context()
	typ, data, err := ws.Read(ctx)
	if err != nil || typ != websocket.MessageText {
		fs.t.Errorf("first message: %v %v", typ, err)
		return
	}
	env, err := protocol.DecodeSignal(data)
	if err != nil || env.Type != protocol.SigAgentHello {
		fs.t.Errorf("first message %q: %v", env.Type, err)
		return
	}
	c := &agentConn{t: fs.t, ws: ws, env: make(chan protocol.Envelope, 256), bin: make(chan []byte, 1024), sealed: make(chan relayedMsg, 1024), files: make(chan []byte, 1024), done: make(chan struct{})}
	if err := env.Decode(&c.hello); err != nil {
		fs.t.Errorf("hello: %v", err)
		return
	}
	if fs.reject != nil {
		c.send(protocol.SigError, fs.reject)
		_ = ws.Close(websocket.StatusNormalClosure, "")
		return
	}
	if fs.welcomeRaw != nil {
		c.sendRaw(fs.welcomeRaw)
	} else {
		c.send(protocol.SigWelcome, fs.welcome)
	}
	fs.conns <- c
	defer close(c.done)
	for {
		typ, data, err := ws.Read(context.Background())
		if err != nil {
			return
		}
		if typ == websocket.MessageBinary {
			c.relayed(data)
			continue
		}
		env, err := protocol.DecodeSignal(data)
		if err != nil {
			fs.t.Errorf("agent sent a bad envelope: %v", err)
			return
		}
		if env.Type == protocol.SigKey {
			c.keyStep(env)
		}
		if h := c.hook.Load(); h != nil && (*h)(env) {
			continue
		}
		c.env <- env
	}
}

func (fs *fakeServer) accept() *agentConn {
	fs.t.Helper()
	select {
	case c := <-fs.conns:
		return c
	case <-time.After(10 * time.Second):
		fs.t.Fatal("no agent connected")
		return nil
	}
}

func (c *agentConn) send(typ string, payload any) {
	b, err := protocol.EncodeSignal(typ, payload)
	if err != nil {
		c.t.Errorf("encode %s: %v", typ, err)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.ws.Write(ctx, websocket.MessageText, b); err != nil {
		c.t.Logf("server send %s: %v", typ, err)
	}
}

// sendRaw writes a text message as is.
func (c *agentConn) sendRaw(b []byte) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.ws.Write(ctx, websocket.MessageText, b); err != nil {
		c.t.Logf("server send: %v", err)
	}
}

// sendBinary sends a session message to the agent as the viewer does on
// the relay: sealed with the keys of the latest exchange.
func (c *agentConn) sendBinary(b []byte) error {
	k := c.keys.Load()
	if k == nil {
		return errors.New("test viewer: relay before the key exchange")
	}
	c.sealMu.Lock()
	defer c.sealMu.Unlock()
	sealed, err := k.Sealer.Seal(nil, b)
	if err != nil {
		return err
	}
	return c.sendRawBinary(sealed)
}

// sendFile sends a file-lane message as the viewer does on the relay.
func (c *agentConn) sendFile(m protocol.Message) error {
	b, err := protocol.Marshal(m)
	if err != nil {
		return err
	}
	k := c.keys.Load()
	if k == nil {
		return errors.New("test viewer: relay before the key exchange")
	}
	c.fileSeaMu.Lock()
	defer c.fileSeaMu.Unlock()
	sealed, err := k.FileSealer.Seal(nil, b)
	if err != nil {
		return err
	}
	return c.sendRawBinary(sealed)
}

// sendRawBinary writes a binary message as is (a server forging one).
func (c *agentConn) sendRawBinary(b []byte) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return c.ws.Write(ctx, websocket.MessageBinary, b)
}

// keyStep answers the agent's key exchange as a viewer.
func (c *agentConn) keyStep(env protocol.Envelope) {
	var k protocol.KeyStep
	if err := env.Decode(&k); err != nil {
		c.t.Errorf("agent key step: %v", err)
		return
	}
	if len(k.Commit) > 0 { // a new exchange
		hs, err := protocol.NewHandshake(protocol.SenderViewer, "s1")
		if err != nil {
			c.t.Error(err)
			return
		}
		reply, err := hs.Reply(k)
		if err != nil {
			c.t.Errorf("agent's key commitment: %v", err)
			return
		}
		c.hs = hs
		c.keys.Store(nil)
		go c.send(protocol.SigKey, reply)
		return
	}
	if c.hs == nil {
		c.t.Error("agent revealed a key before committing")
		return
	}
	keys, err := c.hs.Reveal(k)
	if err != nil {
		c.t.Errorf("agent's key reveal: %v", err)
		return
	}
	c.keys.Store(keys)
}

// relayedMsg is one relayed message: the bytes the server saw, and what
// the viewer opened from them.
type relayedMsg struct{ wire, opened []byte }

// relayed opens a relayed message from the agent into bin, keeping the
// bytes as they crossed the server in sealed.
func (c *agentConn) relayed(b []byte) {
	k := c.keys.Load()
	if k == nil {
		c.t.Errorf("agent relayed %d bytes before the key exchange", len(b))
		return
	}
	if t, err := protocol.PeekSealed(b); err == nil && t.FileLane() {
		m, err := k.FileOpener.Open(b)
		if err != nil {
			c.t.Errorf("agent's relayed file message does not open: %v", err)
			return
		}
		c.files <- m
		return
	}
	m, err := k.Opener.Open(b)
	if err != nil {
		c.t.Errorf("agent's relayed message does not open: %v", err)
		return
	}
	select {
	case c.sealed <- relayedMsg{wire: b, opened: m}:
	default:
	}
	c.bin <- m
}

// expect returns the next envelope of type typ; other types are skipped.
func (c *agentConn) expect(typ string) protocol.Envelope {
	c.t.Helper()
	deadline := time.After(15 * time.Second)
	for {
		select {
		case env := <-c.env:
			if env.Type == typ {
				return env
			}
		case <-deadline:
			c.t.Fatalf("no %s from the agent", typ)
		}
	}
}

func decode[T any](t *testing.T, env protocol.Envelope) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(env.Payload, &v); err != nil {
		t.Fatalf("decode %s: %v", env.Type, err)
	}
	return v
}

// fakeScreen is a Capturer over an image the test may change.
type fakeScreen struct {
	mu       sync.Mutex
	frame    *capture.Frame
	out      capture.Frame
	opened   atomic.Bool
	captures atomic.Int64
	closed   atomic.Bool
}

func newFakeScreen(w, h int) *fakeScreen {
	f := &capture.Frame{Width: w, Height: h, Stride: w * 4, Pix: make([]byte, w*h*4)}
	for i := 0; i < len(f.Pix); i += 4 {
		p := i / 4
		f.Pix[i], f.Pix[i+1], f.Pix[i+2] = byte(p*7), byte(p/w*3), byte(p%w)
	}
	return &fakeScreen{frame: f}
}

func (s *fakeScreen) Capture() (*capture.Frame, error) {
	s.captures.Add(1)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.out.Width, s.out.Height, s.out.Stride = s.frame.Width, s.frame.Height, s.frame.Stride
	s.out.Pix = append(s.out.Pix[:0], s.frame.Pix...)
	return &s.out, nil
}

func (s *fakeScreen) Cursor() (capture.Cursor, error) {
	return capture.Cursor{X: 3, Y: 4, Visible: true, Serial: 1, W: 1, H: 1, RGBA: []byte{9, 9, 9, 255}}, nil
}

func (s *fakeScreen) Close() error { s.closed.Store(true); return nil }

func (s *fakeScreen) paint(x, y, w, h int, b, g, r byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for yy := y; yy < y+h; yy++ {
		for xx := x; xx < x+w; xx++ {
			i := yy*s.frame.Stride + xx*4
			s.frame.Pix[i], s.frame.Pix[i+1], s.frame.Pix[i+2] = b, g, r
		}
	}
}

// snapshot copies the current image.
func (s *fakeScreen) snapshot() capture.Frame {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := *s.frame
	f.Pix = append([]byte(nil), s.frame.Pix...)
	return f
}

// fakeInjector records calls.
type fakeInjector struct {
	mu     sync.Mutex
	calls  []string
	closed bool
}

func (f *fakeInjector) rec(s string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, s)
	return nil
}

func (f *fakeInjector) MouseMove(x, y int) error { return f.rec(fmtCall("move", x, y)) }
func (f *fakeInjector) MouseButton(b protocol.Button, down bool) error {
	return f.rec(fmtCall("button", int(b), boolInt(down)))
}
func (f *fakeInjector) Wheel(dx, dy int) error   { return f.rec(fmtCall("wheel", dx, dy)) }
func (f *fakeInjector) Key(k protocol.Key) error { return f.rec("key " + k.Key + " " + k.Code) }
func (f *fakeInjector) ReleaseAll() error        { return f.rec("release") }
func (f *fakeInjector) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closed = true
	return nil
}

func (f *fakeInjector) snapshot() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

func fmtCall(name string, a, b int) string { return fmt.Sprintf("%s %d %d", name, a, b) }

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// lockedBuffer is the customer's console.
type lockedBuffer struct {
	mu sync.Mutex
	b  []byte
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b = append(l.b, p...)
	return len(p), nil
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return string(l.b)
}
