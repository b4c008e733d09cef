// Package webhook reports support session state changes to the webhook a provider set up: JSON POSTs
// signed with HMAC-SHA256 over the timestamp and the body (X-Tether-Signature: t=…,v1=…, the scheme
// Stripe uses; docs/api.md shows how to verify it).
//
// Nothing lives in one process's memory. Every instance sweeps: it finds sessions whose state differs
// from the one last reported, claims each change with one conditional write (so exactly one instance
// turns it into events), and sends the outbox's due deliveries, retrying with backoff. Deliveries are at
// least once: a receiver deduplicates by the event id.
package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"

	"tether/server/protocol"
	"tether/server/store"
)

// Store is what the sweep needs from the database.
type Store interface {
	WebhookChanges(ctx context.Context, limit int) ([]store.WebhookChange, error)
	ClaimWebhookChange(ctx context.Context, c store.WebhookChange, events []store.NewWebhookDelivery) (bool, error)
	DueWebhookDeliveries(ctx context.Context, limit int, lease time.Duration) ([]store.WebhookDelivery, error)
	WebhookDelivered(ctx context.Context, id string, status int) error
	WebhookAttemptFailed(ctx context.Context, id string, status int, why string, next time.Time) error
	PurgeWebhookDeliveries(ctx context.Context, cutoff time.Time) (int64, error)
}

// Payload builds the JSON body of one event: step is the state it reports, id the event's id.
type Payload func(ctx context.Context, sess store.Session, step store.State, id string) ([]byte, error)

const (
	// MaxAttempts is how often a delivery is tried before it is given up (about three hours of retries).
	MaxAttempts = 10
	// Timeout bounds one delivery: connecting, sending and reading the answer.
	Timeout = 10 * time.Second
	// lease holds a claimed delivery from other instances while it is sent.
	lease = 2 * Timeout
	// batch is how many changes and deliveries one sweep takes at most.
	batch = 50
	// tolerance is how old a signature Verify accepts by default.
	tolerance = 5 * time.Minute
	// Keep is how long finished deliveries stay listed on the API page.
	Keep = 30 * 24 * time.Hour
)

// Backoff is the wait after the attempt-th failed attempt: 30 s, doubling, at most an hour.
func Backoff(attempt int) time.Duration {
	return min(30*time.Second<<min(max(attempt-1, 0), 10), time.Hour)
}

// Options configure a Service.
type Options struct {
	// AllowPrivate lets deliveries reach loopback, private and link-local addresses. Off, a webhook
	// cannot be used to probe the network the server runs in (SSRF).
	AllowPrivate bool
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Backoff overrides the wait between attempts (tests); Backoff when nil.
	Backoff func(attempt int) time.Duration
}

// Service sweeps for changes and delivers them.
type Service struct {
	store   Store
	payload Payload
	client  *http.Client
	log     *slog.Logger
	now     func() time.Time
	backoff func(int) time.Duration
}

// New makes a Service.
func New(st Store, payload Payload, o Options, log *slog.Logger) *Service {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Backoff == nil {
		o.Backoff = Backoff
	}
	return &Service{store: st, payload: payload, client: Client(o.AllowPrivate), log: log, now: o.Now, backoff: o.Backoff}
}

// Client is the HTTP client deliveries use: bounded by Timeout, following no redirects, using no proxy
// from the environment, and unless allowPrivate, refusing to connect to any address that is not public.
// The check is made on the address actually dialled, after DNS, so a name that resolves to an inside
// address (or is rebound to one) is refused too.
func Client(allowPrivate bool) *http.Client {
	d := &net.Dialer{Timeout: 5 * time.Second}
	if !allowPrivate {
		d.Control = func(network, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return fmt.Errorf("webhook: unexpected address %q", address)
			}
			if !Public(ap.Addr()) {
				return fmt.Errorf("%w: %s", ErrPrivateAddress, ap.Addr())
			}
			return nil
		}
	}
	return &http.Client{
		Timeout: Timeout,
		Transport: &http.Transport{
			Proxy: nil, DialContext: d.DialContext, TLSHandshakeTimeout: 5 * time.Second,
			ResponseHeaderTimeout: Timeout, MaxIdleConnsPerHost: 2, IdleConnTimeout: time.Minute,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// ErrPrivateAddress: the webhook's host is not a public address and the operator did not allow it.
var ErrPrivateAddress = errors.New("webhook: not a public address")

// nonPublic are ranges that are not loopback, private or link-local by netip's reckoning, yet not the
// public internet either.
var nonPublic = []netip.Prefix{
	netip.MustParsePrefix("100.64.0.0/10"), // carrier-grade NAT, RFC 6598
	netip.MustParsePrefix("192.0.0.0/24"),  // IETF protocol assignments, RFC 6890
	netip.MustParsePrefix("198.18.0.0/15"), // benchmarking, RFC 2544
	netip.MustParsePrefix("240.0.0.0/4"),   // reserved, and the broadcast address
	netip.MustParsePrefix("64:ff9b::/96"),  // NAT64, may reach IPv4 inside addresses
}

// Public reports whether a is an address on the public internet.
func Public(a netip.Addr) bool {
	a = a.Unmap()
	if !a.IsValid() || a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() ||
		a.IsInterfaceLocalMulticast() || a.IsMulticast() || a.IsUnspecified() {
		return false
	}
	for _, p := range nonPublic {
		if p.Contains(a) {
			return false
		}
	}
	return true
}

// MaxURL bounds a webhook URL's length.
const MaxURL = 2000

// ValidURL checks a webhook URL as an admin types it: absolute http(s), a host, no credentials. Without
// allowPrivate it must be https and its host may not be a private address written out (a name that
// resolves to one is refused when a delivery dials it).
func ValidURL(raw string, allowPrivate bool) (string, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" || len(raw) > MaxURL {
		return "", fmt.Errorf("enter the address of your webhook, up to %d characters", MaxURL)
	}
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Host == "" || u.Hostname() == "" {
		return "", errors.New("enter a full address such as https://crm.example.com/hooks/tether")
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && allowPrivate:
	default:
		return "", errors.New("the webhook's address must start with https://")
	}
	if u.User != nil {
		return "", errors.New("put no user name or password in the address; check the signature instead")
	}
	if u.Fragment != "" {
		return "", errors.New("the address cannot have a #fragment")
	}
	if a, err := netip.ParseAddr(strings.Trim(u.Hostname(), "[]")); err == nil && !allowPrivate && !Public(a) {
		return "", fmt.Errorf("%s is not a public address; this server sends webhooks to the internet only", a)
	}
	if h := strings.ToLower(u.Hostname()); !allowPrivate && (h == "localhost" || strings.HasSuffix(h, ".localhost")) {
		return "", errors.New("localhost is not a public address; this server sends webhooks to the internet only")
	}
	return u.String(), nil
}

// Sign returns the X-Tether-Signature value for body sent at t: "t=<unix seconds>,v1=<hex HMAC-SHA256
// of "<t>.<body>">" keyed with secret.
func Sign(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac(secret, ts, body))
}

func mac(secret, ts string, body []byte) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// ErrBadSignature: a delivery's signature does not verify.
var ErrBadSignature = errors.New("webhook: bad signature")

// Verify checks header (an X-Tether-Signature value) against body, as a receiver does: one of its v1
// signatures must match, and its timestamp be within maxAge of now (5 minutes when maxAge is 0), which
// stops a captured delivery from being replayed later.
func Verify(secret, header string, body []byte, now time.Time, maxAge time.Duration) error {
	if maxAge <= 0 {
		maxAge = tolerance
	}
	var ts string
	var sigs [][]byte
	for _, part := range strings.Split(header, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			if b, err := hex.DecodeString(v); err == nil {
				sigs = append(sigs, b)
			}
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || len(sigs) == 0 {
		return fmt.Errorf("%w: want t=…,v1=…", ErrBadSignature)
	}
	if d := now.Sub(time.Unix(sec, 0)); d > maxAge || d < -maxAge {
		return fmt.Errorf("%w: timestamp %s is outside the tolerance", ErrBadSignature, ts)
	}
	want := mac(secret, ts, body)
	for _, s := range sigs {
		if hmac.Equal(s, want) {
			return nil
		}
	}
	return ErrBadSignature
}

// Sweep runs SweepOnce every interval until ctx ends, and hourly forgets deliveries finished more than
// Keep ago.
func (s *Service) Sweep(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	var purged time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := s.SweepOnce(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("webhook sweep", "err", err)
		}
		if now := s.now(); now.Sub(purged) >= time.Hour {
			purged = now
			if _, err := s.store.PurgeWebhookDeliveries(ctx, now.Add(-Keep)); err != nil && ctx.Err() == nil {
				s.log.Error("purge webhook deliveries", "err", err)
			}
		}
	}
}

// SweepOnce turns the state changes found into events, then sends the deliveries that are due.
func (s *Service) SweepOnce(ctx context.Context) error {
	return errors.Join(s.claim(ctx), s.deliver(ctx))
}

func (s *Service) claim(ctx context.Context) error {
	changes, err := s.store.WebhookChanges(ctx, batch)
	if err != nil {
		return err
	}
	var errs []error
	for _, c := range changes {
		var evs []store.NewWebhookDelivery
		for _, st := range c.Steps() {
			id := store.NewID()
			body, err := s.payload(ctx, c.Session, st, id)
			if err != nil {
				errs = append(errs, fmt.Errorf("webhook payload of %s: %w", c.Session.ID, err))
				evs = nil
				break
			}
			evs = append(evs, store.NewWebhookDelivery{ID: id, Event: protocol.WebhookEvent(st), Payload: body})
		}
		if len(evs) == 0 {
			continue
		}
		if _, err := s.store.ClaimWebhookChange(ctx, c, evs); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (s *Service) deliver(ctx context.Context) error {
	due, err := s.store.DueWebhookDeliveries(ctx, batch, lease)
	var errs []error
	if err != nil {
		errs = append(errs, err)
	}
	for _, d := range due {
		errs = append(errs, s.send(ctx, d))
	}
	return errors.Join(errs...)
}

// send makes one attempt at a delivery and records how it went.
func (s *Service) send(ctx context.Context, d store.WebhookDelivery) error {
	status, err := s.post(ctx, d)
	if err == nil {
		s.log.Info("webhook delivered", "provider", d.ProviderID, "session", d.SessionID, "event", d.Event, "id", d.ID, "status", status, "attempt", d.Attempts)
		return s.store.WebhookDelivered(ctx, d.ID, status)
	}
	var next time.Time
	if d.Attempts < MaxAttempts {
		next = s.now().Add(s.backoff(d.Attempts))
	}
	s.log.Warn("webhook delivery failed", "provider", d.ProviderID, "session", d.SessionID, "event", d.Event, "id", d.ID,
		"status", status, "attempt", d.Attempts, "err", err, "given_up", next.IsZero())
	return s.store.WebhookAttemptFailed(ctx, d.ID, status, trim(err.Error(), 300), next)
}

func (s *Service) post(ctx context.Context, d store.WebhookDelivery) (int, error) {
	body := []byte(d.Payload)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.URL, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Tether-Webhook/1")
	req.Header.Set("X-Tether-Event", d.Event)
	req.Header.Set("X-Tether-Delivery", d.ID)
	req.Header.Set(protocol.WebhookSignatureHeader, Sign(d.Secret, s.now(), body))
	resp, err := s.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, fmt.Errorf("the receiver answered %s", resp.Status)
	}
	return resp.StatusCode, nil
}

// trim cuts s to at most n bytes without splitting a character.
func trim(s string, n int) string {
	if len(s) > n {
		return strings.ToValidUTF8(s[:n], "")
	}
	return s
}
