package store

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"

	"golang.org/x/net/idna"

	"tether/server/protocol"
)

// Widget is how a provider's code-entry widget may be embedded in its own website.
type Widget struct {
	// WidgetOrigins are the origins allowed to frame the widget (and to call its code endpoint), in the
	// canonical form ValidOrigin returns, one per line; "" lets no website embed it.
	WidgetOrigins string `bun:"widget_origins,notnull"`
	// WidgetHelp: the widget also offers the portal's "Get help" button.
	WidgetHelp bool `bun:"widget_help,notnull"`
}

// Origins lists the allowed origins.
func (w Widget) Origins() []string {
	if w.WidgetOrigins == "" {
		return nil
	}
	return strings.Split(w.WidgetOrigins, "\n")
}

// AllowsOrigin reports whether origin (as a browser sends it in an Origin header) is one of the allowed.
func (w Widget) AllowsOrigin(origin string) bool {
	canon, err := ValidOrigin(origin)
	if err != nil {
		return false
	}
	for _, o := range w.Origins() {
		if o == canon {
			return true
		}
	}
	return false
}

// MaxWidgetOrigins bounds how many websites one provider lists: the list goes into a header of every
// widget response.
const MaxWidgetOrigins = 20

// maxOriginLen bounds one origin as typed: scheme, a 253-character host name and a port.
const maxOriginLen = 300

// ValidOrigin checks one website origin as an admin types it and returns it in the form browsers send
// in the Origin header (RFC 6454): lowercase scheme://host, the port only when it is not the scheme's
// default, an international name in its xn-- form. https only, except for a loopback host (localhost,
// *.localhost, 127.0.0.0/8, ::1) where http serves for trying things out. No path, query, user or
// wildcard. The error says why, for the admin page.
func ValidOrigin(s string) (string, error) {
	s = strings.TrimSpace(s)
	bad := func(why string) (string, error) {
		return "", fmt.Errorf("%w: %s", ErrInvalidArgument, why)
	}
	if s == "" {
		return bad("an address is empty")
	}
	if len(s) > maxOriginLen {
		return bad("an address is too long")
	}
	if !strings.Contains(s, "://") {
		return bad(fmt.Sprintf("%q has no scheme: write it as https://%s", s, s))
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return bad(fmt.Sprintf("%q is not a website address", s))
	}
	scheme := strings.ToLower(u.Scheme)
	if u.User != nil {
		return bad(fmt.Sprintf("%q has a user name or password; list only scheme://host[:port]", s))
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.ForceQuery {
		return bad(fmt.Sprintf("%q has a path; list only the origin, such as %s://%s", s, scheme, u.Host))
	}
	host, port := u.Hostname(), u.Port()
	if strings.Contains(host, "*") {
		return bad(fmt.Sprintf("%q has a wildcard; list each website address on its own line", s))
	}
	if ip := net.ParseIP(host); ip != nil {
		if strings.Contains(host, ":") {
			host = "[" + ip.String() + "]"
		} else {
			host = ip.String()
		}
	} else {
		ascii, err := idna.Lookup.ToASCII(host)
		if err != nil || !strings.Contains(ascii, ".") && ascii != "localhost" {
			return bad(fmt.Sprintf("%q does not name a valid host", s))
		}
		host = ascii
	}
	switch scheme {
	case "https":
	case "http":
		if !protocol.IsLoopbackHost(host) {
			return bad(fmt.Sprintf("%q uses http: a website must use https (http is only for localhost)", s))
		}
	default:
		return bad(fmt.Sprintf("%q must start with https://", s))
	}
	if port != "" {
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 {
			return bad(fmt.Sprintf("%q has an invalid port", s))
		}
		if (scheme == "https" && n == 443) || (scheme == "http" && n == 80) {
			port = ""
		} else {
			port = strconv.Itoa(n)
		}
	}
	out := scheme + "://" + host
	if port != "" {
		out += ":" + port
	}
	return out, nil
}

// ParseWidgetOrigins checks the allowed origins as an admin typed them, one per line (blank lines
// ignored, duplicates kept once), and returns them canonical. The error names the first bad line.
func ParseWidgetOrigins(text string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		o, err := ValidOrigin(line)
		if err != nil {
			return nil, err
		}
		if seen[o] {
			continue
		}
		seen[o] = true
		out = append(out, o)
		if len(out) > MaxWidgetOrigins {
			return nil, fmt.Errorf("%w: at most %d website addresses may embed the widget", ErrInvalidArgument, MaxWidgetOrigins)
		}
	}
	return out, nil
}

// SetWidget saves a provider's widget settings; every origin must be valid (ValidOrigin).
func (s *Store) SetWidget(ctx context.Context, providerID string, origins []string, help bool) error {
	if len(origins) > MaxWidgetOrigins {
		return fmt.Errorf("%w: at most %d website addresses may embed the widget", ErrInvalidArgument, MaxWidgetOrigins)
	}
	for _, o := range origins {
		if c, err := ValidOrigin(o); err != nil {
			return err
		} else if c != o {
			return fmt.Errorf("%w: origin %q is not canonical (%q)", ErrInvalidArgument, o, c)
		}
	}
	res, err := s.db.NewUpdate().Model((*Provider)(nil)).
		Set("widget_origins = ?", strings.Join(origins, "\n")).
		Set("widget_help = ?", help).
		Where("id = ?", providerID).Exec(ctx)
	if err != nil {
		return fmt.Errorf("store: set widget: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("store: set widget: %w", err)
	} else if n == 0 {
		return fmt.Errorf("provider %q: %w", providerID, ErrNotFound)
	}
	return nil
}

// SetWidgetToken records the hash of the token the widget leads a waiting session's customer to, so
// that the session learns they came through the provider's website. It is idempotent: typing the code
// again sets the same hash. ErrNotFound unless the session is the provider's and still waiting.
func (s *Store) SetWidgetToken(ctx context.Context, providerID, sessionID, tokenHash string) error {
	if tokenHash == "" {
		return fmt.Errorf("%w: empty widget token hash", ErrInvalidArgument)
	}
	res, err := s.db.NewUpdate().Model((*Session)(nil)).
		Set("widget_token_hash = ?", tokenHash).
		Where("id = ? AND provider_id = ? AND state = ?", sessionID, providerID, StateWaiting).
		Exec(ctx)
	if err != nil {
		return fmt.Errorf("store: set widget token: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("store: set widget token: %w", err)
	} else if n == 0 {
		return fmt.Errorf("waiting session %q: %w", sessionID, ErrNotFound)
	}
	return nil
}

// SessionByWidgetTokenHash returns the session whose widget token has the given hash, in any state.
func (s *Store) SessionByWidgetTokenHash(ctx context.Context, tokenHash string) (Session, error) {
	if tokenHash == "" {
		return Session{}, fmt.Errorf("session by widget token: %w", ErrNotFound)
	}
	return s.sessionWhere(ctx, s.db, "session by widget token", "widget_token_hash = ?", tokenHash)
}
