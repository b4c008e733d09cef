package hub

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	natsserver "github.com/nats-io/nats-server/v2/server"
)

// BusServerOptions configure an embedded NATS server (`tether bus`).
type BusServerOptions struct {
	// Listen is host:port for clients (the Tether instances).
	Listen string
	// User and Password are what instances authenticate with; no anonymous
	// client is admitted.
	User, Password string
	// ClusterListen and Routes join several bus servers into one NATS
	// cluster, so that the bus survives one of them.
	ClusterListen string
	Routes        []string
	// TLSCert and TLSKey make clients connect with TLS (tls:// URLs).
	TLSCert, TLSKey string
}

// BusServer is a running embedded NATS server.
type BusServer struct{ s *natsserver.Server }

// StartBusServer starts a NATS server and waits until it takes clients.
func StartBusServer(o BusServerOptions) (*BusServer, error) {
	// config.ParseBus says what a good password is; this only refuses to
	// run a bus anyone could join.
	if o.User == "" || o.Password == "" {
		return nil, errors.New("bus: refusing to run without a user and password")
	}
	host, port, err := splitHostPort(o.Listen)
	if err != nil {
		return nil, fmt.Errorf("bus: listen: %w", err)
	}
	opts := &natsserver.Options{
		ServerName: "tether-bus-" + strconv.Itoa(port),
		Host:       host, Port: port,
		Username: o.User, Password: o.Password,
		NoSigs: true, NoLog: true,
		// A host that vanishes without closing its connections (power,
		// network) is noticed within PingInterval × MaxPingsOut, and its
		// members with it.
		PingInterval: 2 * time.Second, MaxPingsOut: 2,
		MaxPayload: 4 << 20,
	}
	if port == 0 {
		opts.Port = natsserver.RANDOM_PORT
	}
	if o.TLSCert != "" {
		tc, err := natsserver.GenTLSConfig(&natsserver.TLSConfigOpts{CertFile: o.TLSCert, KeyFile: o.TLSKey})
		if err != nil {
			return nil, fmt.Errorf("bus: tls: %w", err)
		}
		opts.TLSConfig, opts.TLS = tc, true
	}
	if o.ClusterListen != "" {
		ch, cp, err := splitHostPort(o.ClusterListen)
		if err != nil {
			return nil, fmt.Errorf("bus: cluster listen: %w", err)
		}
		opts.Cluster = natsserver.ClusterOpts{Name: "tether", Host: ch, Port: cp, Username: o.User, Password: o.Password}
		opts.Routes = natsserver.RoutesFromStr(strings.Join(o.Routes, ","))
	}
	s, err := natsserver.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("bus: %w", err)
	}
	go s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		s.Shutdown()
		return nil, errors.New("bus: the server did not start within 10 s")
	}
	return &BusServer{s: s}, nil
}

// Addr is the address clients connect to.
func (b *BusServer) Addr() string { return b.s.Addr().String() }

// Shutdown stops the server; connected instances start reconnecting.
func (b *BusServer) Shutdown() {
	b.s.Shutdown()
	b.s.WaitForShutdown()
}

func splitHostPort(hp string) (string, int, error) {
	h, p, err := net.SplitHostPort(hp)
	if err != nil {
		return "", 0, err
	}
	port, err := strconv.Atoi(p)
	if err != nil || port < 0 || port > 65535 {
		return "", 0, fmt.Errorf("bad port %q", p)
	}
	if h == "" {
		h = "0.0.0.0"
	}
	return h, port, nil
}
