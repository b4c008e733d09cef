//go:build linux

package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"tether/server/auth"
	"tether/server/store"
)

// deskShot saves the whole page as a PNG to $TETHER_E2E_SHOTS, when set; width > 0 first narrows the
// window to that many CSS pixels (a phone), and restores it after.
func deskShot(t *testing.T, ctx context.Context, name string, width int64) {
	dir := os.Getenv("TETHER_E2E_SHOTS")
	if dir == "" {
		return
	}
	c, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if width > 0 {
		do(t, ctx, 10*time.Second, "narrow the window", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			_, err := chromedp.Call(ctx, emulation.SetDeviceMetricsOverride, emulation.SetDeviceMetricsOverrideParams{Width: width, Height: 844, DeviceScaleFactor: 2, Mobile: true})
			return err
		}))
		defer do(t, ctx, 10*time.Second, "widen the window", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			_, err := chromedp.Call(ctx, emulation.ClearDeviceMetricsOverride, cdp.Empty{})
			return err
		}))
	}
	b, err := chromedp.Run(c, chromedp.FullScreenshot(100))
	if err != nil {
		t.Errorf("screenshot %s: %v", name, err)
		return
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), b, 0o644); err != nil {
		t.Error(err)
	}
}

// editDesk opens the desks page, then the desk called name, in the owner's browser.
func (w *world) editDesk(t *testing.T, name string) {
	do(t, w.engineer, 20*time.Second, "open the desks page",
		chromedp.Navigate(w.srv.url+"/settings/desks"),
		chromedp.WaitVisible(chromedp.CSS(`#desk-table`)),
	)
	href := eval[string](t, w.engineer, fmt.Sprintf(`document.querySelector('tr[data-name=%q] th a').getAttribute("href")`, name))
	do(t, w.engineer, 20*time.Second, "open the desk "+name,
		chromedp.Navigate(w.srv.url+href),
		chromedp.WaitVisible(chromedp.CSS(`#desk-form`)),
	)
}

// TestDeskTemplateNarrowsGrants: the owner lets the default desk's engineers ask for view and limited
// control only, limited control ticked by default. The customer's consent page then offers just those,
// limited control ticked; with it the engineer's clicks reach the customer's application and typing does
// not, and asking for full control is refused by the server without the customer being asked.
func TestDeskTemplateNarrowsGrants(t *testing.T) {
	w := newWorld(t)
	w.editDesk(t, "Support")
	// Untick what the desk may not ask for, tick limited control in both columns.
	do(t, w.engineer, 10*time.Second, "set the template", chromedp.Evaluate[chromedp.Void](`(() => {
		const set = (col, grant, on) => { const b = document.querySelector('tr[data-grant="' + grant + '"] input[name="' + col + '"]'); if (b.checked !== on) b.click(); };
		for (const g of ["control", "clipboard", "files"]) set("allowed", g, false);
		set("allowed", "limited", true);
		set("default", "limited", true);
	})()`))
	if dis := eval[bool](t, w.engineer, `document.querySelector('tr[data-grant="control"] input[name="default"]').disabled`); !dis {
		t.Error("control can still be ticked by default after it was disallowed")
	}
	deskShot(t, w.engineer, "desk-template", 0)
	do(t, w.engineer, 10*time.Second, "save the desk",
		chromedp.Click(chromedp.CSS(`#desk-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#desk-saved`)),
	)

	link, _ := w.newSession(t, "Lena Limited")
	// The Request menu offers only what the desk allows.
	if got := eval[string](t, w.engineer, `Array.from(document.querySelectorAll("#v-request-menu [data-grant]")).map(b => b.dataset.grant).join(",")`); got != "limited" {
		t.Fatalf("the Request menu offers %q, want limited control only", got)
	}
	cust := newBrowser(t)
	do(t, cust, 20*time.Second, "open invitation", chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS(`#downloads`)))
	c := w.downloadAndRun(t, cust)
	page, cancel := chromedp.NewContext(cust)
	t.Cleanup(cancel)
	if err := chromedp.Do(page, chromedp.Navigate("about:blank")); err != nil {
		t.Fatal(err)
	}
	c.page = page
	do(t, page, 20*time.Second, "open consent page", chromedp.Navigate(c.consent), chromedp.WaitVisible(chromedp.CSS(`#allow`)))
	offered := eval[string](t, page, `Array.from(document.querySelectorAll('input[name=grant]')).filter(b => !b.closest("label").hidden).map(b => b.value + (b.checked ? "+" : "")).join(",")`)
	if offered != "view+,limited+" {
		t.Fatalf("the consent page offers %q, want view and limited control, both ticked", offered)
	}
	deskShot(t, page, "consent-limited", 0)
	waitJS(t, page, 10*time.Second, "the consent page settled", `(() => {
		const y = document.getElementById("allow").getBoundingClientRect().top;
		if (window.__allowY !== y) { window.__allowY = y; window.__allowSince = performance.now(); }
		return performance.now() - window.__allowSince >= 300;
	})()`)
	do(t, page, 20*time.Second, "approve", chromedp.Click(chromedp.CSS(`#allow:enabled`)))
	waitJS(t, page, 10*time.Second, "sharing on the consent page", `document.getElementById("consent").dataset.phase === "sharing"`)
	waitJS(t, w.engineer, 15*time.Second, "first frame", `Number(document.getElementById("viewer").dataset.frames) > 0`)
	waitJS(t, w.engineer, 10*time.Second, "limited control in the viewer", `document.getElementById("viewer").dataset.grants === "view,limited"`)

	// Clicks arrive.
	w.clickRemote(t, 200, 150)
	w.win.waitFor(t, 5*time.Second, "button", func(ev map[string]any) bool {
		x, _ := ev["root_x"].(float64)
		y, _ := ev["root_y"].(float64)
		return abs(int(x)-200) <= 1 && abs(int(y)-150) <= 1
	})
	// Typing does not: after a full frame requested behind the keys, the agent has dropped them.
	do(t, w.engineer, 5*time.Second, "type", chromedp.KeyEvent("nope"))
	before := eval[int](t, w.engineer, `Number(document.getElementById("viewer").dataset.frames)`)
	do(t, w.engineer, 5*time.Second, "refresh", chromedp.Click(chromedp.CSS(`#v-refresh`)))
	waitJS(t, w.engineer, 5*time.Second, "full frame after the keys", fmt.Sprintf(`Number(document.getElementById("viewer").dataset.frames) > %d`, before))
	w.win.mu.Lock()
	for _, ev := range w.win.events {
		if ev["event"] == "key" {
			t.Errorf("limited control typed %v", ev)
		}
	}
	w.win.mu.Unlock()
	if typed := w.win.typedText(); typed != "" {
		t.Errorf("the application received %q", typed)
	}

	// Asking for full control anyway (as a modified viewer would): the server refuses, the customer is
	// not asked, the engineer is told.
	do(t, w.engineer, 5*time.Second, "request control", chromedp.Evaluate[chromedp.Void](`window.tetherViewer.command("grant-request", {grants: ["view", "control"]})`))
	waitJS(t, w.engineer, 5*time.Second, "refusal toast", `Array.from(document.querySelectorAll(".v-toast")).some(e => e.textContent.includes("Your desk does not let you ask for control"))`)
	deskShot(t, w.engineer, "viewer-limited-refused", 0)
	if asked := eval[bool](t, page, `!document.getElementById("consent").innerText.includes("asks to use your mouse and keyboard")`); !asked {
		t.Error("the customer was asked for control outside the desk's template")
	}

	if err := c.agent.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	c.waitExit(t, 5*time.Second)
}

// TestEngineerSeesOnlyOwnDesks: the owner creates desks A and B and puts Alice in A and Bob in B. Each
// sees only their desk's sessions in the console; Alice opening Bob's session by its address gets the
// not-found page; the owner sees both.
func TestEngineerSeesOnlyOwnDesks(t *testing.T) {
	w := newWorld(t)
	for _, name := range []string{"Desk A", "Desk B"} {
		do(t, w.engineer, 20*time.Second, "create "+name,
			chromedp.Navigate(w.srv.url+"/settings/desks"),
			chromedp.SendKeys(chromedp.CSS(`.desk-new input[name=name]`), name),
			chromedp.Click(chromedp.CSS(`.desk-new button[type=submit]`)),
			chromedp.WaitVisible(chromedp.CSS(`#desk-saved`)),
		)
	}
	// Engineers get accounts from the team pages; here they are made in the database, as an operator's tool would.
	ctx := context.Background()
	st, err := store.Open(ctx, "sqlite://"+filepath.Join(w.srv.data, "tether.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	owners, err := st.UsersByEmail(ctx, "erin@acme.test")
	if err != nil || len(owners) != 1 {
		t.Fatalf("owner: %v", err)
	}
	hash, err := auth.HashPassword("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	for _, email := range []string{"alice@acme.test", "bob@acme.test"} {
		name := strings.ToUpper(email[:1]) + email[1:strings.Index(email, "@")]
		if _, err := st.CreateUser(ctx, store.User{ProviderID: owners[0].ProviderID, Email: email, Name: name, PasswordHash: hash, Role: store.RoleEngineer}); err != nil {
			t.Fatal(err)
		}
	}
	// The owner assigns them on the desk pages.
	for desk, person := range map[string]string{"Desk A": "Alice", "Desk B": "Bob"} {
		w.editDesk(t, desk)
		do(t, w.engineer, 10*time.Second, "assign "+person, chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => {
			const li = Array.from(document.querySelectorAll(".desk-people li")).find(l => l.querySelector("strong").textContent === %q);
			li.querySelector("input").click();
		})()`, person)),
			chromedp.Click(chromedp.CSS(`#desk-form button[type=submit]`)),
			chromedp.WaitVisible(chromedp.CSS(`#desk-saved`)),
		)
	}
	do(t, w.engineer, 10*time.Second, "desks page", chromedp.Navigate(w.srv.url+"/settings/desks"), chromedp.WaitVisible(chromedp.CSS(`#desk-table`)))
	deskShot(t, w.engineer, "desks-list", 0)
	deskShot(t, w.engineer, "desks-list-phone", 390)

	signIn := func(email string) context.Context {
		b := newBrowser(t)
		do(t, b, 20*time.Second, "sign in "+email,
			chromedp.Navigate(w.srv.url+"/login"),
			chromedp.SendKeys(chromedp.CSS(`input[name=email]`), email),
			chromedp.SendKeys(chromedp.CSS(`input[name=password]`), "correct horse battery"),
			chromedp.Click(chromedp.CSS(`form button[type=submit]`)),
			chromedp.WaitVisible(chromedp.CSS(`#session-list`)),
		)
		return b
	}
	open := func(b context.Context, customer string) string {
		do(t, b, 20*time.Second, "new session for "+customer,
			chromedp.Navigate(w.srv.url+"/console"),
			chromedp.SendKeys(chromedp.CSS(`input[name=customer]`), customer),
			chromedp.Click(chromedp.CSS(`.new-session input[name=open_viewer]`)), // to the session page instead
			chromedp.Click(chromedp.CSS(`.new-session button[type=submit]`)),
			chromedp.WaitVisible(chromedp.CSS(`#invite-url`), chromedp.NodeReady),
		)
		return eval[string](t, b, `location.pathname`)
	}
	alice, bob := signIn("alice@acme.test"), signIn("bob@acme.test")
	if n := eval[int](t, alice, `document.querySelectorAll("#new-desk").length`); n != 0 {
		t.Error("alice, in one desk, is asked to choose a desk")
	}
	alicePath, bobPath := open(alice, "Anna of A"), open(bob, "Bert of B")

	list := func(b context.Context) string {
		do(t, b, 10*time.Second, "console", chromedp.Navigate(w.srv.url+"/console"), chromedp.WaitVisible(chromedp.CSS(`#session-list`)))
		return eval[string](t, b, `document.getElementById("session-list").innerText`)
	}
	if got := list(alice); !strings.Contains(got, "Anna of A") || strings.Contains(got, "Bert of B") {
		t.Errorf("alice's console:\n%s", got)
	}
	deskShot(t, alice, "console-alice", 0)
	if got := list(bob); !strings.Contains(got, "Bert of B") || strings.Contains(got, "Anna of A") {
		t.Errorf("bob's console:\n%s", got)
	}
	if got := list(w.engineer); !strings.Contains(got, "Anna of A") || !strings.Contains(got, "Bert of B") {
		t.Errorf("the owner's console:\n%s", got)
	}
	if n := eval[int](t, w.engineer, `document.querySelectorAll("#new-desk option").length`); n != 3 {
		t.Errorf("the owner may choose among %d desks, want 3", n)
	}
	deskShot(t, w.engineer, "console-owner", 0)
	// Alice types the address of Bob's session, and of its viewer.
	for _, p := range []string{bobPath, bobPath + "/view", bobPath + "/events.csv"} {
		do(t, alice, 10*time.Second, "open "+p, chromedp.Navigate(w.srv.url+p), chromedp.WaitVisible(chromedp.CSS(`h1`)))
		if h := eval[string](t, alice, `document.querySelector("h1").textContent`); h != "Not found" {
			t.Errorf("alice at %s sees %q, want Not found", p, h)
		}
	}
	do(t, alice, 10*time.Second, "own session", chromedp.Navigate(w.srv.url+alicePath), chromedp.WaitVisible(chromedp.CSS(`#invite-url`), chromedp.NodeReady))
	do(t, w.engineer, 10*time.Second, "owner opens bob's session", chromedp.Navigate(w.srv.url+bobPath), chromedp.WaitVisible(chromedp.CSS(`#invite-url`), chromedp.NodeReady))
}
