//go:build linux

package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
)

// keyboardWorld is a session in full control with the engineer's focus on
// the screen.
func keyboardWorld(t *testing.T, customer string) *world {
	w := newWorld(t)
	link, _ := w.newSession(t, customer)
	cust := newBrowser(t)
	do(t, cust, 20*time.Second, "open invitation", chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS(`#downloads`)))
	c := w.downloadAndRun(t, cust)
	c.approve(t, "control")
	waitJS(t, w.engineer, 15*time.Second, "first frame", `Number(document.getElementById("viewer").dataset.frames) > 0`)
	w.clickRemote(t, 400, 300) // focuses the screen
	return w
}

// waitTyped waits until the test window's text ends with want.
func (w *world) waitTyped(t *testing.T, want string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.HasSuffix(w.win.typedText(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("test window received %q, want it to end with %q", w.win.typedText(), want)
		}
		select {
		case <-w.win.notify:
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// keysymsSince returns the keysyms of the key presses the test window got
// after its first n events.
func (w *world) keysymsSince(n int) []int {
	w.win.mu.Lock()
	defer w.win.mu.Unlock()
	var out []int
	for _, ev := range w.win.events[min(n, len(w.win.events)):] {
		if ev["event"] == "key" {
			ks, _ := ev["keysym"].(float64)
			out = append(out, int(ks))
		}
	}
	return out
}

func (w *world) eventCount() int {
	w.win.mu.Lock()
	defer w.win.mu.Unlock()
	return len(w.win.events)
}

// waitKeysyms waits until the presses after the first n events are want.
func (w *world) waitKeysyms(t *testing.T, what string, n int, want []int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for fmt.Sprint(w.keysymsSince(n)) != fmt.Sprint(want) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: the application got keysyms %#x, want %#x", what, w.keysymsSince(n), want)
		}
		select {
		case <-w.win.notify:
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// TestDeadKeysAndNonLatinTyping: what the engineer's layout composes (a
// dead key then a letter), Cyrillic and Greek keys, and text from an input
// method (typed with "Type text…", as the screen receives no composition)
// arrive on the customer's X display as the same characters, although its
// layout is US; a dead key then Space types the accent; an IME key still
// composing types nothing; a shortcut on a Cyrillic layout is Ctrl+C.
func TestDeadKeysAndNonLatinTyping(t *testing.T) {
	w := keyboardWorld(t, "Zoë Ωmega")
	// Each key as the engineer's layout reports it (chromedp knows only
	// US): French dead acute then e, dead circumflex then o, a Russian ж on
	// the physical ; key, a Greek λ on L.
	press := func(k, code string, vk int64, text string) []chromedp.Action[chromedp.Void] {
		typ := input.DispatchKeyEventTypeKeyDown
		if text == "" {
			typ = input.DispatchKeyEventTypeRawKeyDown
		}
		return []chromedp.Action[chromedp.Void]{
			key(input.DispatchKeyEventParams{Type: typ, Key: k, Code: code, Text: text, UnmodifiedText: text, WindowsVirtualKeyCode: vk}),
			key(input.DispatchKeyEventParams{Type: input.DispatchKeyEventTypeKeyUp, Key: k, Code: code, WindowsVirtualKeyCode: vk}),
		}
	}
	var steps []chromedp.Action[chromedp.Void]
	steps = append(steps, press("Dead", "BracketLeft", 219, "")...)
	steps = append(steps, press("é", "KeyE", 69, "é")...)
	steps = append(steps, press("Dead", "BracketLeft", 219, "")...)
	steps = append(steps, press("ô", "KeyO", 79, "ô")...)
	// A dead key then Space types the accent itself, not a space.
	steps = append(steps, press("Dead", "Backquote", 192, "")...)
	steps = append(steps, press("`", "Space", 32, "`")...)
	steps = append(steps, press("ж", "Semicolon", 186, "ж")...)
	steps = append(steps, press("λ", "KeyL", 76, "λ")...)
	// An input method composing: keyCode 229, key "Process".
	steps = append(steps, press("Process", "KeyN", 229, "")...)
	do(t, w.engineer, 10*time.Second, "type with dead keys and other layouts", steps...)
	w.waitTyped(t, "éô`жλ")
	if typed := w.win.typedText(); strings.ContainsAny(typed, "´^n ") {
		t.Errorf("a dead key or a composing key typed something: %q", typed)
	}

	// Ctrl+С on a Russian layout copies: it reaches the application as Ctrl+C.
	n := w.eventCount()
	do(t, w.engineer, 10*time.Second, "Ctrl+С",
		key(input.DispatchKeyEventParams{Type: input.DispatchKeyEventTypeRawKeyDown, Key: "Control", Code: "ControlLeft", WindowsVirtualKeyCode: 17, Modifiers: 2}),
		key(input.DispatchKeyEventParams{Type: input.DispatchKeyEventTypeRawKeyDown, Key: "с", Code: "KeyC", WindowsVirtualKeyCode: 67, Modifiers: 2}),
		key(input.DispatchKeyEventParams{Type: input.DispatchKeyEventTypeKeyUp, Key: "с", Code: "KeyC", WindowsVirtualKeyCode: 67, Modifiers: 2}),
		key(input.DispatchKeyEventParams{Type: input.DispatchKeyEventTypeKeyUp, Key: "Control", Code: "ControlLeft", WindowsVirtualKeyCode: 17}))
	w.waitKeysyms(t, "Ctrl+С", n, []int{0xffe3, 'c'})

	// Chinese and Japanese, as an input method would have composed them.
	const cjk = "中文 テスト"
	do(t, w.engineer, 10*time.Second, "Type text",
		chromedp.Click(chromedp.CSS(`#v-keys-btn`)),
		chromedp.Click(chromedp.CSS(`#v-type-open`)),
		chromedp.WaitVisible(chromedp.CSS(`#v-type-text`)),
		chromedp.SetValue(chromedp.CSS(`#v-type-text`), cjk))
	shot(t, w.engineer, "viewer-type-text")
	do(t, w.engineer, 10*time.Second, "Type", chromedp.Click(chromedp.CSS(`#v-type-send`)))
	w.waitTyped(t, "éô`жλ"+cjk)
	waitJS(t, w.engineer, 5*time.Second, "typed confirmed", `document.getElementById("viewer").dataset.keysSent === "6 characters"`)
}

// TestSendKeysMenu: each entry of "Send keys" reaches the customer's
// application as its key presses, in order; full screen locks the keyboard
// where the browser can, says how to leave, and Esc goes to the customer.
func TestSendKeysMenu(t *testing.T) {
	w := keyboardWorld(t, "Sam Sendkeys")
	const (
		ctrlL, altL, shiftL, superL = 0xffe3, 0xffe9, 0xffe1, 0xffeb
		del, esc, tab, f4, print    = 0xffff, 0xff1b, 0xff09, 0xffc1, 0xff61
	)
	for _, tt := range []struct {
		combo string
		want  []int
	}{
		{"ctrl-alt-del", []int{ctrlL, altL, del}},
		{"ctrl-shift-esc", []int{ctrlL, shiftL, esc}},
		{"win", []int{superL}},
		{"alt-tab", []int{altL, tab}},
		{"alt-f4", []int{altL, f4}},
		{"ctrl-esc", []int{ctrlL, esc}},
		{"print-screen", []int{print}},
	} {
		n := w.eventCount()
		do(t, w.engineer, 10*time.Second, "open Send keys", chromedp.Click(chromedp.CSS(`#v-keys-btn`)), chromedp.WaitVisible(chromedp.CSS(`#v-keys-menu`)))
		if tt.combo == "ctrl-alt-del" {
			shot(t, w.engineer, "viewer-send-keys")
		}
		do(t, w.engineer, 10*time.Second, tt.combo, chromedp.Click(chromedp.CSS(`#v-keys-menu [data-combo="`+tt.combo+`"]`)))
		w.waitKeysyms(t, tt.combo, n, tt.want)
		if open := eval[bool](t, w.engineer, `!document.getElementById("v-keys-menu").hidden`); open {
			t.Errorf("%s: the menu stayed open", tt.combo)
		}
	}
	// Nothing stays held: a plain key after the menu types plainly.
	do(t, w.engineer, 5*time.Second, "type", chromedp.KeyEvent("k"))
	w.waitTyped(t, "k")
	w.win.mu.Lock()
	last := w.win.events[len(w.win.events)-2] // the key before its "typed"
	w.win.mu.Unlock()
	if st, _ := last["state"].(float64); st != 0 {
		t.Errorf("a modifier is still held after the menu: state %#x", int(st))
	}

	// Full screen: the keyboard lock takes Esc, Alt+Tab and Win where the
	// browser allows; the hint says how to leave.
	do(t, w.engineer, 10*time.Second, "full screen", chromedp.Click(chromedp.CSS(`#v-fullscreen`)))
	waitJS(t, w.engineer, 5*time.Second, "full screen", `document.getElementById("viewer").dataset.fullscreen === "on" && document.fullscreenElement === document.getElementById("viewer") &&
		["on", "refused", "unsupported"].includes(document.getElementById("viewer").dataset.keyboardLock) && !document.getElementById("v-fs-hint").hidden`)
	lock := eval[string](t, w.engineer, `document.getElementById("viewer").dataset.keyboardLock`)
	hint := eval[string](t, w.engineer, `document.getElementById("v-fs-hint").textContent`)
	t.Logf("keyboard lock: %s; hint: %q", lock, hint)
	if lock == "on" && hint != "Hold Esc to exit full screen" || lock != "on" && !strings.Contains(hint, "Esc") {
		t.Errorf("keyboard lock %s with hint %q", lock, hint)
	}
	shot(t, w.engineer, "viewer-fullscreen")
	n := w.eventCount()
	do(t, w.engineer, 5*time.Second, "Esc", chromedp.KeyEvent("\x1b"))
	w.waitKeysyms(t, "Esc in full screen", n, []int{esc})
	do(t, w.engineer, 10*time.Second, "leave full screen", chromedp.Click(chromedp.CSS(`#v-fullscreen`)))
	waitJS(t, w.engineer, 5*time.Second, "full screen left", `document.getElementById("viewer").dataset.fullscreen === "off" && !document.fullscreenElement &&
		document.getElementById("v-fullscreen").textContent === "Full screen"`)
}
