//go:build linux

package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
)

// xclip runs xclip on the customer's display, the way an application
// copies (-i, which then serves the selection in the background until
// another program takes it) or pastes (-o).
func (w *world) xclip(t testing.TB, stdin string, args ...string) string {
	t.Helper()
	bin := requireTool(t, "xclip", "xclip")
	cmd := exec.Command(bin, append([]string{"-selection", "clipboard"}, args...)...)
	cmd.Env = append(os.Environ(), "DISPLAY="+w.display)
	cmd.Stdin = strings.NewReader(stdin)
	// xclip -i leaves a child serving the selection: it must not hold the
	// test's pipes, or Run would wait for it.
	var out bytes.Buffer
	if stdin == "" {
		cmd.Stdout = &out
	}
	if err := cmd.Run(); err != nil {
		return "error: " + err.Error()
	}
	return out.String()
}

// customerClipboard waits until the customer's clipboard holds want.
func (w *world) customerClipboard(t testing.TB, want string) {
	t.Helper()
	var got string
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
		if got = w.xclip(t, "", "-o"); got == want {
			return
		}
	}
	t.Fatalf("customer's clipboard holds %q, want %q", got, want)
}

// allowClipboardInBrowser lets the engineer's page use the async clipboard
// API, as a person does by accepting the browser's prompt, and keeps the
// headless tab focused as a window in front is.
func (w *world) allowClipboardInBrowser(t testing.TB) {
	do(t, w.engineer, 10*time.Second, "clipboard permission", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		for _, name := range []string{"clipboard-read", "clipboard-write"} {
			if _, err := chromedp.CallBrowser(ctx, browser.SetPermission, browser.SetPermissionParams{
				Permission: &browser.PermissionDescriptor{Name: name}, Setting: browser.PermissionSettingGranted, Origin: w.srv.url,
			}); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
		}
		_, err := chromedp.Call(ctx, emulation.SetFocusEmulationEnabled, emulation.SetFocusEmulationEnabledParams{Enabled: true})
		return err
	}))
}

// key dispatches one key event to the engineer's page.
func key(p input.DispatchKeyEventParams) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, input.DispatchKeyEvent, p)
		return err
	})
}

// TestClipboardBothWays: the customer first allows control only (the
// clipboard shows off), then allows the clipboard on their computer. Text
// copied there lands on the engineer's clipboard; the engineer's Ctrl+V in
// the screen puts theirs on the customer's clipboard and pastes it there;
// text sent from the panel arrives too; where the browser has no async
// clipboard the panel shows the text. The session's log records each
// transfer by size only.
func TestClipboardBothWays(t *testing.T) {
	w := newWorld(t)
	requireTool(t, "xclip", "xclip")
	link, _ := w.newSession(t, "Clara Clipboard")
	cust := newBrowser(t)
	do(t, cust, 20*time.Second, "open invitation", chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS(`#downloads`)))
	c := w.downloadAndRun(t, cust)
	c.approve(t, "control")
	waitJS(t, w.engineer, 15*time.Second, "first frame", `Number(document.getElementById("viewer").dataset.frames) > 0`)
	waitJS(t, w.engineer, 5*time.Second, "clipboard off", `document.getElementById("viewer").dataset.clipboard === "off" && document.getElementById("v-clip-state").textContent === "off"`)

	// The customer allows the clipboard on their computer.
	do(t, c.page, 10*time.Second, "tick the clipboard", chromedp.Click(chromedp.CSS(`input[value=clipboard]`)))
	shot(t, c.page, "customer-consent-clipboard")
	do(t, c.page, 10*time.Second, "save", chromedp.Click(chromedp.CSS(`#update:enabled`)))
	waitJS(t, w.engineer, 10*time.Second, "clipboard on", `document.getElementById("viewer").dataset.clipboard === "on" && document.getElementById("v-level").textContent === "View · Control · Clipboard"`)
	w.allowClipboardInBrowser(t)

	// The customer copies: it reaches the engineer's clipboard.
	const fromCustomer = "Fehler 0x80070005: ошибка доступа ✓"
	if out := w.xclip(t, fromCustomer, "-i"); out != "" {
		t.Fatalf("xclip -i: %s", out)
	}
	waitJS(t, w.engineer, 10*time.Second, "text on the engineer's clipboard", `document.getElementById("viewer").dataset.clipLast === "written"`)
	do(t, w.engineer, 5*time.Second, "open the panel", chromedp.Click(chromedp.CSS(`#v-clip-btn`)))
	shot(t, w.engineer, "viewer-clipboard-received")
	do(t, w.engineer, 5*time.Second, "close the panel", chromedp.Click(chromedp.CSS(`#v-clip-panel .v-pop-close`)))
	got, err := chromedp.Run(w.engineer, chromedp.Evaluate[string](`navigator.clipboard.readText()`, chromedp.EvalAwaitPromise))
	if err != nil || got != fromCustomer {
		t.Fatalf("engineer's clipboard holds %q (%v), want %q", got, err, fromCustomer)
	}

	// The engineer pastes into the screen: Ctrl+V in the canvas sends the
	// text ahead of the key, which reaches the application.
	const fromEngineer = "sudo systemctl restart cups ✓"
	if _, err := chromedp.Run(w.engineer, chromedp.Evaluate[bool](fmt.Sprintf(`navigator.clipboard.writeText(%q).then(() => true)`, fromEngineer), chromedp.EvalAwaitPromise)); err != nil {
		t.Fatalf("write the engineer's clipboard: %v", err)
	}
	w.clickRemote(t, 300, 300) // focuses the screen
	w.win.mu.Lock()
	before := len(w.win.events)
	w.win.mu.Unlock()
	do(t, w.engineer, 10*time.Second, "Ctrl+V",
		key(input.DispatchKeyEventParams{Type: input.DispatchKeyEventTypeRawKeyDown, Key: "Control", Code: "ControlLeft", WindowsVirtualKeyCode: 17, Modifiers: 2}),
		key(input.DispatchKeyEventParams{Type: input.DispatchKeyEventTypeRawKeyDown, Key: "v", Code: "KeyV", WindowsVirtualKeyCode: 86, Modifiers: 2, Commands: []string{"paste"}}),
		key(input.DispatchKeyEventParams{Type: input.DispatchKeyEventTypeKeyUp, Key: "v", Code: "KeyV", WindowsVirtualKeyCode: 86, Modifiers: 2}),
		key(input.DispatchKeyEventParams{Type: input.DispatchKeyEventTypeKeyUp, Key: "Control", Code: "ControlLeft", WindowsVirtualKeyCode: 17}))
	w.customerClipboard(t, fromEngineer)
	// The shortcut itself reached the application: V with Control held.
	w.win.waitFor(t, 5*time.Second, "key", func(ev map[string]any) bool {
		ks, _ := ev["keysym"].(float64)
		st, _ := ev["state"].(float64)
		return ks == 'v' && int(st)&4 != 0
	})
	w.win.mu.Lock()
	t.Logf("the application received %d events after Ctrl+V", len(w.win.events)-before)
	w.win.mu.Unlock()

	// From the panel: typed text sent to the customer's clipboard.
	do(t, w.engineer, 10*time.Second, "send from the panel",
		chromedp.Click(chromedp.CSS(`#v-clip-btn`)),
		chromedp.WaitVisible(chromedp.CSS(`#v-clip-panel`)),
		chromedp.SendKeys(chromedp.CSS(`#v-clip-local`), "lpstat -p"),
		chromedp.Click(chromedp.CSS(`#v-clip-send`)))
	w.customerClipboard(t, "lpstat -p")
	waitJS(t, w.engineer, 5*time.Second, "sent shown", `/Sent 9 bytes/.test(document.getElementById("v-clip-status").textContent)`)

	// A browser without the async clipboard API (an insecure context,
	// older browsers): the panel shows what the customer copied.
	do(t, w.engineer, 5*time.Second, "close the panel", chromedp.Click(chromedp.CSS(`#v-clip-panel .v-pop-close`)))
	eval[bool](t, w.engineer, `Object.defineProperty(navigator, "clipboard", { get: () => undefined, configurable: true }), true`)
	const second = "second copy: 42"
	w.xclip(t, second, "-i")
	waitJS(t, w.engineer, 10*time.Second, "panel with the text", `document.getElementById("viewer").dataset.clipLast === "panel" &&
		!document.getElementById("v-clip-panel").hidden && document.getElementById("v-clip-remote").value === "`+second+`"`)
	if s := eval[string](t, w.engineer, `document.getElementById("v-clip-status").textContent`); !strings.Contains(s, "Copy to my clipboard") {
		t.Errorf("panel status %q does not say what to do", s)
	}
	shot(t, w.engineer, "viewer-clipboard-panel")

	// The customer stops; the log has every transfer with its size only.
	do(t, c.page, 10*time.Second, "stop", chromedp.Click(chromedp.CSS(`#stop`)))
	c.waitExit(t, 3*time.Second)
	waitJS(t, w.engineer, 5*time.Second, "viewer ended", `document.getElementById("viewer").dataset.state === "ended"`)
	// The log is the audit table on main, the event list before it.
	do(t, w.engineer, 10*time.Second, "session details", chromedp.Click(chromedp.CSS(`#v-ended a:not(.button)`)), chromedp.WaitVisible(chromedp.CSS(`table.audit, .events`)))
	log := strings.Join(strings.Fields(eval[string](t, w.engineer, `document.querySelector("table.audit, .events").innerText`)), " ")
	// Sizes only: "Clipboard text to the engineer 1 transfer · 50 B".
	for _, want := range []string{
		fmt.Sprintf("Clipboard text to the engineer 1 transfer · %d B", len(fromCustomer)),
		fmt.Sprintf("Clipboard text to the customer 1 transfer · %d B", len(fromEngineer)),
		"Clipboard text to the customer 1 transfer · 9 B",
		fmt.Sprintf("Clipboard text to the engineer 1 transfer · %d B", len(second)),
	} {
		if !strings.Contains(log, want) {
			t.Errorf("session log lacks %q:\n%s", want, log)
		}
	}
	for _, secret := range []string{"systemctl", "ошибка", "lpstat"} {
		if strings.Contains(log, secret) {
			t.Errorf("session log holds clipboard content %q", secret)
		}
	}
}
