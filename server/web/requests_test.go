package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"tether/server/hub"
	"tether/server/protocol"
	"tether/server/store"
)

// requestWorld is Acme with its owner Erin, Ed an engineer of its default desk and Nia an engineer of no
// desk, each with a browser.
type requestWorld struct {
	h             *harness
	erin, ed, nia *browser
	provider      store.Provider
	edUser        store.User
}

func newRequestWorld(t *testing.T) requestWorld {
	t.Helper()
	h := newHarness(t)
	w := requestWorld{h: h, erin: h.signedUp("Acme", "erin@acme.test")}
	ctx := context.Background()
	owner, err := userByEmail(h.st, "erin@acme.test")
	if err != nil {
		t.Fatal(err)
	}
	if w.provider, err = h.st.ProviderByID(ctx, owner.ProviderID); err != nil {
		t.Fatal(err)
	}
	desk, err := h.st.DefaultDesk(ctx, owner.ProviderID)
	if err != nil {
		t.Fatal(err)
	}
	w.edUser, err = h.st.CreateUser(ctx, store.User{ProviderID: owner.ProviderID, Email: "ed@acme.test", Name: "Ed Engineer", PasswordHash: "x", Role: store.RoleEngineer}, desk.ID)
	if err != nil {
		t.Fatal(err)
	}
	nia, err := h.st.CreateUser(ctx, store.User{ProviderID: owner.ProviderID, Email: "nia@acme.test", Name: "Nia", PasswordHash: "x", Role: store.RoleEngineer})
	if err != nil {
		t.Fatal(err)
	}
	w.ed, w.nia = h.browser(), h.browser()
	for u, b := range map[*store.User]*browser{&w.edUser: w.ed, &nia: w.nia} {
		if err := h.srv.startLoginFor(b, *u); err != nil {
			t.Fatal(err)
		}
		b.get("/console")
	}
	return w
}

// ask fills the Get help form as a customer and returns the invitation path it leads to.
func (w requestWorld) ask(t *testing.T, name, description string, extra url.Values) string {
	t.Helper()
	w.h.clock.Add(time.Second) // the queue's order is the order of asking
	b := w.h.browser()
	b.get("/p/acme/help")
	form := url.Values{"name": {name}, "description": {description}}
	for k, v := range extra {
		form[k] = v
	}
	code, body, hdr := b.post("/p/acme/help", form)
	if code != http.StatusSeeOther || !strings.HasPrefix(hdr.Get("Location"), "/p/acme/i/") {
		t.Fatalf("Get help: %d %s %s", code, hdr.Get("Location"), body)
	}
	return hdr.Get("Location")
}

// consoleOf opens b's console connection, the provider's first, and waits until it listens.
func (w requestWorld) consoleOf(t *testing.T, b *browser) *websocket.Conn {
	t.Helper()
	c := w.h.wsDial(b, "/ws/console")
	for deadline := time.Now().Add(5 * time.Second); !w.h.live.Hub().Present(w.provider.ID, hub.RoleConsole); {
		if time.Now().After(deadline) {
			t.Fatal("the console never joined")
		}
		time.Sleep(5 * time.Millisecond)
	}
	return c
}

func (w requestWorld) sessionOf(t *testing.T, invite string) store.Session {
	t.Helper()
	sess, _, err := w.h.live.SessionByToken(context.Background(), invite[strings.LastIndex(invite, "/")+1:])
	if err != nil {
		t.Fatal(err)
	}
	return sess
}

// TestGetHelpCreatesRequest: the form exists only on a provider's address, refuses bad input with the
// reason, and creates a waiting request with no engineer whose page shows the customer's place; the
// desk's engineers hear of it live, an engineer of no desk neither sees nor may take it.
func TestGetHelpCreatesRequest(t *testing.T) {
	w := newRequestWorld(t)
	anon := w.h.browser()
	if code, _, _ := anon.get("/help"); code != http.StatusNotFound {
		t.Fatalf("GET /help on the server's own address: %d, want 404", code)
	}
	if code, body, _ := anon.get("/p/acme/help"); code != http.StatusOK || !strings.Contains(body, `action="/p/acme/help"`) || strings.Contains(body, `name="desk"`) {
		t.Fatalf("GET /p/acme/help: %d (want the form, without a desk choice for one desk)", code)
	}
	if _, body, _ := anon.get("/p/acme/code"); !strings.Contains(body, `href="/p/acme/help"`) {
		t.Fatalf("the code page does not offer Get help")
	}
	if _, body, _ := anon.get("/code"); strings.Contains(body, `id="get-help"`) {
		t.Fatalf("the server's own code page offers Get help, which has no provider to ask")
	}
	for _, bad := range []url.Values{
		{"name": {"  "}},
		{"name": {strings.Repeat("n", 101)}},
		{"name": {"Rita"}, "description": {strings.Repeat("d", 501)}},
		{"name": {"Rita"}, "desk": {"someone-elses-desk"}},
	} {
		code, body, _ := anon.post("/p/acme/help", bad)
		if code != http.StatusBadRequest || !strings.Contains(body, `role="alert"`) {
			t.Fatalf("bad form %v: %d", bad, code)
		}
	}
	if q, _ := w.h.st.WaitingRequests(context.Background(), w.provider.ID, nil); len(q) != 0 {
		t.Fatalf("refused forms created %d requests", len(q))
	}

	console := w.consoleOf(t, w.ed)
	invite := w.ask(t, "Rita Customer", "Printer offline", nil)
	sess := w.sessionOf(t, invite)
	if sess.EngineerID != "" || sess.Origin != protocol.OriginPortal || sess.Description != "Printer offline" || sess.CustomerName != "Rita Customer" {
		t.Fatalf("request = %+v", sess)
	}
	var up protocol.RequestUpdate
	expect(t, console, protocol.SigRequest, &up)
	if up.Event != protocol.RequestNew || up.SessionID != sess.ID {
		t.Fatalf("console heard %+v, want the new request", up)
	}
	code, body, _ := anon.get(invite)
	if code != http.StatusOK || !strings.Contains(body, "Waiting for an engineer") || !strings.Contains(body, `id="queue-position">1<`) || !strings.Contains(body, "within a few minutes") {
		t.Fatalf("invitation page of the request: %d %s", code, body)
	}
	page := w.h.wsDial(nil, strings.Replace(invite, "/i/", "/ws/invite/", 1))
	expect(t, page, protocol.SigRequest, &up)
	if up.Event != protocol.RequestQueued || up.Position != 1 || up.Waiting != 1 {
		t.Fatalf("page's first place = %+v, want 1 of 1", up)
	}
	second := w.ask(t, "Sam", "", url.Values{"from": {"widget"}})
	if s2 := w.sessionOf(t, second); s2.Origin != protocol.OriginWidget {
		t.Fatalf("from=widget: origin %q", s2.Origin)
	}
	if _, body, _ := anon.get(second); !strings.Contains(body, `id="queue-position">2<`) {
		t.Fatalf("the second request's page does not say 2")
	}

	for who, b := range map[string]*browser{"Ed (desk)": w.ed, "Erin (owner)": w.erin} {
		if _, body, _ := b.get("/console/requests"); !strings.Contains(body, "Rita Customer") || !strings.Contains(body, "Sam") {
			t.Fatalf("%s's queue misses a request: %s", who, body)
		}
	}
	if _, body, _ := w.nia.get("/console/requests"); strings.Contains(body, "Rita") {
		t.Fatalf("an engineer of no desk sees the desk's queue")
	}
	if code, _ := w.nia.postJSON("/sessions/"+sess.ID+"/accept", nil); code != http.StatusNotFound {
		t.Fatalf("an engineer of no desk accepts: %d, want 404", code)
	}
	if code, _, hdr := w.ed.get("/sessions/" + sess.ID + "/view"); code != http.StatusSeeOther || hdr.Get("Location") != "/sessions/"+sess.ID {
		t.Fatalf("viewer before accepting: %d %s", code, hdr.Get("Location"))
	}
	if _, body, _ := w.ed.get("/sessions/" + sess.ID); !strings.Contains(body, `id="accept"`) {
		t.Fatalf("the request's page offers no Accept")
	}
	if _, body, _ := w.ed.get("/console/sessions"); strings.Contains(body, "Rita Customer") {
		t.Fatalf("the waiting request shows among the sessions too")
	}
}

// TestAcceptRequestTellsEveryone: the first Accept wins and lands on the session; the customer's page
// and agent learn the engineer's name, the other consoles that it was taken and by whom, the request
// behind moves up; a later Accept is told "Taken by".
func TestAcceptRequestTellsEveryone(t *testing.T) {
	w := newRequestWorld(t)
	first := w.ask(t, "Rita", "Printer offline", nil)
	second := w.ask(t, "Sam", "", nil)
	s1 := w.sessionOf(t, first)
	agent := w.h.wsDial(nil, "/p/acme/ws/agent")
	send(t, agent, protocol.SigAgentHello, hello(first[strings.LastIndex(first, "/")+1:]))
	var wel protocol.Welcome
	expect(t, agent, protocol.SigWelcome, &wel)
	if wel.Engineer != "" {
		t.Fatalf("welcome of a waiting request names %q", wel.Engineer)
	}
	page1 := w.h.wsDial(nil, strings.Replace(first, "/i/", "/ws/invite/", 1))
	page2 := w.h.wsDial(nil, strings.Replace(second, "/i/", "/ws/invite/", 1))
	var up protocol.RequestUpdate
	expect(t, page2, protocol.SigRequest, &up)
	if up.Position != 2 {
		t.Fatalf("second page starts at %d, want 2", up.Position)
	}
	erinConsole := w.consoleOf(t, w.erin)

	code, body := w.ed.postJSON("/sessions/"+s1.ID+"/accept", nil)
	var ok struct{ URL string }
	if code != http.StatusOK || json.Unmarshal([]byte(body), &ok) != nil || ok.URL != "/sessions/"+s1.ID {
		t.Fatalf("Ed accepts: %d %s", code, body)
	}
	expect(t, page1, protocol.SigRequest, &up)
	for up.Event != protocol.RequestAccepted {
		expect(t, page1, protocol.SigRequest, &up)
	}
	if up.Engineer != "Ed Engineer" {
		t.Fatalf("customer's page heard %+v", up)
	}
	expect(t, agent, protocol.SigRequest, &up)
	if up.Event != protocol.RequestAccepted || up.Engineer != "Ed Engineer" {
		t.Fatalf("agent heard %+v", up)
	}
	for {
		expect(t, erinConsole, protocol.SigRequest, &up)
		if up.Event == protocol.RequestAccepted {
			break
		}
	}
	if up.Engineer != "Ed Engineer" || up.SessionID != s1.ID {
		t.Fatalf("other console heard %+v", up)
	}
	for {
		expect(t, page2, protocol.SigRequest, &up)
		if up.Position == 1 {
			break
		}
	}
	code, body = w.erin.postJSON("/sessions/"+s1.ID+"/accept", nil)
	if code != http.StatusConflict || !strings.Contains(body, "Taken by Ed Engineer") {
		t.Fatalf("Erin accepts after Ed: %d %s", code, body)
	}
	w.erin.get("/console")
	if code, body, _ := w.erin.post("/sessions/"+s1.ID+"/accept", nil); code != http.StatusConflict || !strings.Contains(body, "Taken by Ed Engineer") {
		t.Fatalf("Erin's form Accept after Ed: %d", code)
	}
	if code, _ := w.ed.postJSON("/sessions/"+s1.ID+"/accept", nil); code != http.StatusOK {
		t.Fatalf("Ed's second click: %d", code)
	}
	// Sam cancels: the consoles drop the request.
	customer := w.h.browser()
	customer.get(second)
	if code, _ := customer.postJSON(second+"/stop", nil); code != http.StatusNoContent {
		t.Fatalf("cancel the request: %d", code)
	}
	for {
		expect(t, erinConsole, protocol.SigRequest, &up)
		if up.Event == protocol.RequestEnded {
			break
		}
	}
	if _, body, _ := customer.get(second); !strings.Contains(body, "Your request was closed") || !strings.Contains(body, protocol.EndCustomerStopped) {
		t.Fatalf("the cancelled request's page does not say it was closed")
	}
	if _, body, _ := w.h.browser().get(first); !strings.Contains(body, "Ed Engineer from Acme would like to help you") {
		t.Fatalf("the accepted request's page does not name Ed")
	}
	sess, err := w.h.st.SessionByID(context.Background(), w.provider.ID, s1.ID)
	if err != nil || sess.EngineerID != w.edUser.ID || sess.AcceptedAt == nil {
		t.Fatalf("stored %+v, %v", sess, err)
	}
}

// TestRequestNobodyFree: a request nobody accepts within the provider's timeout ends at the next sweep
// with "nobody was free"; its page says so, with the contact line, and offers to ask again.
func TestRequestNobodyFree(t *testing.T) {
	w := newRequestWorld(t)
	ctx := context.Background()
	p := store.DefaultPolicy()
	p.RequestTimeoutMinutes = 2
	if err := w.h.st.SetPolicy(ctx, w.provider.ID, p); err != nil {
		t.Fatal(err)
	}
	invite := w.ask(t, "Rita", "", nil)
	page := w.h.wsDial(nil, strings.Replace(invite, "/i/", "/ws/invite/", 1))
	w.h.clock.Add(time.Minute)
	if err := w.h.live.SweepOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if s := w.sessionOf(t, invite); s.State == store.StateEnded {
		t.Fatalf("ended before its timeout")
	}
	w.h.clock.Add(time.Minute + time.Second)
	if err := w.h.live.SweepOnce(ctx); err != nil {
		t.Fatal(err)
	}
	var st protocol.State
	for st.State != store.StateEnded {
		expect(t, page, protocol.SigState, &st)
	}
	if st.Reason != protocol.EndNobodyFree {
		t.Fatalf("ended with %q", st.Reason)
	}
	code, body, _ := w.h.browser().get(invite)
	if code != http.StatusOK || !strings.Contains(body, "Nobody is free right now") || !strings.Contains(body, `href="/p/acme/help"`) {
		t.Fatalf("page after the timeout: %d %s", code, body)
	}
}

// TestGetHelpRateLimited: one address may ask a few times, then is told to wait.
func TestGetHelpRateLimited(t *testing.T) {
	w := newRequestWorld(t)
	b := w.h.browser()
	b.get("/p/acme/help")
	var code int
	for i := 0; i < 6; i++ {
		code, _, _ = b.post("/p/acme/help", url.Values{"name": {"Flood"}})
	}
	if code != http.StatusTooManyRequests {
		t.Fatalf("sixth request in a row: %d, want 429", code)
	}
	if q, _ := w.h.st.WaitingRequests(context.Background(), w.provider.ID, nil); len(q) != 5 {
		t.Fatalf("%d requests, want the 5 allowed", len(q))
	}
}
