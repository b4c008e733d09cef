package protocol

import (
	"bytes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"

	"golang.org/x/crypto/chacha20poly1305"
)

// End-to-end protection of a session between the agent and one viewer.
//
// The two ends agree on keys through signaling (SigKey) with ephemeral
// X25519 keys, the agent committing to its key before it sees the viewer's
// (see Handshake). From the shared secret, the session id and both public
// keys, HKDF-SHA256 (RFC 5869) derives:
//
//   - one ChaCha20-Poly1305 (RFC 8439) key per direction, which seals every
//     session message on the websocket relay (Sealer, Opener), so the
//     server and any message bus between instances carry only ciphertext;
//   - one HMAC-SHA256 key per end, which authenticates the DTLS fingerprint
//     of that end's SDP (SessionKeys.SignSDP), so the peer-to-peer and TURN
//     paths are bound to the same exchange;
//   - the security code both ends show (SessionKeys.Code): if a server
//     replaced the keys, the codes differ.
//
// The server forwards the exchange and never learns a key; what it can
// still do is in docs/security.md.

// Sizes of the sealed layer.
const (
	// KeySize is the size of an X25519 public key.
	KeySize = 32
	// CommitSize is the size of a key commitment (SHA-256).
	CommitSize = sha256.Size
	// sealedHeaderSize is the clear header of a sealed message: version,
	// type and the 64-bit counter.
	sealedHeaderSize = headerSize + 8
	// SealOverhead is what sealing adds to a session message: the counter
	// and the Poly1305 tag.
	SealOverhead = sealedHeaderSize - headerSize + chacha20poly1305.Overhead
	// MaxSealedSize bounds one sealed message on the relay.
	MaxSealedSize = MaxMessageSize + SealOverhead
	// SDPMACSize is the size of the MAC over an SDP's fingerprints.
	SDPMACSize = sha256.Size
)

// Errors of the sealed layer. Each names what went wrong, for the log.
var (
	// ErrSealed: a sealed message is malformed, forged, altered, or was
	// sealed for the other direction or with other keys.
	ErrSealed = errors.New("protocol: sealed message does not open (forged, altered, or sealed with other keys)")
	// ErrReplay: a sealed message came again or out of order.
	ErrReplay = errors.New("protocol: sealed message replayed or out of order")
	// ErrKeyExchange: a key exchange step is malformed or does not match
	// what this end sent or was promised.
	ErrKeyExchange = errors.New("protocol: key exchange failed")
	// ErrStaleKey: a key exchange step answers an exchange this end no
	// longer runs; ignore it.
	ErrStaleKey = errors.New("protocol: key exchange step for an older exchange")
	// ErrFingerprint: an SDP's DTLS fingerprints are missing or not the
	// ones the other end authenticated.
	ErrFingerprint = errors.New("protocol: DTLS fingerprint not authenticated by the key exchange")
)

// Labels separate every use of the key material (RFC 5869 §3.2 "info").
const (
	labelTranscript = "tether e2e v1"
	labelCommit     = "tether e2e v1 commit"
	labelToViewer   = "tether e2e v1 agent to viewer"
	labelToAgent    = "tether e2e v1 viewer to agent"
	labelSDPAgent   = "tether e2e v1 sdp agent"
	labelSDPViewer  = "tether e2e v1 sdp viewer"
	labelCode       = "tether e2e v1 security code"
	// The relay's file lane has keys of its own: the server may interleave
	// the two lanes, and each opener takes its lane's counters in order.
	labelFilesToViewer = "tether e2e v1 files agent to viewer"
	labelFilesToAgent  = "tether e2e v1 files viewer to agent"
)

// Handshake is one end's side of one key exchange, in three signaling
// messages (Key):
//
//	agent                                        viewer
//	  | key{commit: SHA-256(label, A)}  ------------>|  (Start / Reply)
//	  |<------------ key{commit (echo), public: V}   |
//	  | key{public: A}                  ------------>|  (Accept / Reveal)
//
// The agent commits to its public key A before it sees V and reveals it
// after. Without the commitment a server in the middle could, having
// finished the exchange with the viewer, try public keys on the agent's
// side until the 6-digit codes agree (a million tries take a second); with
// it, each side's code is fixed before the server learns what it needs to
// aim, so it matches by chance only (one in a million). This is the short
// authentication string construction of ZRTP (RFC 6189 §4.4.1.1) cut to
// what two ends that already share a signaling channel need.
//
// A Handshake is used by one goroutine; a new exchange makes a new one.
type Handshake struct {
	role      Sender
	sessionID string
	priv      *ecdh.PrivateKey
	commit    []byte // the agent's commitment: sent (agent) or answered (viewer)
}

// NewHandshake starts one end's side of a key exchange for sessionID, as
// that end knows it (the agent from its welcome, the viewer from its page):
// a server that tells the two ends different ids only makes their codes
// differ.
func NewHandshake(role Sender, sessionID string) (*Handshake, error) {
	if role != SenderAgent && role != SenderViewer {
		return nil, fmt.Errorf("%w: role %d", ErrKeyExchange, role)
	}
	if len(sessionID) == 0 || len(sessionID) > 255 {
		return nil, fmt.Errorf("%w: session id of %d bytes", ErrKeyExchange, len(sessionID))
	}
	priv, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("protocol: key exchange: %w", err)
	}
	return &Handshake{role: role, sessionID: sessionID, priv: priv}, nil
}

func (h *Handshake) public() []byte { return h.priv.PublicKey().Bytes() }

// commitTo is the commitment to public key pub.
func commitTo(pub []byte) []byte {
	m := sha256.New()
	m.Write([]byte(labelCommit))
	m.Write(pub)
	return m.Sum(nil)
}

// Start is the agent's first message: the commitment to its key.
func (h *Handshake) Start() KeyStep {
	h.commit = commitTo(h.public())
	return KeyStep{Commit: h.commit}
}

// Reply is the viewer's answer to the agent's Start: the commitment it
// answers and the viewer's own public key.
func (h *Handshake) Reply(start KeyStep) (KeyStep, error) {
	if h.role != SenderViewer || len(start.Commit) != CommitSize || len(start.Public) != 0 {
		return KeyStep{}, fmt.Errorf("%w: not a start", ErrKeyExchange)
	}
	h.commit = bytes.Clone(start.Commit)
	return KeyStep{Commit: h.commit, Public: h.public()}, nil
}

// Accept takes the viewer's Reply on the agent's side. It returns the keys
// and the reveal to send. ErrStaleKey: the reply answers an earlier Start.
func (h *Handshake) Accept(reply KeyStep) (*SessionKeys, KeyStep, error) {
	if h.role != SenderAgent || h.commit == nil || len(reply.Commit) != CommitSize || len(reply.Public) != KeySize {
		return nil, KeyStep{}, fmt.Errorf("%w: not a reply", ErrKeyExchange)
	}
	if !hmac.Equal(reply.Commit, h.commit) {
		return nil, KeyStep{}, ErrStaleKey
	}
	keys, err := h.derive(h.public(), reply.Public)
	if err != nil {
		return nil, KeyStep{}, err
	}
	return keys, KeyStep{Public: h.public()}, nil
}

// Reveal takes the agent's reveal on the viewer's side: the key must be
// the one the agent committed to.
func (h *Handshake) Reveal(reveal KeyStep) (*SessionKeys, error) {
	if h.role != SenderViewer || h.commit == nil || len(reveal.Public) != KeySize || len(reveal.Commit) != 0 {
		return nil, fmt.Errorf("%w: not a reveal", ErrKeyExchange)
	}
	if !hmac.Equal(commitTo(reveal.Public), h.commit) {
		return nil, fmt.Errorf("%w: the agent's key is not the one it committed to", ErrKeyExchange)
	}
	return h.derive(reveal.Public, h.public())
}

// derive computes the session keys from both public keys.
func (h *Handshake) derive(agentPub, viewerPub []byte) (*SessionKeys, error) {
	peerPub := viewerPub
	if h.role == SenderViewer {
		peerPub = agentPub
	}
	peer, err := ecdh.X25519().NewPublicKey(peerPub)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrKeyExchange, err)
	}
	// ECDH fails on a low-order point (an all-zero secret), which would
	// let a server in the middle fix the keys without any exchange.
	secret, err := h.priv.ECDH(peer)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrKeyExchange, err)
	}
	t := sha256.New()
	t.Write([]byte(labelTranscript))
	t.Write([]byte{byte(len(h.sessionID))})
	t.Write([]byte(h.sessionID))
	t.Write(agentPub)
	t.Write(viewerPub)
	prk, err := hkdf.Extract(sha256.New, secret, t.Sum(nil))
	if err != nil {
		return nil, fmt.Errorf("protocol: key exchange: %w", err)
	}
	expand := func(label string, n int) []byte {
		if err != nil {
			return nil
		}
		var b []byte
		b, err = hkdf.Expand(sha256.New, prk, label, n)
		return b
	}
	toViewer, toAgent := expand(labelToViewer, chacha20poly1305.KeySize), expand(labelToAgent, chacha20poly1305.KeySize)
	sdpAgent, sdpViewer := expand(labelSDPAgent, 32), expand(labelSDPViewer, 32)
	code := expand(labelCode, 8)
	filesToViewer, filesToAgent := expand(labelFilesToViewer, chacha20poly1305.KeySize), expand(labelFilesToAgent, chacha20poly1305.KeySize)
	if err != nil {
		return nil, fmt.Errorf("protocol: key exchange: %w", err)
	}
	k := &SessionKeys{ownSDP: sdpAgent, peerSDP: sdpViewer}
	sealKey, openKey := toViewer, toAgent
	fileSealKey, fileOpenKey := filesToViewer, filesToAgent
	if h.role == SenderViewer {
		k.ownSDP, k.peerSDP = sdpViewer, sdpAgent
		sealKey, openKey = toAgent, toViewer
		fileSealKey, fileOpenKey = filesToAgent, filesToViewer
	}
	sealAEAD, err := chacha20poly1305.New(sealKey)
	if err != nil {
		return nil, fmt.Errorf("protocol: key exchange: %w", err)
	}
	openAEAD, err := chacha20poly1305.New(openKey)
	if err != nil {
		return nil, fmt.Errorf("protocol: key exchange: %w", err)
	}
	k.Sealer = &Sealer{aead: sealAEAD}
	k.Opener = &Opener{aead: openAEAD}
	if k.FileSealer, k.FileOpener, err = lanePair(fileSealKey, fileOpenKey); err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint64(code) % 1_000_000
	k.Code = fmt.Sprintf("%03d %03d", n/1000, n%1000)
	return k, nil
}

// lanePair makes a sealer and an opener from two keys.
func lanePair(sealKey, openKey []byte) (*Sealer, *Opener, error) {
	s, err := chacha20poly1305.New(sealKey)
	if err != nil {
		return nil, nil, fmt.Errorf("protocol: key exchange: %w", err)
	}
	o, err := chacha20poly1305.New(openKey)
	if err != nil {
		return nil, nil, fmt.Errorf("protocol: key exchange: %w", err)
	}
	return &Sealer{aead: s}, &Opener{aead: o}, nil
}

// SessionKeys are what one end derived from one key exchange.
type SessionKeys struct {
	// Code is the security code both ends show, six digits in two groups
	// ("042 917"). The same code on both ends means no one replaced the
	// keys in between.
	Code string
	// Sealer seals this end's relayed messages; Opener opens the other
	// end's. Neither is safe for concurrent use.
	Sealer *Sealer
	Opener *Opener
	// FileSealer and FileOpener do the same for the relay's file lane
	// (Type.FileLane), with keys of their own.
	FileSealer *Sealer
	FileOpener *Opener

	ownSDP, peerSDP []byte
}

// Sealed message on the relay. The version and type stay in clear so the
// server can route it and enforce grants (Type.Route); with the counter they
// are the AEAD's associated data, and the payload is encrypted.
//
//	 0                   1                   2                   3
//	 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|    version    |     type      |                               |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+                               +
//	|            counter (64 bits, big endian, from 0)              |
//	+                               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|                               |  payload, encrypted ...       |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|                 Poly1305 tag (16 bytes)                       |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// The nonce is 4 zero bytes followed by the counter. Each direction has its
// own key and counter, so a nonce is never used twice with one key. The
// relay is ordered, so the opener takes only counters above the last one it
// opened: a repeated or older counter was replayed or reordered. It accepts
// gaps, because the server drops messages beyond the customer's grants on
// purpose (input in flight when control was taken back, see Type.Route);
// dropping is also all a server could do anyway by not forwarding.
//
// Sealer seals the messages of one direction. It is not safe for
// concurrent use: the order of Seal calls must be the order on the wire.
type Sealer struct {
	aead cipher.AEAD
	next uint64
}

// Seal appends the sealed form of msg, an encoded session message, to dst.
func (s *Sealer) Seal(dst, msg []byte) ([]byte, error) {
	if len(msg) < headerSize {
		return nil, ErrShort
	}
	if len(msg) > MaxMessageSize {
		return nil, ErrTooLarge
	}
	if s.next == ^uint64(0) {
		return nil, fmt.Errorf("%w: counter exhausted", ErrSealed)
	}
	start := len(dst)
	dst = slices.Grow(dst, len(msg)+SealOverhead)
	dst = append(dst, msg[:headerSize]...)
	dst = binary.BigEndian.AppendUint64(dst, s.next)
	header := dst[start : start+sealedHeaderSize]
	dst = s.aead.Seal(dst, nonce(s.next), msg[headerSize:], header)
	s.next++
	return dst, nil
}

// Opener opens the messages of one direction. It is not safe for
// concurrent use.
type Opener struct {
	aead cipher.AEAD
	next uint64
}

// Open checks and decrypts one sealed message and returns the session
// message in a new buffer. A message that fails leaves the Opener as it
// was, so a forged message injected on the way does not break the stream.
func (o *Opener) Open(b []byte) ([]byte, error) {
	if _, err := PeekSealed(b); err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint64(b[headerSize:sealedHeaderSize])
	if n < o.next {
		return nil, fmt.Errorf("%w: message %d, expected %d or later", ErrReplay, n, o.next)
	}
	out := make([]byte, headerSize, len(b)-SealOverhead)
	copy(out, b[:headerSize])
	out, err := o.aead.Open(out, nonce(n), b[sealedHeaderSize:], b[:sealedHeaderSize])
	if err != nil {
		return nil, ErrSealed
	}
	o.next = n + 1 // n < 2^64-1: the sealer never uses the last counter
	return out, nil
}

// PeekSealed returns the type of a sealed message after checking its clear
// header and size; it is what the server reads of a relayed message.
func PeekSealed(b []byte) (Type, error) {
	if len(b) < sealedHeaderSize+chacha20poly1305.Overhead {
		return 0, fmt.Errorf("%w: sealed message of %d bytes", ErrShort, len(b))
	}
	if len(b) > MaxSealedSize {
		return 0, ErrTooLarge
	}
	if b[0] != Version {
		return 0, fmt.Errorf("%w: %d", ErrVersion, b[0])
	}
	return Type(b[1]), nil
}

func nonce(n uint64) []byte {
	var b [chacha20poly1305.NonceSize]byte
	binary.BigEndian.PutUint64(b[4:], n)
	return b[:]
}

// SignSDP returns the MAC that goes with this end's offer or answer: an
// HMAC-SHA256 over the DTLS fingerprints in sdp, with this end's key.
func (k *SessionKeys) SignSDP(sdp string) ([]byte, error) {
	fp, err := fingerprints(sdp)
	if err != nil {
		return nil, err
	}
	return sdpMAC(k.ownSDP, fp), nil
}

// CheckSDP checks that the fingerprints in the other end's sdp are the ones
// its mac authenticates. Without this a server could answer each end's
// DTLS handshake itself.
func (k *SessionKeys) CheckSDP(sdp string, mac []byte) error {
	fp, err := fingerprints(sdp)
	if err != nil {
		return err
	}
	if len(mac) != SDPMACSize || !hmac.Equal(mac, sdpMAC(k.peerSDP, fp)) {
		return fmt.Errorf("%w: the fingerprint in the SDP is not the one the other end sent", ErrFingerprint)
	}
	return nil
}

func sdpMAC(key []byte, fingerprints string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(fingerprints))
	return m.Sum(nil)
}

// fingerprints returns the a=fingerprint values (RFC 8122 §5) of sdp,
// normalised (hash name in lower case, hex in upper case), sorted and
// deduplicated, one a line.
func fingerprints(sdp string) (string, error) {
	var fps []string
	for line := range strings.Lines(sdp) {
		v, ok := strings.CutPrefix(strings.TrimRight(line, "\r\n"), "a=fingerprint:")
		if !ok {
			continue
		}
		hash, hex, ok := strings.Cut(strings.TrimSpace(v), " ")
		if !ok || hash == "" || strings.TrimSpace(hex) == "" {
			return "", fmt.Errorf("%w: malformed fingerprint line", ErrFingerprint)
		}
		fps = append(fps, strings.ToLower(hash)+" "+strings.ToUpper(strings.TrimSpace(hex)))
	}
	if len(fps) == 0 {
		return "", fmt.Errorf("%w: the SDP has no fingerprint", ErrFingerprint)
	}
	slices.Sort(fps)
	return strings.Join(slices.Compact(fps), "\n"), nil
}
