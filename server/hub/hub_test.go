package hub

import (
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
)

// pair is two hubs of one deployment: the same Local twice, or two
// instances on one bus. Every behaviour below must hold across instances.
type pair struct {
	name string
	new  func(t *testing.T) (a, b Hub)
}

var testSecret = []byte("0123456789abcdef0123456789abcdef")

func pairs() []pair {
	return []pair{
		{"local", func(t *testing.T) (Hub, Hub) { h := NewLocal(); return h, h }},
		{"bus", func(t *testing.T) (Hub, Hub) {
			srv := startTestBus(t)
			return newTestBus(t, srv, "a"), newTestBus(t, srv, "b")
		}},
	}
}

const testUser, testPassword = "tether", "a-long-bus-password"

func startTestBus(t *testing.T) *BusServer {
	t.Helper()
	srv, err := StartBusServer(BusServerOptions{Listen: "127.0.0.1:0", User: testUser, Password: testPassword})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Shutdown)
	return srv
}

func busURL(srv *BusServer) string {
	return "nats://" + testUser + ":" + testPassword + "@" + srv.Addr()
}

func newTestBus(t *testing.T, srv *BusServer, instance string) *Bus {
	t.Helper()
	b, err := NewBus(BusOptions{URL: busURL(srv), Secret: testSecret, Instance: instance, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	return b
}

// recv waits for m's next message.
func recv(t *testing.T, m *Member) Message {
	t.Helper()
	select {
	case msg := <-m.Inbox():
		return msg
	case <-time.After(5 * time.Second):
		t.Fatalf("%s of %s got nothing", m.Role, m.Topic)
		return Message{}
	}
}

// eventually waits for cond, for what crosses a bus asynchronously.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(5 * time.Second); time.Now().Before(end); time.Sleep(5 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatal(what)
}

func TestRouting(t *testing.T) {
	for _, p := range pairs() {
		t.Run(p.name, func(t *testing.T) {
			a, b := p.new(t)
			agent := a.Join("s1", RoleAgent)
			viewer := b.Join("s1", RoleViewer)
			page := a.Join("s1", RolePage)
			other := b.Join("s2", RolePage)

			a.Send("s1", RoleViewer, Message{Data: []byte("v"), Binary: true})
			if got := recv(t, viewer); string(got.Data) != "v" || !got.Binary {
				t.Fatalf("%+v", got)
			}
			b.Send("s1", RoleAgent, Message{Data: []byte("to agent"), Close: "bye"})
			if got := recv(t, agent); string(got.Data) != "to agent" || got.Close != "bye" || got.Binary {
				t.Fatalf("%+v", got)
			}
			b.Send("s1", RolePage, Message{Data: []byte("page")})
			if got := recv(t, page); string(got.Data) != "page" {
				t.Fatalf("%+v", got)
			}
			select {
			case <-other.Inbox():
				t.Fatal("another session's member got a message")
			case <-time.After(50 * time.Millisecond):
			}
			for _, h := range []Hub{a, b} {
				if !h.Present("s1", RoleAgent) || h.Present("s2", RoleAgent) || !h.Present("s1", RoleViewer) {
					t.Fatal("Present is wrong")
				}
			}
			agent.Leave()
			agent.Leave()
			if !errors.Is(agent.Err(), ErrLeft) {
				t.Fatal(agent.Err())
			}
			eventually(t, "the agent is still present after leaving", func() bool { return !a.Present("s1", RoleAgent) && !b.Present("s1", RoleAgent) })
		})
	}
}

// TestOrderKept: one sender's messages to a member arrive in order, which
// the relayed stream needs.
func TestOrderKept(t *testing.T) {
	for _, p := range pairs() {
		t.Run(p.name, func(t *testing.T) {
			a, b := p.new(t)
			v := b.Join("s", RoleViewer)
			for i := range 300 {
				a.Send("s", RoleViewer, Message{Data: []byte{byte(i)}})
			}
			for i := range 300 {
				if got := recv(t, v); got.Data[0] != byte(i) {
					t.Fatalf("message %d arrived as %d", i, got.Data[0])
				}
			}
		})
	}
}

func TestReplacesSingleRoles(t *testing.T) {
	for _, p := range pairs() {
		t.Run(p.name, func(t *testing.T) {
			a, b := p.new(t)
			first := a.Join("s", RoleViewer)
			second := b.Join("s", RoleViewer)
			select {
			case <-first.Done():
			case <-time.After(5 * time.Second):
				t.Fatal("the older viewer was not replaced")
			}
			if !errors.Is(first.Err(), ErrReplaced) {
				t.Fatal(first.Err())
			}
			a.Send("s", RoleViewer, Message{Data: []byte("x")})
			if got := recv(t, second); string(got.Data) != "x" {
				t.Fatal(got)
			}
			p1, p2 := a.Join("s", RolePage), b.Join("s", RolePage)
			b.Send("s", RolePage, Message{Data: []byte("p")})
			recv(t, p1)
			recv(t, p2)
			second.Leave()
			eventually(t, "a viewer is still present", func() bool { return !a.Present("s", RoleViewer) })
		})
	}
}

// TestSimultaneousJoinsKeepOne: two instances taking the same agent at once
// agree on one survivor.
func TestSimultaneousJoinsKeepOne(t *testing.T) {
	srv := startTestBus(t)
	a, b := newTestBus(t, srv, "a"), newTestBus(t, srv, "b")
	for i := range 20 {
		topic := "t" + string(rune('a'+i))
		ma, mb := make(chan *Member), make(chan *Member)
		go func() { ma <- a.Join(topic, RoleAgent) }()
		go func() { mb <- b.Join(topic, RoleAgent) }()
		x, y := <-ma, <-mb
		eventually(t, "neither join was replaced", func() bool { return isDone(x) || isDone(y) })
		time.Sleep(20 * time.Millisecond)
		if isDone(x) && isDone(y) {
			t.Fatalf("round %d: both joins were replaced", i)
		}
	}
}

func isDone(m *Member) bool {
	select {
	case <-m.Done():
		return true
	default:
		return false
	}
}

func TestDropsSlowMember(t *testing.T) {
	for _, p := range pairs() {
		t.Run(p.name, func(t *testing.T) {
			a, b := p.new(t)
			slow := b.Join("s", RoleViewer)
			fast := b.Join("s", RolePage)
			for range InboxSize + 1 {
				a.Send("s", RoleViewer, Message{Data: []byte("x")})
			}
			select {
			case <-slow.Done():
			case <-time.After(5 * time.Second):
				t.Fatal("a member with a full inbox was not dropped")
			}
			if !errors.Is(slow.Err(), ErrSlow) {
				t.Fatal(slow.Err())
			}
			if !b.Present("s", RolePage) || b.Present("s", RoleViewer) {
				t.Fatal("wrong members left")
			}
			_ = fast
		})
	}
}

func TestJoinCapped(t *testing.T) {
	for _, p := range pairs() {
		t.Run(p.name, func(t *testing.T) {
			h, _ := p.new(t)
			var ms []*Member
			for i := range 3 {
				m, ok := h.JoinCapped("s", RolePage, 3)
				if !ok {
					t.Fatalf("page %d refused", i+1)
				}
				ms = append(ms, m)
			}
			if _, ok := h.JoinCapped("s", RolePage, 3); ok {
				t.Fatal("a fourth page joined a topic capped at three")
			}
			if _, ok := h.JoinCapped("s", RoleConsole, 3); !ok {
				t.Fatal("the cap counts other roles")
			}
			ms[0].Leave()
			if _, ok := h.JoinCapped("s", RolePage, 3); !ok {
				t.Fatal("a place freed by leaving was not taken")
			}
			if n := h.Counts()[RolePage]; n != 3 {
				t.Fatalf("Counts: %d pages", n)
			}
		})
	}
}

// TestCrashedInstanceVanishes: when an instance's bus connection goes
// (the process died), its members are no longer present anywhere.
func TestCrashedInstanceVanishes(t *testing.T) {
	srv := startTestBus(t)
	a, b := newTestBus(t, srv, "a"), newTestBus(t, srv, "b")
	a.Join("s", RoleAgent)
	if !b.Present("s", RoleAgent) {
		t.Fatal("the agent on a is not present on b")
	}
	a.nc.Close() // as the kernel does for a killed process
	start := time.Now()
	eventually(t, "the crashed instance's agent is still present", func() bool { return !b.Present("s", RoleAgent) })
	t.Logf("gone after %v", time.Since(start))
}

// TestForgedFramesRefused: a client on the bus that is not a Tether
// instance (it lacks the secret) cannot deliver, replace or answer
// presence.
func TestForgedFramesRefused(t *testing.T) {
	srv := startTestBus(t)
	b := newTestBus(t, srv, "b")
	v := b.Join("s", RoleViewer)
	nc, err := nats.Connect(busURL(srv))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	wrong := &busFrame{Op: opDeliver, Data: []byte("forged"), Instance: "x"}
	subj := subject("m", busKey{RoleViewer, "s"})
	for _, data := range [][]byte{
		wrong.marshal([]byte("not the key"), subj),
		(&busFrame{Op: opReplace, Joined: 1 << 62, Instance: "x"}).marshal([]byte("nope"), subj),
		[]byte("garbage"),
		// a real signature for another subject
		wrong.marshal(b.key, subject("m", busKey{RoleViewer, "other"})),
	} {
		if err := nc.Publish(subj, data); err != nil {
			t.Fatal(err)
		}
	}
	_ = nc.Flush()
	eventually(t, "forgeries not counted", func() bool { return b.Stats().Forged >= 4 })
	select {
	case m := <-v.Inbox():
		t.Fatalf("a forged frame was delivered: %q", m.Data)
	case <-v.Done():
		t.Fatal("a forged replace dropped the viewer")
	case <-time.After(100 * time.Millisecond):
	}
	// Without the password the bus itself refuses the client.
	if c, err := nats.Connect("nats://" + srv.Addr()); err == nil {
		c.Close()
		t.Fatal("the bus admitted a client without credentials")
	}
}

// TestBusOutage: while the bus is away Ready says so; it recovers by itself
// when the bus returns, and members keep receiving.
func TestBusOutage(t *testing.T) {
	srv := startTestBus(t)
	addr := srv.Addr()
	a, b := newTestBus(t, srv, "a"), newTestBus(t, srv, "b")
	v := b.Join("s", RoleViewer)
	srv.Shutdown()
	eventually(t, "Ready is nil without a bus", func() bool { return a.Ready() != nil })
	if !errors.Is(a.Ready(), ErrUnavailable) {
		t.Fatal(a.Ready())
	}
	srv2, err := StartBusServer(BusServerOptions{Listen: addr, User: testUser, Password: testPassword})
	if err != nil {
		t.Fatal(err)
	}
	defer srv2.Shutdown()
	eventually(t, "not ready after the bus returned", func() bool { return a.Ready() == nil && b.Ready() == nil })
	eventually(t, "no delivery after the bus returned", func() bool {
		a.Send("s", RoleViewer, Message{Data: []byte("back")})
		select {
		case m := <-v.Inbox():
			return string(m.Data) == "back"
		case <-time.After(100 * time.Millisecond):
			return false
		}
	})
}

// TestBusLaterThanInstance: an instance that starts before its bus waits
// for it instead of failing, and is ready once it is there.
func TestBusLaterThanInstance(t *testing.T) {
	srv := startTestBus(t)
	addr := srv.Addr()
	srv.Shutdown()
	b, err := NewBus(BusOptions{URL: "nats://" + testUser + ":" + testPassword + "@" + addr, Secret: testSecret, Instance: "a", Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatalf("an instance without its bus yet: %v", err)
	}
	t.Cleanup(b.Close)
	if !errors.Is(b.Ready(), ErrUnavailable) {
		t.Fatalf("Ready without a bus: %v", b.Ready())
	}
	srv2, err := StartBusServer(BusServerOptions{Listen: addr, User: testUser, Password: testPassword})
	if err != nil {
		t.Fatal(err)
	}
	defer srv2.Shutdown()
	eventually(t, "not ready once the bus started", func() bool { return b.Ready() == nil })
}

func FuzzUnmarshalBus(f *testing.F) {
	key := []byte("k")
	f.Add((&busFrame{Op: opDeliver, Instance: "a", Close: "c", Data: []byte("d")}).marshal(key, "s"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		fr, err := unmarshalBus(key, "s", b)
		if err != nil {
			return
		}
		again := fr.marshal(key, "s")
		if _, err := unmarshalBus(key, "s", again); err != nil {
			t.Fatal(err)
		}
	})
}

// TestFileLane: a file-lane message goes to the member's second queue, so
// a stream of file chunks neither fills the main inbox nor waits in it.
func TestFileLane(t *testing.T) {
	h := NewLocal()
	m := h.Join("s1", RoleViewer)
	defer m.Leave()
	for i := 0; i < FilesInboxSize; i++ {
		h.Send("s1", RoleViewer, Message{Binary: true, Files: true, Data: []byte{byte(i)}})
	}
	h.Send("s1", RoleViewer, Message{Binary: true, Data: []byte("screen")})
	if got := <-m.Inbox(); string(got.Data) != "screen" {
		t.Fatalf("inbox got %q, want the screen message", got.Data)
	}
	if got := <-m.Files(); !got.Files || got.Data[0] != 0 {
		t.Fatalf("file lane got %+v, want the first chunk", got)
	}
	// One more than the lane holds: dropped as too slow.
	h.Send("s1", RoleViewer, Message{Binary: true, Files: true, Data: []byte{1}})
	h.Send("s1", RoleViewer, Message{Binary: true, Files: true, Data: []byte{2}})
	select {
	case <-m.Done():
		if m.Err() != ErrSlow {
			t.Fatalf("dropped with %v, want ErrSlow", m.Err())
		}
	default:
		t.Fatal("a member whose file lane overflowed stays")
	}
}

// TestBusFileLane: the file lane survives the bus, on its own queue.
func TestBusFileLane(t *testing.T) {
	srv := startTestBus(t)
	a, b := newTestBus(t, srv, "a"), newTestBus(t, srv, "b")
	v := b.Join("s", RoleViewer)
	eventually(t, "the viewer on b is not present on a", func() bool { return a.Present("s", RoleViewer) })
	a.Send("s", RoleViewer, Message{Binary: true, Files: true, Data: []byte("chunk")})
	select {
	case got := <-v.Files():
		if !got.Files || !got.Binary || string(got.Data) != "chunk" {
			t.Fatalf("got %+v", got)
		}
	case got := <-v.Inbox():
		t.Fatalf("a file-lane message arrived in the main inbox: %+v", got)
	case <-time.After(5 * time.Second):
		t.Fatal("nothing arrived")
	}
}
