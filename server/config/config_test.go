package config

import (
	"fmt"
	"io"
	"strings"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		check   func(t *testing.T, c Config)
		wantErr string
	}{
		{name: "defaults", check: func(t *testing.T, c Config) {
			if c.Listen != ":8080" || c.BaseURL != "http://localhost:8080" || c.InviteTTL != 24*time.Hour || !c.P2P || c.Database != "sqlite://data/tether.db" {
				t.Fatalf("%+v", c)
			}
		}},
		{name: "env", env: map[string]string{"TETHER_LISTEN": "127.0.0.1:9000", "TETHER_INVITE_TTL": "2h", "TETHER_P2P": "off"}, check: func(t *testing.T, c Config) {
			if c.BaseURL != "http://127.0.0.1:9000" || c.InviteTTL != 2*time.Hour || c.P2P {
				t.Fatalf("%+v", c)
			}
		}},
		{name: "flag beats env", args: []string{"-invite-ttl", "3h"}, env: map[string]string{"TETHER_INVITE_TTL": "2h"}, check: func(t *testing.T, c Config) {
			if c.InviteTTL != 3*time.Hour {
				t.Fatal(c.InviteTTL)
			}
		}},
		{name: "tls makes https", args: []string{"-tls-cert", "c.pem", "-tls-key", "k.pem", "-listen", ":8443"}, check: func(t *testing.T, c Config) {
			if c.BaseURL != "https://localhost:8443" || !c.Secure() {
				t.Fatal(c.BaseURL)
			}
		}},
		{name: "https behind a proxy", args: []string{"-base-url", "https://support.example.com", "-tls-proxy", "true"}, check: func(t *testing.T, c Config) {
			if !c.Secure() || !c.TLSProxy || c.TLSCert != "" {
				t.Fatalf("%+v", c)
			}
		}},
		{name: "loopback http", args: []string{"-base-url", "http://127.0.0.1:8080"}, check: func(t *testing.T, c Config) {
			if c.Secure() {
				t.Fatal("secure")
			}
		}},
		{name: "trusted proxies", env: map[string]string{"TETHER_TRUSTED_PROXIES": "10.0.0.5, 10.1.2.3/16,2001:db8::/48"}, check: func(t *testing.T, c Config) {
			got := fmt.Sprint(c.TrustedProxies)
			if got != "[10.0.0.5/32 10.1.0.0/16 2001:db8::/48]" {
				t.Fatal(got)
			}
		}},
		{name: "plain http to the network", args: []string{"-base-url", "http://support.example.com"}, wantErr: "not encrypted"},
		{name: "plain http on a LAN address", args: []string{"-base-url", "http://192.168.1.5:8080"}, wantErr: "not encrypted"},
		{name: "https without a certificate", args: []string{"-base-url", "https://support.example.com"}, wantErr: "no certificate"},
		{name: "proxy with http", args: []string{"-base-url", "http://localhost:8080", "-tls-proxy", "yes"}, wantErr: "must then be https"},
		{name: "bad proxy", args: []string{"-trusted-proxies", "proxy.local"}, wantErr: "trusted-proxies"},
		{name: "bad ttl", args: []string{"-invite-ttl", "forever"}, wantErr: "invite-ttl"},
		{name: "60 fps", env: map[string]string{"TETHER_MAX_FPS": "60"}, check: func(t *testing.T, c Config) {
			if c.MaxFPS != 60 {
				t.Errorf("MaxFPS %d", c.MaxFPS)
			}
		}},
		{name: "fps over the limit", args: []string{"-max-fps", "120"}, wantErr: "max-fps"},
		{name: "fps not a number", args: []string{"-max-fps", "fast"}, wantErr: "max-fps"},
		{name: "half tls", args: []string{"-tls-cert", "c.pem"}, wantErr: "together"},
		{name: "bad base", args: []string{"-base-url", "ftp://x"}, wantErr: "base-url"},
		{name: "base with path", args: []string{"-base-url", "https://x.com/support", "-tls-proxy", "1"}, wantErr: "base-url"},
		{name: "bad listen", args: []string{"-listen", "8080"}, wantErr: "listen"},
		{name: "bad dsn hides secret", args: []string{"-database", "mysql://root:hunter2@db/x"}, wantErr: "mysql:"},
		{name: "bad stun", args: []string{"-stun", "turn:x"}, wantErr: "stun"},
		{name: "stray arg", args: []string{"serve"}, wantErr: "unexpected"},
		{name: "embedded TURN by default, relayed on localhost", check: func(t *testing.T, c Config) {
			if !c.TURN || c.TURNListen != ":3478" || c.TURNRelayIP.String() != "127.0.0.1" || c.ICEPolicy != "all" ||
				c.TURNRelayPortMin != 49152 || c.TURNRelayPortMax != 65535 || !c.HasTURN() {
				t.Fatalf("%+v", c)
			}
		}},
		{name: "TURN relays on the base URL's IP", args: []string{"-base-url", "https://198.51.100.7", "-tls-proxy", "1"}, check: func(t *testing.T, c Config) {
			if c.TURNRelayIP.String() != "198.51.100.7" {
				t.Fatal(c.TURNRelayIP)
			}
		}},
		{name: "TURN relay IP left to pick for a host name", args: []string{"-base-url", "https://support.example.com", "-tls-proxy", "1"}, check: func(t *testing.T, c Config) {
			if c.TURNRelayIP.IsValid() {
				t.Fatal(c.TURNRelayIP)
			}
		}},
		{name: "TURN settings from env", env: map[string]string{"TETHER_TURN_LISTEN": "127.0.0.1:0", "TETHER_TURN_RELAY_IP": "203.0.113.4",
			"TETHER_TURN_RELAY_PORTS": "50000-50100", "TETHER_ICE_POLICY": "relay"}, check: func(t *testing.T, c Config) {
			if c.TURNListen != "127.0.0.1:0" || c.TURNRelayIP.String() != "203.0.113.4" || c.TURNRelayPortMin != 50000 || c.TURNRelayPortMax != 50100 || c.ICEPolicy != "relay" {
				t.Fatalf("%+v", c)
			}
		}},
		{name: "coturn replaces the embedded TURN", args: []string{"-turn-urls", "turn:turn.example.com:3478?transport=udp, turns:turn.example.com:5349", "-turn-secret", "s3cret"}, check: func(t *testing.T, c Config) {
			if c.TURN || len(c.TURNURLs) != 2 || c.TURNSecret != "s3cret" || !c.HasTURN() {
				t.Fatalf("%+v", c)
			}
		}},
		{name: "coturn without a secret", args: []string{"-turn-urls", "turn:turn.example.com"}, wantErr: "turn-secret"},
		{name: "secret without coturn", args: []string{"-turn-secret", "s3cret"}, wantErr: "turn-urls too"},
		{name: "bad TURN URL", args: []string{"-turn-urls", "stun:x", "-turn-secret", "s"}, wantErr: "turn-urls"},
		{name: "relay-only without TURN", args: []string{"-turn=false", "-ice-policy", "relay"}, wantErr: "needs a TURN server"},
		{name: "bad ICE policy", args: []string{"-ice-policy", "host"}, wantErr: "ice-policy"},
		{name: "bad relay IP", args: []string{"-turn-relay-ip", "turn.example.com"}, wantErr: "turn-relay-ip"},
		{name: "bad relay ports", args: []string{"-turn-relay-ports", "80-90"}, wantErr: "turn-relay-ports"},
		{name: "bad TURN listen", args: []string{"-turn-listen", "3478"}, wantErr: "turn-listen"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse(tt.args, func(k string) string { return tt.env[k] }, io.Discard)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "hunter2") {
					t.Fatal("error leaks the password")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, c)
		})
	}
}
