package consent

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"tether/server/protocol"
)

var (
	view    = Decision{Allow: true, Grants: protocol.GrantView}
	control = Decision{Allow: true, Grants: protocol.GrantView | protocol.GrantControl}
	deny    = Decision{Deny: true}
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Decision
		ok   bool
	}{
		{"v", view, true},
		{" V \r", view, true},
		{"view only", view, true},
		{"c", control, true},
		{"Control", control, true},
		{"d", deny, true},
		{"no", deny, true},
		{"", Decision{}, false},
		{"yes", Decision{}, false},
		{"vc", Decision{}, false},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, ok := Parse(tc.in)
			if got != tc.want || ok != tc.ok {
				t.Fatalf("Parse(%q) = %+v, %v; want %+v, %v", tc.in, got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestAsk(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     Decision
		prompts  int
		err      error
	}{
		{"first answer", "c\n", control, 1, nil},
		{"after a wrong answer", "what?\n\nv\n", view, 3, nil},
		{"input closed", "x\n", Decision{}, 2, io.EOF},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out strings.Builder
			got, err := Ask(context.Background(), strings.NewReader(tc.in), &out, Prompt)
			if got != tc.want || !errors.Is(err, tc.err) {
				t.Fatalf("Ask = %+v, %v; want %+v, %v", got, err, tc.want, tc.err)
			}
			if n := strings.Count(out.String(), Prompt); n != tc.prompts {
				t.Errorf("%d prompts, want %d", n, tc.prompts)
			}
		})
	}
}

func TestAskCancelled(t *testing.T) {
	r, w := io.Pipe()
	defer w.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Ask(ctx, r, io.Discard, Prompt); !errors.Is(err, context.Canceled) {
		t.Fatalf("Ask: %v, want context.Canceled", err)
	}
}

func TestOpenBrowserUsesBROWSER(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the fake browser is a shell script")
	}
	dir := t.TempDir()
	got := filepath.Join(dir, "url")
	script := filepath.Join(dir, "browser")
	if err := os.WriteFile(script, []byte("#!/bin/sh\nprintf '%s' \"$2\" > "+got+".tmp && mv "+got+".tmp "+got+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("BROWSER", "/nonexistent/browser:"+script+" --new-window %s")
	const url = "https://tether.example/i/TOKEN#consent=KEY&x=1"
	if err := OpenBrowser(url); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		b, err := os.ReadFile(got)
		if err == nil {
			if string(b) != url {
				t.Fatalf("browser got %q, want %q", b, url)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the fake browser never ran")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
