package protocol

import (
	"bytes"
	"errors"
	"regexp"
	"strings"
	"testing"
)

// exchange runs a whole key exchange and returns the agent's and the
// viewer's keys.
func exchange(t testing.TB, agentSession, viewerSession string) (agent, viewer *SessionKeys) {
	t.Helper()
	a, err := NewHandshake(SenderAgent, agentSession)
	if err != nil {
		t.Fatal(err)
	}
	v, err := NewHandshake(SenderViewer, viewerSession)
	if err != nil {
		t.Fatal(err)
	}
	reply, err := v.Reply(a.Start())
	if err != nil {
		t.Fatal(err)
	}
	agent, reveal, err := a.Accept(reply)
	if err != nil {
		t.Fatal(err)
	}
	viewer, err = v.Reveal(reveal)
	if err != nil {
		t.Fatal(err)
	}
	return agent, viewer
}

func TestKeyExchangeAgreesOnCodeAndKeys(t *testing.T) {
	agent, viewer := exchange(t, "sess-1", "sess-1")
	if !regexp.MustCompile(`^\d{3} \d{3}$`).MatchString(agent.Code) {
		t.Fatalf("code %q, want two groups of three digits", agent.Code)
	}
	if agent.Code != viewer.Code {
		t.Fatalf("codes differ: agent %s, viewer %s", agent.Code, viewer.Code)
	}
	other, _ := exchange(t, "sess-1", "sess-1")
	if other.Code == agent.Code && bytes.Equal(other.ownSDP, agent.ownSDP) {
		t.Fatal("two exchanges derived the same keys")
	}
	for _, m := range sampleMessages() {
		plain, err := Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		// Both directions, where the type may go.
		from, _ := m.Type().Route()
		pairs := map[Sender][2]*SessionKeys{SenderAgent: {agent, viewer}, SenderViewer: {viewer, agent}}
		for s, p := range pairs {
			if from&s == 0 {
				continue
			}
			sealed, err := p[0].Sealer.Seal(nil, plain)
			if err != nil {
				t.Fatal(err)
			}
			if len(sealed) != len(plain)+SealOverhead {
				t.Fatalf("%s: sealed %d bytes from %d", m.Type(), len(sealed), len(plain))
			}
			if typ, err := PeekSealed(sealed); err != nil || typ != m.Type() {
				t.Fatalf("%s: PeekSealed = %s, %v", m.Type(), typ, err)
			}
			if typ, err := PeekType(sealed); err != nil || typ != m.Type() {
				t.Fatalf("%s: PeekType on sealed = %s, %v", m.Type(), typ, err)
			}
			got, err := p[1].Opener.Open(sealed)
			if err != nil {
				t.Fatalf("%s: open: %v", m.Type(), err)
			}
			if !bytes.Equal(got, plain) {
				t.Fatalf("%s: opened %x, sealed %x", m.Type(), got, plain)
			}
		}
	}
}

// TestSealedMessagesRefused: everything an attacker on the relay might do
// to sealed messages fails to open, with an error naming it, and does not
// break the stream for the genuine messages after it.
func TestSealedMessagesRefused(t *testing.T) {
	agent, viewer := exchange(t, "sess-1", "sess-1")
	seal := func(k *SessionKeys, m Message) []byte {
		t.Helper()
		plain, err := Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		b, err := k.Sealer.Seal(nil, plain)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	first := seal(agent, &CursorPos{X: 1, Y: 2, Visible: true})
	second := seal(agent, &CursorPos{X: 3, Y: 4, Visible: true})
	fromViewer := seal(viewer, &Ping{Micros: 9})
	foreign, _ := exchange(t, "sess-1", "sess-1")
	fromOther := seal(foreign, &CursorPos{X: 1, Y: 2})

	flip := func(b []byte, i int) []byte { c := bytes.Clone(b); c[i] ^= 1; return c }
	tests := []struct {
		name string
		b    []byte
		want error
	}{
		{"payload altered", flip(first, sealedHeaderSize), ErrSealed},
		{"tag altered", flip(first, len(first)-1), ErrSealed},
		{"type altered", flip(first, 1), ErrSealed},
		{"truncated", first[:len(first)-1], ErrSealed},
		{"too short", first[:sealedHeaderSize+15], ErrShort},
		{"other version", flip(first, 0), ErrVersion},
		{"wrong direction", fromViewer, ErrSealed},
		{"other keys", fromOther, ErrSealed},
		{"unsealed", first[:headerSize], ErrShort},
		{"too large", append(bytes.Clone(first), make([]byte, MaxSealedSize)...), ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := viewer.Opener.Open(tt.b); !errors.Is(err, tt.want) {
				t.Fatalf("open: %v, want %v", err, tt.want)
			}
		})
	}
	// The genuine messages still open, in order, once each.
	for i, b := range [][]byte{first, second} {
		if _, err := viewer.Opener.Open(b); err != nil {
			t.Fatalf("genuine message %d after the refused ones: %v", i, err)
		}
	}
	if _, err := viewer.Opener.Open(first); !errors.Is(err, ErrReplay) {
		t.Fatalf("replayed message: %v, want ErrReplay", err)
	}
	// A message the server dropped (input beyond the grants) leaves a gap
	// the next one opens across; the dropped one cannot come later.
	dropped := seal(agent, &CursorPos{X: 5, Y: 6})
	after := seal(agent, &CursorPos{X: 7, Y: 8})
	if _, err := viewer.Opener.Open(after); err != nil {
		t.Fatalf("message after a dropped one: %v", err)
	}
	if _, err := viewer.Opener.Open(dropped); !errors.Is(err, ErrReplay) {
		t.Fatalf("reordered message: %v, want ErrReplay", err)
	}
}

// TestKeyExchangeRefusesTampering: a server in the middle that changes a
// step either breaks the exchange or ends with different codes.
func TestKeyExchangeRefusesTampering(t *testing.T) {
	t.Run("reveal of another key", func(t *testing.T) {
		a, _ := NewHandshake(SenderAgent, "s")
		v, _ := NewHandshake(SenderViewer, "s")
		reply, err := v.Reply(a.Start())
		if err != nil {
			t.Fatal(err)
		}
		mitm, _ := NewHandshake(SenderAgent, "s")
		if _, err := v.Reveal(KeyStep{Public: mitm.public()}); !errors.Is(err, ErrKeyExchange) {
			t.Fatalf("reveal of an uncommitted key: %v, want ErrKeyExchange", err)
		}
		if _, _, err := a.Accept(reply); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("reply to an older start", func(t *testing.T) {
		a, _ := NewHandshake(SenderAgent, "s")
		v, _ := NewHandshake(SenderViewer, "s")
		old, err := v.Reply(a.Start())
		if err != nil {
			t.Fatal(err)
		}
		// The agent started over (the viewer came back) before the reply came.
		a2, _ := NewHandshake(SenderAgent, "s")
		a2.Start()
		if _, _, err := a2.Accept(old); !errors.Is(err, ErrStaleKey) {
			t.Fatalf("stale reply: %v, want ErrStaleKey", err)
		}
	})
	t.Run("keys replaced on both sides", func(t *testing.T) {
		// The server runs one exchange with each end: each end completes,
		// and the codes show it.
		agent, _ := exchange(t, "s", "s")
		_, viewer := exchange(t, "s", "s")
		if agent.Code == viewer.Code && bytes.Equal(agent.ownSDP, viewer.peerSDP) {
			t.Fatal("separate exchanges agree")
		}
	})
	t.Run("different session ids", func(t *testing.T) {
		agent, viewer := exchange(t, "s1", "s2")
		if agent.Code == viewer.Code && bytes.Equal(agent.ownSDP, viewer.peerSDP) {
			t.Fatal("exchanges for different sessions agree")
		}
	})
	t.Run("low-order key", func(t *testing.T) {
		a, _ := NewHandshake(SenderAgent, "s")
		a.Start()
		if _, _, err := a.Accept(KeyStep{Commit: a.commit, Public: make([]byte, KeySize)}); !errors.Is(err, ErrKeyExchange) {
			t.Fatalf("all-zero key: %v, want ErrKeyExchange", err)
		}
	})
	t.Run("malformed steps", func(t *testing.T) {
		a, _ := NewHandshake(SenderAgent, "s")
		v, _ := NewHandshake(SenderViewer, "s")
		if _, err := v.Reply(KeyStep{Commit: []byte{1}}); !errors.Is(err, ErrKeyExchange) {
			t.Fatalf("short commit: %v", err)
		}
		if _, _, err := a.Accept(KeyStep{Commit: make([]byte, CommitSize), Public: make([]byte, KeySize)}); !errors.Is(err, ErrKeyExchange) {
			t.Fatalf("reply before start: %v", err)
		}
		if _, err := v.Reveal(KeyStep{Public: make([]byte, KeySize)}); !errors.Is(err, ErrKeyExchange) {
			t.Fatalf("reveal before reply: %v", err)
		}
		if _, err := NewHandshake(SenderAgent, ""); !errors.Is(err, ErrKeyExchange) {
			t.Fatalf("empty session id: %v", err)
		}
	})
}

const sdpSample = "v=0\r\no=- 1 2 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n" +
	"a=fingerprint:sha-256 AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89\r\n" +
	"m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=setup:actpass\r\n"

func TestSDPFingerprintBinding(t *testing.T) {
	agent, viewer := exchange(t, "s", "s")
	mac, err := agent.SignSDP(sdpSample)
	if err != nil {
		t.Fatal(err)
	}
	if err := viewer.CheckSDP(sdpSample, mac); err != nil {
		t.Fatalf("genuine offer: %v", err)
	}
	// Case and a candidate added on the way change nothing.
	relaxed := strings.Replace(sdpSample, "sha-256 AB:CD", "SHA-256 ab:cd", 1) + "a=candidate:1 1 udp 1 10.0.0.1 9 typ host\r\n"
	if err := viewer.CheckSDP(relaxed, mac); err != nil {
		t.Fatalf("same fingerprint, other case: %v", err)
	}
	replaced := strings.Replace(sdpSample, "AB:CD:EF:01", "00:11:22:33", 1)
	added := sdpSample + "a=fingerprint:sha-256 00:11\r\n"
	other, _ := exchange(t, "s", "s")
	otherMAC, _ := other.SignSDP(sdpSample)
	tests := []struct {
		name string
		sdp  string
		mac  []byte
	}{
		{"fingerprint replaced", replaced, mac},
		{"fingerprint added", added, mac},
		{"no fingerprint", "v=0\r\n", mac},
		{"no mac", sdpSample, nil},
		{"mac from other keys", sdpSample, otherMAC},
		{"own mac reflected", sdpSample, mustSign(t, viewer, sdpSample)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := viewer.CheckSDP(tt.sdp, tt.mac); !errors.Is(err, ErrFingerprint) {
				t.Fatalf("CheckSDP: %v, want ErrFingerprint", err)
			}
		})
	}
}

func mustSign(t *testing.T, k *SessionKeys, sdp string) []byte {
	t.Helper()
	mac, err := k.SignSDP(sdp)
	if err != nil {
		t.Fatal(err)
	}
	return mac
}

// TestRecordingOfVersion3Replays: version 4 kept the message layout, so a
// version 3 recording reads as if made now.
func TestRecordingOfVersion3Replays(t *testing.T) {
	var buf bytes.Buffer
	w, err := NewRecordingWriter(&buf)
	if err != nil {
		t.Fatal(err)
	}
	msg, _ := Marshal(&Ping{Micros: 5})
	if err := w.Write(1, msg); err != nil {
		t.Fatal(err)
	}
	old := buf.Bytes()
	old[len(recordingMagic)] = 3
	old[len(recordingMagic)+1+8] = 3
	r, err := NewRecordingReader(bytes.NewReader(old))
	if err != nil {
		t.Fatal(err)
	}
	_, got, err := r.Next()
	if err != nil || !bytes.Equal(got, msg) {
		t.Fatalf("version 3 entry: %x, %v, want %x", got, err, msg)
	}
}
