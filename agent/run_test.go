package main

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coder/websocket"

	"tether/server/protocol"
)

var testSettings = protocol.AgentSettings{
	Server:   "https://tether.example.com",
	Token:    "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567",
	Source:   "link",
	Provider: "Acme IT",
	Engineer: "Erin",
}

// agentFile writes fake executable bytes followed by a trailer for s.
func agentFile(t *testing.T, s protocol.AgentSettings, damage bool) string {
	t.Helper()
	var b bytes.Buffer
	b.WriteString("MZ\x90\x00 pretend this is a Windows executable")
	if err := protocol.AppendSettings(&b, s); err != nil {
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
		{"missing file", filepath.Join(t.TempDir(), "gone.exe"), os.ErrNotExist},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := readSettings(tc.path)
			if !errors.Is(err, tc.want) {
				t.Fatalf("readSettings: %v, want %v", err, tc.want)
			}
			if tc.want == nil && s != testSettings {
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
			{protocol.SigWelcome, protocol.Welcome{Engineer: "Erin", Provider: "Acme IT", ConsentURL: "http://x.invalid/c"}},
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
	t.Setenv(settingsEnv, agentFile(t, s, false))
	t.Setenv("BROWSER", "true")
	var out, errOut bytes.Buffer
	if code := run([]string{"agent"}, &out, &errOut); code != exitOK {
		t.Fatalf("exit %d; output %q %q", code, out.String(), errOut.String())
	}
	for _, want := range []string{
		"Erin from Acme IT is asking to see your screen.",
		"http://x.invalid/c",
		"The support session has ended (the invitation expired).",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}
