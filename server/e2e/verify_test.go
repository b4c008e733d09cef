package e2e

import (
	"bytes"
	"context"
	"database/sql"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/uptrace/bun/driver/sqliteshim"
)

// verifyShot saves a full-page screenshot to /tmp/shots10/verify, at the browser's size or, with phone,
// at 390x844 as a phone shows it.
func verifyShot(t testing.TB, ctx context.Context, name string, phone bool) {
	t.Helper()
	dir := "/tmp/shots10/verify"
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	c, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if phone {
		if err := chromedp.Do(c, chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile)); err != nil {
			t.Errorf("phone viewport: %v", err)
			return
		}
		defer chromedp.Do(c, chromedp.EmulateViewport(1280, 900))
	}
	b, err := chromedp.Run(c, chromedp.FullScreenshot(90))
	if err != nil {
		t.Errorf("screenshot %s: %v", name, err)
		return
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), b, 0o644); err != nil {
		t.Error(err)
	}
}

// skipTour closes the console tour a new user's first sign-in starts, with its Skip button.
func skipTour(t testing.TB, ctx context.Context) {
	t.Helper()
	waitJS(t, ctx, 10*time.Second, "the console tour", `!!document.getElementById("tour-pop") && !document.getElementById("tour-pop").hidden`)
	do(t, ctx, 10*time.Second, "skip the tour", chromedp.Click(chromedp.CSS(`#tour-skip`)))
	waitJS(t, ctx, 5*time.Second, "the tour closed", `document.getElementById("tour-pop").hidden`)
}

// setProfile gives the user with email an employee number, a department and a photo, straight in the
// server's database and blob folder, as the profile page would.
func setProfile(t testing.TB, w *world, email, number, department string) {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 96, 96))
	for y := range 96 {
		for x := range 96 {
			img.Set(x, y, color.RGBA{R: uint8(40 + x), G: uint8(90 + y), B: 200, A: 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(w.srv.data, "blobs", "photos")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "erin.png"), buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open(sqliteshim.ShimName, "file:"+filepath.Join(w.srv.data, "tether.db")+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`UPDATE users SET employee_no = ?, department = ?, photo_key = ? WHERE email = ?`, number, department, "photos/erin.png", email); err != nil {
		t.Fatal(err)
	}
}

// TestCustomerVerifiesEngineer: a customer in a running session follows the invitation page's "Check
// who is helping you" link and sees, on the provider's address, the engineer's name, photo and
// department, and that this engineer is in the session with them now; the support program's consent
// page links to the same page. An employee number nobody has gets the neutral answer.
func TestCustomerVerifiesEngineer(t *testing.T) {
	w := newWorld(t)
	setProfile(t, w, "erin@acme.test", "E-1042", "Field support")
	link, code := w.newSession(t, "Maria Lopez")
	cust := newBrowser(t, chromedp.WindowSize(1280, 900))
	do(t, cust, 20*time.Second, "open invitation", chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS(`#downloads`)))
	c := w.downloadAndRun(t, cust)
	c.approve(t, "control")

	// The invitation page points to the check, on the provider's address, with the session's code.
	waitJS(t, cust, 5*time.Second, "the verify link", `!!document.getElementById("verify-link-a")`)
	href := eval[string](t, cust, `document.getElementById("verify-link-a").href`)
	want := w.srv.url + "/p/acme-it-services/verify?code=" + strings.ReplaceAll(code, " ", "")
	if href != want {
		t.Fatalf("verify link %q, want %q", href, want)
	}
	// So does the consent page the support program serves.
	if got := eval[string](t, c.page, `document.getElementById("verify-link").href`); got != want {
		t.Errorf("consent page links to %q, want %q", got, want)
	}
	// The link opens in a tab of its own (target=_blank): follow it there, as the customer's click does.
	tab, cancel := chromedp.NewContext(cust)
	defer cancel()
	// The first action on a context opens its tab, which lives as long as that action's context.
	if err := chromedp.Do(tab, chromedp.Navigate("about:blank")); err != nil {
		t.Fatal(err)
	}
	do(t, tab, 20*time.Second, "follow the verify link", chromedp.Navigate(href), chromedp.WaitVisible(chromedp.CSS(`.verify-answer`)))
	got := eval[[]string](t, tab, `[document.querySelector(".verify-answer").dataset.presence, document.getElementById("verify-name").textContent,
		document.getElementById("verify-department").textContent, document.querySelector(".verify-now").textContent,
		String(document.querySelector("img.verify-photo") && document.querySelector("img.verify-photo").naturalWidth)]`)
	if got[0] != "with-you" || got[1] != "Erin Engineer" || got[2] != "Field support" || got[3] != "Erin Engineer is in this session with you now." || got[4] != "96" {
		t.Fatalf("the answer: %q", got)
	}
	verifyShot(t, tab, "verify-with-you-en", false)
	verifyShot(t, tab, "verify-with-you-phone", true)

	// The same in German, and by employee number.
	do(t, tab, 20*time.Second, "German, by number", chromedp.Navigate(w.srv.url+"/p/acme-it-services/verify?lang=de&no=e-1042"), chromedp.WaitVisible(chromedp.CSS(`.verify-answer`)))
	if now := eval[string](t, tab, `document.querySelector(".verify-now").textContent`); now != "Erin Engineer ist gerade in einer Support-Sitzung." {
		t.Errorf("German answer by number: %q", now)
	}
	verifyShot(t, tab, "verify-number-de", false)
	// A number nobody has: the neutral answer, in the form the customer typed into.
	do(t, tab, 20*time.Second, "unknown number",
		chromedp.Clear(chromedp.CSS(`#verify-number`)),
		chromedp.SendKeys(chromedp.CSS(`#verify-number`), "E-9999"),
		chromedp.Click(chromedp.CSS(`#verify-by-number button`)),
		chromedp.WaitVisible(chromedp.CSS(`#verify-not-found`)),
	)
	verifyShot(t, tab, "verify-not-found-de", false)
	verifyShot(t, tab, "verify-not-found-phone-de", true)
	do(t, tab, 20*time.Second, "Chinese, by code", chromedp.Navigate(w.srv.url+"/p/acme-it-services/verify?lang=zh-Hans&code="+strings.ReplaceAll(code, " ", "")),
		chromedp.WaitVisible(chromedp.CSS(`.verify-answer`)))
	if now := eval[string](t, tab, `document.querySelector(".verify-now").textContent`); now != "Erin Engineer 正在此会话中为您服务。" {
		t.Errorf("Chinese answer by code: %q", now)
	}
	verifyShot(t, tab, "verify-with-you-zh", false)
	do(t, tab, 10*time.Second, "back to English", chromedp.Navigate(w.srv.url+"/p/acme-it-services/verify?lang=en"), chromedp.WaitVisible(chromedp.CSS(`#verify-by-code`)))
	verifyShot(t, tab, "verify-empty-en", false)
	verifyShot(t, cust, "invitation-verify-link-en", false)
}

// tourState is what the tour shows now: hidden, or its step's title, progress and whether the ring
// surrounds the step's element and the popover stays on the screen without covering it.
func tourState(t testing.TB, ctx context.Context) []string {
	t.Helper()
	return eval[[]string](t, ctx, `(() => {
		const pop = document.getElementById("tour-pop");
		if (pop.hidden) return ["hidden"];
		const ring = document.getElementById("tour-ring").getBoundingClientRect();
		const p = pop.getBoundingClientRect();
		const vw = document.documentElement.clientWidth, vh = window.innerHeight;
		const title = document.getElementById("tour-title").textContent;
		const step = [...document.querySelectorAll("#tour-steps > li")].find(li => li.dataset.title === title);
		const el = [...document.querySelectorAll(step.dataset.target)].find(e => e.getBoundingClientRect().width > 0);
		const r = el.getBoundingClientRect();
		const rings = ring.left <= r.left && ring.top <= r.top && ring.right >= r.right && ring.bottom >= r.bottom;
		const onScreen = p.left >= 0 && p.top >= 0 && p.right <= vw && p.bottom <= vh;
		const covers = !(p.right <= r.left || p.left >= r.right || p.bottom <= r.top || p.top >= r.bottom);
		// On a phone the sheet may cover part of a tall element, never all of what is on screen of it.
		const seen = Math.min(r.bottom, vh, p.top) - Math.max(r.top, 0);
		return [title, document.getElementById("tour-progress").textContent, String(rings), String(onScreen),
			String(vw < 600 ? seen >= Math.min(40, r.height - 1) : !covers), document.activeElement && document.activeElement.closest("#tour-pop") ? "focus" : "nofocus"];
	})()`)
}

// TestFirstSignInTourShownOnce: a new owner's first sign-in shows the console tour, step by step with
// the keyboard and the buttons, each step ringing a real element with the popover on screen beside it;
// dismissed, it stays away on reload, and the "Take the tour" link replays it. A new engineer on a
// phone (390x844) gets it as a sheet at the bottom of the screen, and it stays away once dismissed too.
func TestFirstSignInTourShownOnce(t *testing.T) {
	w := &world{a: build(t)}
	w.srv = startServer(t, w.a)
	w.engineer = newBrowser(t, chromedp.WindowSize(1280, 900))
	w.signUp(t)
	owner := w.engineer
	waitJS(t, owner, 10*time.Second, "the tour on the first sign-in", `!document.getElementById("tour-pop").hidden`)

	want := [][2]string{
		{"Start a support session", "1 of 6"}, {"Waiting requests", "2 of 6"}, {"Your sessions", "3 of 6"},
		{"History", "4 of 6"}, {"Your profile", "5 of 6"}, {"Settings", "6 of 6"},
	}
	check := func(ctx context.Context, i int, want [][2]string, name string) {
		t.Helper()
		got := tourState(t, ctx)
		if len(got) != 6 || got[0] != want[i][0] || got[1] != want[i][1] || got[2] != "true" || got[3] != "true" || got[4] != "true" || got[5] != "focus" {
			t.Fatalf("step %d: %q, want %s (%s), ringed, on screen, not covered, focused", i+1, got, want[i][0], want[i][1])
		}
		if name != "" {
			verifyShot(t, ctx, name, false)
		}
	}
	check(owner, 0, want, "tour-step1-1280")
	// The keyboard: → next, ← back; Tab stays in the tour.
	do(t, owner, 5*time.Second, "arrow right", chromedp.KeyEvent(kb.ArrowRight))
	check(owner, 1, want, "")
	do(t, owner, 5*time.Second, "arrow left", chromedp.KeyEvent(kb.ArrowLeft))
	check(owner, 0, want, "")
	for range 4 {
		do(t, owner, 5*time.Second, "tab", chromedp.KeyEvent(kb.Tab))
	}
	if in := eval[bool](t, owner, `!!document.activeElement.closest("#tour-pop")`); !in {
		t.Fatal("Tab left the tour")
	}
	for i := 1; i < len(want); i++ {
		do(t, owner, 5*time.Second, "next", chromedp.Click(chromedp.CSS(`#tour-next`)))
		name := ""
		if i == 2 || i == 4 {
			name = "tour-step" + string(rune('1'+i)) + "-1280"
		}
		check(owner, i, want, name)
	}
	do(t, owner, 5*time.Second, "back", chromedp.Click(chromedp.CSS(`#tour-back`)))
	check(owner, len(want)-2, want, "")
	if label := eval[string](t, owner, `document.getElementById("tour-next").textContent`); label != "Next" {
		t.Errorf("the button before the last step reads %q", label)
	}
	// Escape dismisses it; the dismissal is stored, so a reload shows none.
	do(t, owner, 5*time.Second, "escape", chromedp.KeyEvent(kb.Escape))
	waitJS(t, owner, 5*time.Second, "the tour closed", `document.getElementById("tour-pop").hidden && document.getElementById("tour-ring").hidden`)
	reloadedWithoutTour(t, owner, w.srv.url)

	// "Take the tour" replays it; Done on the last step closes it.
	do(t, owner, 5*time.Second, "replay", chromedp.Click(chromedp.CSS(`#tour-replay`)))
	check(owner, 0, want, "")
	for range len(want) - 1 {
		do(t, owner, 5*time.Second, "next", chromedp.Click(chromedp.CSS(`#tour-next`)))
	}
	if label := eval[string](t, owner, `document.getElementById("tour-next").textContent`); label != "Done" {
		t.Errorf("the last step's button reads %q", label)
	}
	do(t, owner, 5*time.Second, "done", chromedp.Click(chromedp.CSS(`#tour-next`)))
	waitJS(t, owner, 5*time.Second, "the tour closed", `document.getElementById("tour-pop").hidden`)
	reloadedWithoutTour(t, owner, w.srv.url)

	// In the engineer's language (here chosen on the page; the profile's language wins when set).
	do(t, owner, 10*time.Second, "German tour", chromedp.Navigate(w.srv.url+"/console?lang=de&tour=1"), chromedp.WaitVisible(chromedp.CSS(`#tour-pop`)))
	check(owner, 0, [][2]string{{"Support-Sitzung starten", "1 von 6"}}, "tour-step1-1280-de")
	do(t, owner, 5*time.Second, "escape", chromedp.KeyEvent(kb.Escape))
	waitJS(t, owner, 5*time.Second, "the tour closed", `document.getElementById("tour-pop").hidden`)

	// A new engineer on a phone: no settings step, the popover a sheet at the bottom.
	st, providerID := trustStore(t, w)
	requestAddEngineer(t, st, providerID, "Ed Engineer", "ed@acme.test")
	ed := newBrowser(t, chromedp.WindowSize(390, 844))
	do(t, ed, 10*time.Second, "phone", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateTouch))
	requestSignIn(t, ed, w.srv.url, "ed@acme.test")
	waitJS(t, ed, 10*time.Second, "the tour on the phone", `!document.getElementById("tour-pop").hidden`)
	phone := [][2]string{{"Start a support session", "1 of 4"}, {"Waiting requests", "2 of 4"}, {"Your sessions", "3 of 4"}, {"Menu", "4 of 4"}}
	for i := range phone {
		if i > 0 {
			do(t, ed, 5*time.Second, "next", chromedp.Click(chromedp.CSS(`#tour-next`)))
		}
		check(ed, i, phone, "")
		if sheet := eval[bool](t, ed, `document.getElementById("tour-pop").classList.contains("tour-sheet")`); !sheet {
			t.Fatalf("step %d on the phone is not a sheet", i+1)
		}
		verifyShotViewport(t, ed, "tour-step"+string(rune('1'+i))+"-phone")
	}
	do(t, ed, 5*time.Second, "skip", chromedp.Click(chromedp.CSS(`#tour-skip`)))
	waitJS(t, ed, 5*time.Second, "the tour closed", `document.getElementById("tour-pop").hidden`)
	reloadedWithoutTour(t, ed, w.srv.url)
}

// verifyShotViewport saves what the screen shows now (not the full page), for a fixed sheet.
func verifyShotViewport(t testing.TB, ctx context.Context, name string) {
	t.Helper()
	c, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	b, err := chromedp.Run(c, chromedp.CaptureScreenshot())
	if err != nil {
		t.Errorf("screenshot %s: %v", name, err)
		return
	}
	if err := os.WriteFile(filepath.Join("/tmp/shots10/verify", name+".png"), b, 0o644); err != nil {
		t.Error(err)
	}
}

// reloadedWithoutTour reloads the console and checks the tour stays closed once its script ran.
func reloadedWithoutTour(t testing.TB, ctx context.Context, srvURL string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		do(t, ctx, 10*time.Second, "reload the console", chromedp.Navigate(srvURL+"/console"), chromedp.WaitVisible(chromedp.CSS(`#session-list`)))
		// tour.js runs at DOMContentLoaded, before the load event WaitVisible waited for.
		if eval[string](t, ctx, `document.getElementById("tour").dataset.start`) == "false" {
			break
		}
		// The dismissal is posted as the tour closes; a reload racing it may come first.
		if time.Now().After(deadline) {
			t.Fatal("the tour still starts by itself after it was dismissed")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if hidden := eval[bool](t, ctx, `document.readyState === "complete" && document.getElementById("tour-pop").hidden`); !hidden {
		t.Fatal("the tour shows after a reload")
	}
}
