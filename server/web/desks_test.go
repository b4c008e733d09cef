package web

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"tether/server/hub"
	"tether/server/protocol"
	"tether/server/store"
	"tether/static/locales"
)

// deskIDIn finds the id of the desk called name in the desks page.
var deskRow = regexp.MustCompile(`data-desk="([^"]+)" data-name="([^"]+)"`)

func deskIDIn(t *testing.T, body, name string) string {
	t.Helper()
	for _, m := range deskRow.FindAllStringSubmatch(body, -1) {
		if m[2] == name {
			return m[1]
		}
	}
	t.Fatalf("no desk %q on the page", name)
	return ""
}

// engineerIn makes an engineer of the harness's provider, member of desks, signed in.
func (h *harness) engineerIn(providerID, email string, desks ...string) (*browser, store.User) {
	h.t.Helper()
	u, err := h.st.CreateUser(context.Background(), store.User{ProviderID: providerID, Email: email, Name: strings.Split(email, "@")[0],
		PasswordHash: "x", Role: store.RoleEngineer}, desks...)
	if err != nil {
		h.t.Fatal(err)
	}
	b := h.browser()
	if err := h.srv.startLoginFor(b, u); err != nil {
		h.t.Fatal(err)
	}
	b.get("/console")
	return b, u
}

func TestDesksPage(t *testing.T) {
	h := newHarness(t)
	owner := h.signedUp("Acme", "erin@acme.test")
	if code, body, _ := owner.get("/settings/desks"); code != http.StatusOK || !strings.Contains(body, `data-name="Support"`) || !strings.Contains(body, `href="/settings/desks"`) {
		t.Fatalf("desks page: %d", code)
	}
	code, _, hdr := owner.post("/settings/desks", url.Values{"name": {"  Billing "}})
	if code != http.StatusSeeOther || !strings.HasPrefix(hdr.Get("Location"), "/settings/desks/") {
		t.Fatalf("create: %d %s", code, hdr.Get("Location"))
	}
	_, body, _ := owner.get("/settings/desks")
	billing := deskIDIn(t, body, "Billing")
	support := deskIDIn(t, body, "Support")

	for _, tt := range []struct {
		name, want string
		status     int
	}{
		{"billing", `Another desk is already called &#34;billing&#34;.`, http.StatusConflict},
		{"   ", "A desk name has 1 to 40 characters.", http.StatusBadRequest},
		{strings.Repeat("x", 41), "A desk name has 1 to 40 characters.", http.StatusBadRequest},
	} {
		code, body, _ := owner.post("/settings/desks", url.Values{"name": {tt.name}})
		if code != tt.status || !strings.Contains(body, tt.want) || !strings.Contains(body, `id="desk-error"`) {
			t.Errorf("create %q: %d, want %d with %q", tt.name, code, tt.status, tt.want)
		}
	}

	// Save name, members and template at once.
	p, err := h.st.ProviderBySlug(context.Background(), "acme")
	if err != nil {
		t.Fatal(err)
	}
	_, bob := h.engineerIn(p.ID, "bob@acme.test")
	code, _, hdr = owner.post("/settings/desks/"+billing, url.Values{"name": {"Billing & invoices"}, "member": {bob.ID},
		"allowed": {"limited", "clipboard"}, "default": {"limited"}})
	if code != http.StatusSeeOther || hdr.Get("Location") != "/settings/desks/"+billing+"?saved=1" {
		t.Fatalf("save: %d %s", code, hdr.Get("Location"))
	}
	d, err := h.st.DeskByID(context.Background(), p.ID, billing)
	if err != nil || d.Name != "Billing & invoices" || d.Allowed != protocol.GrantView|protocol.GrantLimited|protocol.GrantClipboard || d.Defaults != protocol.GrantView|protocol.GrantLimited {
		t.Fatalf("saved desk %+v, %v", d, err)
	}
	if of, _ := h.st.DesksOf(context.Background(), p.ID, bob.ID); len(of) != 1 || of[0].ID != billing {
		t.Fatalf("bob's desks %+v", of)
	}
	if code, body, _ := owner.get("/settings/desks/" + billing + "?saved=1"); code != http.StatusOK || !strings.Contains(body, `id="desk-saved"`) {
		t.Fatalf("desk page after saving: %d", code)
	}
	// A default that is not allowed is refused, and nothing changes.
	code, body, _ = owner.post("/settings/desks/"+billing, url.Values{"name": {"Renamed"}, "allowed": {"clipboard"}, "default": {"files"}})
	if code != http.StatusBadRequest || !strings.Contains(body, "must be allowed (Files)") {
		t.Fatalf("a default not allowed: %d", code)
	}
	if d, _ := h.st.DeskByID(context.Background(), p.ID, billing); d.Name != "Billing & invoices" {
		t.Fatalf("a refused save renamed the desk to %q", d.Name)
	}
	if code, _, _ := owner.post("/settings/desks/"+billing, url.Values{"name": {"x"}, "allowed": {"root"}}); code != http.StatusBadRequest {
		t.Fatalf("an unknown permission: %d", code)
	}

	// Delete: the default desk never, a desk with a live session not until it ends.
	code, body, _ = owner.post("/settings/desks/"+support+"/delete", nil)
	if code != http.StatusConflict || !strings.Contains(body, "is the default desk") {
		t.Fatalf("delete the default desk: %d", code)
	}
	sess, err := h.st.CreateSession(context.Background(), store.NewSession{ProviderID: p.ID, DeskID: billing, EngineerID: bob.ID,
		CustomerName: "Carl", TokenHash: "t1", Code: "ABCDEF", ExpiresAt: h.clock.Now().Add(3600e9)})
	if err != nil {
		t.Fatal(err)
	}
	if _, body, _ := owner.get("/settings/desks"); !strings.Contains(body, `data-waiting="1"`) {
		t.Error("the desks page does not count the waiting session")
	}
	code, body, _ = owner.post("/settings/desks/"+billing+"/delete", nil)
	if code != http.StatusConflict || !strings.Contains(body, "has 1 session or request not yet ended; end them first.") {
		t.Fatalf("delete a desk with a live session: %d", code)
	}
	if _, _, err := h.st.EndSession(context.Background(), sess.ID, "done", store.ActorSystem); err != nil {
		t.Fatal(err)
	}
	code, _, hdr = owner.post("/settings/desks/"+billing+"/delete", nil)
	if code != http.StatusSeeOther || !strings.HasPrefix(hdr.Get("Location"), "/settings/desks?deleted=") {
		t.Fatalf("delete an empty desk: %d %s", code, hdr.Get("Location"))
	}
	if _, body, _ := owner.get(hdr.Get("Location")); strings.Contains(body, `data-desk="`+billing+`"`) || !strings.Contains(body, "Desk Billing &amp; invoices deleted.") {
		t.Fatal("the deleted desk is still listed, or the page does not say so")
	}

	// Engineers may not manage desks.
	eb, _ := h.engineerIn(p.ID, "eve@acme.test")
	if code, _, _ := eb.get("/settings/desks"); code != http.StatusForbidden {
		t.Fatalf("an engineer on the desks page: %d", code)
	}
	if code, _, _ := eb.post("/settings/desks", url.Values{"name": {"Mine"}}); code != http.StatusForbidden {
		t.Fatalf("an engineer creating a desk: %d", code)
	}
}

// TestDesksOfAnotherProvider: every desk route answers 404 for another provider's desk and changes
// nothing.
func TestDesksOfAnotherProvider(t *testing.T) {
	h := newHarness(t)
	owner := h.signedUp("Acme", "erin@acme.test")
	ctx := context.Background()
	op, _, err := h.st.CreateProviderWithOwner(ctx, "Other Co", "Olga", "olga@other.test", "x")
	if err != nil {
		t.Fatal(err)
	}
	theirs, err := h.st.CreateDesk(ctx, op.ID, "Theirs")
	if err != nil {
		t.Fatal(err)
	}
	owner.get("/settings/desks")
	for _, r := range []struct {
		method, path string
		form         url.Values
	}{
		{http.MethodGet, "/settings/desks/" + theirs.ID, nil},
		{http.MethodPost, "/settings/desks/" + theirs.ID, url.Values{"name": {"Mine now"}}},
		{http.MethodPost, "/settings/desks/" + theirs.ID + "/delete", nil},
	} {
		var code int
		if r.method == http.MethodGet {
			code, _, _ = owner.get(r.path)
		} else {
			code, _, _ = owner.post(r.path, r.form)
		}
		if code != http.StatusNotFound {
			t.Errorf("%s %s: %d, want 404", r.method, r.path, code)
		}
	}
	if d, err := h.st.DeskByID(ctx, op.ID, theirs.ID); err != nil || d.Name != "Theirs" {
		t.Fatalf("the other provider's desk: %+v, %v", d, err)
	}
	// Nor can a session be opened in it.
	code, _, _ := owner.post("/sessions", url.Values{"customer": {"Carl"}, "desk": {theirs.ID}})
	if code != http.StatusNotFound {
		t.Fatalf("a session in another provider's desk: %d", code)
	}
}

func TestDeskQuotaIsSaid(t *testing.T) {
	h := newHarness(t)
	owner := h.signedUp("Acme", "erin@acme.test")
	p, err := h.st.ProviderBySlug(context.Background(), "acme")
	if err != nil {
		t.Fatal(err)
	}
	// The operator allows one desk: the default desk takes it.
	if err := h.st.SetQuotas(context.Background(), p.ID, store.Quotas{MaxDesks: 1}); err != nil {
		t.Fatal(err)
	}
	owner.get("/settings/desks")
	code, body, _ := owner.post("/settings/desks", url.Values{"name": {"Billing"}})
	if code != http.StatusConflict || !strings.Contains(body, "Your plan allows at most 1 desks.") || !strings.Contains(body, `value="Billing"`) {
		t.Fatalf("over quota: %d", code)
	}
}

// TestEngineerSeesOnlyOwnDeskSessions: an engineer of desk A lists only A's sessions and gets 404 on
// every route of a session of desk B, walked from the route table; owners see both.
func TestEngineerSeesOnlyOwnDeskSessions(t *testing.T) {
	h := newHarness(t)
	owner := h.signedUp("Acme", "erin@acme.test")
	ctx := context.Background()
	p, err := h.st.ProviderBySlug(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	a, err := h.st.CreateDesk(ctx, p.ID, "Desk A")
	if err != nil {
		t.Fatal(err)
	}
	b, err := h.st.CreateDesk(ctx, p.ID, "Desk B")
	if err != nil {
		t.Fatal(err)
	}
	alice, _ := h.engineerIn(p.ID, "alice@acme.test", a.ID)
	bob, _ := h.engineerIn(p.ID, "bob@acme.test", b.ID)
	_, body, _ := alice.get("/console")
	if strings.Contains(body, `id="new-desk"`) {
		t.Error("an engineer of one desk is asked to choose one")
	}
	aliceSess, _ := h.newSession(alice, "Anna of A")
	bobSess, _ := h.newSession(bob, "Bert of B")
	if s, _ := h.st.SessionByID(ctx, p.ID, aliceSess); s.DeskID != a.ID {
		t.Fatalf("alice's session went to desk %s, want her only desk", s.DeskID)
	}
	if _, body, _ := alice.get("/console/sessions"); !strings.Contains(body, "Anna of A") || strings.Contains(body, "Bert of B") {
		t.Fatal("alice's console does not list exactly her desk's sessions")
	}
	if _, body, _ := owner.get("/console/sessions"); !strings.Contains(body, "Anna of A") || !strings.Contains(body, "Bert of B") || !strings.Contains(body, `<span class="desk-name">Desk B</span>`) {
		t.Fatal("the owner does not see every desk's sessions")
	}
	if code, body, _ := alice.get("/sessions/" + aliceSess); code != http.StatusOK || !strings.Contains(body, `id="session-desk">Desk: Desk A<`) {
		t.Fatalf("alice's own session: %d (its page names its desk)", code)
	}
	walked := 0
	for _, r := range h.srv.e.Routes() {
		if !strings.Contains(r.Path, "/:id") || !(strings.HasPrefix(r.Path, "/sessions/") || strings.HasPrefix(r.Path, "/ws/viewer/")) {
			continue
		}
		path := strings.NewReplacer(":id", bobSess, ":n", "1").Replace(r.Path)
		var code int
		switch r.Method {
		case http.MethodGet:
			code, _, _ = alice.get(path)
		case http.MethodPost:
			code, _, _ = alice.post(path, url.Values{"summary": {"x"}})
		default:
			continue
		}
		if code != http.StatusNotFound {
			t.Errorf("alice %s %s for desk B's session: %d, want 404", r.Method, r.Path, code)
		}
		walked++
	}
	if walked < 14 { // the session routes on main when this was written
		t.Fatalf("walked only %d session routes", walked)
	}
	if s, _ := h.st.SessionByID(ctx, p.ID, bobSess); s.State == store.StateEnded || s.Summary != "" {
		t.Fatalf("alice changed desk B's session: %+v", s)
	}
	// Alice cannot open a session in desk B either; the owner chooses among all desks.
	if code, _, _ := alice.post("/sessions", url.Values{"customer": {"Carl"}, "desk": {b.ID}}); code != http.StatusNotFound {
		t.Fatalf("alice opening a session in desk B: %d", code)
	}
	if _, body, _ := owner.get("/console"); !strings.Contains(body, `id="new-desk"`) || !strings.Contains(body, "Desk B") {
		t.Fatal("the owner is not offered every desk")
	}
	code, _, hdr := owner.post("/sessions", url.Values{"customer": {"Dora"}, "desk": {b.ID}})
	if code != http.StatusSeeOther {
		t.Fatalf("owner opening a session in desk B: %d", code)
	}
	if s, _ := h.st.SessionByID(ctx, p.ID, strings.TrimPrefix(hdr.Get("Location"), "/sessions/")); s.DeskID != b.ID {
		t.Fatalf("the owner's session went to %s, want desk B", s.DeskID)
	}
	if _, body, _ := bob.get("/console/sessions"); !strings.Contains(body, "Dora") {
		t.Fatal("bob does not see the owner's session in his desk")
	}
}

// TestEveryGrantHasAnAdminLabel: a grant added to protocol shows on the desk page in words.
func TestEveryGrantHasAnAdminLabel(t *testing.T) {
	for _, lang := range []string{"en", "de", "zh-Hans"} {
		loc, err := locales.For(lang)
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range protocol.Each() {
			if adminGrantLabel(loc, g) == "" || strings.HasPrefix(adminGrantShort(loc, g), "admin_") {
				t.Errorf("grant %s has no label on the desk page in %s", g, lang)
			}
		}
	}
}

// TestConsoleUpdatesFollowDesks: an engineer's live console hears only of their desks' sessions, not
// even the ids of another desk's; the owner's hears of all.
func TestConsoleUpdatesFollowDesks(t *testing.T) {
	h := newHarness(t)
	owner := h.signedUp("Acme", "erin@acme.test")
	ctx := context.Background()
	p, err := h.st.ProviderBySlug(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	a, _ := h.st.CreateDesk(ctx, p.ID, "Desk A")
	b, _ := h.st.CreateDesk(ctx, p.ID, "Desk B")
	alice, _ := h.engineerIn(p.ID, "alice@acme.test", a.ID)
	bob, _ := h.engineerIn(p.ID, "bob@acme.test", b.ID)
	aliceWS, ownerWS := h.wsDial(alice, "/ws/console"), h.wsDial(owner, "/ws/console")
	next := func(c *websocket.Conn) string {
		t.Helper()
		var st protocol.State
		expect(t, c, protocol.SigState, &st)
		return st.SessionID
	}
	// Both consoles join their provider's updates just after their websockets open.
	for deadline := time.Now().Add(5 * time.Second); h.live.Hub().Counts()[hub.RoleConsole] < 2; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the consoles did not join")
		}
	}
	first, _ := h.newSession(alice, "Anna 1")
	if got := next(aliceWS); got != first {
		t.Fatalf("alice's console heard of %s first, want %s", got, first)
	}
	if got := next(ownerWS); got != first {
		t.Fatalf("the owner's console heard of %s first, want %s", got, first)
	}
	bobs, _ := h.newSession(bob, "Bert")
	second, _ := h.newSession(alice, "Anna 2")
	if got := next(aliceWS); got != second {
		t.Fatalf("alice's console heard of %s, want only her desk's %s (bob's is %s)", got, second, bobs)
	}
	if got := next(ownerWS); got != bobs {
		t.Fatalf("the owner's console heard of %s, want bob's %s", got, bobs)
	}
}
