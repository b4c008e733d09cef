// Package auth holds the secrets Tether hands out and checks: password
// hashes, random tokens and invitation codes. Rate limits live in the store,
// shared by every instance (store.Allow).
package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/bcrypt"
)

// MinPasswordLength is the shortest password accepted at setup.
const MinPasswordLength = 10

// ErrBadPassword is returned when a password does not match its hash.
var ErrBadPassword = errors.New("auth: wrong email or password")

// HashPassword hashes a password with bcrypt at its default cost.
func HashPassword(pw string) (string, error) {
	if len(pw) < MinPasswordLength {
		return "", fmt.Errorf("the password needs at least %d characters", MinPasswordLength)
	}
	if len(pw) > 72 {
		return "", errors.New("the password can have at most 72 bytes")
	}
	h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.DefaultCost)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return string(h), nil
}

// dummyHash is compared against when an email is unknown, so a sign-in takes
// as long whether or not the account exists.
var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("tether-no-such-user"), bcrypt.DefaultCost)

// CheckPassword compares pw with hash. An empty hash (no such user) is
// compared against a dummy so timing does not tell which emails exist.
func CheckPassword(hash, pw string) error {
	h := []byte(hash)
	if hash == "" {
		h = dummyHash
	}
	if err := bcrypt.CompareHashAndPassword(h, []byte(pw)); err != nil || hash == "" {
		return ErrBadPassword
	}
	return nil
}

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// NewToken returns a random token with 160 bits of entropy (32 base32
// characters, lowercase), for invitations, sign-ins and consent keys.
func NewToken() string {
	var b [20]byte
	if _, err := rand.Read(b[:]); err != nil {
		// crypto/rand never fails on supported platforms (Go 1.24+ panics itself).
		panic(err)
	}
	return strings.ToLower(b32.EncodeToString(b[:]))
}

// HashToken is how tokens are stored: hex SHA-256. Tokens carry enough
// entropy that a fast hash is safe; the database never holds a usable token.
func HashToken(token string) string {
	s := sha256.Sum256([]byte(token))
	return hex.EncodeToString(s[:])
}

// CodeAlphabet has no characters that are easy to confuse when read aloud
// or typed: no 0/O, 1/I/L, and no U or V.
const CodeAlphabet = "23456789ABCDEFGHJKMNPQRSTWXYZ"

// CodeLength is the number of characters in an invitation code.
const CodeLength = 6

// NewCode returns a random invitation code, uniformly over CodeAlphabet.
func NewCode() string {
	out := make([]byte, CodeLength)
	var b [1]byte
	for i := 0; i < CodeLength; {
		if _, err := rand.Read(b[:]); err != nil {
			panic(err)
		}
		// Reject bytes past the largest multiple of the alphabet size, so
		// every character is equally likely.
		if int(b[0]) >= 256-256%len(CodeAlphabet) {
			continue
		}
		out[i] = CodeAlphabet[int(b[0])%len(CodeAlphabet)]
		i++
	}
	return string(out)
}

// NormalizeCode reads a code as a customer typed it: case-insensitive,
// ignoring spaces and dashes. It reports false if the result cannot be a code.
func NormalizeCode(s string) (string, bool) {
	var b strings.Builder
	for _, r := range strings.ToUpper(s) {
		switch {
		case r == ' ' || r == '-' || r == '\t' || r == '\u00a0':
			continue
		case strings.ContainsRune(CodeAlphabet, r):
			b.WriteRune(r)
		default:
			return "", false
		}
		if b.Len() > CodeLength {
			return "", false
		}
	}
	return b.String(), b.Len() == CodeLength
}

// FormatCode shows a code in two groups for reading aloud: "ABC DEF".
func FormatCode(code string) string {
	if len(code) != CodeLength {
		return code
	}
	return code[:3] + " " + code[3:]
}
