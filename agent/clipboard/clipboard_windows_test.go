//go:build windows

package clipboard

import (
	"strings"
	"testing"
	"time"

	"tether/server/protocol"
)

func openWin(t *testing.T) Clipboard {
	t.Helper()
	c, err := Open()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func nextCopy(t *testing.T, c Clipboard) Copy {
	t.Helper()
	select {
	case cp := <-c.Changes():
		return cp
	case <-time.After(5 * time.Second):
		t.Fatal("no copy reported")
	}
	return Copy{}
}

// TestWindowsClipboardBetweenWindows: what one listener window puts on the
// clipboard the other reads as CF_UNICODETEXT; its own writes are not
// reported back to it.
func TestWindowsClipboardBetweenWindows(t *testing.T) {
	customer := openWin(t) // stands for the customer's application
	agent := openWin(t)
	const text = "dir C:\\Users\\Zoë\\Документы 😀\r\n"
	if err := customer.Write(text); err != nil {
		t.Fatal(err)
	}
	if c := nextCopy(t, agent); c.Text != text {
		t.Fatalf("agent read %q, want %q", c.Text, text)
	}
	select {
	case c := <-customer.Changes():
		t.Fatalf("the writer's own copy reported: %+v", c)
	case <-time.After(300 * time.Millisecond):
	}
	if err := agent.Write("from the engineer"); err != nil {
		t.Fatal(err)
	}
	if c := nextCopy(t, customer); c.Text != "from the engineer" {
		t.Fatalf("application read %+v", c)
	}
	if err := agent.Write(strings.Repeat("x", protocol.MaxClipboardText+1)); err == nil {
		t.Fatal("wrote more than MaxClipboardText")
	}
}
