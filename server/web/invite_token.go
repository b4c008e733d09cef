package web

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base32"
	"strings"

	"tether/server/store"
)

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// inviteToken derives a session's invitation token from its id with the
// server secret: 160 bits of HMAC-SHA256. The database keeps only the token's
// hash, yet the engineer's pages can show the link again without storing it.
func (s *Server) inviteToken(sessionID string) string {
	return s.derive("tether invite v1", sessionID)
}

// codeToken is the token the code page leads to: derived like inviteToken
// but different, so the session knows whether the customer came by link or
// by code, and typing the code twice leads to the same page.
func (s *Server) codeToken(sessionID string) string {
	return s.derive("tether code v1", sessionID)
}

// widgetToken is the token the website widget leads to: derived like
// codeToken but with its own purpose, so that the session records the
// customer came through the provider's website (protocol.SourceWidget). A
// query parameter could say so too, but anyone could add it; this token only
// the server can make.
func (s *Server) widgetToken(sessionID string) string {
	return s.derive("tether widget v1", sessionID)
}

func (s *Server) derive(purpose, sessionID string) string {
	m := hmac.New(sha256.New, s.Secret)
	m.Write([]byte(purpose + "\x00" + sessionID))
	return strings.ToLower(b32.EncodeToString(m.Sum(nil)[:20]))
}

// inviteURL is the invitation link the engineer hands out, on the provider's own address.
func (s *Server) inviteURL(p store.Provider, sessionID string) string {
	return s.providerURL(p) + "/i/" + s.inviteToken(sessionID)
}
