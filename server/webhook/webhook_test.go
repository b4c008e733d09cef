package webhook

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"
)

func TestSignVerify(t *testing.T) {
	at := time.Unix(1_800_000_000, 0)
	body := []byte(`{"type":"session.ended"}`)
	sig := Sign("whsec_abc", at, body)
	// The documented scheme: HMAC-SHA256 over "<t>.<body>", hex (docs/api.md).
	// Computed with: printf '%s' '1800000000.{"type":"session.ended"}' | openssl dgst -sha256 -hmac whsec_abc
	if sig != "t=1800000000,v1=425bbcc58e0527bc374f0be67dd5fca824bdd93a6ba459416730ae217c5a54e1" {
		t.Fatalf("signature %q", sig)
	}
	if err := Verify("whsec_abc", sig, body, at.Add(time.Minute), 0); err != nil {
		t.Fatalf("verify: %v", err)
	}
	for _, tt := range []struct {
		name, secret, header string
		body                 []byte
		now                  time.Time
	}{
		{"wrong secret", "whsec_other", sig, body, at},
		{"changed body", "whsec_abc", sig, []byte(`{"type":"session.active"}`), at},
		{"replayed later", "whsec_abc", sig, body, at.Add(6 * time.Minute)},
		{"from the future", "whsec_abc", sig, body, at.Add(-6 * time.Minute)},
		{"changed timestamp", "whsec_abc", strings.Replace(sig, "t=1800000000", "t=1800000001", 1), body, at},
		{"no v1", "whsec_abc", "t=1800000000", body, at},
		{"garbage", "whsec_abc", "nonsense", body, at},
	} {
		if err := Verify(tt.secret, tt.header, tt.body, tt.now, 0); !errors.Is(err, ErrBadSignature) {
			t.Errorf("%s: %v, want ErrBadSignature", tt.name, err)
		}
	}
	// During a secret rotation a receiver may be sent several v1 values; one matching is enough.
	two := sig + ",v1=" + strings.Repeat("0", 64)
	if err := Verify("whsec_abc", two, body, at, 0); err != nil {
		t.Fatalf("two signatures: %v", err)
	}
}

func TestPublic(t *testing.T) {
	for addr, want := range map[string]bool{
		"93.184.216.34": true, "2606:2800:220:1::1": true, "8.8.8.8": true,
		"127.0.0.1": false, "::1": false, "10.0.0.1": false, "172.16.5.4": false, "192.168.1.1": false,
		"169.254.169.254": false, "fe80::1": false, "fd00::1": false, "0.0.0.0": false, "::": false,
		"100.64.0.1": false, "224.0.0.1": false, "255.255.255.255": false, "::ffff:127.0.0.1": false, "64:ff9b::a00:1": false,
	} {
		if got := Public(netip.MustParseAddr(addr)); got != want {
			t.Errorf("Public(%s) = %v, want %v", addr, got, want)
		}
	}
}

func TestValidURL(t *testing.T) {
	for _, tt := range []struct {
		url          string
		allowPrivate bool
		ok           bool
	}{
		{"https://crm.example.com/hooks/tether", false, true},
		{"  https://crm.example.com/h?x=1  ", false, true},
		{"http://crm.example.com/h", false, false},
		{"http://127.0.0.1:9000/h", true, true},
		{"https://127.0.0.1/h", false, false},
		{"https://[::1]/h", false, false},
		{"https://169.254.169.254/latest", false, false},
		{"https://localhost/h", false, false},
		{"https://a.localhost/h", false, false},
		{"https://u:p@crm.example.com/h", false, false},
		{"https://crm.example.com/h#frag", false, false},
		{"ftp://crm.example.com/h", true, false},
		{"/relative", false, false},
		{"", false, false},
		{"https://crm.example.com/" + strings.Repeat("a", MaxURL), false, false},
	} {
		_, err := ValidURL(tt.url, tt.allowPrivate)
		if (err == nil) != tt.ok {
			t.Errorf("ValidURL(%q, %v) = %v, want ok %v", tt.url, tt.allowPrivate, err, tt.ok)
		}
	}
}

func TestClientRefusesPrivateAddressesUnlessAllowed(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "https://example.com/", http.StatusFound)
	}))
	defer srv.Close()
	if _, err := Client(false).Post(srv.URL, "application/json", nil); !errors.Is(err, ErrPrivateAddress) {
		t.Fatalf("loopback with private addresses refused: %v", err)
	}
	resp, err := Client(true).Post(srv.URL, "application/json", nil)
	if err != nil {
		t.Fatalf("loopback allowed: %v", err)
	}
	resp.Body.Close()
	// Redirects are not followed: a public webhook cannot bounce a delivery inside.
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("redirect followed: %d", resp.StatusCode)
	}
}

func TestBackoff(t *testing.T) {
	var total time.Duration
	for a := 1; a < MaxAttempts; a++ {
		total += Backoff(a)
	}
	if Backoff(1) != 30*time.Second || Backoff(2) != time.Minute || Backoff(20) != time.Hour {
		t.Fatalf("backoff 1, 2, 20: %v %v %v", Backoff(1), Backoff(2), Backoff(20))
	}
	if total < 3*time.Hour || total > 4*time.Hour {
		t.Fatalf("retries span %v, want about three hours", total)
	}
}
