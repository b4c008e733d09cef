package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/coder/websocket"

	"tether/server/protocol"
	"tether/static/locales"
)

var testSettings = protocol.AgentSettings{
	Server:   "https://tether.example.com",
	Token:    "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567",
	Source:   "link",
	Provider: "Acme IT",
	Engineer: "Erin",
}

// serverKey is the test server's signing key; otherKey another server's.
var (
	serverKey = ed25519.NewKeyFromSeed(bytes.Repeat([]byte{1}, ed25519.SeedSize))
	otherKey  = ed25519.NewKeyFromSeed(bytes.Repeat([]byte{2}, ed25519.SeedSize))
)

// agentFile writes fake executable bytes with a key slot holding the
// server's public key, followed by a trailer for s signed with signer.
func agentFile(t *testing.T, s protocol.AgentSettings, damage bool) string {
	return signedAgentFile(t, s, serverKey, damage)
}

func signedAgentFile(t *testing.T, s protocol.AgentSettings, signer ed25519.PrivateKey, damage bool) string {
	t.Helper()
	var b bytes.Buffer
	b.WriteString("MZ\x90\x00 pretend this is a Windows executable")
	m := protocol.KeySlotMagic()
	b.Write(m[:])
	b.Write(serverKey.Public().(ed25519.PublicKey))
	b.WriteString(" more code")
	if err := protocol.AppendSettings(&b, s, signer); err != nil {
		t.Fatal(err)
	}
	data := b.Bytes()
	if damage {
		i := bytes.Index(data, []byte("Erin"))
		data[i] = 'A'
	}
	p := filepath.Join(t.TempDir(), "tether-agent.exe")
	if err := os.WriteFile(p, data, 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestReadSettings(t *testing.T) {
	plain := filepath.Join(t.TempDir(), "plain.exe")
	if err := os.WriteFile(plain, []byte("MZ just a program without settings"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		path string
		want error
	}{
		{"with settings", agentFile(t, testSettings, false), nil},
		{"without settings", plain, protocol.ErrNoSettings},
		{"damaged settings", agentFile(t, testSettings, true), protocol.ErrSettingsTampered},
		{"re-pointed and signed by another server", signedAgentFile(t, evilSettings(), otherKey, false), protocol.ErrSettingsTampered},
		{"missing file", filepath.Join(t.TempDir(), "gone.exe"), os.ErrNotExist},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := readSettings(tc.path, nil)
			if !errors.Is(err, tc.want) {
				t.Fatalf("readSettings: %v, want %v", err, tc.want)
			}
			if tc.want == nil && !reflect.DeepEqual(s, testSettings) {
				t.Fatalf("settings %+v", s)
			}
		})
	}
}

func TestRunWithBadSettings(t *testing.T) {
	plain := filepath.Join(t.TempDir(), "plain.exe")
	if err := os.WriteFile(plain, []byte("MZ"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, path, want string
	}{
		{"missing", plain, "This program was not downloaded from a Tether invitation"},
		{"damaged", agentFile(t, testSettings, true), "This program's session settings are damaged"},
		{"re-pointed", signedAgentFile(t, evilSettings(), otherKey, false), "This program's session settings are damaged or were changed after download"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(settingsEnv, tc.path)
			var out, errOut bytes.Buffer
			if code := run([]string{"agent"}, &out, &errOut); code != exitSettings {
				t.Fatalf("exit %d, want %d", code, exitSettings)
			}
			if !strings.Contains(out.String(), tc.want) || !strings.Contains(out.String(), "Download the support program again from your invitation link.") {
				t.Fatalf("output %q", out.String())
			}
		})
	}
}

// TestRunEndedByServer runs the whole program against a server that ends the
// session right after its welcome.
func TestRunEndedByServer(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		if _, _, err := ws.Read(r.Context()); err != nil {
			return
		}
		for _, m := range []struct {
			typ string
			p   any
		}{
			{protocol.SigWelcome, protocol.Welcome{Engineer: "Erin", Provider: "Acme IT"}},
			{protocol.SigEnd, protocol.End{Reason: "the invitation expired"}},
		} {
			b, _ := protocol.EncodeSignal(m.typ, m.p)
			if err := ws.Write(context.Background(), websocket.MessageText, b); err != nil {
				return
			}
		}
		_, _, _ = ws.Read(r.Context()) // until the agent closes
	}))
	defer srv.Close()
	s := testSettings
	s.Server = srv.URL
	s.Brand.Contact = "+1 555 0100 · help@acme.example"
	t.Setenv(settingsEnv, agentFile(t, s, false))
	t.Setenv("BROWSER", "true")
	var out, errOut bytes.Buffer
	if code := run([]string{"agent"}, &out, &errOut); code != exitOK {
		t.Fatalf("exit %d; output %q %q", code, out.String(), errOut.String())
	}
	if !strings.HasPrefix(out.String(), "Acme IT · Remote support\nContact Acme IT: +1 555 0100 · help@acme.example\n\n") {
		t.Errorf("output does not start with whose program it is:\n%s", out.String())
	}
	for _, want := range []string{
		"Erin from Acme IT is asking to see your screen.",
		"visit:\n  http://127.0.0.1:",
		"The support session has ended (the invitation expired).",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

// evilSettings are the test settings pointed at another server.
func evilSettings() protocol.AgentSettings {
	s := testSettings
	s.Server = "https://evil.example.net"
	return s
}

func TestKeySlotMatchesProtocol(t *testing.T) {
	if m := protocol.KeySlotMagic(); !bytes.Equal(keySlot[:16], m[:]) {
		t.Fatalf("agent key slot magic %x, protocol %x", keySlot[:16], m)
	}
	if !bytes.Equal(signingKey(), make([]byte, 32)) {
		t.Fatal("a fresh build has a key in its slot")
	}
}

// TestBuiltProgramHasOneKeySlot builds this program as the tasks do and
// checks the server will find exactly one empty slot in it: a second copy
// of the magic anywhere in the program would make every download fail.
func TestBuiltProgramHasOneKeySlot(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the agent")
	}
	for _, goos := range []string{"linux", "windows"} {
		t.Run(goos, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "agent")
			cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", out, ".")
			cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+goos, "GOARCH=amd64")
			if b, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("go build: %v\n%s", err, b)
			}
			f, err := os.Open(out)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			st, _ := f.Stat()
			if _, key, err := protocol.FindKeySlot(f, st.Size()); err != nil || !bytes.Equal(key, make([]byte, 32)) {
				t.Fatalf("FindKeySlot = %x, %v; want one empty slot", key, err)
			}
		})
	}
}

func TestWindowTitle(t *testing.T) {
	for _, tc := range []struct{ provider, want string }{
		{"Acme IT", "Acme IT · Remote support"},
		{"Evil\x1b]0;pwned\x07 Co", "Evil ]0;pwned Co · Remote support"},
		{"", "Remote support"},
	} {
		if got := windowTitle(protocol.AgentSettings{Provider: tc.provider}, locales.Localizer{}); got != tc.want {
			t.Errorf("windowTitle(%q) = %q, want %q", tc.provider, got, tc.want)
		}
	}
}
