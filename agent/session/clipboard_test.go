package session

import (
	"reflect"
	"sync"
	"testing"
	"time"

	"tether/agent/clipboard"
	"tether/server/protocol"
)

// fakeClipboard is the customer's clipboard: it records what the engineer
// pasted and copies on request.
type fakeClipboard struct {
	mu     sync.Mutex
	opens  int
	closed int
	writes []string
	ch     chan clipboard.Copy
}

func (f *fakeClipboard) open() (Clipboard, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.opens++
	return f, nil
}

func (f *fakeClipboard) Write(text string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.writes = append(f.writes, text)
	return nil
}

func (f *fakeClipboard) Changes() <-chan clipboard.Copy { return f.ch }

func (f *fakeClipboard) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closed++
	return nil
}

func (f *fakeClipboard) state() (opens, closed int, writes []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.opens, f.closed, append([]string(nil), f.writes...)
}

// TestSessionClipboardOnlyWithGrant drives the session protocol directly,
// as a hostile or buggy viewer and relay could: without the customer's
// clipboard grant the agent never opens (so never reads) the clipboard and
// drops the engineer's text; with it, text moves both ways and each
// transfer is reported to the server by size; taken back, nothing moves
// again.
func TestSessionClipboardOnlyWithGrant(t *testing.T) {
	clip := &fakeClipboard{ch: make(chan clipboard.Copy, 1)}
	h := start(t, welcomeFor(false), func(c *Config) { c.OpenClipboard = clip.open })
	c := h.connect()
	v := relayView(t, c)
	if st := h.pageStatus(); !st.Offer.Has(protocol.GrantClipboard) {
		t.Fatalf("consent page offers %v, want the clipboard", st.Offer)
	}
	c.send(protocol.SigPeer, protocol.Peer{Role: "viewer", Present: true})
	h.allow(c, viewControl)
	v.waitFrame(0, func(f frameSeen) bool { return true })

	// No grant: the engineer's text is dropped, nothing is opened.
	v.sendMsg(&protocol.ClipboardText{Text: "rm -rf / # pasted without the grant"})
	v.ping(1)
	if opens, _, writes := clip.state(); opens != 0 || len(writes) != 0 {
		t.Fatalf("without the grant: clipboard opened %d times, written %q", opens, writes)
	}
	if h.pageStatus().Grants.Has(protocol.GrantClipboard) {
		t.Fatal("grants include the clipboard before the customer allowed it")
	}

	// The customer allows the clipboard.
	withClip := viewControl | protocol.GrantClipboard
	h.choose("update", withClip)
	if got := decode[protocol.Consent](t, c.expect(protocol.SigConsent)); got.Grants != withClip {
		t.Fatalf("agent told the server %v", got.Grants)
	}
	waitFor(t, "hello with the clipboard", func() (ok bool) {
		v.state(func(v *screenView) { ok = v.hellos[len(v.hellos)-1].Grants == withClip })
		return
	})
	v.sendMsg(&protocol.ClipboardText{Text: "ping -c 3 example.com"})
	v.ping(2)
	if _, _, writes := clip.state(); !reflect.DeepEqual(writes, []string{"ping -c 3 example.com"}) {
		t.Fatalf("clipboard written %q", writes)
	}
	if a := decode[protocol.Audit](t, c.expect(protocol.SigAudit)); a != (protocol.Audit{Kind: protocol.AuditClipboardToCustomer, Size: 21, Count: 1}) {
		t.Fatalf("audit %+v", a)
	}
	h.waitOut("Erin put text (21 bytes) on your clipboard.")

	// The customer copies: the engineer receives it.
	clip.ch <- clipboard.Copy{Text: "Fehler: Zugriff verweigert", Size: 26}
	if a := decode[protocol.Audit](t, c.expect(protocol.SigAudit)); a != (protocol.Audit{Kind: protocol.AuditClipboardToEngineer, Size: 26, Count: 1}) {
		t.Fatalf("audit %+v", a)
	}
	clip.ch <- clipboard.Copy{Size: 3 << 20}
	h.waitOut("too large to send")
	v.ping(3)
	v.state(func(v *screenView) {
		want := []protocol.Message{&protocol.ClipboardText{Text: "Fehler: Zugriff verweigert"}, &protocol.ClipboardTooLarge{Size: 3 << 20}}
		if !reflect.DeepEqual(v.clips, want) {
			t.Errorf("viewer received %v", v.clips)
		}
	})

	// Taken back: the clipboard is closed, and nothing moves either way.
	h.choose("update", viewControl)
	if got := decode[protocol.Consent](t, c.expect(protocol.SigConsent)); got.Grants != viewControl {
		t.Fatalf("agent told the server %v", got.Grants)
	}
	if opens, closed, _ := clip.state(); opens != 1 || closed != 1 {
		t.Fatalf("clipboard opened %d, closed %d times; want once each", opens, closed)
	}
	v.sendMsg(&protocol.ClipboardText{Text: "after the grant was taken back"})
	select {
	case clip.ch <- clipboard.Copy{Text: "copied after", Size: 12}:
	default:
	}
	v.ping(4)
	time.Sleep(100 * time.Millisecond) // a copy would be sent by now; nothing should be
	if _, _, writes := clip.state(); len(writes) != 1 {
		t.Fatalf("clipboard written after the grant was taken back: %q", writes)
	}
	v.state(func(v *screenView) {
		if len(v.clips) != 2 {
			t.Errorf("viewer received clipboard after the grant was taken back: %v", v.clips[2:])
		}
	})
}
