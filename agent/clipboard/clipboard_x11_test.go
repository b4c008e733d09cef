//go:build linux

package clipboard

import (
	"strings"
	"testing"
	"time"

	"github.com/jezek/xgb/xproto"

	"tether/agent/capture/xvfbtest"
	"tether/server/protocol"
)

func open(t *testing.T, display string) *x11 {
	t.Helper()
	x, err := openX11(display)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { x.Close() })
	return x
}

func next(t *testing.T, x *x11) Copy {
	t.Helper()
	select {
	case c := <-x.Changes():
		return c
	case <-time.After(5 * time.Second):
		t.Fatal("no copy reported")
	}
	return Copy{}
}

func quiet(t *testing.T, x *x11, what string) {
	t.Helper()
	select {
	case c := <-x.Changes():
		t.Fatalf("%s reported %+v", what, c)
	case <-time.After(300 * time.Millisecond):
	}
}

// TestX11ClipboardBetweenClients: what one client puts on CLIPBOARD
// another reads as UTF-8, its own writes are not reported back, a copy
// too large is reported by size only, and closing gives the selection up.
func TestX11ClipboardBetweenClients(t *testing.T) {
	display := xvfbtest.Start(t, 64, 64)
	customer := open(t, display) // stands for the customer's application
	agent := open(t, display)

	const text = "ls -la ~/Документы | grep é 😀\n"
	if err := customer.Write(text); err != nil {
		t.Fatal(err)
	}
	if c := next(t, agent); c.Text != text || c.Size != len(text) {
		t.Fatalf("agent read %+v, want %q", c, text)
	}
	quiet(t, customer, "the writer's own copy")

	// The agent pastes the engineer's text; the application reads it.
	if err := agent.Write("from the engineer"); err != nil {
		t.Fatal(err)
	}
	if c := next(t, customer); c.Text != "from the engineer" {
		t.Fatalf("application read %+v", c)
	}
	quiet(t, agent, "the agent's own paste")

	// Text longer than one message is reported by its size.
	big := strings.Repeat("x", protocol.MaxClipboardText+10)
	customer.mu.Lock()
	customer.owned = big
	customer.mu.Unlock()
	if err := xproto.SetSelectionOwnerChecked(customer.conn, customer.win, customer.atoms.clipboard, xproto.TimeCurrentTime).Check(); err != nil {
		t.Fatal(err)
	}
	if c := next(t, agent); !c.TooLarge() || c.Text != "" || c.Size != len(big) {
		t.Fatalf("too large copy reported as text %d bytes, size %d", len(c.Text), c.Size)
	}
	if err := agent.Write(big); err == nil {
		t.Fatal("wrote more than MaxClipboardText")
	}
}

func TestLatin1(t *testing.T) {
	if got := latin1ToUTF8([]byte{'c', 'a', 'f', 0xe9}); got != "café" {
		t.Errorf("latin1ToUTF8 = %q", got)
	}
	if got := string(utf8ToLatin1("café ж")); got != "caf\xe9 ?" {
		t.Errorf("utf8ToLatin1 = %q", got)
	}
	if c := fromText("a\x00b\xff"); c.Text != "a" {
		t.Errorf("fromText cut at NUL: %q", c.Text)
	}
	if c := fromText("a\xffb"); c.Text != "a\uFFFDb" {
		t.Errorf("fromText replaced bad UTF-8: %q", c.Text)
	}
}
