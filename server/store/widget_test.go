package store

import (
	"context"
	"errors"
	"strings"
	"testing"

	"tether/server/protocol"
)

func TestValidOrigin(t *testing.T) {
	tests := []struct {
		in, want string
		why      string // part of the error; "" when valid
	}{
		{in: "https://shop.example.com", want: "https://shop.example.com"},
		{in: "  HTTPS://Shop.Example.COM/  ", want: "https://shop.example.com"},
		{in: "https://shop.example.com:443", want: "https://shop.example.com"},
		{in: "https://shop.example.com:8443", want: "https://shop.example.com:8443"},
		{in: "https://bücher.example", want: "https://xn--bcher-kva.example"},
		{in: "http://localhost:8080", want: "http://localhost:8080"},
		{in: "http://shop.localhost:5000", want: "http://shop.localhost:5000"},
		{in: "http://127.0.0.2:80", want: "http://127.0.0.2"},
		{in: "http://[::1]:3000", want: "http://[::1]:3000"},
		{in: "https://203.0.113.7", want: "https://203.0.113.7"},
		{in: "shop.example.com", why: "has no scheme"},
		{in: "http://shop.example.com", why: "must use https"},
		{in: "ftp://shop.example.com", why: "must start with https://"},
		{in: "https://shop.example.com/support", why: "has a path"},
		{in: "https://shop.example.com?a=1", why: "has a path"},
		{in: "https://shop.example.com#x", why: "has a path"},
		{in: "https://ann:pw@shop.example.com", why: "user name"},
		{in: "https://*.example.com", why: "wildcard"},
		{in: "https://shop.example.com:0", why: "invalid port"},
		{in: "https://shop.example.com:70000", why: "invalid port"},
		{in: "https://intranet", why: "valid host"},
		{in: "https://shop example.com", why: "not a website address"},
		{in: "https://shop.example.com;script-src", why: ""},
		{in: "https://" + strings.Repeat("a", 300) + ".com", why: "too long"},
		{in: "", why: "empty"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ValidOrigin(tt.in)
			if tt.in == "https://shop.example.com;script-src" {
				// Whatever the reason, nothing that could end a CSP source list passes.
				if err == nil {
					t.Fatalf("ValidOrigin(%q) = %q, want an error", tt.in, got)
				}
				return
			}
			if tt.why == "" {
				if err != nil || got != tt.want {
					t.Fatalf("ValidOrigin(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
				}
				return
			}
			if !errors.Is(err, ErrInvalidArgument) || !strings.Contains(err.Error(), tt.why) {
				t.Fatalf("ValidOrigin(%q) = %q, %v; want an error saying %q", tt.in, got, err, tt.why)
			}
		})
	}
}

func TestParseWidgetOrigins(t *testing.T) {
	got, err := ParseWidgetOrigins("https://a.example.com\n\n  https://A.example.com/ \r\nhttp://localhost:3000\n")
	if err != nil || strings.Join(got, " ") != "https://a.example.com http://localhost:3000" {
		t.Fatalf("ParseWidgetOrigins = %q, %v", got, err)
	}
	if got, err := ParseWidgetOrigins(" \n "); err != nil || len(got) != 0 {
		t.Fatalf("blank = %q, %v", got, err)
	}
	var many []string
	for i := 0; i <= MaxWidgetOrigins; i++ {
		many = append(many, "https://s"+strings.Repeat("x", i)+".example.com")
	}
	if _, err := ParseWidgetOrigins(strings.Join(many[:MaxWidgetOrigins], "\n")); err != nil {
		t.Fatalf("%d origins: %v", MaxWidgetOrigins, err)
	}
	if _, err := ParseWidgetOrigins(strings.Join(many, "\n")); !errors.Is(err, ErrInvalidArgument) || !strings.Contains(err.Error(), "at most 20") {
		t.Fatalf("%d origins: %v", len(many), err)
	}
	if _, err := ParseWidgetOrigins("https://ok.example.com\nhttp://bad.example.com"); err == nil || !strings.Contains(err.Error(), "http://bad.example.com") {
		t.Fatalf("bad line not named: %v", err)
	}
}

func TestWidgetSettingsAndToken(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		if got := e.p.Origins(); len(got) != 0 || e.p.WidgetHelp {
			t.Fatalf("new provider's widget = %q help %v, want none", got, e.p.WidgetHelp)
		}
		origins := []string{"https://shop.example.com", "http://localhost:3000"}
		if err := e.s.SetWidget(ctx, e.p.ID, origins, true); err != nil {
			t.Fatal(err)
		}
		p, err := e.s.ProviderByID(ctx, e.p.ID)
		if err != nil || strings.Join(p.Origins(), " ") != strings.Join(origins, " ") || !p.WidgetHelp {
			t.Fatalf("after SetWidget: %q help %v, %v", p.Origins(), p.WidgetHelp, err)
		}
		for origin, want := range map[string]bool{
			"https://shop.example.com": true, "https://SHOP.example.com:443": true, "http://localhost:3000": true,
			"https://evil.example.com": false, "http://shop.example.com": false, "null": false, "": false,
		} {
			if got := p.AllowsOrigin(origin); got != want {
				t.Errorf("AllowsOrigin(%q) = %v, want %v", origin, got, want)
			}
		}
		for _, bad := range [][]string{{"http://shop.example.com"}, {"HTTPS://Shop.example.com"}} {
			if err := e.s.SetWidget(ctx, e.p.ID, bad, false); !errors.Is(err, ErrInvalidArgument) {
				t.Errorf("SetWidget(%q) = %v, want ErrInvalidArgument", bad, err)
			}
		}
		if err := e.s.SetWidget(ctx, "nope", nil, false); !errors.Is(err, ErrNotFound) {
			t.Errorf("SetWidget(unknown provider) = %v", err)
		}

		// The widget token: set once the code is typed there, found by its hash, another provider's
		// session refused.
		sess := e.newSession(t, "WIDGT1")
		other, _, _ := e.otherProvider(t)
		if err := e.s.SetWidgetToken(ctx, other.ID, sess.ID, "wtok"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("another provider's SetWidgetToken = %v, want ErrNotFound", err)
		}
		if _, err := e.s.SessionByWidgetTokenHash(ctx, "wtok"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("before: %v", err)
		}
		for i := 0; i < 2; i++ { // typing the code again sets the same hash
			if err := e.s.SetWidgetToken(ctx, e.p.ID, sess.ID, "wtok"); err != nil {
				t.Fatalf("SetWidgetToken #%d: %v", i, err)
			}
		}
		got, err := e.s.SessionByWidgetTokenHash(ctx, "wtok")
		if err != nil || got.ID != sess.ID || got.WidgetTokenHash != "wtok" {
			t.Fatalf("SessionByWidgetTokenHash = %+v, %v", got, err)
		}
		if _, err := e.s.SessionByWidgetTokenHash(ctx, ""); !errors.Is(err, ErrNotFound) {
			t.Fatalf("empty hash: %v", err)
		}
		// An agent that came that way joins with the widget as its source.
		joined, err := e.s.JoinAgent(ctx, sess.ID, AgentJoin{KeyHash: "k", Source: protocol.SourceWidget, OS: "linux", Host: "pc"})
		if err != nil || joined.Source != protocol.SourceWidget {
			t.Fatalf("JoinAgent(widget) = %+v, %v", joined, err)
		}
		// Once the session is no longer waiting, the token cannot be set.
		if err := e.s.SetWidgetToken(ctx, e.p.ID, sess.ID, "wtok2"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("SetWidgetToken on a joined session = %v", err)
		}
	})
}
