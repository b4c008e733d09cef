// Package config reads Tether's server configuration from flags and TETHER_*
// environment variables, once, at start. A flag given on the command line
// wins over its environment variable, which wins over the default.
package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/netip"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"tether/server/protocol"
)

// Config is the whole server configuration.
type Config struct {
	// Listen is the TCP address to serve on.
	Listen string
	// BaseURL is the public URL customers and agents reach the server at.
	BaseURL string
	// DataDir holds the SQLite database and other state.
	DataDir string
	// Database is the DSN: empty means SQLite in DataDir; postgres://… uses PostgreSQL.
	Database string
	// InviteTTL is how long an invitation stays usable before a customer joins.
	InviteTTL time.Duration
	// TLSCert and TLSKey, when both set, make the server speak HTTPS.
	TLSCert, TLSKey string
	// BuildDir, when set, serves the viewer and agents from this folder
	// instead of the copies embedded in the binary (for development).
	BuildDir string
	// P2P enables peer-to-peer WebRTC; when false every session uses the relay.
	P2P bool
	// ICETimeout is how long the agent waits for peer-to-peer before the relay.
	ICETimeout time.Duration
	// MaxFPS caps the frame rate agents stream at.
	MaxFPS int
	// STUN lists STUN server URLs handed to both peers (empty: host candidates only).
	STUN []string
	// TLSProxy says TLS ends at a proxy in front of this server: the public
	// URL is https although this process serves plain HTTP.
	TLSProxy bool
	// TrustedProxies are the addresses whose X-Forwarded-For header names
	// the real client; a request from anywhere else is its own client.
	TrustedProxies []netip.Prefix
	// Instance names this server instance among those sharing a database;
	// empty means the one kept in the data folder (instance.id).
	Instance string
	// Bus is the NATS URL of the message bus several instances share
	// (nats://user:password@host:4222, comma-separated for a cluster);
	// empty: this instance routes in process and must be the only one.
	Bus string
	// RejoinGrace is how long a session waits for its agent to come back
	// after its connection dropped or its instance died.
	RejoinGrace time.Duration
	// ShutdownGrace bounds a graceful stop: members are asked to reconnect
	// elsewhere, and open requests get this long to finish.
	ShutdownGrace time.Duration
}

// Parse reads args (without the program name) and the environment through
// getenv. Output for -h goes to out.
func Parse(args []string, getenv func(string) string, out io.Writer) (Config, error) {
	var c Config
	fs := flag.NewFlagSet("tether", flag.ContinueOnError)
	fs.SetOutput(out)
	env := func(name, def string) string {
		if v := getenv("TETHER_" + name); v != "" {
			return v
		}
		return def
	}
	var ttl, iceTimeout, p2p, stun, tlsProxy, proxies, maxFPS string
	fs.StringVar(&c.Listen, "listen", env("LISTEN", ":8080"), "address to listen on (TETHER_LISTEN)")
	fs.StringVar(&c.BaseURL, "base-url", env("BASE_URL", ""), "public base URL, e.g. https://support.example.com (TETHER_BASE_URL); default http://localhost:<port>")
	fs.StringVar(&c.DataDir, "data", env("DATA", "data"), "data folder for SQLite and state (TETHER_DATA)")
	fs.StringVar(&c.Database, "database", env("DATABASE", ""), "database DSN: empty for SQLite in the data folder, or postgres://user:pass@host/db (TETHER_DATABASE)")
	fs.StringVar(&ttl, "invite-ttl", env("INVITE_TTL", "24h"), "how long an invitation stays valid (TETHER_INVITE_TTL)")
	fs.StringVar(&c.TLSCert, "tls-cert", env("TLS_CERT", ""), "TLS certificate file (TETHER_TLS_CERT)")
	fs.StringVar(&c.TLSKey, "tls-key", env("TLS_KEY", ""), "TLS key file (TETHER_TLS_KEY)")
	fs.StringVar(&c.BuildDir, "build-dir", env("BUILD_DIR", ""), "serve viewer.wasm and agents from this folder instead of the embedded ones (TETHER_BUILD_DIR)")
	fs.StringVar(&p2p, "p2p", env("P2P", "true"), "allow peer-to-peer connections; false forces the relay (TETHER_P2P)")
	fs.StringVar(&iceTimeout, "ice-timeout", env("ICE_TIMEOUT", "5s"), "how long to try peer-to-peer before using the relay (TETHER_ICE_TIMEOUT)")
	fs.StringVar(&maxFPS, "max-fps", env("MAX_FPS", strconv.Itoa(protocol.DefaultFPS)), fmt.Sprintf("highest frame rate agents stream at, 1 to %d (TETHER_MAX_FPS)", protocol.MaxFPSLimit))
	fs.StringVar(&stun, "stun", env("STUN", ""), "comma-separated STUN URLs for peer-to-peer, e.g. stun:stun.example.com:3478 (TETHER_STUN)")
	fs.StringVar(&tlsProxy, "tls-proxy", env("TLS_PROXY", "false"), "true when a proxy in front of this server terminates TLS for the https:// base URL (TETHER_TLS_PROXY)")
	fs.StringVar(&proxies, "trusted-proxies", env("TRUSTED_PROXIES", ""), "comma-separated addresses or CIDRs of proxies whose X-Forwarded-For is believed, e.g. 10.0.0.5,10.1.0.0/16 (TETHER_TRUSTED_PROXIES)")
	fs.StringVar(&c.Instance, "instance", env("INSTANCE", ""), "name of this instance among several sharing a database; default: made once and kept in the data folder (TETHER_INSTANCE)")
	var rejoin, shutdown string
	fs.StringVar(&c.Bus, "bus", env("BUS", ""), "message bus shared by several instances, nats://user:password@host:4222 (TETHER_BUS); empty: one instance, routing in process")
	fs.StringVar(&rejoin, "rejoin-grace", env("REJOIN_GRACE", "30s"), "how long a session waits for its agent to reconnect, after a network drop or when its instance stopped (TETHER_REJOIN_GRACE)")
	fs.StringVar(&shutdown, "shutdown-grace", env("SHUTDOWN_GRACE", "10s"), "on SIGTERM, how long to wait for connections to move to other instances (TETHER_SHUTDOWN_GRACE)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	var errs []error
	var err error
	if c.InviteTTL, err = time.ParseDuration(ttl); err != nil || c.InviteTTL < time.Minute || c.InviteTTL > 30*24*time.Hour {
		errs = append(errs, fmt.Errorf("invite-ttl %q: want a duration between 1m and 720h", ttl))
	}
	if c.ICETimeout, err = time.ParseDuration(iceTimeout); err != nil || c.ICETimeout < 500*time.Millisecond || c.ICETimeout > time.Minute {
		errs = append(errs, fmt.Errorf("ice-timeout %q: want a duration between 500ms and 1m", iceTimeout))
	}
	if c.RejoinGrace, err = time.ParseDuration(rejoin); err != nil || c.RejoinGrace < time.Second || c.RejoinGrace > time.Hour {
		errs = append(errs, fmt.Errorf("rejoin-grace %q: want a duration between 1s and 1h", rejoin))
	}
	if c.ShutdownGrace, err = time.ParseDuration(shutdown); err != nil || c.ShutdownGrace < 0 || c.ShutdownGrace > 10*time.Minute {
		errs = append(errs, fmt.Errorf("shutdown-grace %q: want a duration between 0s and 10m", shutdown))
	}
	if c.Bus != "" {
		for _, u := range strings.Split(c.Bus, ",") {
			if pu, err := url.Parse(strings.TrimSpace(u)); err != nil || (pu.Scheme != "nats" && pu.Scheme != "tls") || pu.Host == "" {
				errs = append(errs, fmt.Errorf("bus %q: want nats://user:password@host:port (or tls://)", redactURL(u)))
			}
		}
		if strings.HasPrefix(c.Database, "sqlite://") || c.Database == "" {
			errs = append(errs, errors.New("bus: several instances must share a PostgreSQL database (-database postgres://…); SQLite is for one instance"))
		}
	}
	if c.MaxFPS, err = strconv.Atoi(maxFPS); err != nil || c.MaxFPS < 1 || c.MaxFPS > protocol.MaxFPSLimit {
		errs = append(errs, fmt.Errorf("max-fps %q: want a whole number from 1 to %d", maxFPS, protocol.MaxFPSLimit))
	}
	if c.P2P, err = parseBool(p2p); err != nil {
		errs = append(errs, fmt.Errorf("p2p %q: want true or false", p2p))
	}
	if c.TLSProxy, err = parseBool(tlsProxy); err != nil {
		errs = append(errs, fmt.Errorf("tls-proxy %q: want true or false", tlsProxy))
	}
	for _, p := range strings.Split(proxies, ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		prefix, err := netip.ParsePrefix(p)
		if err != nil {
			addr, aerr := netip.ParseAddr(p)
			if aerr != nil {
				errs = append(errs, fmt.Errorf("trusted-proxies %q: want an IP address or CIDR", p))
				continue
			}
			prefix = netip.PrefixFrom(addr, addr.BitLen())
		}
		c.TrustedProxies = append(c.TrustedProxies, prefix.Masked())
	}
	if len(c.Instance) > 64 || strings.ContainsAny(c.Instance, " \t\n") {
		errs = append(errs, fmt.Errorf("instance %q: want a short name without spaces", c.Instance))
	}
	for _, s := range strings.Split(stun, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		if !strings.HasPrefix(s, "stun:") && !strings.HasPrefix(s, "stuns:") {
			errs = append(errs, fmt.Errorf("stun %q: want stun:host:port", s))
		}
		c.STUN = append(c.STUN, s)
	}
	host, port, err := net.SplitHostPort(c.Listen)
	if err != nil {
		errs = append(errs, fmt.Errorf("listen %q: want host:port, e.g. :8080", c.Listen))
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		errs = append(errs, errors.New("tls-cert and tls-key must be given together"))
	}
	if c.BaseURL == "" {
		scheme := "http"
		if c.TLSCert != "" {
			scheme = "https"
		}
		if host == "" || host == "0.0.0.0" || host == "::" {
			host = "localhost"
		}
		c.BaseURL = scheme + "://" + net.JoinHostPort(host, port)
	}
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Path != "" {
		errs = append(errs, fmt.Errorf("base-url %q: want scheme://host[:port] without a path", c.BaseURL))
	} else {
		errs = append(errs, c.checkTransport(u)...)
	}
	if c.DataDir == "" {
		errs = append(errs, errors.New("data: a folder is required"))
	}
	if c.Database == "" {
		c.Database = "sqlite://" + filepath.Join(c.DataDir, "tether.db")
	} else if !strings.HasPrefix(c.Database, "postgres://") && !strings.HasPrefix(c.Database, "postgresql://") && !strings.HasPrefix(c.Database, "sqlite://") {
		errs = append(errs, fmt.Errorf("database: want sqlite://path or postgres://…, got a DSN starting %q", prefix(c.Database)))
	}
	return c, errors.Join(errs...)
}

// checkTransport refuses configurations where customers' agents would talk
// to the server in clear: an http:// public URL is for this machine only.
func (c Config) checkTransport(u *url.URL) []error {
	var errs []error
	switch {
	case u.Scheme == "http" && !protocol.IsLoopbackHost(u.Host):
		errs = append(errs, fmt.Errorf("base-url %s is not encrypted: agents and browsers would send sessions in clear across the network. "+
			"Use https:// with -tls-cert/-tls-key, or with -tls-proxy=true when a proxy in front of this server terminates TLS "+
			"(plain http:// is accepted for localhost only)", c.BaseURL))
	case u.Scheme == "http" && c.TLSProxy:
		errs = append(errs, fmt.Errorf("tls-proxy: the base-url must then be https://, not %s", c.BaseURL))
	case u.Scheme == "https" && c.TLSCert == "" && !c.TLSProxy:
		errs = append(errs, fmt.Errorf("base-url %s is https but this server has no certificate: give -tls-cert and -tls-key, "+
			"or -tls-proxy=true if a proxy in front of it terminates TLS", c.BaseURL))
	}
	return errs
}

func parseBool(s string) (bool, error) {
	switch strings.ToLower(s) {
	case "true", "1", "yes", "on":
		return true, nil
	case "false", "0", "no", "off":
		return false, nil
	}
	return false, errors.New("not a boolean")
}

// redactURL hides the password of a URL for an error message.
func redactURL(s string) string {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}

// Secure reports whether the public URL is https, so cookies get Secure.
func (c Config) Secure() bool { return strings.HasPrefix(c.BaseURL, "https://") }

// UsesSQLite reports whether the database is the embedded SQLite file.
func (c Config) UsesSQLite() bool { return strings.HasPrefix(c.Database, "sqlite://") }

// prefix shows the scheme of a DSN without any credentials in it.
func prefix(dsn string) string {
	if i := strings.Index(dsn, ":"); i >= 0 && i < 16 {
		return dsn[:i+1]
	}
	if len(dsn) > 8 {
		return dsn[:8] + "…"
	}
	return dsn
}
