//go:build linux

package e2e

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"tether/agent/capture"
	"tether/server/auth"
	"tether/server/protocol"
	"tether/server/store"
)

// evalAsync evaluates a script whose value is a promise.
func evalAsync[T any](t *testing.T, ctx context.Context, js string) T {
	t.Helper()
	c, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	v, err := chromedp.Run(c, chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("evaluate %q: %v", js, err)
	}
	return v
}

// sharedSession runs a session up to the first frame with full control:
// the customer's browser on the invitation page, their agent approved.
func sharedSession(t *testing.T, w *world, name string) (cust context.Context, c *customer, id string) {
	t.Helper()
	link, _ := w.newSession(t, name)
	cust = newBrowser(t)
	do(t, cust, 20*time.Second, "open invitation", chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS(`#downloads`)))
	c = w.downloadAndRun(t, cust)
	c.approve(t, "control")
	waitJS(t, w.engineer, 15*time.Second, "first frame", `Number(document.getElementById("viewer").dataset.frames) > 0`)
	id = eval[string](t, w.engineer, `document.getElementById("viewer").dataset.session`)
	return cust, c, id
}

// openStore opens the server's own database beside it (SQLite in WAL
// mode takes a second process), for what this branch's UI cannot make.
func openStore(t *testing.T, w *world) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), "sqlite://"+filepath.Join(w.srv.data, "tether.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// TestSurveyStored: the customer stops the session; their invitation page
// asks for a rating and a comment, once; the console's history shows it.
func TestSurveyStored(t *testing.T) {
	w := newWorld(t)
	cust, c, id := sharedSession(t, w, "Maria Lopez")
	if !eval[bool](t, cust, `document.getElementById("survey").hidden`) {
		t.Fatal("the survey shows while the session runs")
	}
	do(t, c.page, 10*time.Second, "stop", chromedp.Click(chromedp.CSS(`#stop`)))
	c.waitExit(t, 5*time.Second)
	waitJS(t, cust, 10*time.Second, "survey shown", `document.getElementById("invite").dataset.state === "ended" &&
		!document.getElementById("survey").hidden && !document.getElementById("ended").hidden`)
	if got := eval[string](t, cust, `document.getElementById("recording-contact").textContent`); !strings.Contains(got, "Acme IT Services") || !strings.Contains(got, "recording") {
		t.Errorf("recording contact %q", got)
	}
	// Sending without stars is refused on the page, with nothing stored.
	do(t, cust, 5*time.Second, "send without stars", chromedp.Click(chromedp.CSS(`#survey-send`)))
	waitJS(t, cust, 5*time.Second, "stars asked for", `!document.getElementById("survey-error").hidden`)
	const comment = "Fixed my printer in ten minutes. Très bien!"
	do(t, cust, 10*time.Second, "rate",
		chromedp.Click(chromedp.CSS(`label[for=rate-4]`)),
		chromedp.SendKeys(chromedp.CSS(`#survey-comment`), comment))
	shot(t, cust, "customer-survey")
	do(t, cust, 10*time.Second, "send", chromedp.Click(chromedp.CSS(`#survey-send`)))
	waitJS(t, cust, 10*time.Second, "thanks", `!document.getElementById("survey-thanks").hidden && document.getElementById("survey").hidden`)
	shot(t, cust, "customer-survey-sent")

	sess, err := openStore(t, w).SessionByIDUnscoped(context.Background(), id)
	if err != nil || sess.Rating != 4 || sess.RatingComment != comment || sess.RatedAt == nil {
		t.Fatalf("stored answer: %d %q %v, %v", sess.Rating, sess.RatingComment, sess.RatedAt, err)
	}
	// Once per session: the page, reloaded, asks no more, and a second
	// answer posted anyway is refused.
	do(t, cust, 10*time.Second, "reload", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(`#report-link`)))
	if !eval[bool](t, cust, `document.getElementById("survey").hidden`) {
		t.Error("the reloaded page asks for a second answer")
	}
	status := evalAsync[int](t, cust, `fetch(location.pathname + "/survey", {method: "POST", headers: {"Content-Type": "application/json", "X-CSRF-Token": tetherCSRF()},
		body: JSON.stringify({rating: 1})}).then(r => r.status)`)
	if status != 409 {
		t.Errorf("second answer: HTTP %d, want 409", status)
	}

	// The console's history shows the rating and comment; the session's page too.
	do(t, w.engineer, 10*time.Second, "console", chromedp.Navigate(w.srv.url+"/console"), chromedp.WaitVisible(chromedp.CSS(`.group-ended .row`)))
	row := eval[string](t, w.engineer, fmt.Sprintf(`document.querySelector('.group-ended .row a[href="/sessions/%s"]').innerText`, id))
	if !strings.Contains(row, "★★★★☆") || !strings.Contains(row, comment) {
		t.Errorf("history row %q lacks the rating", row)
	}
	shot(t, w.engineer, "console-history-rating")
	do(t, w.engineer, 10*time.Second, "session page", chromedp.Navigate(w.srv.url+"/sessions/"+id), chromedp.WaitVisible(chromedp.CSS(`#feedback`)))
	if fb := eval[string](t, w.engineer, `document.getElementById("feedback").innerText`); !strings.Contains(fb, "4 of 5") || !strings.Contains(fb, comment) {
		t.Errorf("session page feedback %q", fb)
	}
	fullShot(t, w.engineer, "session-feedback")
	if log := eval[string](t, w.engineer, `document.querySelector("table.audit").innerText`); !strings.Contains(log, "Customer rated the session") {
		t.Errorf("the log lacks the rating:\n%s", log)
	}
}

// TestScreenshotIntoRecord: the viewer's Screenshot button stores the
// remote screen as a PNG; the session's page lists it and the image it
// serves is the screen, pixel for pixel.
func TestScreenshotIntoRecord(t *testing.T) {
	w := newWorld(t)
	_, _, id := sharedSession(t, w, "Maria Lopez")
	w.waitPixels(t, 10*time.Second, "screen shown")
	do(t, w.engineer, 10*time.Second, "screenshot", chromedp.Click(chromedp.CSS(`#v-shot`)))
	waitJS(t, w.engineer, 10*time.Second, "screenshot saved", `document.getElementById("viewer").dataset.screenshots === "1"`)
	if note := eval[string](t, w.engineer, `document.getElementById("v-shot-note").textContent`); !strings.Contains(note, "saved") {
		t.Errorf("viewer says %q after the screenshot", note)
	}
	shot(t, w.engineer, "viewer-screenshot")
	url := eval[string](t, w.engineer, `document.getElementById("viewer").dataset.lastScreenshot`)
	if !strings.HasPrefix(url, "/sessions/"+id+"/screenshots/") {
		t.Fatalf("screenshot address %q", url)
	}
	// The served image decodes as a PNG of the screen's size and content.
	b64 := evalAsync[string](t, w.engineer, fmt.Sprintf(`fetch(%q).then(r => { if (!r.ok || r.headers.get("Content-Type") !== "image/png") throw new Error("HTTP " + r.status + " " + r.headers.get("Content-Type")); return r.arrayBuffer(); })
		.then(b => { let s = ""; const u = new Uint8Array(b); for (let i = 0; i < u.length; i += 8192) s += String.fromCharCode.apply(null, u.subarray(i, i + 8192)); return btoa(s); })`, url))
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("served screenshot does not decode: %v", err)
	}
	if b := img.Bounds(); b.Dx() != w.sw || b.Dy() != w.sh {
		t.Fatalf("screenshot %v, screen %dx%d", b, w.sw, w.sh)
	}
	t.Setenv("DISPLAY", w.display)
	cp, err := capture.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer cp.Close()
	f, err := cp.Capture()
	if err != nil {
		t.Fatal(err)
	}
	bad, n := 0, 0
	for y := 5; y < w.sh; y += 61 {
		for x := 3; x < w.sw; x += 97 {
			n++
			r, g, bl, _ := img.At(x, y).RGBA()
			o := y*f.Stride + x*4
			if [3]uint32{r >> 8, g >> 8, bl >> 8} != [3]uint32{uint32(f.Pix[o+2]), uint32(f.Pix[o+1]), uint32(f.Pix[o])} {
				bad++
			}
		}
	}
	if bad > 0 {
		t.Fatalf("%d of %d sampled pixels of the screenshot differ from the screen", bad, n)
	}
	t.Logf("screenshot: %d×%d, %d bytes, %d sampled pixels match the screen", w.sw, w.sh, len(raw), n)

	// The session's page shows it as a thumbnail linking to the image.
	do(t, w.engineer, 10*time.Second, "session page", chromedp.Navigate(w.srv.url+"/sessions/"+id), chromedp.WaitVisible(chromedp.CSS(`#screenshots img`)))
	waitJS(t, w.engineer, 10*time.Second, "thumbnail loaded", fmt.Sprintf(`(() => { const i = document.querySelector("#screenshots img"); return i.complete && i.naturalWidth === %d && i.closest("a").getAttribute("href") === %q; })()`, w.sw, url))
	shot(t, w.engineer, "session-screenshots")
	// Signed out, the image is not served.
	anon := newBrowser(t)
	do(t, anon, 10*time.Second, "signed out", chromedp.Navigate(w.srv.url+url))
	if loc := eval[string](t, anon, `location.pathname`); loc != "/login" {
		t.Errorf("a signed-out browser reached %s", loc)
	}
}

// TestReportAfterSession: the engineer ends the session and writes the
// summary; the report shows duration, grants, files, screenshots, chat and
// summary, prints without the console around it and downloads as one
// file; the customer opens their copy from the invitation page; another
// provider's engineer gets 404.
func TestReportAfterSession(t *testing.T) {
	w := newWorld(t)
	cust, c, id := sharedSession(t, w, "Maria Lopez")
	do(t, w.engineer, 10*time.Second, "screenshot", chromedp.Click(chromedp.CSS(`#v-shot`)))
	waitJS(t, w.engineer, 10*time.Second, "screenshot saved", `document.getElementById("viewer").dataset.screenshots === "1"`)
	// The chat and file transfers are other parts of the product; their
	// records are written here in the shapes those parts store.
	st := openStore(t, w)
	ctx := context.Background()
	sess, err := st.SessionByIDUnscoped(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	const sum = "3a7bd3e2360a3d29eea436fcfb7e44c735d117c42d1c1835420b6b9942dd4f1b"
	for _, e := range []store.Event{
		{Kind: "chat", Actor: store.ActorEngineer(sess.EngineerID), Detail: `{"text":"Hello Maria, I can see your screen now."}`},
		{Kind: "chat", Actor: store.ActorCustomer, Detail: `{"text":"Great, the printer is the one on the left."}`},
		{Kind: protocol.AuditFileToCustomer, Actor: store.ActorAgent, Detail: mustJSON(t, protocol.Audit{Kind: protocol.AuditFileToCustomer, Name: "driver-setup.exe", Size: 2621440, SHA256: sum})},
	} {
		e.SessionID = id
		if _, err := st.AppendEvent(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	// The customer takes control back: a second line of grants.
	do(t, c.page, 10*time.Second, "take control back",
		chromedp.Click(chromedp.CSS(`input[value=control]`)), chromedp.Click(chromedp.CSS(`#update:enabled`)))
	waitJS(t, w.engineer, 10*time.Second, "viewer shows view only", `document.getElementById("v-level").textContent === "View"`)
	do(t, w.engineer, 10*time.Second, "end", chromedp.Click(chromedp.CSS(`#v-toolbar button.danger`)), chromedp.WaitVisible(chromedp.CSS(`#summary-text`)))
	c.waitExit(t, 5*time.Second)

	const summary = "The printer driver was outdated.\nInstalled version 4.2 and printed a test page."
	do(t, w.engineer, 10*time.Second, "write summary",
		chromedp.SendKeys(chromedp.CSS(`#summary-text`), summary),
		chromedp.Click(chromedp.CSS(`#summary button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#summary .ok`)))
	if got := eval[string](t, w.engineer, `document.getElementById("summary-text").value`); got != summary {
		t.Fatalf("saved summary %q", got)
	}
	shot(t, w.engineer, "session-summary")

	do(t, w.engineer, 10*time.Second, "report", chromedp.Navigate(w.srv.url+"/sessions/"+id+"/report"), chromedp.WaitVisible(chromedp.CSS(`#report`)))
	waitJS(t, w.engineer, 10*time.Second, "screenshot in the report", `(() => { const i = document.querySelector("#r-screenshots img"); return !!i && i.complete && i.naturalWidth > 0; })()`)
	report := eval[string](t, w.engineer, `document.getElementById("report").innerText`)
	checkReport(t, "engineer's report", report, summary, sum)
	shot(t, w.engineer, "report")
	if err := pdf(w.engineer, "report"); err != nil {
		t.Error(err)
	}
	// Printing leaves the console's bar and the report's buttons out.
	do(t, w.engineer, 10*time.Second, "print media", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"})
		return err
	}))
	if shown := eval[string](t, w.engineer, `["header.topbar", ".report-bar", "#report"].map(s => getComputedStyle(document.querySelector(s)).display).join(" ")`); shown != "none none block" {
		t.Errorf("printed, the console bar, the report's buttons and the report display %q, want none none block", shown)
	}
	fullShot(t, w.engineer, "report-print")
	do(t, w.engineer, 10*time.Second, "screen media", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: ""})
		return err
	}))

	// The download is one self-contained HTML file.
	file := downloadFile(t, w.engineer, `#report-download`, ".html")
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	if !strings.Contains(doc, "data:image/png;base64,") || !strings.Contains(doc, "<style>") || strings.Contains(doc, "<script") || strings.Contains(doc, `src="/`) {
		t.Errorf("downloaded report is not self-contained (%d bytes)", len(doc))
	}
	do(t, w.engineer, 10*time.Second, "open the file", chromedp.Navigate("file://"+file), chromedp.WaitVisible(chromedp.CSS(`#report`)))
	checkReport(t, "downloaded report", eval[string](t, w.engineer, `document.getElementById("report").innerText`), summary, sum)
	t.Logf("downloaded report %s: %d bytes", filepath.Base(file), len(b))

	// The customer's copy, from the invitation page.
	waitJS(t, cust, 10*time.Second, "report offered", `!document.getElementById("ended").hidden`)
	shot(t, cust, "customer-ended")
	do(t, cust, 10*time.Second, "customer's copy", chromedp.Click(chromedp.CSS(`#report-link`)), chromedp.WaitVisible(chromedp.CSS(`#report`)))
	copyText := eval[string](t, cust, `document.getElementById("report").innerText`)
	checkReport(t, "customer's copy", copyText, summary, sum)
	if strings.Contains(copyText, "Internal note") || !strings.Contains(copyText, "ask Acme IT Services for the recording") {
		t.Errorf("customer's copy: internal note shown or no recording contact:\n%s", copyText)
	}
	waitJS(t, cust, 10*time.Second, "screenshot in the customer's copy", `(() => { const i = document.querySelector("#r-screenshots img"); return !!i && i.complete && i.naturalWidth > 0; })()`)
	fullShot(t, cust, "customer-report")
	if err := pdf(cust, "customer-report"); err != nil {
		t.Error(err)
	}

	// Another provider's engineer gets 404 for the report and its image.
	hash, err := auth.HashPassword("another good password")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.CreateProviderWithOwner(ctx, "Other Co", "Olga Other", "olga@other.test", hash); err != nil {
		t.Fatal(err)
	}
	other := newBrowser(t)
	do(t, other, 20*time.Second, "sign in elsewhere",
		chromedp.Navigate(w.srv.url+"/login"),
		chromedp.SendKeys(chromedp.CSS(`input[name=email]`), "olga@other.test"),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), "another good password"),
		chromedp.Click(chromedp.CSS(`form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#session-list`)))
	for _, p := range []string{"/sessions/" + id + "/report", "/sessions/" + id + "/report/download", "/sessions/" + id + "/screenshots/1"} {
		if code := evalAsync[int](t, other, fmt.Sprintf(`fetch(%q).then(r => r.status)`, p)); code != 404 {
			t.Errorf("other provider GET %s: %d, want 404", p, code)
		}
	}
}

// checkReport looks for what every form of the report must say.
func checkReport(t *testing.T, what, text, summary, sum string) {
	t.Helper()
	flat := strings.Join(strings.Fields(text), " ")
	for _, want := range []string{
		"Maria Lopez", "Erin Engineer", "Acme IT Services", "Duration", "ended by Erin Engineer",
		"Approved View · Control", "Changed View",
		"To the customer driver-setup.exe 2.5 MB " + sum,
		"Erin Engineer Hello Maria, I can see your screen now.", "Maria Lopez Great, the printer is the one on the left.",
		strings.Join(strings.Fields(summary), " "),
	} {
		if !strings.Contains(flat, want) {
			t.Errorf("%s lacks %q:\n%s", what, want, text)
		}
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// downloadFile clicks a download link and returns the file once it has
// arrived whole.
func downloadFile(t *testing.T, ctx context.Context, sel, ext string) string {
	t.Helper()
	dir := t.TempDir()
	do(t, ctx, 10*time.Second, "allow downloads", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.CallBrowser(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
			Behavior: browser.SetDownloadBehaviorBehaviorAllow, DownloadPath: dir,
		})
		return err
	}))
	do(t, ctx, 10*time.Second, "download", chromedp.Click(chromedp.CSS(sel)))
	for end := time.Now().Add(20 * time.Second); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if strings.HasSuffix(e.Name(), ext) {
				return filepath.Join(dir, e.Name())
			}
		}
	}
	t.Fatalf("no %s file downloaded", ext)
	return ""
}

// pdf prints the page to $TETHER_E2E_SHOTS/<name>.pdf on A4, when set, to
// look at what printing gives.
func pdf(ctx context.Context, name string) error {
	dir := os.Getenv("TETHER_E2E_SHOTS")
	if dir == "" {
		return nil
	}
	c, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	buf, err := chromedp.Run(c, chromedp.PrintToPDF(chromedp.PDFPaper(chromedp.PaperA4), chromedp.PDFPrintBackground()))
	if err != nil {
		return fmt.Errorf("print %s: %w", name, err)
	}
	return os.WriteFile(filepath.Join(dir, name+".pdf"), buf, 0o644)
}

// fullShot saves the whole page, beyond the window, as $TETHER_E2E_SHOTS/<name>.png, when set. It
// resizes the page for a moment: take it when nothing is clicked next.
func fullShot(t testing.TB, ctx context.Context, name string) {
	dir := os.Getenv("TETHER_E2E_SHOTS")
	if dir == "" {
		return
	}
	c, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	b, err := chromedp.Run(c, chromedp.FullScreenshot(100))
	if err != nil {
		t.Errorf("screenshot %s: %v", name, err)
		return
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), b, 0o644); err != nil {
		t.Error(err)
	}
}
