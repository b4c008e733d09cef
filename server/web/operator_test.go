package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"tether/server/auth"
	"tether/server/mail"
	"tether/server/protocol"
	"tether/server/store"
)

// fakeMail keeps what the server mails; fail makes Send fail.
type fakeMail struct {
	mu   sync.Mutex
	sent []mail.Message
	fail error
}

func (f *fakeMail) Send(_ context.Context, m mail.Message) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return f.fail
	}
	f.sent = append(f.sent, m)
	return nil
}

func (f *fakeMail) last(t *testing.T) mail.Message {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.sent) == 0 {
		t.Fatal("nothing was mailed")
	}
	return f.sent[len(f.sent)-1]
}

const goodPassword = "correct horse battery"

// provider adds a provider with an owner whose password is goodPassword, and returns the owner.
func (h *harness) provider(name, email string) store.User {
	h.t.Helper()
	hash, err := auth.HashPassword(goodPassword)
	if err != nil {
		h.t.Fatal(err)
	}
	_, u, err := h.st.CreateProviderWithOwner(context.Background(), name, name+" Owner", email, hash)
	if err != nil {
		h.t.Fatal(err)
	}
	return u
}

// signIn signs a new browser in at path ("/login" or "/p/acme/login") and checks where it lands.
func (h *harness) signIn(path, email, pw string) (*browser, int, string, http.Header) {
	h.t.Helper()
	b := h.browser()
	b.get(path)
	code, body, hdr := b.post(path, url.Values{"email": {email}, "password": {pw}})
	return b, code, body, hdr
}

func TestOperatorPageIsTheOperatorsOnly(t *testing.T) {
	h := newHarness(t)
	op := h.signedUp("Hosting Co", "root@host.test")
	globex := h.provider("Globex", "gil@globex.test")
	gil, code, _, _ := h.signIn("/login", "gil@globex.test", goodPassword)
	if code != http.StatusSeeOther {
		t.Fatalf("gil signs in: %d", code)
	}
	if _, body, _ := op.get("/console"); !strings.Contains(body, `href="/operator"`) {
		t.Error("the operator's top bar has no Operator link")
	}
	if _, body, _ := gil.get("/console"); strings.Contains(body, `href="/operator"`) {
		t.Error("a provider's owner sees the Operator link")
	}
	code, body, _ := op.get("/operator")
	if code != http.StatusOK || !strings.Contains(body, "Globex") || !strings.Contains(body, "gil@globex.test") || !strings.Contains(body, "/p/globex") {
		t.Fatalf("operator page: %d", code)
	}
	for _, r := range []struct{ method, path string }{
		{"GET", "/operator"}, {"GET", "/operator/providers/" + globex.ProviderID}, {"POST", "/operator/providers"},
		{"POST", "/operator/signup"}, {"POST", "/operator/providers/" + globex.ProviderID + "/quotas"},
		{"POST", "/operator/providers/" + globex.ProviderID + "/disable"}, {"POST", "/operator/providers/" + globex.ProviderID + "/enable"},
	} {
		var code int
		if r.method == "GET" {
			code, _, _ = gil.get(r.path)
		} else {
			code, _, _ = gil.post(r.path, url.Values{"confirm": {"Globex"}, "open": {"1"}, "max_engineers": {"1"}, "max_sessions": {"1"}, "max_desks": {"1"}})
		}
		if code != http.StatusNotFound {
			t.Errorf("%s %s by a non-operator: %d, want 404", r.method, r.path, code)
		}
	}
	if p, _ := h.st.ProviderByID(context.Background(), globex.ProviderID); p.Disabled() || p.MaxEngineers != 0 {
		t.Error("a non-operator changed a provider")
	}
	if open, _ := h.st.SignupOpen(context.Background()); open {
		t.Error("a non-operator opened sign-up")
	}
	if code, _, _ := op.get("/operator/providers/nope"); code != http.StatusNotFound {
		t.Errorf("unknown provider: %d", code)
	}
}

var welcomeLink = regexp.MustCompile(`/welcome/([a-z2-7]+)`)

func TestOperatorCreatesProviderOwnerChoosesPassword(t *testing.T) {
	h := newHarness(t)
	op := h.signedUp("Hosting Co", "root@host.test")
	op.get("/operator")
	for _, bad := range []url.Values{
		{"provider": {"A company name far longer than thirty"}, "name": {"Ivy"}, "email": {"ivy@initech.test"}},
		{"provider": {"Initech"}, "name": {""}, "email": {"ivy@initech.test"}},
		{"provider": {"Initech"}, "name": {"Ivy"}, "email": {"not an email"}},
	} {
		code, body, _ := op.post("/operator/providers", bad)
		if code != http.StatusBadRequest || !strings.Contains(body, `class="error"`) || !strings.Contains(body, `value="`+bad.Get("provider")+`"`) {
			t.Errorf("create %v: %d, want 400 with the form kept", bad, code)
		}
	}
	code, body, _ := op.post("/operator/providers", url.Values{"provider": {"Initech"}, "name": {"Ivy Owner"}, "email": {"Ivy@Initech.test"}})
	m := welcomeLink.FindStringSubmatch(body)
	if code != http.StatusOK || m == nil || !strings.Contains(body, "shown only now") {
		t.Fatalf("create: %d, link %v", code, m)
	}
	ivy, err := userByEmail(h.st, "ivy@initech.test")
	if err != nil || ivy.Role != store.RoleOwner || ivy.Operator || ivy.PasswordHash != "" {
		t.Fatalf("owner = %+v, %v", ivy, err)
	}
	// Until the link is used nobody can sign in as the owner, not even with an empty password.
	if _, code, _, _ := h.signIn("/login", "ivy@initech.test", ""); code == http.StatusSeeOther {
		t.Fatal("signed in without a password")
	}
	anon := h.browser()
	if code, body, _ := anon.get(m[0]); code != http.StatusOK || !strings.Contains(body, "Initech") {
		t.Fatalf("welcome page: %d", code)
	}
	if code, body, _ := anon.post(m[0], url.Values{"password": {goodPassword}, "password2": {"something else"}}); code != http.StatusBadRequest || !strings.Contains(body, "different") {
		t.Errorf("mismatched passwords: %d", code)
	}
	if code, body, _ := anon.post(m[0], url.Values{"password": {"short"}, "password2": {"short"}}); code != http.StatusBadRequest || !strings.Contains(body, "at least") {
		t.Errorf("short password: %d", code)
	}
	if code, _, hdr := anon.post(m[0], url.Values{"password": {goodPassword}, "password2": {goodPassword}}); code != http.StatusSeeOther || hdr.Get("Location") != "/console" {
		t.Fatalf("set password: %d %s", code, hdr.Get("Location"))
	}
	if code, body, _ := anon.get("/console"); code != http.StatusOK || !strings.Contains(body, "Initech") {
		t.Errorf("the new owner's console: %d", code)
	}
	if code, _, _ := h.browser().get(m[0]); code != http.StatusNotFound {
		t.Errorf("the link a second time: %d, want 404", code)
	}

	// With a mail server the link is mailed and not shown.
	fm := &fakeMail{}
	h.srv.Mail = fm
	code, body, _ = op.post("/operator/providers", url.Values{"provider": {"Umbrella"}, "name": {"Uma"}, "email": {"uma@umbrella.test"}})
	if code != http.StatusOK || welcomeLink.MatchString(body) || !strings.Contains(body, "We emailed") {
		t.Fatalf("create with mail: %d", code)
	}
	if sent := fm.last(t); sent.To != "uma@umbrella.test" || !welcomeLink.MatchString(sent.Text) {
		t.Errorf("mail = %+v", sent)
	}
	// A mail server that fails: the provider exists, the link is shown instead.
	fm.fail = errors.New("550 no")
	code, body, _ = op.post("/operator/providers", url.Values{"provider": {"Stark"}, "name": {"Sam"}, "email": {"sam@stark.test"}})
	if code != http.StatusOK || !welcomeLink.MatchString(body) {
		t.Errorf("create with failing mail: %d, want the link shown", code)
	}
}

func TestOperatorSetsQuotasAndTheyAreEnforced(t *testing.T) {
	h := newHarness(t)
	op := h.signedUp("Hosting Co", "root@host.test")
	root, err := userByEmail(h.st, "root@host.test")
	if err != nil {
		t.Fatal(err)
	}
	path := "/operator/providers/" + root.ProviderID
	op.get(path)
	for _, bad := range []string{"-1", "abc", "100001", ""} {
		code, body, _ := op.post(path+"/quotas", url.Values{"max_engineers": {"5"}, "max_sessions": {bad}, "max_desks": {"0"}})
		if code != http.StatusBadRequest || !strings.Contains(body, "concurrent sessions must be a whole number") {
			t.Errorf("quota %q: %d", bad, code)
		}
	}
	code, _, hdr := op.post(path+"/quotas", url.Values{"max_engineers": {"5"}, "max_sessions": {"1"}, "max_desks": {"2"}})
	if code != http.StatusSeeOther {
		t.Fatalf("save quotas: %d", code)
	}
	if _, body, _ := op.get(hdr.Get("Location")); !strings.Contains(body, "Quotas saved") || !strings.Contains(body, "0 of 1") {
		t.Error("the provider page does not confirm the quotas")
	}
	p, _ := h.st.ProviderByID(context.Background(), root.ProviderID)
	if p.Quotas != (store.Quotas{MaxEngineers: 5, MaxSessions: 1, MaxDesks: 2}) {
		t.Fatalf("quotas = %+v", p.Quotas)
	}
	// One session fits; the second gets the limit in words, the form kept, and no 500.
	h.newSession(op, "Maria Lopez")
	code, body, _ := op.post("/sessions", url.Values{"customer": {"Second Customer"}})
	if code != http.StatusConflict || !strings.Contains(body, "allows at most 1 concurrent sessions") || !strings.Contains(body, `value="Second Customer"`) {
		t.Errorf("over quota from the console: %d", code)
	}
	// The same refusal through the central error handler, for every other place that creates one
	// (the portal, the API): a page, or JSON for scripts, never a 500.
	for _, accept := range []string{"text/html", "application/json"} {
		req := httptest.NewRequest(http.MethodPost, "/api/v1/sessions", nil)
		req.Header.Set("Accept", accept)
		rec := httptest.NewRecorder()
		h.srv.handleError(fmt.Errorf("create session: %w", &store.QuotaError{What: "concurrent sessions", Limit: 3}), h.srv.e.NewContext(req, rec))
		if rec.Code != http.StatusConflict || !strings.Contains(rec.Body.String(), "allows at most 3 concurrent sessions") {
			t.Errorf("quota error as %s: %d %s", accept, rec.Code, rec.Body)
		}
	}
	if !strings.Contains(h.logs.String(), "over quota") || strings.Contains(h.logs.String(), "level=ERROR") {
		t.Error("a quota refusal was logged as a server error")
	}
}

func TestOperatorDisablesAndEnablesProvider(t *testing.T) {
	h := newHarness(t)
	op := h.signedUp("Hosting Co", "root@host.test")
	root, _ := userByEmail(h.st, "root@host.test")
	globex := h.provider("Globex", "gil@globex.test")
	gil, _, _, _ := h.signIn("/login", "gil@globex.test", goodPassword)
	id, token := h.newSession(gil, "Maria Lopez")

	own := "/operator/providers/" + root.ProviderID
	op.get(own)
	if code, body, _ := op.post(own+"/disable", url.Values{"confirm": {"Hosting Co"}}); code != http.StatusBadRequest || !strings.Contains(body, "your own provider") {
		t.Errorf("disable own provider: %d", code)
	}
	path := "/operator/providers/" + globex.ProviderID
	if code, body, _ := op.post(path+"/disable", nil); code != http.StatusBadRequest || !strings.Contains(body, "Tick the box") {
		t.Errorf("disable without confirming: %d", code)
	}
	if p, _ := h.st.ProviderByID(context.Background(), globex.ProviderID); p.Disabled() {
		t.Fatal("disabled without confirmation")
	}
	code, _, hdr := op.post(path+"/disable", url.Values{"confirm": {"Globex"}})
	if code != http.StatusSeeOther {
		t.Fatalf("disable: %d", code)
	}
	if _, body, _ := op.get(hdr.Get("Location")); !strings.Contains(body, "Globex is disabled") {
		t.Error("no confirmation after disabling")
	}
	sess, err := h.st.SessionByID(context.Background(), globex.ProviderID, id)
	if err != nil || sess.State != store.StateEnded || sess.EndReason != protocol.EndProviderDisabled {
		t.Errorf("session after disable: %s %q, %v", sess.State, sess.EndReason, err)
	}
	// Gil's sign-in is gone: the console sends him to sign in, where he is refused.
	if code, _, hdr := gil.get("/console"); code != http.StatusSeeOther || hdr.Get("Location") != "/login?ended=1" {
		t.Errorf("gil's console after disable: %d %s", code, hdr.Get("Location"))
	}
	if _, code, body, _ := h.signIn("/login", "gil@globex.test", goodPassword); code != http.StatusForbidden || !strings.Contains(body, "disabled") {
		t.Errorf("gil signs in again: %d", code)
	}
	if code, body, _ := h.browser().get("/i/" + token); code != http.StatusForbidden || !strings.Contains(body, "Support portal closed") {
		t.Errorf("the customer's invitation: %d", code)
	}
	if code, _, _ := h.browser().get("/p/globex/"); code != http.StatusForbidden {
		t.Errorf("globex's portal: %d", code)
	}
	// Enabled again: people sign in, the ended session stays ended.
	if code, _, _ := op.post(path+"/enable", nil); code != http.StatusSeeOther {
		t.Fatalf("enable: %d", code)
	}
	if _, code, _, _ := h.signIn("/login", "gil@globex.test", goodPassword); code != http.StatusSeeOther {
		t.Errorf("gil after enable: %d", code)
	}
	if s, _ := h.st.SessionByID(context.Background(), globex.ProviderID, id); s.State != store.StateEnded {
		t.Error("the ended session came back")
	}
}

func TestSignupClosedOpenAndConfirmed(t *testing.T) {
	h := newHarness(t)
	op := h.signedUp("Hosting Co", "root@host.test")
	anon := h.browser()
	if code, body, _ := anon.get("/signup"); code != http.StatusNotFound || !strings.Contains(body, "Sign-up is closed") {
		t.Errorf("closed sign-up page: %d", code)
	}
	if _, body, _ := anon.get("/login"); strings.Contains(body, `href="/signup"`) {
		t.Error("the sign-in page links to a closed sign-up")
	}
	if code, _, _ := anon.post("/signup", url.Values{"provider": {"Globex"}, "name": {"Gil"}, "email": {"gil@globex.test"},
		"password": {goodPassword}, "password2": {goodPassword}}); code != http.StatusNotFound {
		t.Errorf("closed sign-up accepted a post: %d", code)
	}
	op.get("/operator")
	if code, _, _ := op.post("/operator/signup", url.Values{"open": {"1"}}); code != http.StatusSeeOther {
		t.Fatalf("open sign-up: %d", code)
	}
	if _, body, _ := anon.get("/login"); !strings.Contains(body, `href="/signup"`) {
		t.Error("the sign-in page does not link to the open sign-up")
	}
	if code, _, _ := anon.get("/p/hosting-co/signup"); code != http.StatusNotFound {
		t.Errorf("sign-up on a provider's address: %d", code)
	}

	// With a mail server: confirm first.
	fm := &fakeMail{}
	h.srv.Mail = fm
	anon.get("/signup")
	for _, bad := range []url.Values{
		{"provider": {"A company name far longer than thirty"}, "name": {"Gil"}, "email": {"gil@globex.test"}, "password": {goodPassword}, "password2": {goodPassword}},
		{"provider": {"Globex"}, "name": {"Gil"}, "email": {"gil@"}, "password": {goodPassword}, "password2": {goodPassword}},
		{"provider": {"Globex"}, "name": {"Gil"}, "email": {"gil@globex.test"}, "password": {goodPassword}, "password2": {"other"}},
		{"provider": {"Globex"}, "name": {"Gil"}, "email": {"gil@globex.test"}, "password": {"short"}, "password2": {"short"}},
	} {
		if code, body, _ := anon.post("/signup", bad); code != http.StatusBadRequest || !strings.Contains(body, `class="error"`) {
			t.Errorf("sign-up %v: %d", bad, code)
		}
	}
	code, body, _ := anon.post("/signup", url.Values{"provider": {"Globex"}, "name": {"Gil"}, "email": {"gil@globex.test"},
		"password": {goodPassword}, "password2": {goodPassword}})
	if code != http.StatusOK || !strings.Contains(body, "Check your email") {
		t.Fatalf("sign-up with mail: %d", code)
	}
	if users, _ := h.st.UsersByEmail(context.Background(), "gil@globex.test"); len(users) != 0 {
		t.Fatal("the provider was created before the email was confirmed")
	}
	link := regexp.MustCompile(`/signup/confirm/[a-z2-7]+`).FindString(fm.last(t).Text)
	if link == "" {
		t.Fatalf("no link in %q", fm.last(t).Text)
	}
	if code, body, _ := anon.get(link); code != http.StatusOK || !strings.Contains(body, "Create Globex") {
		t.Fatalf("confirm page: %d", code)
	}
	if code, _, hdr := anon.post(link, nil); code != http.StatusSeeOther || hdr.Get("Location") != "/console" {
		t.Fatalf("confirm: %d", code)
	}
	if code, body, _ := anon.get("/console"); code != http.StatusOK || !strings.Contains(body, "Globex") {
		t.Errorf("the new owner's console: %d", code)
	}
	if code, _, _ := h.browser().get(link); code != http.StatusNotFound {
		t.Errorf("confirm link again: %d", code)
	}
	gil, err := userByEmail(h.st, "gil@globex.test")
	if err != nil || gil.Role != store.RoleOwner || gil.Operator {
		t.Errorf("signed-up owner = %+v, %v", gil, err)
	}

	// A mail server that fails: a clear message, nothing created.
	fm.fail = errors.New("421 busy")
	code, body, _ = anon.post("/signup", url.Values{"provider": {"Initech"}, "name": {"Ivy"}, "email": {"ivy@initech.test"},
		"password": {goodPassword}, "password2": {goodPassword}})
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "could not send") {
		t.Errorf("sign-up with failing mail: %d", code)
	}

	// Without a mail server: created at once. The rate limit stops a flood from one address.
	h.srv.Mail = nil
	fresh := h.browser()
	fresh.get("/signup")
	code, _, hdr := fresh.post("/signup", url.Values{"provider": {"Umbrella"}, "name": {"Uma"}, "email": {"uma@umbrella.test"},
		"password": {goodPassword}, "password2": {goodPassword}})
	if code != http.StatusSeeOther || hdr.Get("Location") != "/console" {
		t.Fatalf("sign-up without mail: %d", code)
	}
	limited := false
	for range 10 {
		if code, _, _ := fresh.post("/signup", url.Values{"provider": {"Flood"}, "name": {"F"}, "email": {"f@flood.test"},
			"password": {"short"}, "password2": {"short"}}); code == http.StatusTooManyRequests {
			limited = true
			break
		}
	}
	if !limited {
		t.Error("sign-ups from one address are not rate limited")
	}
	// Closed again.
	op.post("/operator/signup", url.Values{"open": {"0"}})
	if code, _, _ := anon.get("/signup"); code != http.StatusNotFound {
		t.Errorf("sign-up after closing: %d", code)
	}
}

var choiceField = regexp.MustCompile(`name="choice" value="([^"]+)"`)

func TestSignInChooserForOneEmailAtTwoProviders(t *testing.T) {
	h := newHarness(t)
	h.signedUp("Acme", "sam@acme.test")
	// Sam works for Globex too, with the same password, and for Initech with another.
	globex := h.provider("Globex", "sam@acme.test")
	hash, _ := auth.HashPassword("initech password 1")
	if _, _, err := h.st.CreateProviderWithOwner(context.Background(), "Initech", "Sam", "sam@acme.test", hash); err != nil {
		t.Fatal(err)
	}
	b, code, body, _ := h.signIn("/login", "SAM@acme.test", goodPassword)
	choices := choiceField.FindAllStringSubmatch(body, -1)
	if code != http.StatusOK || len(choices) != 2 || !strings.Contains(body, "Sign in to Acme") || !strings.Contains(body, "Sign in to Globex") || strings.Contains(body, "Initech") {
		t.Fatalf("chooser: %d, %d choices", code, len(choices))
	}
	if c, _, _ := b.get("/console"); c == http.StatusOK {
		t.Fatal("signed in before choosing")
	}
	// A forged or tampered choice, and a real one in another browser, are refused.
	other := h.browser()
	other.get("/login")
	if code, _, _ := other.post("/login/choose", url.Values{"choice": {choices[1][1]}}); code != http.StatusForbidden {
		t.Errorf("a choice from another browser: %d", code)
	}
	if code, _, _ := b.post("/login/choose", url.Values{"choice": {choices[1][1] + "x"}}); code != http.StatusForbidden {
		t.Errorf("a tampered choice: %d", code)
	}
	code, _, hdr := b.post("/login/choose", url.Values{"choice": {choices[1][1]}})
	if code != http.StatusSeeOther || hdr.Get("Location") != "/console" {
		t.Fatalf("choose globex: %d", code)
	}
	code, body, _ = b.get("/console")
	if code != http.StatusOK || !strings.Contains(body, `class="brand-name">Globex`) || !strings.Contains(body, `href="/switch"`) {
		t.Errorf("globex console: %d, brand or switch link missing: %s", code, body)
	}
	// Switch provider lists the others; each asks for its own password on its own address.
	code, body, _ = b.get("/switch")
	if code != http.StatusOK || !strings.Contains(body, "/p/acme/login?email=sam%40acme.test") || !strings.Contains(body, "Initech") || strings.Contains(body, "/p/globex/login") {
		t.Errorf("switch page: %d", code)
	}
	// On Initech's address only Initech's account is tried: the Acme/Globex password fails there.
	if _, code, _, _ := h.signIn("/p/initech/login", "sam@acme.test", goodPassword); code != http.StatusUnauthorized {
		t.Errorf("the other accounts' password on initech's address: %d", code)
	}
	if _, body, _ := b.get("/p/initech/login?email=sam%40acme.test"); !strings.Contains(body, "Sign in to Initech") || !strings.Contains(body, `action="/p/initech/login"`) {
		t.Error("initech's sign-in page does not name it or post back to it")
	}
	code, _, _ = b.post("/p/initech/login", url.Values{"email": {"sam@acme.test"}, "password": {"initech password 1"}})
	if code != http.StatusSeeOther {
		t.Fatalf("switch to initech: %d", code)
	}
	if _, body, _ := b.get("/console"); !strings.Contains(body, `class="brand-name">Initech`) {
		t.Error("not in initech's console after switching")
	}
	// The choice expires.
	b2, _, body, _ := h.signIn("/login", "sam@acme.test", goodPassword)
	late := choiceField.FindStringSubmatch(body)
	h.clock.Add(choiceLifetime)
	if code, _, _ := b2.post("/login/choose", url.Values{"choice": {late[1]}}); code != http.StatusForbidden {
		t.Errorf("an expired choice: %d", code)
	}
	// A password that opens one of the accounts signs in to that one, without a chooser.
	if b3, code, _, hdr := h.signIn("/login", "sam@acme.test", "initech password 1"); code != http.StatusSeeOther || hdr.Get("Location") != "/console" {
		t.Errorf("initech's own password: %d", code)
	} else if _, body, _ := b3.get("/console"); !strings.Contains(body, `class="brand-name">Initech`) {
		t.Error("initech's password did not open initech")
	}
	// A disabled provider drops out of the chooser: one account left signs in at once.
	if _, _, err := h.st.DisableProvider(context.Background(), globex.ProviderID); err != nil {
		t.Fatal(err)
	}
	if _, code, _, hdr := h.signIn("/login", "sam@acme.test", goodPassword); code != http.StatusSeeOther || hdr.Get("Location") != "/console" {
		t.Errorf("with globex disabled: %d, want straight into acme", code)
	}
}
