package turn

import (
	"bytes"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	pturn "github.com/pion/turn/v5"

	"tether/server/turn/restcred"
)

var (
	secret = []byte("the server secret's TURN key, 32b")
	now    = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
)

func startTURN(t *testing.T) *Server {
	t.Helper()
	s, err := Start(Config{
		Listen: "127.0.0.1:0", RelayIP: netip.MustParseAddr("127.0.0.1"), Realm: "tether.test",
		Secret: secret, Now: func() time.Time { return now }, Log: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return s
}

// client makes a TURN client over UDP or TCP to s with the given credentials.
func client(t *testing.T, s *Server, network, user, pass string) *pturn.Client {
	t.Helper()
	return clientAt(t, "127.0.0.1:"+strconv.Itoa(s.Port()), network, user, pass)
}

// clientAt makes a TURN client over UDP or TCP to addr.
func clientAt(t *testing.T, addr, network, user, pass string) *pturn.Client {
	t.Helper()
	var conn net.PacketConn
	switch network {
	case "udp":
		c, err := net.ListenPacket("udp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		conn = c
	case "tcp":
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		conn = pturn.NewSTUNConn(c)
	}
	c, err := pturn.NewClient(&pturn.ClientConfig{
		STUNServerAddr: addr, TURNServerAddr: addr, Conn: conn, Username: user, Password: pass,
		Realm: "tether.test", RTO: 100 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Listen(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(); conn.Close() })
	return c
}

// TestPeersRelayThroughTURNWithSessionCredentials: an agent and a viewer
// of one session each allocate a relayed address with the credentials the
// server minted for them, one over UDP, one over TCP, and a packet crosses
// from one relayed address to the other.
func TestPeersRelayThroughTURNWithSessionCredentials(t *testing.T) {
	s := startTURN(t)
	if got := s.URLs(); len(got) != 2 || got[0] != "turn:127.0.0.1:"+strconv.Itoa(s.Port())+"?transport=udp" || !strings.HasSuffix(got[1], "?transport=tcp") {
		t.Fatalf("URLs %v", got)
	}
	iss := &restcred.Issuer{TURN: s.URLs(), Secret: secret, Now: func() time.Time { return now }}
	agentICE, viewerICE := iss.ICEServers("sess1")[0], iss.ICEServers("sess1")[0]

	agent := client(t, s, "udp", agentICE.Username, agentICE.Credential)
	viewer := client(t, s, "tcp", viewerICE.Username, viewerICE.Credential)
	a, err := agent.Allocate()
	if err != nil {
		t.Fatalf("agent allocate over UDP: %v", err)
	}
	defer a.Close()
	tcpAlloc, err := viewer.Allocate()
	if err != nil {
		t.Fatalf("viewer allocate over TCP: %v", err)
	}
	defer tcpAlloc.Close()
	if ip := a.LocalAddr().(*net.UDPAddr).IP; !ip.Equal(net.IPv4(127, 0, 0, 1)) {
		t.Fatalf("relayed address %v, want the relay IP", a.LocalAddr())
	}
	if s.Allocations() != 2 {
		t.Fatalf("%d allocations, want 2", s.Allocations())
	}
	// Each side permits the other's relayed address (as ICE does by
	// sending to it), then the agent's packet arrives at the viewer.
	if _, err := tcpAlloc.WriteTo([]byte("hello"), a.LocalAddr()); err != nil {
		t.Fatal(err)
	}
	msg := []byte("through TURN")
	got := make([]byte, 64)
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, err := a.WriteTo(msg, tcpAlloc.LocalAddr()); err != nil {
			t.Fatal(err)
		}
		tcpAlloc.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		n, from, err := tcpAlloc.ReadFrom(got)
		if err == nil && bytes.Equal(got[:n], msg) {
			if from.String() != a.LocalAddr().String() {
				t.Fatalf("from %v, want %v", from, a.LocalAddr())
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("nothing relayed: %v", err)
		}
	}
}

// TestTURNRefusesBadCredentials: expired, forged, wrong-secret and
// malformed credentials allocate nothing.
func TestTURNRefusesBadCredentials(t *testing.T) {
	s := startTURN(t)
	valid, cred := restcred.Mint(secret, "sess1", now.Add(time.Hour))
	expired, expiredCred := restcred.Mint(secret, "sess1", now.Add(-time.Second))
	other, otherCred := restcred.Mint([]byte("another deployment's secret"), "sess1", now.Add(time.Hour))
	tests := []struct{ name, user, pass string }{
		{"expired", expired, expiredCred},
		{"forged credential", valid, restcred.Password(secret, valid+"0")},
		{"expiry moved later", restcred.Username("sess1", now.Add(100*time.Hour)), cred},
		{"wrong secret", other, otherCred},
		{"no expiry", "sess1", restcred.Password(secret, "sess1")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := client(t, s, "udp", tt.user, tt.pass)
			if a, err := c.Allocate(); err == nil {
				a.Close()
				t.Fatal("allocated")
			}
		})
	}
	if s.Allocations() != 0 {
		t.Fatalf("%d allocations", s.Allocations())
	}
}

// TestTURNKeyMatchesPionRESTHandler: the key the embedded server derives is
// the one pion's own TURN REST handler (and so coturn's convention) derives.
func TestTURNKeyMatchesPionRESTHandler(t *testing.T) {
	user, _ := restcred.Mint(secret, "sess1", time.Now().Add(time.Hour))
	ra := &pturn.RequestAttributes{Username: user, Realm: "r", SrcAddr: &net.UDPAddr{}}
	_, want, ok := pturn.LongTermTURNRESTAuthHandler(string(secret), nil)(ra)
	if !ok {
		t.Fatal("pion refused")
	}
	s := &Server{log: slog.New(slog.DiscardHandler)}
	_, got, ok := s.auth(secret, time.Now)(ra)
	if !ok || !bytes.Equal(got, want) {
		t.Fatalf("key %x, pion %x", got, want)
	}
}

// TestTURNQuotaPerSession: one session's credentials hold at most
// MaxAllocationsPerSession relayed addresses at once.
func TestTURNQuotaPerSession(t *testing.T) {
	s := startTURN(t)
	user, cred := restcred.Mint(secret, "greedy", now.Add(time.Hour))
	for i := 0; i < MaxAllocationsPerSession; i++ {
		a, err := client(t, s, "udp", user, cred).Allocate()
		if err != nil {
			t.Fatalf("allocation %d: %v", i, err)
		}
		defer a.Close()
	}
	if a, err := client(t, s, "udp", user, cred).Allocate(); err == nil {
		a.Close()
		t.Fatal("allocated beyond the quota")
	}
	other, otherCred := restcred.Mint(secret, "modest", now.Add(time.Hour))
	a, err := client(t, s, "udp", other, otherCred).Allocate()
	if err != nil {
		t.Fatalf("another session: %v", err)
	}
	a.Close()
}

func TestPermissionKeepsRelaysOffLoopback(t *testing.T) {
	public := permission(netip.MustParseAddr("198.51.100.7"))
	local := permission(netip.MustParseAddr("127.0.0.1"))
	for _, tt := range []struct {
		name string
		ok   func(net.Addr, net.IP) bool
		peer string
		want bool
	}{
		{"another peer", public, "203.0.113.9", true},
		{"a LAN peer", public, "192.168.1.20", true},
		{"this server's relays", public, "198.51.100.7", true},
		{"loopback", public, "127.0.0.1", false},
		{"IPv6 loopback", public, "::1", false},
		{"unspecified", public, "0.0.0.0", false},
		{"multicast", public, "224.0.0.1", false},
		{"single-computer relays", local, "127.0.0.1", true},
		{"other loopback", local, "127.0.0.2", false},
	} {
		if got := tt.ok(nil, net.ParseIP(tt.peer)); got != tt.want {
			t.Errorf("%s (%s): %v, want %v", tt.name, tt.peer, got, tt.want)
		}
	}
}
