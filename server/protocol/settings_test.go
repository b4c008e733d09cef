package protocol

import (
	"bytes"
	"errors"
	"testing"
)

func TestSettingsTrailer(t *testing.T) {
	want := AgentSettings{Server: "https://support.example.com", Token: "abcdefghijklmnopqrstuvwxyz", Source: "link", Provider: "Acme", Engineer: "Ann"}
	var buf bytes.Buffer
	buf.WriteString("\x7fELF pretend program bytes")
	if err := AppendSettings(&buf, want); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	got, err := ReadSettings(bytes.NewReader(b), int64(len(b)))
	if err != nil || got != want {
		t.Fatalf("got %+v, %v", got, err)
	}

	tests := []struct {
		name   string
		mutate func([]byte) []byte
		want   error
	}{
		{"no trailer", func(b []byte) []byte { return []byte("plain program") }, ErrNoSettings},
		{"empty", func(b []byte) []byte { return nil }, ErrNoSettings},
		{"edited server", func(b []byte) []byte { return bytes.Replace(b, []byte("example"), []byte("evilxxx"), 1) }, ErrSettingsTampered},
		{"bad length", func(b []byte) []byte { b[len(b)-44] = 0xff; return b }, ErrSettingsTampered},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.mutate(append([]byte(nil), b...))
			if _, err := ReadSettings(bytes.NewReader(c), int64(len(c))); !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
	if err := AppendSettings(&buf, AgentSettings{Server: "ftp://x", Token: want.Token, Source: "link"}); err == nil {
		t.Fatal("invalid settings written")
	}
}

func FuzzReadSettings(f *testing.F) {
	var buf bytes.Buffer
	_ = AppendSettings(&buf, AgentSettings{Server: "http://localhost:8080", Token: "abcdefghijklmnopqrstuvwxyz", Source: "code"})
	f.Add(buf.Bytes())
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = ReadSettings(bytes.NewReader(b), int64(len(b)))
	})
}
