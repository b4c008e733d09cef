package viewer

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"tether/server/protocol"
)

// grantedHarness is a viewer on the relay whose customer allows grants g.
func grantedHarness(t *testing.T, g protocol.Grants) *harness {
	h := newHarness(t)
	h.signal(protocol.SigPeer, protocol.Peer{Role: "agent", Present: true, Grants: g})
	h.exchange()
	h.signal(protocol.SigPath, protocol.Path{Path: "relay"})
	h.eventually("relay", h.ui_(func(u *fakeUI) bool { return u.path == protocol.PathRelay }))
	return h
}

func (h *harness) emittedNamed(name string) []any {
	h.ui.mu.Lock()
	defer h.ui.mu.Unlock()
	var out []any
	for _, e := range h.ui.emitted {
		if e.name == name {
			out = append(out, e.detail)
		}
	}
	return out
}

// sessionUntil returns the session messages up to the RequestFull a
// refresh sends after them (the path is ordered).
func (h *harness) sessionUntilRefresh() []protocol.Message {
	h.t.Helper()
	h.v.Command(CmdRefresh, []byte("null"))
	var out []protocol.Message
	for {
		m := h.nextSession()
		if m.Type() == protocol.TypeRequestFull {
			return out
		}
		out = append(out, m)
	}
}

var (
	ctrlDown = protocol.Key{Down: true, Mods: protocol.ModCtrl, Key: "Control", Code: "ControlLeft"}
	vDown    = protocol.Key{Down: true, Mods: protocol.ModCtrl, Key: "v", Code: "KeyV"}
	vUp      = protocol.Key{Down: false, Mods: protocol.ModCtrl, Key: "v", Code: "KeyV"}
)

func TestViewerClipboardWithGrant(t *testing.T) {
	h := grantedHarness(t, protocol.GrantView|protocol.GrantControl|protocol.GrantClipboard)

	// The customer copies: the page is told, text and size.
	h.binary(&protocol.ClipboardText{Text: "journalctl -u nginx"})
	h.binary(&protocol.ClipboardTooLarge{Size: 2 << 20})
	h.eventually("clipboard events", func() bool { return len(h.emittedNamed(EventClipboardTooLarge)) == 1 })
	if got := h.emittedNamed(EventClipboard); !reflect.DeepEqual(got, []any{ClipboardEvent{Text: "journalctl -u nginx", Size: 19}}) {
		t.Fatalf("clipboard events %v", got)
	}

	// Ctrl+V in the screen: the paste event's text goes first, then the
	// key that pastes it on the customer's side.
	h.v.Key(ctrlDown)
	h.v.Key(vDown)
	h.v.Command(CmdClipboardPaste, []byte(`{"text":"sudo systemctl restart nginx"}`))
	h.v.Key(vUp)
	want := []protocol.Message{&ctrlDown, &protocol.ClipboardText{Text: "sudo systemctl restart nginx"}, &vDown, &vUp}
	if got := h.sessionUntilRefresh(); !reflect.DeepEqual(got, want) {
		t.Fatalf("sent %v, want %v", got, want)
	}
	if got := h.emittedNamed(EventClipboardSent); !reflect.DeepEqual(got, []any{ClipboardEvent{Size: 28}}) {
		t.Fatalf("sent events %v", got)
	}

	// No paste event (nothing on the engineer's clipboard): the key still
	// goes, a moment later.
	start := time.Now()
	h.v.Key(vDown)
	if m := h.nextSession(); !reflect.DeepEqual(m, &vDown) {
		t.Fatalf("sent %v, want the paste key", m)
	}
	if d := time.Since(start); d < pasteWait/2 {
		t.Errorf("paste key sent after %v, want it held back about %v", d, pasteWait)
	}

	// Too long for one message: refused, with the reason.
	h.v.Command(CmdClipboardSend, []byte(fmt.Sprintf(`{"text":%q}`, strings.Repeat("x", protocol.MaxClipboardText+1))))
	h.eventually("error", func() bool { return len(h.emittedNamed(EventClipboardError)) == 1 })
	if e := h.emittedNamed(EventClipboardError)[0].(ErrorEvent); !strings.Contains(e.Message, "too long") {
		t.Errorf("error %q", e.Message)
	}
}

func TestViewerClipboardWithoutGrant(t *testing.T) {
	h := grantedHarness(t, protocol.GrantView|protocol.GrantControl)
	h.binary(&protocol.ClipboardText{Text: "should not be shown"})
	// Ctrl+V is an ordinary shortcut without the clipboard: not held back.
	h.v.Key(vDown)
	h.v.Command(CmdClipboardSend, []byte(`{"text":"not sent"}`))
	if got := h.sessionUntilRefresh(); !reflect.DeepEqual(got, []protocol.Message{&vDown}) {
		t.Fatalf("sent %v, want only the key", got)
	}
	if got := h.emittedNamed(EventClipboard); len(got) != 0 {
		t.Fatalf("clipboard shown without the grant: %v", got)
	}
	if got := h.emittedNamed(EventClipboardError); len(got) != 1 {
		t.Fatalf("errors %v, want one", got)
	}
}

func TestViewerSendKeysAndTypeText(t *testing.T) {
	h := grantedHarness(t, protocol.GrantView|protocol.GrantControl)
	h.v.Command(CmdSendKeys, []byte(`"ctrl-alt-del"`))
	h.v.Command(CmdTypeText, []byte(`{"text":"日本\n"}`))
	k := func(down bool, mods uint8, key, code string) protocol.Message {
		return &protocol.Key{Down: down, Mods: mods, Key: key, Code: code}
	}
	want := []protocol.Message{
		k(true, 0, "Control", "ControlLeft"), k(true, protocol.ModCtrl, "Alt", "AltLeft"),
		k(true, protocol.ModCtrl|protocol.ModAlt, "Delete", "Delete"),
		k(false, protocol.ModCtrl|protocol.ModAlt, "Delete", "Delete"), k(false, protocol.ModCtrl, "Alt", "AltLeft"),
		k(false, 0, "Control", "ControlLeft"),
		k(true, 0, "日", ""), k(false, 0, "日", ""), k(true, 0, "本", ""), k(false, 0, "本", ""),
		k(true, 0, "Enter", "Enter"), k(false, 0, "Enter", "Enter"),
	}
	if got := h.sessionUntilRefresh(); !reflect.DeepEqual(got, want) {
		t.Fatalf("sent %v,\nwant %v", got, want)
	}
	if got := h.emittedNamed(EventKeysSent); !reflect.DeepEqual(got, []any{KeysSentEvent{Label: "Ctrl+Alt+Del"}, KeysSentEvent{Label: "3 characters"}}) {
		t.Fatalf("sent events %v", got)
	}
}

func TestViewerSendKeysNeedControl(t *testing.T) {
	h := grantedHarness(t, protocol.GrantView)
	h.v.Command(CmdSendKeys, []byte(`"alt-tab"`))
	h.v.Command(CmdTypeText, []byte(`{"text":"x"}`))
	if got := h.sessionUntilRefresh(); len(got) != 0 {
		t.Fatalf("view only sent %v", got)
	}
	if got := h.emittedNamed(EventKeysError); len(got) != 2 {
		t.Fatalf("errors %v, want two", got)
	}
}

func TestTypeStrokes(t *testing.T) {
	keys, err := TypeStrokes("é\r\n\tж")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, k := range keys {
		if k.Down {
			got = append(got, k.Key)
		}
	}
	if strings.Join(got, ",") != "é,Enter,Tab,ж" {
		t.Errorf("typed %q", got)
	}
	for _, bad := range []string{"a\x07b", "\xff", strings.Repeat("x", MaxTypedText+1)} {
		if _, err := TypeStrokes(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	// A combining accent (e + U+0301) is typed as its two characters.
	if keys, err := TypeStrokes("e\u0301"); err != nil || len(keys) != 4 {
		t.Errorf("combining accent: %v, %d strokes", err, len(keys))
	}
}

func TestPasteShortcut(t *testing.T) {
	for _, tt := range []struct {
		key, code string
		mods      uint8
		want      bool
	}{
		{"v", "KeyV", protocol.ModCtrl, true},
		{"v", "KeyV", protocol.ModMeta, true},
		{"м", "KeyV", protocol.ModCtrl, true}, // Russian layout
		{"V", "KeyV", protocol.ModCtrl | protocol.ModShift, true},
		{"v", "KeyV", 0, false},
		{"v", "KeyV", protocol.ModCtrl | protocol.ModAlt, false},
		{"c", "KeyC", protocol.ModCtrl, false},
		{"v", "", protocol.ModCtrl, true},
	} {
		if got := PasteShortcut(tt.key, tt.code, tt.mods); got != tt.want {
			t.Errorf("PasteShortcut(%q, %q, %#x) = %v", tt.key, tt.code, tt.mods, got)
		}
	}
	for _, c := range Combos {
		s := c.Strokes()
		if len(s) != 2*len(c.Keys) || !s[0].Down || s[len(s)-1].Down || s[len(s)-1].Mods != 0 {
			t.Errorf("%s strokes %v", c.ID, s)
		}
	}
}
