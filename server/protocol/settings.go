package protocol

import (
	"bytes"
	"crypto/ed25519"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
)

// AgentSettings is what one download of the generic agent binary carries:
// where to connect and which invitation it answers. The server appends it to
// the binary at download time (see AppendSettings), so no build is made per
// invitation and the binary's code is identical for every customer.
type AgentSettings struct {
	// Server is the base URL of the Tether server, https://host[:port], or
	// http:// for a server on the customer's own machine (loopback) only.
	Server string `json:"server"`
	// Token is the invitation token (at least 128 random bits, base32).
	Token string `json:"token"`
	// Source is how the customer got here: SourceLink, SourceCode or SourceWidget.
	Source string `json:"source"`
	// Provider and Engineer are shown to the customer before connecting.
	Provider string `json:"provider"`
	Engineer string `json:"engineer"`
	// Brand is the provider's logo, colours and contact line.
	Brand AgentBrand `json:"brand,omitzero"`
	// Language is the language of the invitation page the program was downloaded from (a BCP 47 tag of
	// static/locales: "de", "zh-Hans"); the program speaks it. Empty: this computer's language.
	Language string `json:"language,omitempty"`
	// Code is the session's code, for the link to the provider's verification page (VerifyURL);
	// empty in downloads made before it existed.
	Code string `json:"code,omitempty"`
}

// VerifyPath is the provider's public verification page, where a customer checks who is helping them
// (on Server, the provider's address).
const VerifyPath = "/verify"

// VerifyURL is the provider's verification page with the session's code filled in, or "" without a
// code.
func (s AgentSettings) VerifyURL() string {
	if s.Code == "" {
		return ""
	}
	return strings.TrimRight(s.Server, "/") + VerifyPath + "?code=" + s.Code
}

// validCode reports whether c can be a session code: a few upper-case letters and digits, so that it
// goes into a URL and a console line as it is.
func validCode(c string) bool {
	if len(c) < 4 || len(c) > 12 {
		return false
	}
	for _, r := range c {
		if !(r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// The settings trailer sits at the very end of the agent binary:
//
//	... executable bytes ... | settings JSON | Ed25519 signature (64) | len u32 BE | "TETHERS2"
//
// Executables of every OS we build ignore bytes past their last section, so
// the trailer does not change how the program loads. The signature is made
// with the server's agent signing key over settingsDomain followed by the
// JSON; the agent checks it with the public key in its own key slot (see
// KeySlotMagic), which lies inside the program's code, the part that
// Authenticode signing covers. docs/agent.md says what this stops and what
// it does not.
const (
	settingsMagic = "TETHERS2"
	settingsTail  = ed25519.SignatureSize + 4 + 8 // signature, length, magic
	// maxSettingsJSON bounds the JSON: the brand's logo in base64 and 8 KiB
	// for everything else.
	maxSettingsJSON = (MaxAgentLogo+2)/3*4 + 8<<10
	settingsDomain  = "tether agent settings v2\x00"
)

// KeySlotMagic marks the agent's key slot: these 16 bytes followed by the
// 32-byte Ed25519 public key the settings must be signed with. A fresh build
// has zeros there; the server writes its public key into the slot of every
// download (or finds it written already, in a build prepared for code
// signing). The agent holds the only literal copy of the magic (a test
// checks the two agree); here it is kept inverted, so that no program that
// searches for slots carries a second one in its own file.
func KeySlotMagic() [16]byte {
	m := keySlotMagicInverted
	for i := range m {
		m[i] = ^m[i]
	}
	return m
}

var keySlotMagicInverted = [16]byte{0xab, 0xba, 0xab, 0xb7, 0xba, 0xad, 0xb4, 0xba, 0xa6, 0x65, 0xc3, 0x1e, 0xf8, 0x4d, 0xa2, 0x0b}

// KeySlotSize is the magic and the key.
const KeySlotSize = 16 + ed25519.PublicKeySize

// Errors from ReadSettings and FindKeySlot.
var (
	ErrNoSettings       = errors.New("this program was not downloaded from a Tether invitation: it carries no session settings")
	ErrSettingsTampered = errors.New("this program's session settings are damaged or were changed after download")
	ErrNoKeySlot        = errors.New("this program has no valid key slot")
)

// IsLoopbackHost reports whether host (a URL's host, with or without port)
// names this machine: localhost and names under it (RFC 6761 section 6.3,
// which browsers resolve to loopback themselves), 127.0.0.0/8 or ::1. Only
// there may Tether speak without TLS.
func IsLoopbackHost(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if l := strings.ToLower(host); l == "localhost" || strings.HasSuffix(l, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// CheckServerURL accepts https://host[:port][/path], and http:// only for a
// loopback host: the agent never talks to a remote server in clear.
func CheckServerURL(server string) error {
	u, err := url.Parse(server)
	if err != nil || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("server %q is not a valid address", server)
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if IsLoopbackHost(u.Host) {
			return nil
		}
		return fmt.Errorf("server %s is not encrypted (http://); only https:// is accepted for a server on another computer", u.Host)
	}
	return fmt.Errorf("server %q: the address must start with https://", server)
}

// Validate checks the settings are complete and well-formed.
func (s AgentSettings) Validate() error {
	if err := CheckServerURL(s.Server); err != nil {
		return fmt.Errorf("%w: %v", ErrSettingsTampered, err)
	}
	if len(s.Token) < 26 || len(s.Token) > 128 {
		return fmt.Errorf("%w: token length %d", ErrSettingsTampered, len(s.Token))
	}
	if !ValidSource(s.Source) {
		return fmt.Errorf("%w: source %q", ErrSettingsTampered, s.Source)
	}
	if err := s.Brand.Validate(); err != nil {
		return fmt.Errorf("%w: %v", ErrSettingsTampered, err)
	}
	if s.Code != "" && !validCode(s.Code) {
		return fmt.Errorf("%w: code %q", ErrSettingsTampered, s.Code)
	}
	return nil
}

// AppendSettings writes the trailer for s, signed with key, to w, to follow
// the binary's bytes.
func AppendSettings(w io.Writer, s AgentSettings, key ed25519.PrivateKey) error {
	if err := s.Validate(); err != nil {
		return err
	}
	if len(key) != ed25519.PrivateKeySize {
		return errors.New("protocol: agent signing key missing")
	}
	js, err := json.Marshal(s)
	if err != nil {
		return err
	}
	if len(js) > maxSettingsJSON {
		return fmt.Errorf("protocol: settings of %d bytes", len(js))
	}
	var tail [settingsTail]byte
	copy(tail[:ed25519.SignatureSize], ed25519.Sign(key, signedSettings(js)))
	binary.BigEndian.PutUint32(tail[ed25519.SignatureSize:], uint32(len(js)))
	copy(tail[ed25519.SignatureSize+4:], settingsMagic)
	if _, err := w.Write(js); err != nil {
		return err
	}
	_, err = w.Write(tail[:])
	return err
}

func signedSettings(js []byte) []byte {
	return append([]byte(settingsDomain), js...)
}

// ReadSettings reads the trailer from the end of a file of the given size
// and checks its signature against pub, the key from the program's own key
// slot.
func ReadSettings(r io.ReaderAt, size int64, pub ed25519.PublicKey) (AgentSettings, error) {
	var s AgentSettings
	if size < settingsTail {
		return s, ErrNoSettings
	}
	var tail [settingsTail]byte
	if _, err := r.ReadAt(tail[:], size-settingsTail); err != nil {
		return s, fmt.Errorf("read settings: %w", err)
	}
	if !bytes.Equal(tail[ed25519.SignatureSize+4:], []byte(settingsMagic)) {
		return s, ErrNoSettings
	}
	if len(pub) != ed25519.PublicKeySize || bytes.Equal(pub, make([]byte, ed25519.PublicKeySize)) {
		// A build no server prepared: nothing to check a signature against.
		return s, ErrNoSettings
	}
	n := int64(binary.BigEndian.Uint32(tail[ed25519.SignatureSize:]))
	if n == 0 || n > maxSettingsJSON || n > size-settingsTail {
		return s, ErrSettingsTampered
	}
	js := make([]byte, n)
	if _, err := r.ReadAt(js, size-settingsTail-n); err != nil {
		return s, fmt.Errorf("read settings: %w", err)
	}
	if !ed25519.Verify(pub, signedSettings(js), tail[:ed25519.SignatureSize]) {
		return s, ErrSettingsTampered
	}
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return AgentSettings{}, fmt.Errorf("%w: %v", ErrSettingsTampered, err)
	}
	if err := s.Validate(); err != nil {
		return AgentSettings{}, err
	}
	return s, nil
}

// FindKeySlot finds the one key slot in the program r of the given size and
// returns the offset of its key (just after the magic) and the key there:
// zeros in a fresh build. A program without exactly one slot is refused.
func FindKeySlot(r io.ReaderAt, size int64) (int64, ed25519.PublicKey, error) {
	const chunk = 1 << 20
	km := KeySlotMagic()
	magic := km[:]
	buf := make([]byte, chunk+len(magic)-1)
	found := int64(-1)
	for off := int64(0); off < size; off += chunk {
		n, err := r.ReadAt(buf[:min(int64(len(buf)), size-off)], off)
		if err != nil && !errors.Is(err, io.EOF) {
			return 0, nil, fmt.Errorf("read program: %w", err)
		}
		b := buf[:n]
		for i := 0; ; {
			j := bytes.Index(b[i:], magic)
			if j < 0 {
				break
			}
			at := off + int64(i+j)
			if found >= 0 && found != at {
				return 0, nil, fmt.Errorf("%w: more than one", ErrNoKeySlot)
			}
			found = at
			i += j + 1
		}
	}
	if found < 0 {
		return 0, nil, ErrNoKeySlot
	}
	keyAt := found + int64(len(magic))
	if keyAt+ed25519.PublicKeySize > size {
		return 0, nil, fmt.Errorf("%w: cut short", ErrNoKeySlot)
	}
	key := make([]byte, ed25519.PublicKeySize)
	if _, err := r.ReadAt(key, keyAt); err != nil {
		return 0, nil, fmt.Errorf("read key slot: %w", err)
	}
	return keyAt, key, nil
}
