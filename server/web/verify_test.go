package web

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"tether/server/auth"
	"tether/server/protocol"
	"tether/server/store"
)

// photoPNG is a small real photo for a profile.
func photoPNG(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	for i := range img.Pix {
		img.Pix[i] = 0x80
	}
	img.Set(1, 1, color.RGBA{R: 255, A: 255})
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// verifyFixture is Acme with Eve, an engineer whose profile has an employee number, a department and
// a photo, and a session of hers waiting for the customer.
type verifyFixture struct {
	acme  store.Provider
	eve   store.User
	sess  store.Session
	photo []byte
}

func newVerifyFixture(t *testing.T, h *harness) verifyFixture {
	t.Helper()
	ctx := context.Background()
	h.signedUp("Acme", "erin@acme.test")
	acme := h.providerBySlug("acme")
	f := verifyFixture{acme: acme, photo: photoPNG(t)}
	if _, err := h.srv.Blobs.Put(ctx, "photos/eve.png", bytes.NewReader(f.photo)); err != nil {
		t.Fatal(err)
	}
	var err error
	f.eve, err = h.st.CreateUser(ctx, store.User{ProviderID: acme.ID, Email: "eve@acme.test", Name: "Eve Example", PasswordHash: "h",
		Profile: store.Profile{FirstName: "Eve", LastName: "Example", EmployeeNo: "E-1042", Department: "Field support", PhotoKey: "photos/eve.png"}})
	if err != nil {
		t.Fatal(err)
	}
	desk, err := h.st.DefaultDesk(ctx, acme.ID)
	if err != nil {
		t.Fatal(err)
	}
	f.sess, err = h.st.CreateSession(ctx, store.NewSession{ProviderID: acme.ID, DeskID: desk.ID, EngineerID: f.eve.ID, CustomerName: "Maria",
		TokenHash: auth.HashToken("eve-" + store.NewID()), Code: "KQW7XR", ExpiresAt: h.clock.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// photoRef is the link a verification answer gives for u's photo (u may have none).
func photoRef(t *testing.T, h *harness, u store.User) string {
	t.Helper()
	return u.ID + "." + h.srv.photoMAC(u)
}

var presenceAttr = regexp.MustCompile(`data-presence="([a-z-]+)"`)

// verifyAnswer asks the page and returns the status, the presences shown and the body.
func verifyAnswer(t *testing.T, b *browser, path string) (int, []string, string) {
	t.Helper()
	code, body, _ := b.get(path)
	var got []string
	for _, m := range presenceAttr.FindAllStringSubmatch(body, -1) {
		got = append(got, m[1])
	}
	return code, got, body
}

func TestVerifyByCodeAndNumber(t *testing.T) {
	h := newHarness(t)
	f := newVerifyFixture(t, h)
	ctx := context.Background()
	cust := h.browser()

	if code, _, body := verifyAnswer(t, cust, "/p/acme/verify"); code != http.StatusOK || !strings.Contains(body, "Check who is helping you") ||
		!strings.Contains(body, `name="code"`) || !strings.Contains(body, `name="no"`) {
		t.Fatalf("empty page: %d %.300s", code, body)
	}
	// The server's own address has no engineers to show.
	if code, _, _ := verifyAnswer(t, cust, "/verify?no=E-1042"); code != http.StatusNotFound {
		t.Fatalf("on the server's own address: %d", code)
	}

	steps := []struct {
		name, path string
		before     func()
		want       string
	}{
		{"code of an invitation not yet used", "/p/acme/verify?code=KQW7XR", nil, "invited"},
		{"code typed loosely", "/p/acme/verify?code=" + url.QueryEscape(" kqw-7xr "), nil, "invited"},
		{"number of an engineer with an open invitation", "/p/acme/verify?no=" + url.QueryEscape(" e-1042 "), nil, "busy"},
		{"code once the program runs", "/p/acme/verify?code=KQW7XR", func() {
			if _, err := h.st.JoinAgent(ctx, f.sess.ID, store.AgentJoin{KeyHash: "k", Source: protocol.SourceCode, OS: "linux", Host: "pc", Instance: "test"}); err != nil {
				t.Fatal(err)
			}
		}, "joined"},
		{"code once the customer approved", "/p/acme/verify?code=KQW7XR", func() {
			if _, err := h.st.GiveConsent(ctx, f.sess.ID, protocol.GrantView); err != nil {
				t.Fatal(err)
			}
		}, "with-you"},
		{"number when the session ended", "/p/acme/verify?no=E-1042", func() {
			if _, _, err := h.st.EndSession(ctx, f.sess.ID, "done", store.ActorSystem); err != nil {
				t.Fatal(err)
			}
		}, "free"},
	}
	for _, st := range steps {
		if st.before != nil {
			st.before()
		}
		code, got, body := verifyAnswer(t, cust, st.path)
		if code != http.StatusOK || len(got) != 1 || got[0] != st.want {
			t.Fatalf("%s: %d, presence %v, want %s: %.400s", st.name, code, got, st.want, body)
		}
		for _, want := range []string{"Eve Example", "Field support", "E-1042", "Works for Acme"} {
			if !strings.Contains(body, want) {
				t.Errorf("%s: the answer lacks %q", st.name, want)
			}
		}
	}
	// An ended session's code is not found, like any other unknown code.
	if code, got, _ := verifyAnswer(t, cust, "/p/acme/verify?code=KQW7XR"); code != http.StatusNotFound || len(got) != 0 {
		t.Fatalf("ended session's code: %d %v", code, got)
	}

	// The photo: served on the provider's address from the answer's link, as an image.
	_, _, body := verifyAnswer(t, cust, "/p/acme/verify?no=E-1042")
	m := regexp.MustCompile(`<img class="verify-photo" src="([^"]+)"`).FindStringSubmatch(body)
	if m == nil || m[1] != "/p/acme/verify/photo/"+photoRef(t, h, f.eve) {
		t.Fatalf("photo link: %v", m)
	}
	for _, tt := range []struct {
		path string
		want int
	}{
		{"/p/acme/verify/photo/" + photoRef(t, h, f.eve), http.StatusOK},
		{"/p/acme/verify/photo/" + f.eve.ID + ".aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", http.StatusNotFound},
		{"/p/acme/verify/photo/" + f.eve.ID, http.StatusNotFound},
		{"/verify/photo/" + photoRef(t, h, f.eve), http.StatusNotFound},
	} {
		code, got, hdr := cust.get(tt.path)
		if code != tt.want {
			t.Errorf("GET %s: %d, want %d", tt.path, code, tt.want)
		}
		if tt.want == http.StatusOK && (got != string(f.photo) || hdr.Get("Content-Type") != "image/png") {
			t.Errorf("photo: %d bytes as %s", len(got), hdr.Get("Content-Type"))
		}
	}
	// Without a photo, the answer shows initials.
	if _, err := h.st.CreateUser(ctx, store.User{ProviderID: f.acme.ID, Email: "nils@acme.test", Name: "Nils Nobody", PasswordHash: "h",
		Profile: store.Profile{EmployeeNo: "E-2000"}}); err != nil {
		t.Fatal(err)
	}
	if _, _, body := verifyAnswer(t, cust, "/p/acme/verify?no=E-2000"); strings.Contains(body, "<img class=\"verify-photo\"") ||
		!strings.Contains(body, `verify-initials" aria-hidden="true">NN<`) {
		t.Errorf("no photo: %.600s", body)
	}
}

func TestVerifyNotFoundIsOneAnswer(t *testing.T) {
	h := newHarness(t)
	newVerifyFixture(t, h)
	cust := h.browser()
	answer := func(path string) string {
		code, got, body := verifyAnswer(t, cust, path)
		if code != http.StatusNotFound || len(got) != 0 || !strings.Contains(body, "No match found") {
			t.Fatalf("%s: %d %v", path, code, got)
		}
		return regexp.MustCompile(`(?s)<div class="verify-answer verify-none".*?</div>`).FindString(body)
	}
	first := answer("/p/acme/verify?no=E-9999")
	for _, path := range []string{"/p/acme/verify?code=ABCDEF", "/p/acme/verify?code=not+a+code", "/p/acme/verify?no=" + strings.Repeat("9", 200), "/p/acme/verify?no="} {
		if got := answer(path); got != first {
			t.Errorf("%s answers differently:\n%s\n%s", path, got, first)
		}
	}
}

func TestVerifyAnotherProvidersEngineerNotFound(t *testing.T) {
	h := newHarness(t)
	newVerifyFixture(t, h)
	other, olga, sess, _ := h.secondProvider()
	ctx := context.Background()
	if _, err := h.st.CreateUser(ctx, store.User{ProviderID: other.ID, Email: "otto@other.test", Name: "Otto Other", PasswordHash: "h",
		Profile: store.Profile{EmployeeNo: "O-7"}}); err != nil {
		t.Fatal(err)
	}
	cust := h.browser()
	// On its own address, the other provider's engineer and session are found...
	if code, got, _ := verifyAnswer(t, cust, "/p/"+other.Slug+"/verify?no=O-7"); code != http.StatusOK || len(got) != 1 {
		t.Fatalf("the other provider's number on its own address: %d %v", code, got)
	}
	if code, got, body := verifyAnswer(t, cust, "/p/"+other.Slug+"/verify?code="+sess.Code); code != http.StatusOK || len(got) != 1 || !strings.Contains(body, olga.Name) {
		t.Fatalf("the other provider's code on its own address: %d %v", code, got)
	}
	// ...and never on Acme's, where they answer like numbers nobody has.
	for _, path := range []string{"/p/acme/verify?no=O-7", "/p/acme/verify?code=" + sess.Code, "/p/acme/verify/photo/" + photoRef(t, h, olga)} {
		if code, got, body := verifyAnswer(t, cust, path); code != http.StatusNotFound || len(got) != 0 || strings.Contains(body, "Otto") || strings.Contains(body, olga.Name) {
			t.Errorf("%s on Acme's address: %d %v", path, code, got)
		}
	}
	// Eve's photo is not served on the other provider's address either.
	eve, err := userByEmail(h.st, "eve@acme.test")
	if err != nil {
		t.Fatal(err)
	}
	if code, _, _ := cust.get("/p/" + other.Slug + "/verify/photo/" + photoRef(t, h, eve)); code != http.StatusNotFound {
		t.Errorf("Acme's photo on the other address: %d", code)
	}
}

func TestVerifyRateLimited(t *testing.T) {
	h := newHarness(t)
	newVerifyFixture(t, h)
	cust := h.browser()
	for i := range rateVerifyAddr.Burst {
		if code, _, _ := verifyAnswer(t, cust, "/p/acme/verify?no=E-"+string(rune('a'+i))); code != http.StatusNotFound {
			t.Fatalf("check %d: %d, want a plain not found", i+1, code)
		}
	}
	code, got, body := verifyAnswer(t, cust, "/p/acme/verify?no=E-1042")
	if code != http.StatusTooManyRequests || len(got) != 0 || !strings.Contains(body, "Too many checks from your network") || strings.Contains(body, "Eve") {
		t.Fatalf("over the limit: %d %v %.300s", code, got, body)
	}
	// Codes spend the code page's budget, which is still there.
	if code, got, _ := verifyAnswer(t, cust, "/p/acme/verify?code=KQW7XR"); code != http.StatusOK || len(got) != 1 {
		t.Fatalf("a code while numbers are spent: %d %v", code, got)
	}
	// One more number after the steady rate's interval.
	h.clock.Add(rateVerifyAddr.Every)
	if code, got, _ := verifyAnswer(t, cust, "/p/acme/verify?no=E-1042"); code != http.StatusOK || len(got) != 1 {
		t.Fatalf("after %s: %d %v", rateVerifyAddr.Every, code, got)
	}
	if code, _, _ := verifyAnswer(t, cust, "/p/acme/verify?no=E-1042"); code != http.StatusTooManyRequests {
		t.Fatalf("right after: %d", code)
	}
	// The code budget runs out the same way, with the code page's wording.
	for range rateCodeAddr.Burst {
		cust.get("/p/acme/verify?code=AAAAAA")
	}
	if code, _, body := verifyAnswer(t, cust, "/p/acme/verify?code=KQW7XR"); code != http.StatusTooManyRequests || strings.Contains(body, "Eve") {
		t.Fatalf("codes over the limit: %d", code)
	}
}

func TestVerifyDeactivatedEngineer(t *testing.T) {
	h := newHarness(t)
	f := newVerifyFixture(t, h)
	ctx := context.Background()
	if _, err := h.st.DisableUser(ctx, f.acme.ID, f.eve.ID); err != nil {
		t.Fatal(err)
	}
	cust := h.browser()
	code, got, body := verifyAnswer(t, cust, "/p/acme/verify?no=E-1042")
	if code != http.StatusOK || len(got) != 1 || got[0] != "gone" || !strings.Contains(body, "Eve Example no longer works for Acme.") {
		t.Fatalf("deactivated: %d %v %.500s", code, got, body)
	}
	// Only the name: no photo, department or "works for".
	for _, not := range []string{"Field support", "verify/photo", "Works for Acme"} {
		if strings.Contains(body, not) {
			t.Errorf("a deactivated engineer's answer shows %q", not)
		}
	}
	if code, _, _ := cust.get("/p/acme/verify/photo/" + photoRef(t, h, f.eve)); code != http.StatusNotFound {
		t.Errorf("a deactivated engineer's photo: %d", code)
	}
}

func TestVerifyPageSpeaksTheCustomersLanguage(t *testing.T) {
	h := newHarness(t)
	newVerifyFixture(t, h)
	cust := h.browser()
	_, _, body := verifyAnswer(t, cust, "/p/acme/verify?lang=de&code=KQW7XR")
	if !strings.Contains(body, `<html lang="de">`) || !strings.Contains(body, "Eve Example hat Sie zu dieser Sitzung eingeladen.") {
		t.Fatalf("German: %.600s", body)
	}
}

func TestInvitationLinksToVerification(t *testing.T) {
	h := newHarness(t)
	owner := h.signedUp("Acme", "erin@acme.test")
	id, token := h.newSession(owner, "Maria")
	sess, err := h.st.SessionByIDUnscoped(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	cust := h.browser()
	for path, want := range map[string]string{
		"/p/acme/i/" + token: `href="/p/acme/verify?code=` + sess.Code + `"`,
		"/i/" + token:        `href="` + h.srv.Config.ProviderURL("acme") + `/verify?code=` + sess.Code + `"`,
	} {
		if _, body, _ := cust.get(path); !strings.Contains(body, want) {
			t.Errorf("%s lacks %s", path, want)
		}
	}
	// The link leads to Erin.
	if code, got, body := verifyAnswer(t, cust, "/p/acme/verify?code="+sess.Code); code != http.StatusOK || len(got) != 1 || !strings.Contains(body, "Erin Engineer") {
		t.Fatalf("following the link: %d %v", code, got)
	}
}

func TestTourShownUntilDismissed(t *testing.T) {
	h := newHarness(t)
	owner := h.signedUp("Acme", "erin@acme.test")
	if _, body, _ := owner.get("/console"); !strings.Contains(body, `data-start="true"`) || !strings.Contains(body, `a[href=&#34;/settings&#34;]`) {
		t.Fatalf("a new owner's console: tour not shown, or without the settings step")
	}
	// Without the CSRF header nothing is recorded.
	req, _ := http.NewRequest(http.MethodPost, h.ts.URL+"/console/tour/dismiss", nil)
	resp, err := owner.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("dismiss without CSRF: %d", resp.StatusCode)
	}
	if code, _ := owner.postJSON("/console/tour/dismiss", nil); code != http.StatusNoContent {
		t.Fatalf("dismiss: %d", code)
	}
	_, body, _ := owner.get("/console")
	if !strings.Contains(body, `data-start="false"`) || !strings.Contains(body, `id="tour-replay"`) {
		t.Fatal("after dismissing: the tour still starts by itself, or cannot be replayed")
	}
	// An engineer's tour has no settings step.
	eng, _ := h.engineerIn(h.providerBySlug("acme").ID, "ed@acme.test")
	if _, body, _ := eng.get("/console"); !strings.Contains(body, `data-start="true"`) || strings.Contains(body, `a[href=&#34;/settings&#34;]`) {
		t.Fatal("an engineer's console: tour not shown, or with the settings step")
	}
}

func TestAgentDownloadCarriesVerifyLink(t *testing.T) {
	h := newHarness(t)
	owner := h.signedUp("Acme", "erin@acme.test")
	id, token := h.newSession(owner, "Maria")
	sess, err := h.st.SessionByIDUnscoped(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(h.ts.URL + "/p/acme/i/" + token + "/agent/linux-amd64")
	if err != nil {
		t.Fatal(err)
	}
	bin, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	set, err := protocol.ReadSettings(bytes.NewReader(bin), int64(len(bin)), agentSigningKey.Public().(ed25519.PublicKey))
	if err != nil || set.Code != sess.Code || set.VerifyURL() != h.ts.URL+"/p/acme/verify?code="+sess.Code {
		t.Fatalf("settings %+v, %v", set, err)
	}
	// The address the program prints leads to Erin.
	path := strings.TrimPrefix(set.VerifyURL(), h.ts.URL)
	if code, got, body := verifyAnswer(t, h.browser(), path); code != http.StatusOK || len(got) != 1 || !strings.Contains(body, "Erin Engineer") {
		t.Fatalf("%s: %d %v", path, code, got)
	}
}

func TestVerifyRequestWaitingForAnEngineer(t *testing.T) {
	h := newHarness(t)
	f := newVerifyFixture(t, h)
	ctx := context.Background()
	desk, err := h.st.DefaultDesk(ctx, f.acme.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.st.CreateSession(ctx, store.NewSession{ProviderID: f.acme.ID, DeskID: desk.ID, Origin: protocol.OriginPortal, CustomerName: "Rita",
		TokenHash: auth.HashToken("rita-" + store.NewID()), Code: "RQ7ABC", ExpiresAt: h.clock.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	code, got, body := verifyAnswer(t, h.browser(), "/p/acme/verify?code=rq7abc")
	if code != http.StatusOK || len(got) != 1 || got[0] != "queued" || !strings.Contains(body, "Your request to Acme is waiting for an engineer.") ||
		strings.Contains(body, "verify-name") {
		t.Fatalf("a request nobody accepted: %d %v %.400s", code, got, body)
	}
}
