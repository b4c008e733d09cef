package auth

import (
	"bytes"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/base64"
	"errors"
	"fmt"
	"image/png"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
	"golang.org/x/crypto/chacha20poly1305"
)

// Two-factor sign-in with TOTP (RFC 6238): 6 digits, 30-second steps, SHA-1, which is what every
// authenticator app reads from an otpauth:// QR code.
const (
	totpPeriod = 30
	totpDigits = otp.DigitsSix
)

var totpOpts = totp.ValidateOpts{Period: totpPeriod, Digits: totpDigits, Algorithm: otp.AlgorithmSHA1}

// DeriveKey derives a 32-byte key for one purpose from the server's secret with HKDF-SHA256 (RFC 5869),
// so that no two uses share a key and the secret itself never keys anything directly.
func DeriveKey(secret []byte, purpose string) ([]byte, error) {
	if len(secret) < 16 {
		return nil, errors.New("auth: the server secret is too short to derive keys from")
	}
	return hkdf.Key(sha256.New, secret, nil, "tether "+purpose, 32)
}

// SealSecret encrypts a small secret (a TOTP secret) with XChaCha20-Poly1305 under key, bound to the
// context it belongs to (the user id), so a sealed value copied to another row does not open.
func SealSecret(key []byte, context, plain string) (string, error) {
	aead, err := chacha20poly1305.NewX(key)
	if err != nil {
		return "", fmt.Errorf("auth: seal: %w", err)
	}
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plain)+aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	return "v1." + base64.RawURLEncoding.EncodeToString(aead.Seal(nonce, nonce, []byte(plain), []byte(context))), nil
}

// OpenSecret decrypts what SealSecret sealed for the same context.
func OpenSecret(key []byte, context, sealed string) (string, error) {
	raw, ok := strings.CutPrefix(sealed, "v1.")
	if !ok {
		return "", errors.New("auth: sealed secret of unknown version")
	}
	b, err := base64.RawURLEncoding.DecodeString(raw)
	if err != nil {
		return "", fmt.Errorf("auth: sealed secret: %w", err)
	}
	aead, err := chacha20poly1305.NewX(key)
	if err != nil {
		return "", fmt.Errorf("auth: open: %w", err)
	}
	if len(b) < aead.NonceSize()+aead.Overhead() {
		return "", errors.New("auth: sealed secret too short")
	}
	plain, err := aead.Open(nil, b[:aead.NonceSize()], b[aead.NonceSize():], []byte(context))
	if err != nil {
		return "", fmt.Errorf("auth: sealed secret does not open: %w", err)
	}
	return string(plain), nil
}

// TOTPEnrolment is a new TOTP secret with what the enrolment page shows: the otpauth:// URL as a QR
// code (PNG) and the secret in groups of four for typing.
type TOTPEnrolment struct {
	Secret string
	URL    string
	QRPNG  []byte
}

// NewTOTP makes a secret (160 bits, as RFC 4226 recommends) for account at issuer.
func NewTOTP(issuer, account string) (TOTPEnrolment, error) {
	k, err := totp.Generate(totp.GenerateOpts{Issuer: issuer, AccountName: account, Period: totpPeriod, Digits: totpDigits, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		return TOTPEnrolment{}, fmt.Errorf("auth: new TOTP secret: %w", err)
	}
	return TOTPEnrolment{Secret: k.Secret(), URL: k.URL()}, nil
}

// TOTPFor is the enrolment of an existing secret (shown again after a mistyped code).
func TOTPFor(issuer, account, secret string) (TOTPEnrolment, error) {
	raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(secret)
	if err != nil {
		return TOTPEnrolment{}, fmt.Errorf("auth: TOTP secret: %w", err)
	}
	k, err := totp.Generate(totp.GenerateOpts{Issuer: issuer, AccountName: account, Period: totpPeriod, Digits: totpDigits,
		Algorithm: otp.AlgorithmSHA1, Secret: raw})
	if err != nil {
		return TOTPEnrolment{}, fmt.Errorf("auth: TOTP secret: %w", err)
	}
	return TOTPEnrolment{Secret: k.Secret(), URL: k.URL()}, nil
}

// QR renders the enrolment's URL as a PNG QR code of side pixels.
func (e TOTPEnrolment) QR(side int) ([]byte, error) {
	k, err := otp.NewKeyFromURL(e.URL)
	if err != nil {
		return nil, fmt.Errorf("auth: TOTP URL: %w", err)
	}
	img, err := k.Image(side, side)
	if err != nil {
		return nil, fmt.Errorf("auth: QR code: %w", err)
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		return nil, fmt.Errorf("auth: QR code: %w", err)
	}
	return b.Bytes(), nil
}

// GroupSecret shows a base32 secret in groups of four: "ABCD EFGH …".
func GroupSecret(secret string) string {
	var b strings.Builder
	for i, r := range secret {
		if i > 0 && i%4 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// CheckTOTP checks a 6-digit code against secret at now, allowing one step of clock drift either way, and
// returns the step the code belongs to. ok is false for a wrong code, or one of a step not after
// lastStep (already used, or older than a used one): the caller records the step as used
// (store.UseTOTPStep) before it lets anyone in.
func CheckTOTP(secret, code string, now time.Time, lastStep int64) (step int64, ok bool) {
	code = strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' {
			return -1
		}
		return r
	}, code)
	if len(code) != 6 {
		return 0, false
	}
	base := now.Unix() / totpPeriod
	for _, off := range []int64{0, -1, 1} {
		st := base + off
		want, err := totp.GenerateCodeCustom(secret, time.Unix(st*totpPeriod, 0), totpOpts)
		if err != nil {
			return 0, false
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return st, st > lastStep
		}
	}
	return 0, false
}

// RecoveryCodeCount is how many recovery codes a user gets at once.
const RecoveryCodeCount = 10

// recoveryAlphabet is CodeAlphabet in lower case: nothing that reads as another character.
var recoveryAlphabet = strings.ToLower(CodeAlphabet)

// NewRecoveryCodes returns RecoveryCodeCount codes "xxxxx-xxxxx" (about 48 bits each) to show once, and
// their hashes to store.
func NewRecoveryCodes() (codes, hashes []string) {
	for range RecoveryCodeCount {
		var b [10]byte
		for i := 0; i < len(b); {
			var r [1]byte
			if _, err := rand.Read(r[:]); err != nil {
				panic(err)
			}
			if int(r[0]) >= 256-256%len(recoveryAlphabet) {
				continue
			}
			b[i] = recoveryAlphabet[int(r[0])%len(recoveryAlphabet)]
			i++
		}
		c := string(b[:5]) + "-" + string(b[5:])
		codes = append(codes, c)
		hashes = append(hashes, HashRecoveryCode(c))
	}
	return codes, hashes
}

// NormalizeRecoveryCode reads a recovery code as typed: case, spaces and dashes do not matter. ok is false
// when it cannot be one.
func NormalizeRecoveryCode(s string) (string, bool) {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r == ' ' || r == '-':
		case strings.ContainsRune(recoveryAlphabet, r):
			b.WriteRune(r)
		default:
			return "", false
		}
	}
	if b.Len() != 10 {
		return "", false
	}
	return b.String(), true
}

// HashRecoveryCode is how a recovery code is stored: SHA-256 of its normalized form.
func HashRecoveryCode(code string) string {
	n, _ := NormalizeRecoveryCode(code)
	return HashToken("recovery:" + n)
}
