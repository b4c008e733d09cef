// Package restcred mints and checks short-lived TURN credentials in the
// TURN REST convention (draft-uberti-behave-turn-rest-00, section 2.2),
// which coturn implements as use-auth-secret/static-auth-secret:
//
//	username   = <unix expiry>:<user>
//	credential = base64(HMAC-SHA1(secret, username))
//
// Whoever knows the secret (Tether's embedded TURN server, or a coturn
// configured with the same static-auth-secret) can check a credential
// without asking Tether, so every instance of a deployment accepts the
// credentials of every other.
package restcred

import (
	"crypto/hmac"
	"crypto/sha1" // #nosec G505 -- HMAC-SHA1 is what the TURN REST convention and coturn use
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"tether/server/protocol"
)

// TTL is how long minted credentials stay valid. A client refreshes its
// TURN allocation, permissions and channel bindings with the credentials
// it started with (RFC 8656 §7, every few minutes) for as long as the
// peer connection lives, and the server refuses a refresh whose username
// has expired: credentials must outlast the longest ordinary support
// session, not just its start. Twelve hours covers a working day with
// room to spare; the agent gets new ones with every welcome (each
// reconnect) and a viewer with every join. A leaked credential is worth
// only relaying through this deployment's TURN for at most that long.
const TTL = 12 * time.Hour

// Errors of Check.
var (
	ErrMalformed = errors.New("restcred: malformed username")
	ErrExpired   = errors.New("restcred: credentials expired")
	ErrForged    = errors.New("restcred: credential does not match the username")
)

// Username is "<unix expiry>:<user>".
func Username(user string, expiry time.Time) string {
	return strconv.FormatInt(expiry.Unix(), 10) + ":" + user
}

// Password is the credential for username: base64(HMAC-SHA1(secret, username)).
func Password(secret []byte, username string) string {
	m := hmac.New(sha1.New, secret)
	m.Write([]byte(username))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// Mint returns the username and credential for user, valid until expiry.
func Mint(secret []byte, user string, expiry time.Time) (username, credential string) {
	username = Username(user, expiry)
	return username, Password(secret, username)
}

// Expiry reads the expiry and the user out of a username. A username
// without an expiry, or with anything but decimal digits before the colon,
// is ErrMalformed.
func Expiry(username string) (time.Time, string, error) {
	ts, user, ok := strings.Cut(username, ":")
	if !ok || ts == "" || len(ts) > 12 || user == "" {
		return time.Time{}, "", ErrMalformed
	}
	for _, c := range ts {
		if c < '0' || c > '9' {
			return time.Time{}, "", ErrMalformed
		}
	}
	n, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return time.Time{}, "", ErrMalformed
	}
	return time.Unix(n, 0), user, nil
}

// Live checks that username is well formed and not expired at now. It is
// what a TURN server checks before it derives the key; the credential
// itself is checked by STUN's MESSAGE-INTEGRITY (RFC 8489 §14.5), keyed
// with Password.
func Live(username string, now time.Time) error {
	exp, _, err := Expiry(username)
	if err != nil {
		return err
	}
	if !now.Before(exp) {
		return fmt.Errorf("%w at %s", ErrExpired, exp.UTC().Format(time.RFC3339))
	}
	return nil
}

// Check verifies a username and credential pair at now: well formed, not
// expired, and the credential is the HMAC of the username (compared in
// constant time).
func Check(secret []byte, username, credential string, now time.Time) error {
	if err := Live(username, now); err != nil {
		return err
	}
	if !hmac.Equal([]byte(Password(secret, username)), []byte(credential)) {
		return ErrForged
	}
	return nil
}

// Issuer hands out a session's ICE servers: the STUN servers as they are,
// and the TURN servers with credentials minted for that session.
type Issuer struct {
	// STUN lists stun:/stuns: URLs, given to every peer without credentials.
	STUN []string
	// TURN lists turn:/turns: URLs that accept credentials made with Secret.
	TURN   []string
	Secret []byte
	// TTL is how long credentials stay valid; zero means TTL.
	TTL time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// ICEServers returns the ICE servers for one peer of session sessionID.
func (i *Issuer) ICEServers(sessionID string) []protocol.ICEServer {
	var out []protocol.ICEServer
	if len(i.STUN) > 0 {
		out = append(out, protocol.ICEServer{URLs: i.STUN})
	}
	if len(i.TURN) > 0 {
		now, ttl := time.Now, i.TTL
		if i.Now != nil {
			now = i.Now
		}
		if ttl <= 0 {
			ttl = TTL
		}
		user, cred := Mint(i.Secret, sessionID, now().Add(ttl))
		out = append(out, protocol.ICEServer{URLs: i.TURN, Username: user, Credential: cred})
	}
	return out
}
