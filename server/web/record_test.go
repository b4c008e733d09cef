package web

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"tether/server/store"
	"tether/templates"
)

// recordHarness serves the real report style sheet, which the downloaded
// report inlines.
func recordHarness(t *testing.T) *harness {
	css, err := os.ReadFile("../../static/css/report.css")
	if err != nil {
		t.Fatal(err)
	}
	return newHarnessWith(t, nil, func(d *Deps) {
		d.Static.(fstest.MapFS)["css/report.css"] = &fstest.MapFile{Data: css}
	})
}

func pngOf(t *testing.T, w, h int, c color.RGBA) []byte {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = c.R, c.G, c.B, 255
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func (b *browser) postBytes(path, contentType string, body []byte) (int, string) {
	b.h.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, b.h.ts.URL+path, bytes.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("X-CSRF-Token", b.csrf)
	resp, err := b.c.Do(req)
	if err != nil {
		b.h.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(out)
}

// TestRecordRefusals: who may write a summary, what a screenshot upload
// must be, the survey once and only after the end, another provider 404.
func TestRecordRefusals(t *testing.T) {
	h := recordHarness(t)
	ctx := context.Background()
	owner := h.signedUp("Acme", "erin@acme.test")
	id, token := h.newSession(owner, "Maria Lopez")
	sess, err := h.st.SessionByIDUnscoped(ctx, id)
	if err != nil {
		t.Fatal(err)
	}

	// A plain engineer of the session's desk who is not the session's
	// engineer reads the summary but may not change it.
	eng, err := h.st.CreateUser(ctx, store.User{ProviderID: sess.ProviderID, Email: "ed@acme.test", Name: "Ed", PasswordHash: "x"}, sess.DeskID)
	if err != nil {
		t.Fatal(err)
	}
	ed := h.browser()
	if err := h.srv.startLoginFor(ed, eng); err != nil {
		t.Fatal(err)
	}
	ed.get("/sessions/" + id)
	if code, _, _ := ed.post("/sessions/"+id+"/summary", url.Values{"summary": {"mine now"}}); code != http.StatusForbidden {
		t.Errorf("another engineer's summary: %d, want 403", code)
	}
	owner.get("/sessions/" + id)
	if code, body, _ := owner.post("/sessions/"+id+"/summary", url.Values{"summary": {strings.Repeat("x", store.MaxSummary+1)}}); code != http.StatusBadRequest || !strings.Contains(body, "too long") {
		t.Errorf("overlong summary: %d", code)
	}
	if code, _, hdr := owner.post("/sessions/"+id+"/summary", url.Values{"summary": {"Reset the VPN profile.\r\nAsked Maria to reboot."}}); code != http.StatusSeeOther || !strings.HasPrefix(hdr.Get("Location"), "/sessions/"+id) {
		t.Fatalf("summary: %d %s", code, hdr.Get("Location"))
	}
	if _, body, _ := ed.get("/sessions/" + id); !strings.Contains(body, "Reset the VPN profile.\nAsked Maria to reboot.") || strings.Contains(body, `name="summary"`) {
		t.Errorf("the other engineer's view of the summary:\n%s", body)
	}

	// Screenshots: PNG only, bounded, into live sessions of the provider.
	shot := pngOf(t, 64, 40, color.RGBA{200, 30, 40, 255})
	for _, tt := range []struct {
		name string
		body []byte
		want int
	}{
		{"not an image", []byte("hello"), http.StatusBadRequest},
		{"a cut PNG", shot[:len(shot)-20], http.StatusBadRequest},
		{"too large", bytes.Repeat([]byte{0}, maxScreenshotBytes+1), http.StatusRequestEntityTooLarge},
		{"too many pixels", pngOf(t, 16384, 2100, color.RGBA{}), http.StatusBadRequest},
		{"a screenshot", shot, http.StatusCreated},
	} {
		if code, body := owner.postBytes("/sessions/"+id+"/screenshots", "image/png", tt.body); code != tt.want {
			t.Errorf("%s: %d %s, want %d", tt.name, code, body, tt.want)
		}
	}
	blobs, err := h.srv.Blobs.List(ctx, "screenshots")
	if err != nil || len(blobs) != 1 {
		t.Fatalf("blobs after one good upload of five: %v, %v", blobs, err)
	}

	// Another provider sees none of it.
	_, u, err := h.st.CreateProviderWithOwner(ctx, "Other Co", "Olga", "olga@other.test", "x")
	if err != nil {
		t.Fatal(err)
	}
	o := h.browser()
	if err := h.srv.startLoginFor(o, u); err != nil {
		t.Fatal(err)
	}
	o.get("/console")
	for _, p := range []string{"/sessions/" + id + "/report", "/sessions/" + id + "/report/download", "/sessions/" + id + "/screenshots/3"} {
		if code, _, _ := o.get(p); code != http.StatusNotFound {
			t.Errorf("other provider GET %s: %d, want 404", p, code)
		}
	}
	if code, _ := o.postBytes("/sessions/"+id+"/screenshots", "image/png", shot); code != http.StatusNotFound {
		t.Errorf("other provider's screenshot: %d, want 404", code)
	}
	if code, _, _ := o.post("/sessions/"+id+"/summary", url.Values{"summary": {"x"}}); code != http.StatusNotFound {
		t.Errorf("other provider's summary: %d, want 404", code)
	}

	// The survey and the customer's copy wait for the end.
	cust := h.browser()
	cust.get("/i/" + token)
	if code, _ := cust.postJSON("/i/"+token+"/survey", surveyAnswer{Rating: 5}); code != http.StatusConflict {
		t.Errorf("survey of a live session: %d, want 409", code)
	}
	if code, _, _ := cust.get("/i/" + token + "/report"); code != http.StatusConflict {
		t.Errorf("report of a live session: %d, want 409", code)
	}
	if _, _, err := h.live.End(ctx, id, "ended by Erin Engineer", store.ActorEngineer(sess.EngineerID)); err != nil {
		t.Fatal(err)
	}
	if code, _ := owner.postBytes("/sessions/"+id+"/screenshots", "image/png", shot); code != http.StatusConflict {
		t.Errorf("screenshot after the end: %d, want 409", code)
	}
	for _, bad := range []any{surveyAnswer{Rating: 0}, surveyAnswer{Rating: 6}, surveyAnswer{Rating: 3, Comment: strings.Repeat("é", store.MaxRatingComment+1)}, "five"} {
		if code, _ := cust.postJSON("/i/"+token+"/survey", bad); code != http.StatusBadRequest {
			t.Errorf("survey %v: %d, want 400", bad, code)
		}
	}
	if code, body := cust.postJSON("/i/"+token+"/survey", surveyAnswer{Rating: 4, Comment: " Thanks! "}); code != http.StatusOK {
		t.Fatalf("survey: %d %s", code, body)
	}
	if code, body := cust.postJSON("/i/"+token+"/survey", surveyAnswer{Rating: 1}); code != http.StatusConflict || !strings.Contains(body, "already") {
		t.Errorf("second answer: %d %s, want 409", code, body)
	}
	if got, _ := h.st.SessionByIDUnscoped(ctx, id); got.Rating != 4 || got.RatingComment != "Thanks!" {
		t.Errorf("stored answer %d %q", got.Rating, got.RatingComment)
	}
	if _, body, _ := owner.get("/console/sessions"); !strings.Contains(body, "★★★★☆") || !strings.Contains(body, "Thanks!") {
		t.Errorf("the console list lacks the rating:\n%s", body)
	}

	// The customer's copy: the summary, no internal note; the image through
	// the token; a download that embeds it.
	code, body, _ := cust.get("/i/" + token + "/report")
	if code != http.StatusOK || !strings.Contains(body, "Reset the VPN profile.") || !strings.Contains(body, "/i/"+token+"/screenshots/") {
		t.Fatalf("customer's copy: %d\n%s", code, body)
	}
	code, body, hdr := cust.get("/i/" + token + "/report/download")
	if code != http.StatusOK || !strings.HasPrefix(hdr.Get("Content-Disposition"), `attachment; filename=support-report-2026-11-21-maria-lopez.html`) ||
		!strings.Contains(body, "data:image/png;base64,") || !strings.Contains(body, "<style>") || strings.Contains(body, "<script") {
		t.Errorf("customer's download: %d %q", code, hdr.Get("Content-Disposition"))
	}
	// Thirty days on, the link leads nowhere.
	h.clock.Add(31 * 24 * 60 * 60e9)
	for _, p := range []string{"/i/" + token, "/i/" + token + "/report"} {
		if code, _, _ := cust.get(p); code != http.StatusNotFound {
			t.Errorf("GET %s a month later: %d, want 404", p, code)
		}
	}
}

func TestReportWording(t *testing.T) {
	for _, tt := range []struct {
		d    time.Duration
		want string
	}{
		{0, "0 s"}, {1499 * time.Millisecond, "1 s"}, {59 * time.Second, "59 s"}, {61 * time.Second, "1 min 01 s"},
		{time.Hour + 5*time.Minute + 40*time.Second, "1 h 05 min"}, {26 * time.Hour, "26 h 00 min"},
	} {
		if got := humanDuration(tt.d); got != tt.want {
			t.Errorf("humanDuration(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
	day := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	for name, want := range map[string]string{
		"Maria Lopez":           "support-report-2026-11-22-maria-lopez.html",
		"  Zoë & Co. (Paris) ":  "support-report-2026-11-22-zo-co-paris.html",
		"李雷":                    "support-report-2026-11-22-session.html",
		"../../etc/passwd":      "support-report-2026-11-22-etc-passwd.html",
		strings.Repeat("a", 80): "support-report-2026-11-22-" + strings.Repeat("a", 40) + ".html",
	} {
		if got := reportFileName(templates.Report{CustomerName: name, Created: day}); got != want {
			t.Errorf("reportFileName(%q) = %q, want %q", name, got, want)
		}
	}
}
