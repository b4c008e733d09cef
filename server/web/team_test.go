package web

import (
	"context"
	"html"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	smtpd "github.com/emersion/go-smtp"

	"tether/server/auth"
	"tether/server/mail"
	"tether/server/protocol"
	"tether/server/store"
)

var teamLinkRE = regexp.MustCompile(`id="team-link-url" value="([^"]+)"`)

// handedLink is the one-time link the team page shows to hand over.
func handedLink(t *testing.T, body string) string {
	t.Helper()
	m := teamLinkRE.FindStringSubmatch(body)
	if m == nil {
		t.Fatal("the team page shows no link to hand over")
	}
	return html.UnescapeString(m[1])
}

// pathOf is the path of an absolute link on the test server.
func pathOf(t *testing.T, link string) string {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	return u.Path
}

func TestTeamInviteJoinAndDeactivate(t *testing.T) {
	h := newHarness(t)
	owner := h.signedUp("Acme", "erin@acme.test")
	if code, body, _ := owner.get("/console"); code != http.StatusOK || !strings.Contains(body, `href="/settings/team"`) {
		t.Fatalf("console has no Team link: %d", code)
	}
	code, body, _ := owner.get("/settings/team")
	if code != http.StatusOK || !strings.Contains(body, "erin@acme.test") || !strings.Contains(body, "Create invitation link") {
		t.Fatalf("team page: %d", code)
	}
	desk, err := h.st.DefaultDesk(context.Background(), userMust(t, h, "erin@acme.test").ProviderID)
	if err != nil {
		t.Fatal(err)
	}
	// Bad input keeps what was typed and says why.
	code, body, _ = owner.post("/settings/team/invites", url.Values{"email": {"not an email"}, "name": {"Eve"}, "role": {"engineer"}})
	if code != http.StatusBadRequest || !strings.Contains(body, "valid email") || !strings.Contains(body, `value="Eve"`) {
		t.Fatalf("bad email: %d", code)
	}
	code, body, _ = owner.post("/settings/team/invites", url.Values{"email": {"eve@acme.test"}, "name": {"Eve Engineer"}, "role": {"engineer"}, "desk": {desk.ID}})
	if code != http.StatusOK {
		t.Fatalf("invite: %d %s", code, body)
	}
	link := handedLink(t, body)
	if !strings.HasPrefix(link, h.ts.URL+"/p/acme/join/") {
		t.Fatalf("invitation link %q is not on the provider's address", link)
	}
	if !strings.Contains(body, `data-invite=`) || !strings.Contains(body, "Support") {
		t.Fatal("the pending invitation is not listed with its desk")
	}
	// The same email again is refused while it has an account.
	code, body, _ = owner.post("/settings/team/invites", url.Values{"email": {"ERIN@acme.test"}, "role": {"engineer"}})
	if code != http.StatusConflict || !strings.Contains(body, "already has an account") {
		t.Fatalf("invite of an existing account: %d", code)
	}

	// The invited person opens the link, branded by the provider.
	eve := h.browser()
	code, body, _ = eve.get(pathOf(t, link))
	if code != http.StatusOK || !strings.Contains(body, "Join Acme") || !strings.Contains(body, "Erin Engineer invited you") || !strings.Contains(body, "eve@acme.test") {
		t.Fatalf("join page: %d", code)
	}
	code, body, _ = eve.post(pathOf(t, link), url.Values{"name": {"Eve Engineer"}, "password": {"short"}, "password2": {"short"}})
	if code != http.StatusBadRequest || !strings.Contains(body, "at least 10 characters") {
		t.Fatalf("short password: %d", code)
	}
	code, _, hdr := eve.post(pathOf(t, link), url.Values{"name": {"Eve Engineer"}, "password": {"eve's long password"}, "password2": {"eve's long password"}})
	if code != http.StatusSeeOther || hdr.Get("Location") != "/console" {
		t.Fatalf("join: %d %s", code, hdr.Get("Location"))
	}
	if code, body, _ := eve.get("/console"); code != http.StatusOK || !strings.Contains(body, "Eve Engineer") {
		t.Fatalf("console after join: %d", code)
	}
	// A used link, an unknown one and a made-up one all get the same neutral page (on one address: a
	// provider's address carries its brand).
	gone := []string{pathOf(t, link), "/p/acme/join/" + strings.Repeat("a", 32), "/p/acme/join/x", "/p/acme/join/" + strings.Repeat("b", 32)}
	var first string
	for _, p := range gone {
		code, body, _ := h.browser().get(p)
		if code != http.StatusNotFound || !strings.Contains(body, "cannot be used") {
			t.Fatalf("GET %s: %d", p, code)
		}
		body = regexp.MustCompile(`content="[^"]*"`).ReplaceAllString(body, "")
		if first == "" {
			first = body
		} else if body != first {
			t.Fatalf("GET %s answers differently from a used link", p)
		}
	}
	// The engineer cannot reach the team page.
	if code, body, _ := eve.get("/settings/team"); code != http.StatusForbidden || !strings.Contains(body, "Only the owner and admins") {
		t.Fatalf("engineer on the team page: %d", code)
	}
	if code, _, _ := eve.post("/settings/team/invites", url.Values{"email": {"x@acme.test"}}); code != http.StatusForbidden {
		t.Fatalf("engineer invited: %d", code)
	}

	// Eve has a live session and an open console; deactivation ends both at once.
	sessID, invToken := h.newSession(eve, "Maria Lopez")
	consoleWS := h.wsDial(eve, "/ws/console")
	pageWS := h.wsDial(nil, "/ws/invite/"+invToken)
	eveUser := userMust(t, h, "eve@acme.test")
	owner.get("/settings/team")
	code, _, hdr = owner.post("/settings/team/"+eveUser.ID+"/deactivate", nil)
	if code != http.StatusSeeOther || !strings.HasPrefix(hdr.Get("Location"), "/settings/team?done=deactivated") {
		t.Fatalf("deactivate: %d %s", code, hdr.Get("Location"))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for {
		if _, _, err := consoleWS.Read(ctx); err != nil {
			if websocket.CloseStatus(err) != protocol.CloseSignedOut {
				t.Fatalf("console socket closed with %v, want signed out", err)
			}
			break
		}
	}
	sess, err := h.st.SessionByID(ctx, eveUser.ProviderID, sessID)
	if err != nil || sess.State != store.StateEnded || sess.EndReason != protocol.EndEngineerDeactivated {
		t.Fatalf("Eve's session after deactivation: %s %q, %v", sess.State, sess.EndReason, err)
	}
	for {
		_, msg, err := pageWS.Read(ctx)
		if err != nil {
			t.Fatalf("the customer's page heard no end: %v", err)
		}
		if strings.Contains(string(msg), protocol.EndEngineerDeactivated) {
			break
		}
	}
	if code, _, hdr := eve.get("/console"); code != http.StatusSeeOther || hdr.Get("Location") != "/login?ended=1" {
		t.Fatalf("console after deactivation: %d %s", code, hdr.Get("Location"))
	}
	if _, body, _ := eve.get("/login?ended=1"); !strings.Contains(body, "You were signed out") {
		t.Fatal("the sign-in page does not say the sign-in ended")
	}
	code, body, _ = eve.post("/login", url.Values{"email": {"eve@acme.test"}, "password": {"eve's long password"}})
	if code != http.StatusForbidden || !strings.Contains(body, "deactivated") {
		t.Fatalf("deactivated sign-in: %d", code)
	}
	if _, body, _ := owner.get("/settings/team?done=deactivated&user=" + eveUser.ID); !strings.Contains(body, "Eve Engineer is deactivated") || !strings.Contains(body, `data-status="deactivated"`) {
		t.Fatal("the team page does not show the deactivation")
	}
	// Reactivated, Eve signs in again.
	owner.post("/settings/team/"+eveUser.ID+"/reactivate", nil)
	if code, _, _ := eve.post("/login", url.Values{"email": {"eve@acme.test"}, "password": {"eve's long password"}}); code != http.StatusSeeOther {
		t.Fatalf("sign-in after reactivation: %d", code)
	}
}

func userMust(t *testing.T, h *harness, email string) store.User {
	t.Helper()
	u, err := userByEmail(h.st, email)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestTeamRefusals(t *testing.T) {
	h := newHarness(t)
	owner := h.signedUp("Acme", "erin@acme.test")
	ctx := context.Background()
	erin := userMust(t, h, "erin@acme.test")
	admin, err := h.st.CreateUser(ctx, store.User{ProviderID: erin.ProviderID, Email: "al@acme.test", Name: "Al Admin", Role: store.RoleAdmin})
	if err != nil {
		t.Fatal(err)
	}
	eng, _ := h.st.CreateUser(ctx, store.User{ProviderID: erin.ProviderID, Email: "eve@acme.test", Name: "Eve", Role: store.RoleEngineer})
	al := h.browser()
	if err := h.srv.startLoginFor(al, admin); err != nil {
		t.Fatal(err)
	}
	al.get("/settings/team")
	owner.get("/settings/team")

	// A second provider, whose ids every route answers 404 to.
	_, olga, err := h.st.CreateProviderWithOwner(ctx, "Other Co", "Olga", "olga@other.test", "hash")
	if err != nil {
		t.Fatal(err)
	}
	otherEng, _ := h.st.CreateUser(ctx, store.User{ProviderID: olga.ProviderID, Email: "oscar@other.test", Name: "Oscar"})
	otherInv, err := h.st.CreateInvite(ctx, store.NewInvite{ProviderID: olga.ProviderID, ActorID: olga.ID, Email: "new@other.test", TokenHash: "other-invite", Expires: h.clock.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	// Another provider's real invitation link answers 404 on this provider's address, and works on its own.
	otherTok := auth.NewToken()
	if _, err := h.st.CreateInvite(ctx, store.NewInvite{ProviderID: olga.ProviderID, ActorID: olga.ID, Email: "nia@other.test",
		TokenHash: auth.HashToken(otherTok), Expires: h.clock.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if code, _, _ := h.browser().get("/p/acme/join/" + otherTok); code != http.StatusNotFound {
		t.Errorf("another provider's invitation on this provider's address: %d, want 404", code)
	}
	if code, body, _ := h.browser().get("/p/other-co/join/" + otherTok); code != http.StatusOK || !strings.Contains(body, "Join Other Co") {
		t.Errorf("the invitation on its own provider's address: %d", code)
	}
	for _, p := range []string{"/deactivate", "/reactivate", "/reset", "/role"} {
		if code, _, _ := owner.post("/settings/team/"+otherEng.ID+p, url.Values{"role": {"admin"}}); code != http.StatusNotFound {
			t.Errorf("POST %s with another provider's user: %d, want 404", p, code)
		}
	}
	if code, _, _ := owner.post("/settings/team/owner", url.Values{"user": {otherEng.ID}}); code != http.StatusNotFound {
		t.Errorf("ownership to another provider's user: %d, want 404", code)
	}
	if code, _, _ := owner.post("/settings/team/invites/"+otherInv.ID+"/revoke", nil); code != http.StatusNotFound {
		t.Errorf("revoke another provider's invitation: %d, want 404", code)
	}

	refusals := []struct {
		name string
		b    *browser
		path string
		form url.Values
		want int
		says string
	}{
		{"owner cannot be deactivated", al, "/settings/team/" + erin.ID + "/deactivate", nil, http.StatusForbidden, "transfer ownership to someone else first"},
		{"owner cannot deactivate themselves", owner, "/settings/team/" + erin.ID + "/deactivate", nil, http.StatusForbidden, "your own account"},
		{"admin cannot make admins", al, "/settings/team/" + eng.ID + "/role", url.Values{"role": {"admin"}}, http.StatusForbidden, "only the owner can make admins"},
		{"admin cannot invite admins", al, "/settings/team/invites", url.Values{"email": {"new@acme.test"}, "role": {"admin"}}, http.StatusForbidden, "Only the owner can make admins"},
		{"nobody is made owner by a role change", owner, "/settings/team/" + eng.ID + "/role", url.Values{"role": {"owner"}}, http.StatusBadRequest, "cannot be given"},
		{"admin cannot transfer ownership", al, "/settings/team/owner", url.Values{"user": {eng.ID}}, http.StatusForbidden, "Only the owner can transfer ownership"},
		{"admin cannot reset the owner's password", al, "/settings/team/" + erin.ID + "/reset", nil, http.StatusForbidden, "transfer ownership to someone else first"},
	}
	for _, tt := range refusals {
		t.Run(tt.name, func(t *testing.T) {
			code, body, _ := tt.b.post(tt.path, tt.form)
			if code != tt.want || !strings.Contains(strings.ToLower(html.UnescapeString(body)), strings.ToLower(tt.says)) {
				t.Fatalf("%d, want %d saying %q", code, tt.want, tt.says)
			}
		})
	}
	if u, _ := h.st.UserByID(ctx, erin.ProviderID, erin.ID); u.Disabled() || u.Role != store.RoleOwner {
		t.Fatal("the owner was changed by a refused request")
	}

	// The owner transfers ownership; the old owner is an admin and can now be managed by the new one.
	code, _, hdr := owner.post("/settings/team/owner", url.Values{"user": {admin.ID}})
	if code != http.StatusSeeOther || !strings.Contains(hdr.Get("Location"), "done=owner") {
		t.Fatalf("transfer: %d", code)
	}
	if _, body, _ := owner.get("/settings/team?done=owner&user=" + admin.ID); !strings.Contains(body, "Al Admin is now the owner") || strings.Contains(body, `id="transfer"`) {
		t.Fatal("after the transfer the old owner's page still offers the transfer, or says nothing")
	}
	al.get("/settings/team")
	if code, _, _ := al.post("/settings/team/"+erin.ID+"/deactivate", nil); code != http.StatusSeeOther {
		t.Fatalf("new owner deactivates the old one: %d", code)
	}
}

// quotaStore answers every invitation with the engineers quota reached, for a provider whose plan has three
// seats.
type quotaStore struct{ Store }

func (q quotaStore) ProviderByID(ctx context.Context, id string) (store.Provider, error) {
	p, err := q.Store.ProviderByID(ctx, id)
	p.MaxEngineers = 3
	return p, err
}

func (quotaStore) CreateInvite(context.Context, store.NewInvite) (store.AccountToken, error) {
	return store.AccountToken{}, &store.QuotaError{What: "engineers", Limit: 3}
}

func TestTeamInviteOverQuota(t *testing.T) {
	h := newHarnessWith(t, nil, func(d *Deps) { d.Store = quotaStore{d.Store} })
	owner := h.signedUp("Acme", "erin@acme.test")
	if _, body, _ := owner.get("/settings/team"); !strings.Contains(body, "1 of 3 seats used") {
		t.Fatal("the team page does not show the seats used")
	}
	code, body, _ := owner.post("/settings/team/invites", url.Values{"email": {"eve@acme.test"}, "name": {"Eve"}})
	want := (&store.QuotaError{What: "engineers", Limit: 3}).Message()
	if code != http.StatusForbidden || !strings.Contains(body, want) || !strings.Contains(body, `value="eve@acme.test"`) {
		t.Fatalf("over quota: %d, want the quota message %q and the form kept", code, want)
	}
}

// smtpSink is a fake SMTP server that keeps every message it receives.
type smtpSink struct {
	mu   sync.Mutex
	msgs []string
	rcpt []string
	fail bool
}

type sinkSession struct{ s *smtpSink }

func (ss sinkSession) Reset()        {}
func (ss sinkSession) Logout() error { return nil }
func (ss sinkSession) Mail(string, *smtpd.MailOptions) error {
	return nil
}
func (ss sinkSession) Rcpt(to string, _ *smtpd.RcptOptions) error {
	ss.s.mu.Lock()
	defer ss.s.mu.Unlock()
	if ss.s.fail {
		return &smtpd.SMTPError{Code: 550, Message: "mailbox unavailable"}
	}
	ss.s.rcpt = append(ss.s.rcpt, to)
	return nil
}
func (ss sinkSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	ss.s.mu.Lock()
	ss.s.msgs = append(ss.s.msgs, string(b))
	ss.s.mu.Unlock()
	return nil
}

// startSMTPSink serves a fake SMTP server on loopback and returns it with its smtp:// URL.
func startSMTPSink(t *testing.T) (*smtpSink, string) {
	t.Helper()
	sink := &smtpSink{}
	srv := smtpd.NewServer(smtpd.BackendFunc(func(*smtpd.Conn) (smtpd.Session, error) { return sinkSession{sink}, nil }))
	srv.Domain = "localhost"
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return sink, "smtp://" + l.Addr().String()
}

func TestTeamMailsInvitationsAndResets(t *testing.T) {
	sink, smtpURL := startSMTPSink(t)
	sender, err := mail.NewSMTP(smtpURL, "support@tether.test")
	if err != nil {
		t.Fatal(err)
	}
	h := newHarnessWith(t, nil, func(d *Deps) { d.Mail = sender })
	owner := h.signedUp("Acme", "erin@acme.test")
	if _, body, _ := owner.get("/settings/team"); !strings.Contains(body, "Send invitation") {
		t.Fatal("with SMTP the form does not say it mails")
	}
	code, body, _ := owner.post("/settings/team/invites", url.Values{"email": {"eve@acme.test"}, "name": {"Eve"}, "role": {"engineer"}})
	if code != http.StatusOK || !strings.Contains(body, "Invitation sent to eve@acme.test") || strings.Contains(body, `id="team-link-url"`) {
		t.Fatalf("mailed invitation: %d", code)
	}
	sink.mu.Lock()
	if len(sink.msgs) != 1 || len(sink.rcpt) != 1 || sink.rcpt[0] != "eve@acme.test" {
		sink.mu.Unlock()
		t.Fatalf("mails %d to %v", len(sink.msgs), sink.rcpt)
	}
	msg := sink.msgs[0]
	sink.mu.Unlock()
	link := regexp.MustCompile(`http://\S+/p/acme/join/[a-z2-7]{32}`).FindString(msg)
	if link == "" || !strings.Contains(msg, "Hello Eve,") || !strings.Contains(msg, "Erin Engineer invited you to join Acme") {
		t.Fatalf("the invitation mail carries no link:\n%s", msg)
	}
	eve := h.browser()
	eve.get(pathOf(t, link))
	if code, _, _ := eve.post(pathOf(t, link), url.Values{"name": {"Eve"}, "password": {"eve's long password"}, "password2": {"eve's long password"}}); code != http.StatusSeeOther {
		t.Fatalf("join with the mailed link: %d", code)
	}
	consoleWS := h.wsDial(eve, "/ws/console")

	// A reset link is mailed too; using it ends Eve's other sign-ins and signs this browser in.
	eveUser := userMust(t, h, "eve@acme.test")
	owner.get("/settings/team")
	if code, body, _ := owner.post("/settings/team/"+eveUser.ID+"/reset", nil); code != http.StatusOK || !strings.Contains(body, "password reset link was emailed to eve@acme.test") {
		t.Fatalf("mailed reset: %d", code)
	}
	sink.mu.Lock()
	reset := regexp.MustCompile(`http://\S+/p/acme/reset/[a-z2-7]{32}`).FindString(sink.msgs[len(sink.msgs)-1])
	sink.mu.Unlock()
	if reset == "" {
		t.Fatal("the reset mail carries no link")
	}
	other := h.browser()
	if code, body, _ := other.get(pathOf(t, reset)); code != http.StatusOK || !strings.Contains(body, "Choose a new password") {
		t.Fatalf("reset page: %d", code)
	}
	if code, body, _ := other.post(pathOf(t, reset), url.Values{"password": {"a new long password"}, "password2": {"not the same one"}}); code != http.StatusBadRequest || !strings.Contains(body, "different") {
		t.Fatalf("mismatched reset: %d", code)
	}
	if code, _, hdr := other.post(pathOf(t, reset), url.Values{"password": {"a new long password"}, "password2": {"a new long password"}}); code != http.StatusSeeOther || hdr.Get("Location") != "/console" {
		t.Fatalf("reset: %d", code)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for {
		if _, _, err := consoleWS.Read(ctx); err != nil {
			if websocket.CloseStatus(err) != protocol.CloseSignedOut {
				t.Fatalf("old console socket closed with %v, want signed out", err)
			}
			break
		}
	}
	if code, _, _ := eve.get("/console"); code != http.StatusSeeOther {
		t.Fatalf("the old sign-in survived the reset: %d", code)
	}
	if code, _, _ := other.get("/console"); code != http.StatusOK {
		t.Fatalf("the reset did not sign in: %d", code)
	}
	if code, _, _ := h.browser().get(pathOf(t, reset)); code != http.StatusNotFound {
		t.Fatalf("reset link used twice: %d", code)
	}

	// A failing mail server loses nothing: the admin gets the link to hand over.
	sink.mu.Lock()
	sink.fail = true
	sink.mu.Unlock()
	code, body, _ = owner.post("/settings/team/invites", url.Values{"email": {"zed@acme.test"}})
	if code != http.StatusOK || !strings.Contains(body, "could not be sent") || !strings.Contains(handedLink(t, body), "/p/acme/join/") {
		t.Fatalf("failed mail: %d", code)
	}
	if !strings.Contains(h.logs.String(), "mail a one-time link") {
		t.Fatal("the failed mail is not logged")
	}
}

func TestChoosePassword(t *testing.T) {
	tests := []struct {
		pw, again, says string
	}{
		{"correct horse battery", "correct horse battery", ""},
		{"correct horse battery", "correct horse batterY", "The two passwords are different."},
		{"short", "short", "The password needs at least 10 characters."},
		{strings.Repeat("x", 73), strings.Repeat("x", 73), "The password can have at most 72 bytes."},
	}
	for _, tt := range tests {
		hash, msg := choosePassword(tt.pw, tt.again)
		if msg != tt.says || (msg == "") != (hash != "") {
			t.Errorf("choosePassword(%q): hash %t, message %q; want %q", tt.pw, hash != "", msg, tt.says)
		}
	}
}
