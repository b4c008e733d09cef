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
	// TURN runs the embedded TURN server (on unless TURNURLs points at an
	// external one, or -turn=false).
	TURN bool
	// TURNListen is the UDP and TCP address of the embedded TURN server.
	TURNListen string
	// TURNRelayIP is the address peers reach the embedded TURN server and
	// its relayed ports at. Invalid (zero) means "pick one at start": the
	// base URL's host when it is an IP address or localhost, otherwise the
	// first non-loopback address of this machine (see server/turn).
	TURNRelayIP netip.Addr
	// TURNRelayPortMin and TURNRelayPortMax bound the relayed UDP ports.
	TURNRelayPortMin, TURNRelayPortMax uint16
	// TURNURLs are an external TURN server's turn:/turns: URLs (coturn with
	// use-auth-secret); TURNSecret is its static-auth-secret.
	TURNURLs   []string
	TURNSecret string
	// ICEPolicy is protocol.ICEPolicyAll or protocol.ICEPolicyRelay.
	ICEPolicy string
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
	// PolicyMinute is the length of one minute of the providers' session
	// policies (time limits, extensions, warnings): a minute, shortened
	// only by tests and demonstrations.
	PolicyMinute time.Duration
	// ShutdownGrace bounds a graceful stop: members are asked to reconnect
	// elsewhere, and open requests get this long to finish.
	ShutdownGrace time.Duration
	// Subdomains serves each provider's portal at {subdomain}.{base host}
	// (wildcard DNS and certificate needed); without it, and always too, at
	// {base URL}/p/{subdomain}/. Every link Tether makes uses the provider's
	// address (ProviderURL).
	Subdomains bool
	// SMTP is the mail server, smtp://user:password@host:port (STARTTLS
	// when offered) or smtps:// (TLS from the start); empty: no mail, and
	// links are shown to the admin to hand over instead.
	SMTP string
	// MailFrom is the sender of Tether's mail.
	MailFrom string
	// WebhookAllowPrivate lets providers' webhooks reach loopback, private
	// and link-local addresses (and plain http): for a server whose
	// integrations run on its own network, and for tests. Off, a webhook
	// cannot probe the network the server runs in.
	WebhookAllowPrivate bool
}

// ProviderURL is the address of a provider's portal, without a trailing
// slash: https://acme.support.example.com with Subdomains, else
// https://support.example.com/p/acme. Links to the provider's pages append
// their path to it.
func (c Config) ProviderURL(slug string) string {
	if c.Subdomains {
		if u, err := url.Parse(c.BaseURL); err == nil {
			u.Host = slug + "." + u.Host
			return u.String()
		}
	}
	return c.BaseURL + "/p/" + slug
}

// BaseHost is the base URL's host without port, lowercased: a request for
// {subdomain}.{BaseHost} is that provider's portal when Subdomains is on.
func (c Config) BaseHost() string {
	u, err := url.Parse(c.BaseURL)
	if err != nil {
		return ""
	}
	return strings.ToLower(u.Hostname())
}

// Parse reads args (without the program name) and the environment through
// getenv. Output for -h goes to out.
func Parse(args []string, getenv func(string) string, out io.Writer) (Config, error) {
	var c Config
	fs := flag.NewFlagSet("tether", flag.ContinueOnError)
	fs.SetOutput(out)
	env := envLookup(getenv, "TETHER_")
	var ttl, iceTimeout, p2p, stun, tlsProxy, proxies, maxFPS, subdomains string
	var turn, relayIP, relayPorts, turnURLs string
	var webhookPrivate string
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
	fs.StringVar(&turn, "turn", env("TURN", "true"), "run the embedded TURN server for peers that cannot connect directly (TETHER_TURN)")
	fs.StringVar(&c.TURNListen, "turn-listen", env("TURN_LISTEN", ":3478"), "UDP and TCP address of the embedded TURN server (TETHER_TURN_LISTEN)")
	fs.StringVar(&relayIP, "turn-relay-ip", env("TURN_RELAY_IP", ""), "public IP address peers reach the embedded TURN server at; default: the base URL's host if it is an IP address or localhost, else this machine's first non-loopback address (TETHER_TURN_RELAY_IP)")
	fs.StringVar(&relayPorts, "turn-relay-ports", env("TURN_RELAY_PORTS", "49152-65535"), "UDP port range of the embedded TURN server's relayed addresses (TETHER_TURN_RELAY_PORTS)")
	fs.StringVar(&turnURLs, "turn-urls", env("TURN_URLS", ""), "comma-separated turn:/turns: URLs of an external TURN server (coturn with use-auth-secret) instead of the embedded one (TETHER_TURN_URLS)")
	fs.StringVar(&c.TURNSecret, "turn-secret", env("TURN_SECRET", ""), "the external TURN server's static-auth-secret (TETHER_TURN_SECRET)")
	fs.StringVar(&c.ICEPolicy, "ice-policy", env("ICE_POLICY", protocol.ICEPolicyAll), "all, or relay: peers use TURN only and never learn each other's address (TETHER_ICE_POLICY)")
	fs.StringVar(&tlsProxy, "tls-proxy", env("TLS_PROXY", "false"), "true when a proxy in front of this server terminates TLS for the https:// base URL (TETHER_TLS_PROXY)")
	fs.StringVar(&proxies, "trusted-proxies", env("TRUSTED_PROXIES", ""), "comma-separated addresses or CIDRs of proxies whose X-Forwarded-For is believed, e.g. 10.0.0.5,10.1.0.0/16 (TETHER_TRUSTED_PROXIES)")
	fs.StringVar(&c.Instance, "instance", env("INSTANCE", ""), "name of this instance among several sharing a database; default: made once and kept in the data folder (TETHER_INSTANCE)")
	var rejoin, shutdown, minute string
	fs.StringVar(&c.Bus, "bus", env("BUS", ""), "message bus shared by several instances, nats://user:password@host:4222 (TETHER_BUS); empty: one instance, routing in process")
	fs.StringVar(&rejoin, "rejoin-grace", env("REJOIN_GRACE", "60s"), "how long a session waits for its agent to reconnect keeping the customer's consent, after a network drop or when its instance stopped (TETHER_REJOIN_GRACE); the agent holds consent 60 s, so a longer grace still asks the customer again")
	fs.StringVar(&minute, "policy-minute", env("POLICY_MINUTE", "1m"), "length of one minute of the session policies' time limits, for tests and demonstrations (TETHER_POLICY_MINUTE)")
	fs.StringVar(&subdomains, "subdomains", env("SUBDOMAINS", "false"), "serve each provider's portal at its subdomain of the base URL's host, e.g. https://acme.support.example.com; needs wildcard DNS and certificate (TETHER_SUBDOMAINS)")
	fs.StringVar(&c.SMTP, "smtp", env("SMTP", ""), "mail server for invitations and confirmations, smtp://user:password@host:587 or smtps://…:465 (TETHER_SMTP); empty: links are shown to admins instead")
	fs.StringVar(&c.MailFrom, "mail-from", env("MAIL_FROM", ""), "sender address of Tether's mail (TETHER_MAIL_FROM); default tether@<base host>")
	fs.StringVar(&webhookPrivate, "webhook-allow-private", env("WEBHOOK_ALLOW_PRIVATE", "false"), "let providers' webhooks reach loopback and private addresses, and plain http (TETHER_WEBHOOK_ALLOW_PRIVATE)")
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
	if c.PolicyMinute, err = time.ParseDuration(minute); err != nil || c.PolicyMinute < 100*time.Millisecond || c.PolicyMinute > time.Minute {
		errs = append(errs, fmt.Errorf("policy-minute %q: want a duration between 100ms and 1m", minute))
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
	if c.WebhookAllowPrivate, err = parseBool(webhookPrivate); err != nil {
		errs = append(errs, fmt.Errorf("webhook-allow-private %q: want true or false", webhookPrivate))
	}
	if c.Subdomains, err = parseBool(subdomains); err != nil {
		errs = append(errs, fmt.Errorf("subdomains %q: want true or false", subdomains))
	}
	if c.SMTP != "" {
		if u, err := url.Parse(c.SMTP); err != nil || (u.Scheme != "smtp" && u.Scheme != "smtps") || u.Hostname() == "" {
			errs = append(errs, fmt.Errorf("smtp %q: want smtp://user:password@host:port or smtps://…", redactURL(c.SMTP)))
		}
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
	var uerrs []error
	c.STUN, uerrs = urlList("stun", stun, "stun")
	errs = append(errs, uerrs...)
	errs = append(errs, c.parseTURN(turn, relayIP, relayPorts, turnURLs)...)
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
	if c.MailFrom == "" {
		c.MailFrom = "tether@" + c.BaseHost()
	}
	if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Path != "" {
		errs = append(errs, fmt.Errorf("base-url %q: want scheme://host[:port] without a path", c.BaseURL))
	} else {
		errs = append(errs, c.checkTransport(u)...)
	}
	if !c.TURNRelayIP.IsValid() && c.TURN {
		c.TURNRelayIP = defaultRelayIP(c.BaseURL)
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

// parseTURN reads the TURN and ICE policy settings.
func (c *Config) parseTURN(turn, relayIP, relayPorts, urls string) []error {
	var errs []error
	var err error
	if c.TURN, err = parseBool(turn); err != nil {
		errs = append(errs, fmt.Errorf("turn %q: want true or false", turn))
	}
	if _, _, err := net.SplitHostPort(c.TURNListen); err != nil {
		errs = append(errs, fmt.Errorf("turn-listen %q: want host:port, e.g. :3478", c.TURNListen))
	}
	if relayIP != "" {
		if c.TURNRelayIP, err = netip.ParseAddr(relayIP); err != nil || c.TURNRelayIP.IsUnspecified() {
			errs = append(errs, fmt.Errorf("turn-relay-ip %q: want the IP address peers reach this server at", relayIP))
		}
	}
	lo, hi, ok := strings.Cut(relayPorts, "-")
	minPort, err1 := strconv.ParseUint(strings.TrimSpace(lo), 10, 16)
	maxPort, err2 := strconv.ParseUint(strings.TrimSpace(hi), 10, 16)
	if !ok || err1 != nil || err2 != nil || minPort < 1024 || maxPort < minPort {
		errs = append(errs, fmt.Errorf("turn-relay-ports %q: want a range like 49152-65535 above 1023", relayPorts))
	}
	c.TURNRelayPortMin, c.TURNRelayPortMax = uint16(minPort), uint16(maxPort)
	var uerrs []error
	c.TURNURLs, uerrs = urlList("turn-urls", urls, "turn")
	errs = append(errs, uerrs...)
	switch {
	case len(c.TURNURLs) > 0 && c.TURNSecret == "":
		errs = append(errs, errors.New("turn-urls need -turn-secret, the external TURN server's static-auth-secret"))
	case len(c.TURNURLs) == 0 && c.TURNSecret != "":
		errs = append(errs, errors.New("turn-secret is for an external TURN server: give its -turn-urls too"))
	case len(c.TURNURLs) > 0:
		c.TURN = false // the external server replaces the embedded one
	}
	if c.ICEPolicy != protocol.ICEPolicyAll && c.ICEPolicy != protocol.ICEPolicyRelay {
		errs = append(errs, fmt.Errorf("ice-policy %q: want %s or %s", c.ICEPolicy, protocol.ICEPolicyAll, protocol.ICEPolicyRelay))
	} else if c.ICEPolicy == protocol.ICEPolicyRelay && !c.HasTURN() {
		errs = append(errs, errors.New("ice-policy relay needs a TURN server: the embedded one (-turn) or -turn-urls"))
	}
	return errs
}

// urlList splits a comma-separated list of ICE server URLs whose scheme is
// scheme or its TLS form (stun/stuns, turn/turns; RFC 7064, RFC 7065).
func urlList(flag, list, scheme string) ([]string, []error) {
	var urls []string
	var errs []error
	for _, u := range strings.Split(list, ",") {
		if u = strings.TrimSpace(u); u == "" {
			continue
		}
		if !strings.HasPrefix(u, scheme+":") && !strings.HasPrefix(u, scheme+"s:") {
			errs = append(errs, fmt.Errorf("%s %q: want %s:host:port or %ss:host:port", flag, u, scheme, scheme))
		}
		urls = append(urls, u)
	}
	return urls, errs
}

// defaultRelayIP is the base URL's host when it is an IP address, or
// loopback for localhost; invalid for a host name (server/turn then picks
// an address of this machine).
func defaultRelayIP(baseURL string) netip.Addr {
	u, err := url.Parse(baseURL)
	if err != nil {
		return netip.Addr{}
	}
	if a, err := netip.ParseAddr(u.Hostname()); err == nil {
		return a.Unmap()
	}
	if protocol.IsLoopbackHost(u.Host) {
		return netip.MustParseAddr("127.0.0.1")
	}
	return netip.Addr{}
}

// HasTURN reports whether peers get a TURN server: embedded or external.
func (c Config) HasTURN() bool { return c.TURN || len(c.TURNURLs) > 0 }

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
