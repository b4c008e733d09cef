// Package turn is Tether's embedded TURN server (RFC 8656, pion/turn): it
// relays the WebRTC data channels of peers that cannot reach each other
// directly, on UDP and TCP, with short-lived credentials in the TURN REST
// convention (see restcred). Each instance of a deployment runs its own;
// the secret is shared, so credentials minted by any instance work on all.
//
// The TURN server only ever forwards DTLS records it cannot read: the data
// channels are encrypted end to end between agent and viewer.
package turn

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"github.com/pion/logging"
	pturn "github.com/pion/turn/v5"

	"tether/server/turn/restcred"
)

// MaxAllocationsPerSession bounds the relay sockets one session's
// credentials may hold at once: an agent and a viewer each allocate once
// per transport (UDP and TCP) per connection attempt, and reconnects
// overlap for a while. Anything beyond that is someone reusing a leaked
// credential.
const MaxAllocationsPerSession = 16

// Config configures the embedded TURN server.
type Config struct {
	// Listen is host:port for both UDP and TCP; port 0 picks one free
	// for both.
	Listen string
	// RelayIP is the address peers reach this server at: it is in the
	// turn: URLs handed out and in every relayed candidate.
	RelayIP netip.Addr
	// RelayPortMin and RelayPortMax bound the UDP ports of relayed
	// candidates (the firewall must let them in); zero means any port.
	RelayPortMin, RelayPortMax uint16
	// Realm names the server in its challenges (RFC 8489 §9.2).
	Realm string
	// Secret checks credentials (restcred).
	Secret []byte
	// Now is the clock credentials expire by; nil means time.Now.
	Now func() time.Time
	Log *slog.Logger
}

// Server is a running TURN server.
type Server struct {
	srv  *pturn.Server
	port int
	urls []string
	log  *slog.Logger

	mu    sync.Mutex
	inUse map[string]int // allocations per session
}

// Start listens on cfg.Listen and serves TURN until Close.
func Start(cfg Config) (*Server, error) {
	if !cfg.RelayIP.IsValid() {
		return nil, errors.New("turn: no relay address")
	}
	if len(cfg.Secret) == 0 {
		return nil, errors.New("turn: no secret")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	host, _, err := net.SplitHostPort(cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("turn: listen %q: %w", cfg.Listen, err)
	}
	udp, tcp, err := listen(cfg.Listen)
	if err != nil {
		return nil, err
	}
	s := &Server{port: udp.LocalAddr().(*net.UDPAddr).Port, log: cfg.Log, inUse: map[string]int{}}
	// Relay sockets bind where the server listens (all interfaces by
	// default) and are announced at RelayIP.
	bind := host
	if bind == "" {
		bind = "0.0.0.0"
		if cfg.RelayIP.Is6() && !cfg.RelayIP.Is4In6() {
			bind = "::"
		}
	}
	relayIP := net.IP(cfg.RelayIP.Unmap().AsSlice())
	var gen pturn.RelayAddressGenerator = &pturn.RelayAddressGeneratorStatic{RelayAddress: relayIP, Address: bind}
	if cfg.RelayPortMin != 0 {
		gen = &pturn.RelayAddressGeneratorPortRange{RelayAddress: relayIP, Address: bind, MinPort: cfg.RelayPortMin, MaxPort: cfg.RelayPortMax, MaxRetries: 50}
	}
	permit := permission(cfg.RelayIP)
	s.srv, err = pturn.NewServer(pturn.ServerConfig{
		Realm:             cfg.Realm,
		AuthHandler:       s.auth(cfg.Secret, cfg.Now),
		QuotaHandler:      s.quota,
		EventHandler:      pturn.EventHandler{OnAllocationCreated: s.created, OnAllocationDeleted: s.deleted},
		LoggerFactory:     pionLogs{cfg.Log},
		PacketConnConfigs: []pturn.PacketConnConfig{{PacketConn: udp, RelayAddressGenerator: gen, PermissionHandler: permit}},
		ListenerConfigs:   []pturn.ListenerConfig{{Listener: tcp, RelayAddressGenerator: gen, PermissionHandler: permit}},
	})
	if err != nil {
		udp.Close()
		tcp.Close()
		return nil, fmt.Errorf("turn: %w", err)
	}
	hp := net.JoinHostPort(cfg.RelayIP.Unmap().String(), strconv.Itoa(s.port))
	s.urls = []string{"turn:" + hp + "?transport=udp", "turn:" + hp + "?transport=tcp"}
	return s, nil
}

// listen opens UDP and TCP on the same address; with port 0, on the same
// free port for both.
func listen(addr string) (net.PacketConn, net.Listener, error) {
	host, port, _ := net.SplitHostPort(addr)
	for try := 0; ; try++ {
		udp, err := net.ListenPacket("udp", addr)
		if err != nil {
			return nil, nil, fmt.Errorf("turn: listen udp: %w", err)
		}
		p := udp.LocalAddr().(*net.UDPAddr).Port
		tcp, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(p)))
		if err == nil {
			return udp, tcp, nil
		}
		udp.Close()
		if port != "0" || try == 20 {
			return nil, nil, fmt.Errorf("turn: listen tcp: %w", err)
		}
	}
}

// permission keeps TURN from being a way into the server's own machine:
// a client may relay to any address but a loopback, unspecified or
// multicast one, except this server's relay address itself (where the other
// peer's relayed candidate lives when the relay address is loopback, as on
// a single computer).
func permission(relay netip.Addr) pturn.PermissionHandler {
	return func(_ net.Addr, peer net.IP) bool {
		a, ok := netip.AddrFromSlice(peer)
		if !ok {
			return false
		}
		a = a.Unmap()
		if a == relay.Unmap() {
			return true
		}
		return !a.IsLoopback() && !a.IsUnspecified() && !a.IsMulticast() && !a.IsLinkLocalMulticast()
	}
}

// auth accepts a username that has not expired and keys the request's
// MESSAGE-INTEGRITY with its REST password: a forged or wrong-secret
// credential fails that check (compared in constant time by pion/stun).
func (s *Server) auth(secret []byte, now func() time.Time) pturn.AuthHandler {
	return func(ra *pturn.RequestAttributes) (string, []byte, bool) {
		if err := restcred.Live(ra.Username, now()); err != nil {
			s.log.Info("turn: credentials refused", "from", ra.SrcAddr.String(), "method", ra.Method.String(), "err", err)
			return "", nil, false
		}
		return ra.Username, pturn.GenerateAuthKey(ra.Username, ra.Realm, restcred.Password(secret, ra.Username)), true
	}
}

func session(username string) string {
	_, id, _ := restcred.Expiry(username)
	return id
}

func (s *Server) quota(username, _ string, src net.Addr) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.inUse[session(username)] >= MaxAllocationsPerSession {
		s.log.Info("turn: allocation quota reached", "session", session(username), "from", src.String())
		return false
	}
	return true
}

func (s *Server) created(src, _ net.Addr, protocol, username, _ string, relay net.Addr, _ int) {
	s.mu.Lock()
	s.inUse[session(username)]++
	s.mu.Unlock()
	s.log.Debug("turn: allocation", "session", session(username), "from", src.String(), "protocol", protocol, "relay", relay.String())
}

func (s *Server) deleted(_, _ net.Addr, _, username, _ string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := session(username)
	if s.inUse[id] <= 1 {
		delete(s.inUse, id)
		return
	}
	s.inUse[id]--
}

// URLs are the turn: URLs peers use, UDP first.
func (s *Server) URLs() []string { return s.urls }

// Port is the UDP and TCP port the server listens on.
func (s *Server) Port() int { return s.port }

// Allocations is the number of relay allocations in use.
func (s *Server) Allocations() int { return s.srv.AllocationCount() }

// Close stops the server and frees every allocation.
func (s *Server) Close() error {
	if err := s.srv.Close(); err != nil {
		return fmt.Errorf("turn: close: %w", err)
	}
	return nil
}

// pionLogs sends pion's warnings and errors to slog, and its chatter to debug.
type pionLogs struct{ log *slog.Logger }

func (p pionLogs) NewLogger(scope string) logging.LeveledLogger {
	return pionLogger{p.log.With("scope", "pion/"+scope)}
}

type pionLogger struct{ log *slog.Logger }

func (l pionLogger) Trace(string)          {}
func (l pionLogger) Tracef(string, ...any) {}
func (l pionLogger) Debug(m string)        { l.log.Debug(m) }
func (l pionLogger) Info(m string)         { l.log.Debug(m) }
func (l pionLogger) Infof(f string, a ...any) {
	l.Debugf(f, a...)
}

// Debugf formats only when debug logging is on: pion logs per packet.
func (l pionLogger) Debugf(f string, a ...any) {
	if l.log.Enabled(context.Background(), slog.LevelDebug) {
		l.log.Debug(fmt.Sprintf(f, a...))
	}
}
func (l pionLogger) Warn(m string)             { l.log.Warn(m) }
func (l pionLogger) Warnf(f string, a ...any)  { l.log.Warn(fmt.Sprintf(f, a...)) }
func (l pionLogger) Error(m string)            { l.log.Warn(m) }
func (l pionLogger) Errorf(f string, a ...any) { l.log.Warn(fmt.Sprintf(f, a...)) }

// MachineAddr returns this machine's first global unicast address, IPv4
// first: the relay address when none is configured and the base URL names
// a host. Behind NAT it is a private address, which serves peers on that
// network only; set the public one with -turn-relay-ip.
func MachineAddr() (netip.Addr, error) {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return netip.Addr{}, fmt.Errorf("turn: interface addresses: %w", err)
	}
	var v6 netip.Addr
	for _, a := range addrs {
		p, err := netip.ParsePrefix(a.String())
		if err != nil || !p.Addr().IsGlobalUnicast() {
			continue
		}
		if ip := p.Addr().Unmap(); ip.Is4() {
			return ip, nil
		} else if !v6.IsValid() {
			v6 = ip
		}
	}
	if v6.IsValid() {
		return v6, nil
	}
	return netip.Addr{}, errors.New("turn: this machine has no global unicast address; set -turn-relay-ip")
}
