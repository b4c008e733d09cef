package protocol

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// testKey is a fixed signing key, so fuzz seeds stay valid between runs.
var testKey = ed25519.NewKeyFromSeed(bytes.Repeat([]byte{42}, ed25519.SeedSize))

func testPub() ed25519.PublicKey { return testKey.Public().(ed25519.PublicKey) }

func TestSettingsTrailer(t *testing.T) {
	want := AgentSettings{Server: "https://support.example.com", Token: "abcdefghijklmnopqrstuvwxyz", Source: SourceLink, Provider: "Acme", Engineer: "Ann"}
	var buf bytes.Buffer
	buf.WriteString("\x7fELF pretend program bytes")
	if err := AppendSettings(&buf, want, testKey); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	got, err := ReadSettings(bytes.NewReader(b), int64(len(b)), testPub())
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v, %v", got, err)
	}

	// resign writes the JSON back with a valid length, as someone who knows
	// the format (but not the server's key) would.
	resign := func(b []byte, from, to string) []byte {
		js := bytes.Replace(b[len("\x7fELF pretend program bytes"):len(b)-settingsTail], []byte(from), []byte(to), 1)
		var out bytes.Buffer
		out.WriteString("\x7fELF pretend program bytes")
		other := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize))
		var s AgentSettings
		if err := jsonUnmarshal(js, &s); err != nil {
			t.Fatal(err)
		}
		if err := AppendSettings(&out, s, other); err != nil {
			t.Fatal(err)
		}
		return out.Bytes()
	}
	tests := []struct {
		name   string
		mutate func([]byte) []byte
		pub    ed25519.PublicKey
		want   error
	}{
		{"no trailer", func(b []byte) []byte { return []byte("plain program") }, testPub(), ErrNoSettings},
		{"empty", func(b []byte) []byte { return nil }, testPub(), ErrNoSettings},
		{"edited server", func(b []byte) []byte { return bytes.Replace(b, []byte("example"), []byte("evilxxx"), 1) }, testPub(), ErrSettingsTampered},
		{"re-pointed and signed with another key", func(b []byte) []byte { return resign(b, "support.example.com", "evil.example.net") }, testPub(), ErrSettingsTampered},
		{"signature flipped", func(b []byte) []byte { b[len(b)-settingsTail] ^= 1; return b }, testPub(), ErrSettingsTampered},
		{"bad length", func(b []byte) []byte { b[len(b)-12] = 0xff; return b }, testPub(), ErrSettingsTampered},
		{"program without a key", func(b []byte) []byte { return b }, make(ed25519.PublicKey, ed25519.PublicKeySize), ErrNoSettings},
		{"another server's program", func(b []byte) []byte { return b }, ed25519.NewKeyFromSeed(bytes.Repeat([]byte{9}, 32)).Public().(ed25519.PublicKey), ErrSettingsTampered},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.mutate(append([]byte(nil), b...))
			if _, err := ReadSettings(bytes.NewReader(c), int64(len(c)), tt.pub); !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
	for _, server := range []string{"ftp://x", "http://support.example.com", "http://10.0.0.1:8080", "https://", "https://u:p@host"} {
		if err := AppendSettings(&buf, AgentSettings{Server: server, Token: want.Token, Source: SourceLink}, testKey); err == nil {
			t.Errorf("settings for server %q written", server)
		}
	}
	for _, server := range []string{"http://localhost:8080", "http://127.0.0.1:9", "http://[::1]:8080", "https://support.example.com/tether"} {
		if err := AppendSettings(&buf, AgentSettings{Server: server, Token: want.Token, Source: SourceLink}, testKey); err != nil {
			t.Errorf("settings for server %q refused: %v", server, err)
		}
	}
}

func TestFindKeySlot(t *testing.T) {
	key := testPub()
	prog := append(append(append([]byte("program code "), magicBytes()...), key...), " more code"...)
	off, got, err := FindKeySlot(bytes.NewReader(prog), int64(len(prog)))
	if err != nil || !bytes.Equal(got, key) || !bytes.Equal(prog[off:off+32], key) {
		t.Fatalf("FindKeySlot = %d %x %v", off, got, err)
	}
	// A slot across the 1 MiB read boundary is found once.
	big := make([]byte, 1<<20+100)
	copy(big[1<<20-5:], magicBytes())
	if off, _, err := FindKeySlot(bytes.NewReader(big), int64(len(big))); err != nil || off != 1<<20-5+16 {
		t.Fatalf("slot across chunks: %d %v", off, err)
	}
	for name, b := range map[string][]byte{
		"none":      []byte("no slot here"),
		"two":       append(append([]byte{}, prog...), prog...),
		"cut short": append([]byte("x"), magicBytes()...),
	} {
		if _, _, err := FindKeySlot(bytes.NewReader(b), int64(len(b))); !errors.Is(err, ErrNoKeySlot) {
			t.Errorf("%s: err = %v, want ErrNoKeySlot", name, err)
		}
	}
}

func TestLoopbackHost(t *testing.T) {
	for host, want := range map[string]bool{
		"localhost": true, "LOCALHOST:8080": true, "acme.localhost:8080": true, "127.0.0.1": true, "127.3.2.1:9": true, "[::1]:80": true, "::1": true,
		"10.0.0.1": false, "support.example.com": false, "localhost.evil.com": false, "[::2]:80": false, "": false,
	} {
		if got := IsLoopbackHost(host); got != want {
			t.Errorf("IsLoopbackHost(%q) = %v", host, got)
		}
	}
	if err := CheckServerURL("http://support.example.com"); err == nil || !strings.Contains(err.Error(), "not encrypted") {
		t.Errorf("plain http to a remote server: %v", err)
	}
}

func FuzzReadSettings(f *testing.F) {
	var buf bytes.Buffer
	_ = AppendSettings(&buf, AgentSettings{Server: "http://localhost:8080", Token: "abcdefghijklmnopqrstuvwxyz", Source: SourceCode}, testKey)
	f.Add(buf.Bytes())
	buf.Reset()
	_ = AppendSettings(&buf, AgentSettings{Server: "https://acme.example.com", Token: "abcdefghijklmnopqrstuvwxyz", Source: SourceLink,
		Provider: "Acme", Brand: AgentBrand{Primary: "#0a7d5a", Accent: "#ffb000", Contact: "+1 555 0100 · help@acme.example", Logo: testLogo(16, 16)}}, testKey)
	f.Add(buf.Bytes())
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = ReadSettings(bytes.NewReader(b), int64(len(b)), testPub())
	})
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

func magicBytes() []byte { m := KeySlotMagic(); return m[:] }
