package restcred

import (
	"errors"
	"testing"
	"time"
)

// The example checked against an independent implementation:
//
//	printf '%s' 1386209390:alice | openssl dgst -sha1 -hmac north -binary | base64
func TestMintMatchesTheRESTExample(t *testing.T) {
	user, cred := Mint([]byte("north"), "alice", time.Unix(1386209390, 0))
	if user != "1386209390:alice" || cred != "eBcS08mfDurzh4SnDP9hUbI/FbU=" {
		t.Fatalf("Mint = %q, %q", user, cred)
	}
}

func TestCheckRefusesExpiredForgedAndMalformed(t *testing.T) {
	secret := []byte("0123456789abcdef0123456789abcdef")
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	user, cred := Mint(secret, "sess1", now.Add(TTL))
	tests := []struct {
		name       string
		secret     []byte
		user, cred string
		at         time.Time
		want       error
	}{
		{"valid", secret, user, cred, now, nil},
		{"valid a second before expiry", secret, user, cred, now.Add(TTL - time.Second), nil},
		{"expired at the second", secret, user, cred, now.Add(TTL), ErrExpired},
		{"forged credential", secret, user, Password(secret, user+"x"), now, ErrForged},
		{"later expiry, same credential", secret, Username("sess1", now.Add(2*TTL)), cred, now, ErrForged},
		{"another secret", []byte("another secret, another deployment"), user, cred, now, ErrForged},
		{"no expiry", secret, "sess1", Password(secret, "sess1"), now, ErrMalformed},
		{"no user", secret, "1900000000:", Password(secret, "1900000000:"), now, ErrMalformed},
		{"signed expiry", secret, "+1900000000:s", Password(secret, "+1900000000:s"), now, ErrMalformed},
		{"huge expiry", secret, "99999999999999999999:s", Password(secret, "99999999999999999999:s"), now, ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Check(tt.secret, tt.user, tt.cred, tt.at)
			if !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
				t.Fatalf("Check = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestIssuerMintsPerSessionWithFixedClock(t *testing.T) {
	now := time.Unix(1700000000, 0)
	i := &Issuer{
		STUN: []string{"stun:stun.example.com:3478"}, TURN: []string{"turn:198.51.100.7:3478?transport=udp"},
		Secret: []byte("north"), TTL: time.Hour, Now: func() time.Time { return now },
	}
	got := i.ICEServers("s1")
	if len(got) != 2 || got[0].Username != "" || got[0].URLs[0] != "stun:stun.example.com:3478" {
		t.Fatalf("ICEServers = %+v", got)
	}
	turn := got[1]
	if turn.Username != "1700003600:s1" || turn.URLs[0] != "turn:198.51.100.7:3478?transport=udp" {
		t.Fatalf("TURN server %+v", turn)
	}
	if err := Check([]byte("north"), turn.Username, turn.Credential, now); err != nil {
		t.Fatal(err)
	}
	if other := i.ICEServers("s2")[1]; other.Credential == turn.Credential {
		t.Fatal("two sessions got the same credential")
	}
	if none := (&Issuer{}).ICEServers("s1"); none != nil {
		t.Fatalf("no servers configured, got %+v", none)
	}
}
