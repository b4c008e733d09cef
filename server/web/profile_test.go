package web

import (
	"context"
	"html"
	"image/color"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"tether/server/auth"
	"tether/server/mail"
	"tether/server/store"
)

func TestProfileSavedAndRefusedWithReasons(t *testing.T) {
	h := newHarness(t)
	b := h.signedUp("Acme", "erin@acme.test")
	code, body, _ := b.get("/profile")
	if code != http.StatusOK || !strings.Contains(body, `value="Erin"`) || !strings.Contains(body, `value="Engineer"`) {
		t.Fatalf("profile page: %d, the display name is not offered split into first and last name", code)
	}
	good := url.Values{"first_name": {" Erin  Maria "}, "last_name": {"Engel"}, "employee_no": {"E-1042"}, "department": {"Field Service"},
		"country": {"DE"}, "language": {"de"}, "time_zone": {"Europe/Berlin"}, "clock": {"12"}}
	bad := url.Values{}
	for k, v := range good {
		bad[k] = v
	}
	bad.Set("employee_no", "E<1042>")
	bad.Set("time_zone", "Mars/Olympus_Mons")
	bad.Set("country", "XX")
	code, body, _ = b.post("/profile", bad)
	if code != http.StatusBadRequest {
		t.Fatalf("bad profile: %d", code)
	}
	for _, want := range []string{"Remove the characters &lt; and &gt;", "Choose a time zone from the list.", "Choose one of the list.", `value="Field Service"`, `value="E&lt;1042&gt;"`} {
		if !strings.Contains(body, want) {
			t.Errorf("refused profile lacks %q", want)
		}
	}
	u, _ := userByEmail(h.st, "erin@acme.test")
	if u.EmployeeNo != "" || u.TimeZone != "" {
		t.Fatalf("a refused form changed the profile: %+v", u.Profile)
	}
	if code, _, hdr := b.post("/profile", good); code != http.StatusSeeOther || hdr.Get("Location") != "/profile?saved=profile" {
		t.Fatalf("save profile: %d %s", code, hdr.Get("Location"))
	}
	u, _ = userByEmail(h.st, "erin@acme.test")
	if u.Name != "Erin Maria Engel" || u.FirstName != "Erin Maria" || u.EmployeeNo != "E-1042" || u.Department != "Field Service" ||
		u.Country != "DE" || u.Language != "de" || u.TimeZone != "Europe/Berlin" || !u.Clock12h {
		t.Fatalf("saved profile: %q %+v", u.Name, u.Profile)
	}
	// The page now speaks German, with German country names.
	_, body, _ = b.get("/profile?saved=profile")
	if !strings.Contains(body, "Profil gespeichert.") || !strings.Contains(body, ">Deutschland</option>") {
		t.Fatal("the saved profile page is not in German")
	}
}

func TestProfilePhoto(t *testing.T) {
	h := newHarness(t)
	b := h.signedUp("Acme", "erin@acme.test")
	b.get("/profile")
	code, body, _ := b.postBranding("/profile/photo", nil, map[string][]byte{"photo": pngOf(t, 900, 600, color.RGBA{R: 200, G: 80, B: 40})})
	if code != http.StatusSeeOther {
		t.Fatalf("upload photo: %d %s", code, body)
	}
	u, _ := userByEmail(h.st, "erin@acme.test")
	if !strings.HasPrefix(u.PhotoKey, photoPrefix) {
		t.Fatalf("photo key %q", u.PhotoKey)
	}
	anon := h.browser()
	code, img, hdr := anon.get(photoURL(u.PhotoKey))
	if code != http.StatusOK || hdr.Get("Content-Type") != "image/jpeg" || len(img) > 40<<10 {
		t.Fatalf("photo: %d %s %d bytes", code, hdr.Get("Content-Type"), len(img))
	}
	if code, _, _ := anon.get("/photos/" + strings.Repeat("a", 32) + ".jpg"); code != http.StatusNotFound {
		t.Fatalf("a made-up photo name: %d", code)
	}
	code, body, _ = b.postBranding("/profile/photo", nil, map[string][]byte{"photo": []byte("not a picture")})
	if code != http.StatusBadRequest || !strings.Contains(body, "not a PNG, JPEG or WebP picture") {
		t.Fatalf("a text file as photo: %d", code)
	}
	if u2, _ := userByEmail(h.st, "erin@acme.test"); u2.PhotoKey != u.PhotoKey {
		t.Fatal("a refused upload replaced the photo")
	}
	if code, _, _ := b.post("/profile/photo/remove", nil); code != http.StatusSeeOther {
		t.Fatalf("remove photo: %d", code)
	}
	if code, _, _ := anon.get(photoURL(u.PhotoKey)); code != http.StatusNotFound {
		t.Fatalf("removed photo still served: %d", code)
	}
}

func TestChangePasswordEndsOtherSignIns(t *testing.T) {
	h := newHarness(t)
	b := h.signedUp("Acme", "erin@acme.test")
	other, code, _, _ := h.signIn("/login", "erin@acme.test", goodPassword)
	if code != http.StatusSeeOther {
		t.Fatalf("second sign-in: %d", code)
	}
	b.get("/profile")
	code, body, _ := b.post("/profile/password", url.Values{"current": {"wrong password!"}, "password": {"a new long password"}, "password2": {"a new long password"}})
	if code != http.StatusUnauthorized || !strings.Contains(body, "Your current password is not right.") {
		t.Fatalf("wrong current password: %d", code)
	}
	code, body, _ = b.post("/profile/password", url.Values{"current": {goodPassword}, "password": {"short"}, "password2": {"short"}})
	if code != http.StatusBadRequest || !strings.Contains(body, "at least 10 characters") {
		t.Fatalf("short password: %d", code)
	}
	if code, _, _ := b.post("/profile/password", url.Values{"current": {goodPassword}, "password": {"a new long password"}, "password2": {"a new long password"}}); code != http.StatusSeeOther {
		t.Fatalf("change password: %d", code)
	}
	if code, _, _ := b.get("/console"); code != http.StatusOK {
		t.Fatalf("this sign-in after the change: %d", code)
	}
	if code, _, hdr := other.get("/console"); code != http.StatusSeeOther || hdr.Get("Location") != "/login?ended=1" {
		t.Fatalf("the other sign-in after the change: %d %s", code, hdr.Get("Location"))
	}
	if _, code, _, _ := h.signIn("/login", "erin@acme.test", "a new long password"); code != http.StatusSeeOther {
		t.Fatalf("sign in with the new password: %d", code)
	}
}

var secretRE = regexp.MustCompile(`id="enrol-secret">([A-Z2-7 ]+)<`)
var codesRE = regexp.MustCompile(`<li class="code">([a-z0-9-]+)</li>`)

// enrol turns two-factor sign-in on for the signed-in browser and returns the secret and recovery codes.
func enrol(t *testing.T, h *harness, b *browser) (string, []string) {
	t.Helper()
	code, body, _ := b.get("/profile/2fa")
	m := secretRE.FindStringSubmatch(body)
	if code != http.StatusOK || m == nil || !strings.Contains(body, "data:image/png;base64,") {
		t.Fatalf("enrolment page: %d", code)
	}
	secret := strings.ReplaceAll(m[1], " ", "")
	code, body, _ = b.post("/profile/2fa", url.Values{"code": {"000000"}})
	if code != http.StatusBadRequest || !strings.Contains(body, secretRE.FindString(body)) || secretRE.FindStringSubmatch(body)[1] != m[1] {
		t.Fatalf("a wrong code at enrolment: %d, or the secret changed", code)
	}
	now, _ := totp.GenerateCode(secret, h.clock.Now())
	code, body, _ = b.post("/profile/2fa", url.Values{"code": {now}})
	var codes []string
	for _, c := range codesRE.FindAllStringSubmatch(body, -1) {
		codes = append(codes, c[1])
	}
	if code != http.StatusOK || len(codes) != auth.RecoveryCodeCount {
		t.Fatalf("confirm enrolment: %d, %d recovery codes", code, len(codes))
	}
	return secret, codes
}

var stepTokenRE = regexp.MustCompile(`name="token" value="([^"]+)"`)

// passwordStep signs in with the password and returns the browser and the code page's token.
func passwordStep(t *testing.T, h *harness, email, pw string) (*browser, string) {
	t.Helper()
	b, code, body, _ := h.signIn("/login", email, pw)
	m := stepTokenRE.FindStringSubmatch(body)
	if code != http.StatusOK || m == nil || !strings.Contains(body, "Two-factor sign-in") {
		t.Fatalf("password step: %d", code)
	}
	return b, html.UnescapeString(m[1])
}

var csrfInput = regexp.MustCompile(`(name="csrf-token" content="|name="_csrf" value=")[^"]+"`)

func TestTwoFactorSignIn(t *testing.T) {
	h := newHarness(t)
	owner := h.signedUp("Acme", "erin@acme.test")
	secret, codes := enrol(t, h, owner)
	// The enrolment used this step's code: the next sign-in needs the next one.
	h.clock.Add(30 * time.Second)

	// A wrong code gets exactly the answer of a wrong password.
	_, wrongPwCode, wrongPwBody, _ := h.signIn("/login", "erin@acme.test", "not the password")
	b, tok := passwordStep(t, h, "erin@acme.test", goodPassword)
	code, body, _ := b.post("/login/2fa", url.Values{"token": {tok}, "code": {"123456"}})
	norm := func(s string) string { return csrfInput.ReplaceAllString(s, "") }
	if code != wrongPwCode || code != http.StatusUnauthorized || norm(body) != norm(wrongPwBody) {
		t.Fatalf("wrong code: %d vs wrong password %d; same page: %v", code, wrongPwCode, norm(body) == norm(wrongPwBody))
	}
	// The right code signs in, once.
	now, _ := totp.GenerateCode(secret, h.clock.Now())
	if code, _, hdr := b.post("/login/2fa", url.Values{"token": {tok}, "code": {now}}); code != http.StatusSeeOther || hdr.Get("Location") != "/console" {
		t.Fatalf("right code: %d %s", code, hdr.Get("Location"))
	}
	if code, _, _ := b.get("/console"); code != http.StatusOK {
		t.Fatalf("console after two steps: %d", code)
	}
	b2, tok2 := passwordStep(t, h, "erin@acme.test", goodPassword)
	if code, _, _ := b2.post("/login/2fa", url.Values{"token": {tok2}, "code": {now}}); code != http.StatusUnauthorized {
		t.Fatalf("the same code again (replay): %d", code)
	}
	// A recovery code works once.
	b3, tok3 := passwordStep(t, h, "erin@acme.test", goodPassword)
	if code, _, _ := b3.post("/login/2fa", url.Values{"token": {tok3}, "code": {strings.ToUpper(codes[3])}}); code != http.StatusSeeOther {
		t.Fatalf("recovery code: %d", code)
	}
	b4, tok4 := passwordStep(t, h, "erin@acme.test", goodPassword)
	if code, _, _ := b4.post("/login/2fa", url.Values{"token": {tok4}, "code": {codes[3]}}); code != http.StatusUnauthorized {
		t.Fatalf("a used recovery code: %d", code)
	}
	// A token from another browser (another CSRF cookie), or a forged one, is refused.
	b5 := h.browser()
	b5.get("/login")
	if code, _, _ := b5.post("/login/2fa", url.Values{"token": {tok4}, "code": {now}}); code != http.StatusForbidden {
		t.Fatalf("another browser's step token: %d", code)
	}
	// Wrong codes count towards the account's lock (a full sign-in clears the count): the used recovery
	// code above and four more wrong codes make five, and then even the right password is refused.
	h.clock.Add(time.Minute)
	for range 4 {
		b6, tok6 := passwordStep(t, h, "erin@acme.test", goodPassword)
		b6.post("/login/2fa", url.Values{"token": {tok6}, "code": {"000000"}})
	}
	// (A right password does not clear the count while a code is still to come.)
	_, code, body, _ = h.signIn("/login", "erin@acme.test", goodPassword)
	if code != http.StatusTooManyRequests || !strings.Contains(body, "Too many failed sign-ins") {
		t.Fatalf("after 5 failures: %d", code)
	}
	// Turning it off needs the password and a code.
	h.clock.Add(time.Minute)
	owner.get("/profile")
	if code, _, _ := owner.post("/profile/2fa/disable", url.Values{"current": {goodPassword}, "code": {"000000"}}); code != http.StatusBadRequest {
		t.Fatalf("disable with a wrong code: %d", code)
	}
	later, _ := totp.GenerateCode(secret, h.clock.Now())
	if code, _, _ := owner.post("/profile/2fa/disable", url.Values{"current": {goodPassword}, "code": {later}}); code != http.StatusSeeOther {
		t.Fatalf("disable: %d", code)
	}
	if u, _ := userByEmail(h.st, "erin@acme.test"); u.TwoFactor() || u.TOTPSecret != "" {
		t.Fatal("two-factor still on")
	}
}

func TestTwoFactorCountsTowardsTheAddressLimit(t *testing.T) {
	h := newHarness(t)
	owner := h.signedUp("Acme", "erin@acme.test")
	enrol(t, h, owner)
	b, tok := passwordStep(t, h, "erin@acme.test", goodPassword)
	// The address's burst is 10 attempts; the password step took one, so the tenth code is the 11th.
	last := 0
	for i := 0; i < 10; i++ {
		last, _, _ = b.post("/login/2fa", url.Values{"token": {tok}, "code": {"000000"}})
		h.st.ClearSignInFailures(context.Background(), accountKey("erin@acme.test"))
	}
	if last != http.StatusTooManyRequests {
		t.Fatalf("the 11th attempt from one address: %d", last)
	}
}

func TestRequireTwoFactorSendsToEnrolment(t *testing.T) {
	h := newHarness(t)
	owner := h.signedUp("Acme", "erin@acme.test")
	u, _ := userByEmail(h.st, "erin@acme.test")
	eng, _ := h.engineerIn(u.ProviderID, "ed@acme.test")
	owner.get("/settings")
	form := url.Values{"session_max_minutes": {"120"}, "idle_timeout_minutes": {"30"}, "recording_retention_days": {"30"},
		"file_max_mb": {"100"}, "request_timeout_minutes": {"15"}, "require_2fa": {"1"}}
	if code, body, _ := owner.post("/settings", form); code != http.StatusSeeOther {
		t.Fatalf("require two-factor: %d %s", code, body)
	}
	if p, _ := h.st.ProviderByID(context.Background(), u.ProviderID); !p.Require2FA {
		t.Fatal("not stored")
	}
	for _, path := range []string{"/console", "/profile", "/settings"} {
		if code, _, hdr := owner.get(path); code != http.StatusSeeOther || hdr.Get("Location") != "/profile/2fa" {
			t.Fatalf("GET %s without two-factor: %d %s", path, code, hdr.Get("Location"))
		}
	}
	if code, _, _ := eng.post("/sessions", url.Values{"customer": {"Carl"}}); code != http.StatusForbidden {
		t.Fatalf("POST /sessions without two-factor: %d", code)
	}
	if code, body, _ := owner.get("/profile/2fa"); code != http.StatusOK || !strings.Contains(body, `id="enrol-required"`) {
		t.Fatalf("enrolment page: %d", code)
	}
	enrol(t, h, owner)
	if code, _, _ := owner.get("/console"); code != http.StatusOK {
		t.Fatalf("console after enrolling: %d", code)
	}
	// And it cannot be turned off while required.
	owner.get("/profile")
	if code, body, _ := owner.post("/profile/2fa/disable", url.Values{"current": {goodPassword}, "code": {"000000"}}); code != http.StatusBadRequest ||
		!strings.Contains(body, "cannot be turned off") {
		t.Fatalf("disable while required: %d", code)
	}
}

func TestActiveSignIns(t *testing.T) {
	h := newHarness(t)
	b := h.signedUp("Acme", "erin@acme.test")
	other, _, _, _ := h.signIn("/login", "erin@acme.test", goodPassword)
	third, _, _, _ := h.signIn("/login", "erin@acme.test", goodPassword)
	_, body, _ := b.get("/profile")
	ids := regexp.MustCompile(`/profile/signins/([0-9a-f]{16})/end`).FindAllStringSubmatch(body, -1)
	if len(ids) != 2 || strings.Count(body, "This device") != 1 || !strings.Contains(body, "127.0.0.1") {
		t.Fatalf("%d other sign-ins listed", len(ids))
	}
	// Someone else's sign-in id answers 404.
	h2b := h.browser()
	u, _ := userByEmail(h.st, "erin@acme.test")
	stranger, err := h.st.CreateUser(context.Background(), store.User{ProviderID: u.ProviderID, Email: "sam@acme.test", Name: "Sam", PasswordHash: "x"})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.srv.startLoginFor(h2b, stranger); err != nil {
		t.Fatal(err)
	}
	h2b.get("/profile")
	if code, _, _ := h2b.post("/profile/signins/"+ids[0][1]+"/end", nil); code != http.StatusNotFound {
		t.Fatalf("ending another user's sign-in: %d", code)
	}
	if code, _, _ := b.post("/profile/signins/"+ids[0][1]+"/end", nil); code != http.StatusSeeOther {
		t.Fatalf("end one: %d", code)
	}
	ended := 0
	for _, x := range []*browser{other, third} {
		if code, _, _ := x.get("/console"); code == http.StatusSeeOther {
			ended++
		}
	}
	if ended != 1 {
		t.Fatalf("%d sign-ins ended, want 1", ended)
	}
	if code, _, _ := b.post("/profile/signins/others", nil); code != http.StatusSeeOther {
		t.Fatal(code)
	}
	for _, x := range []*browser{other, third} {
		if code, _, _ := x.get("/console"); code != http.StatusSeeOther {
			t.Fatalf("a sign-in survived sign out everywhere else: %d", code)
		}
	}
	if code, _, _ := b.get("/console"); code != http.StatusOK {
		t.Fatalf("this sign-in: %d", code)
	}
}

func TestDeleteAccount(t *testing.T) {
	h := newHarness(t)
	owner := h.signedUp("Acme", "erin@acme.test")
	u, _ := userByEmail(h.st, "erin@acme.test")
	owner.get("/profile")
	code, body, _ := owner.post("/profile/delete", url.Values{"current": {goodPassword}})
	if code != http.StatusForbidden || !strings.Contains(body, "Transfer ownership") || !strings.Contains(body, `href="/settings/team"`) {
		t.Fatalf("the owner deletes their account: %d", code)
	}
	hash, _ := auth.HashPassword(goodPassword)
	ed, err := h.st.CreateUser(context.Background(), store.User{ProviderID: u.ProviderID, Email: "ed@acme.test", Name: "Ed Engineer", PasswordHash: hash})
	if err != nil {
		t.Fatal(err)
	}
	b, code, _, _ := h.signIn("/login", "ed@acme.test", goodPassword)
	if code != http.StatusSeeOther {
		t.Fatal(code)
	}
	ended, _ := h.newSession(b, "Carl Customer")
	b.post("/sessions/"+ended+"/end", nil)
	live, _ := h.newSession(b, "Dora Customer")
	b.get("/profile")
	if code, _, _ := b.post("/profile/delete", url.Values{"current": {"wrong password!"}}); code != http.StatusUnauthorized {
		t.Fatalf("delete with a wrong password: %d", code)
	}
	if code, _, hdr := b.post("/profile/delete", url.Values{"current": {goodPassword}}); code != http.StatusSeeOther || hdr.Get("Location") != "/login?deleted=1" {
		t.Fatalf("delete: %d %s", code, hdr.Get("Location"))
	}
	if code, _, _ := b.get("/console"); code != http.StatusSeeOther {
		t.Fatalf("the deleted account's browser: %d", code)
	}
	if _, code, _, _ := h.signIn("/login", "ed@acme.test", goodPassword); code != http.StatusUnauthorized {
		t.Fatalf("sign in to a deleted account: %d", code)
	}
	for _, id := range []string{ended, live} {
		s, err := h.st.SessionByID(context.Background(), u.ProviderID, id)
		if err != nil || s.State != store.StateEnded {
			t.Fatalf("session %s after delete: %v %v", id, s.State, err)
		}
		_, body, _ := owner.get("/sessions/" + id)
		if !strings.Contains(body, "Ed Engineer") {
			t.Fatalf("session %s lost its engineer's name", id)
		}
	}
	_, body, _ = owner.get("/settings/team")
	if strings.Contains(body, "ed@acme.test") || strings.Contains(body, "deleted.invalid") {
		t.Fatal("the deleted account is still on the team page")
	}
	// The email can be invited again.
	if _, err := h.st.CreateUser(context.Background(), store.User{ProviderID: u.ProviderID, Email: "ed@acme.test", Name: "Ed Again", PasswordHash: "x"}); err != nil {
		t.Fatalf("the email of a deleted account: %v", err)
	}
	_ = ed
}

// mailbox is a mail.Sender that keeps what it was given.
type mailbox struct {
	mu  sync.Mutex
	got []mail.Message
}

func (m *mailbox) Send(_ context.Context, msg mail.Message) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.got = append(m.got, msg)
	return nil
}

func (m *mailbox) wait(t *testing.T, n int) []mail.Message {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		m.mu.Lock()
		got := append([]mail.Message(nil), m.got...)
		m.mu.Unlock()
		if len(got) >= n {
			return got
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("%d mails, want %d", len(m.got), n)
	return nil
}

func TestForgotPassword(t *testing.T) {
	t.Run("without mail", func(t *testing.T) {
		h := newHarness(t)
		h.signedUp("Acme", "erin@acme.test")
		code, body, _ := h.browser().get("/forgot")
		if code != http.StatusOK || !strings.Contains(body, "Ask your administrator") || strings.Contains(body, `name="email"`) {
			t.Fatalf("forgot without mail: %d", code)
		}
	})
	box := &mailbox{}
	h := newHarnessWith(t, nil, func(d *Deps) { d.Mail = box })
	h.signedUp("Acme", "erin@acme.test")
	_, body, _ := h.browser().get("/login")
	if !strings.Contains(body, `href="/forgot"`) {
		t.Fatal("no Forgot password? link")
	}
	b := h.browser()
	b.get("/forgot")
	code, known, _ := b.post("/forgot", url.Values{"email": {"Erin@acme.test"}})
	_, unknown, _ := b.post("/forgot", url.Values{"email": {"nobody@acme.test"}})
	norm := func(s string) string {
		return strings.NewReplacer("Erin@acme.test", "X", "nobody@acme.test", "X").Replace(csrfInput.ReplaceAllString(s, ""))
	}
	if code != http.StatusOK || norm(known) != norm(unknown) || !strings.Contains(known, "is on its way") {
		t.Fatalf("known and unknown emails answered differently (%d)", code)
	}
	msgs := box.wait(t, 1)
	link := regexp.MustCompile(`/p/acme/reset/[a-z2-7]{32}`).FindString(msgs[0].Text)
	if msgs[0].To != "erin@acme.test" || link == "" {
		t.Fatalf("mail: %+v", msgs[0])
	}
	r := h.browser()
	r.get(link)
	if code, _, _ := r.post(link, url.Values{"password": {"a brand new password"}, "password2": {"a brand new password"}}); code != http.StatusSeeOther {
		t.Fatalf("reset: %d", code)
	}
	if _, code, _, _ := h.signIn("/login", "erin@acme.test", "a brand new password"); code != http.StatusSeeOther {
		t.Fatalf("sign in with the reset password: %d", code)
	}
	// Rate limited per address.
	last := 0
	for range 6 {
		last, _, _ = b.post("/forgot", url.Values{"email": {"x@acme.test"}})
	}
	if last != http.StatusTooManyRequests {
		t.Fatalf("forgot after many tries: %d", last)
	}
}

func TestAdminTurnsOffTwoFactor(t *testing.T) {
	h := newHarness(t)
	owner := h.signedUp("Acme", "erin@acme.test")
	u, _ := userByEmail(h.st, "erin@acme.test")
	hash, _ := auth.HashPassword(goodPassword)
	ed, err := h.st.CreateUser(context.Background(), store.User{ProviderID: u.ProviderID, Email: "ed@acme.test", Name: "Ed Engineer", PasswordHash: hash})
	if err != nil {
		t.Fatal(err)
	}
	b, _, _, _ := h.signIn("/login", "ed@acme.test", goodPassword)
	enrol(t, h, b)
	_, body, _ := owner.get("/settings/team")
	if !strings.Contains(body, "/settings/team/"+ed.ID+"/2fa-off") {
		t.Fatal("the Manage menu offers no way to turn Ed's two-factor sign-in off")
	}
	// An engineer manages nobody.
	b.get("/console")
	if code, _, _ := b.post("/settings/team/"+u.ID+"/2fa-off", nil); code != http.StatusForbidden && code != http.StatusNotFound {
		t.Fatalf("an engineer turns off the owner's two-factor: %d", code)
	}
	if code, _, hdr := owner.post("/settings/team/"+ed.ID+"/2fa-off", nil); code != http.StatusSeeOther || !strings.Contains(hdr.Get("Location"), "done=2fa_off") {
		t.Fatalf("turn off: %d %s", code, hdr.Get("Location"))
	}
	if got, _ := userByEmail(h.st, "ed@acme.test"); got.TwoFactor() {
		t.Fatal("still on")
	}
	if _, code, _, hdr := h.signIn("/login", "ed@acme.test", goodPassword); code != http.StatusSeeOther || hdr.Get("Location") != "/console" {
		t.Fatalf("sign in after: %d", code)
	}
}
