package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"tether/server/hub"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"tether/server/auth"
	"tether/server/protocol"
	"tether/server/store"
	"tether/server/webhook"
)

// apiCaller calls the session API of a harness and holds every request and answer to openapi.yaml.
type apiCaller struct {
	h      *harness
	router routers.Router
}

func (h *harness) apiCaller() *apiCaller {
	h.t.Helper()
	doc, err := openAPIDoc()
	if err != nil {
		h.t.Fatal(err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		h.t.Fatalf("openapi.yaml is not a valid OpenAPI document: %v", err)
	}
	d := *doc
	d.Servers = openapi3.Servers{{URL: h.ts.URL + "/api/v1"}}
	r, err := gorillamux.NewRouter(&d)
	if err != nil {
		h.t.Fatal(err)
	}
	return &apiCaller{h: h, router: r}
}

// call sends a request; body is JSON-encoded unless it is a string, sent as is. validRequest says the
// request itself must match the document (false for the bad input tests send on purpose). The answer
// must always match the document, its status included.
func (a *apiCaller) call(token, method, path string, body any, validRequest bool) (int, map[string]any, http.Header) {
	t := a.h.t
	t.Helper()
	var raw []byte
	switch b := body.(type) {
	case nil:
	case string:
		raw = []byte(b)
	default:
		raw, _ = json.Marshal(b)
	}
	newReq := func() *http.Request {
		req, _ := http.NewRequest(method, a.h.ts.URL+path, bytes.NewReader(raw))
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		return req
	}
	resp, err := http.DefaultClient.Do(newReq())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got, _ := io.ReadAll(resp.Body)
	if len(resp.Cookies()) > 0 {
		t.Errorf("%s %s set cookies: %v", method, path, resp.Cookies())
	}
	req := newReq()
	route, params, err := a.router.FindRoute(req)
	if err != nil {
		t.Fatalf("%s %s is not in openapi.yaml: %v", method, path, err)
	}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, IncludeResponseStatus: true, MultiError: true}}
	if validRequest {
		if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
			t.Fatalf("%s %s: the request does not match openapi.yaml: %v", method, path, err)
		}
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: resp.StatusCode, Header: resp.Header,
		Body: io.NopCloser(bytes.NewReader(got)), Options: in.Options}
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		t.Fatalf("%s %s: the answer %d %s does not match openapi.yaml: %v", method, path, resp.StatusCode, got, err)
	}
	var m map[string]any
	if err := json.Unmarshal(got, &m); err != nil {
		t.Fatalf("%s %s: answer is not a JSON object: %s", method, path, got)
	}
	return resp.StatusCode, m, resp.Header
}

var newTokenRe = regexp.MustCompile(`id="new-token" readonly value="(tth_[a-z2-7]+)"`)

// createToken makes a token on the API page as b (an owner or admin) and returns it.
func (h *harness) createToken(b *browser, name string) string {
	h.t.Helper()
	b.get("/settings/api")
	code, body, _ := b.post("/settings/api/tokens", url.Values{"name": {name}})
	m := newTokenRe.FindStringSubmatch(body)
	if code != http.StatusOK || m == nil {
		h.t.Fatalf("create token: %d, token shown: %v", code, m != nil)
	}
	return m[1]
}

// secondProvider makes another tenant with an owner, a session and an API token, straight in the store.
func (h *harness) secondProvider() (p store.Provider, owner store.User, sess store.Session, token string) {
	h.t.Helper()
	ctx := context.Background()
	p, owner, err := h.st.CreateProviderWithOwner(ctx, "Other Co", "Olga Other", "olga@other.test", "x")
	if err != nil {
		h.t.Fatal(err)
	}
	desk, err := h.st.DefaultDesk(ctx, p.ID)
	if err != nil {
		h.t.Fatal(err)
	}
	sess, err = h.st.CreateSession(ctx, store.NewSession{ProviderID: p.ID, DeskID: desk.ID, EngineerID: owner.ID, CustomerName: "Other's customer",
		TokenHash: auth.HashToken("other-" + store.NewID()), Code: "ZZZZZZ", ExpiresAt: h.clock.Now().Add(time.Hour)})
	if err != nil {
		h.t.Fatal(err)
	}
	token = newAPIToken()
	if _, err := h.st.CreateAPIToken(ctx, store.APIToken{ProviderID: p.ID, Name: "Other CRM", TokenHash: auth.HashToken(token), Hint: token[len(token)-4:], CreatedBy: owner.ID}); err != nil {
		h.t.Fatal(err)
	}
	return p, owner, sess, token
}

func TestAPITokenShownOnceStoredHashedRevokedAtOnce(t *testing.T) {
	h := newHarness(t)
	owner := h.signedUp("Acme", "erin@acme.test")
	tok := h.createToken(owner, "Helpdesk CRM")
	if len(tok) != len("tth_")+52 {
		t.Fatalf("token %q: want tth_ and 52 base32 characters (32 bytes)", tok)
	}
	// Only the hash is kept, and the page never shows the token again.
	ctx := context.Background()
	toks, err := h.st.APITokens(ctx, providerOf(t, h, "erin@acme.test").ID)
	if err != nil || len(toks) != 1 {
		t.Fatalf("tokens: %v %v", toks, err)
	}
	if toks[0].TokenHash != auth.HashToken(tok) || strings.Contains(toks[0].TokenHash, tok[4:]) {
		t.Fatalf("stored %q, want the sha256 of the token only", toks[0].TokenHash)
	}
	if _, body, _ := owner.get("/settings/api"); strings.Contains(body, tok) || !strings.Contains(body, "tth_…"+tok[len(tok)-4:]) || !strings.Contains(body, "Helpdesk CRM") {
		t.Fatal("the API page shows the token again, or not its name and hint")
	}
	api := h.apiCaller()
	if code, m, _ := api.call(tok, http.MethodPost, "/api/v1/sessions", map[string]any{"customer_name": "Carla", "engineer_email": "erin@acme.test"}, true); code != http.StatusCreated {
		t.Fatalf("create with a fresh token: %d %v", code, m)
	}
	if _, body, _ := owner.get("/settings/api"); strings.Contains(body, "<td>Never</td>") {
		t.Fatal("last used not recorded")
	}
	// A bad name loses nothing and says why.
	if code, body, _ := owner.post("/settings/api/tokens", url.Values{"name": {strings.Repeat("n", 61)}}); code != http.StatusBadRequest || !strings.Contains(body, "1 to 60 characters") {
		t.Fatalf("long name: %d", code)
	}
	// A provider the operator disabled: its tokens are refused with the reason.
	pid := providerOf(t, h, "erin@acme.test").ID
	if err := h.st.SetProviderDisabled(ctx, pid, true); err != nil {
		t.Fatal(err)
	}
	if code, m, _ := api.call(tok, http.MethodGet, "/api/v1/sessions/anything", nil, true); code != http.StatusForbidden || !strings.Contains(m["error"].(string), "disabled") {
		t.Fatalf("disabled provider: %d %v", code, m)
	}
	if err := h.st.SetProviderDisabled(ctx, pid, false); err != nil {
		t.Fatal(err)
	}
	code, _, hdr := owner.post("/settings/api/tokens/"+toks[0].ID+"/revoke", nil)
	if code != http.StatusSeeOther || !strings.HasPrefix(hdr.Get("Location"), "/settings/api?done=revoked") {
		t.Fatalf("revoke: %d %s", code, hdr.Get("Location"))
	}
	code, m, hdr := api.call(tok, http.MethodGet, "/api/v1/sessions/anything", nil, false)
	if code != http.StatusUnauthorized || !strings.Contains(m["error"].(string), "revoked") || !strings.Contains(hdr.Get("WWW-Authenticate"), "invalid_token") {
		t.Fatalf("revoked token: %d %v", code, m)
	}
	if code, _, _ := api.call("", http.MethodGet, "/api/v1/sessions/anything", nil, false); code != http.StatusUnauthorized {
		t.Fatalf("no token: %d", code)
	}
}

func providerOf(t *testing.T, h *harness, email string) store.Provider {
	t.Helper()
	us, err := h.st.UsersByEmail(context.Background(), email)
	if err != nil || len(us) != 1 {
		t.Fatalf("users of %s: %v %v", email, us, err)
	}
	p, err := h.st.ProviderByID(context.Background(), us[0].ProviderID)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestOpenAPIDocumentServed(t *testing.T) {
	h := newHarness(t)
	resp, err := http.Get(h.ts.URL + "/api/v1/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") || len(resp.Cookies()) > 0 {
		t.Fatalf("openapi.json: %d %s %v", resp.StatusCode, resp.Header.Get("Content-Type"), resp.Cookies())
	}
	doc, err := openapi3.NewLoader().LoadFromData(body)
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("served document is not valid: %v", err)
	}
	if len(doc.Servers) != 1 || doc.Servers[0].URL != h.ts.URL+"/api/v1" || doc.Paths.Find("/sessions/{id}") == nil {
		t.Fatalf("served document: servers %v", doc.Servers)
	}
}

func TestAPIPageIsForOwnersAndAdmins(t *testing.T) {
	h := newHarness(t)
	h.signedUp("Acme", "erin@acme.test")
	p := providerOf(t, h, "erin@acme.test")
	hash, _ := auth.HashPassword("engineer password 1")
	if _, err := h.st.CreateUser(context.Background(), store.User{ProviderID: p.ID, Email: "ed@acme.test", Name: "Ed", PasswordHash: hash, Role: store.RoleEngineer}); err != nil {
		t.Fatal(err)
	}
	ed := h.browser()
	ed.get("/login")
	if code, _, _ := ed.post("/login", url.Values{"email": {"ed@acme.test"}, "password": {"engineer password 1"}}); code != http.StatusSeeOther {
		t.Fatalf("sign in: %d", code)
	}
	if code, body, _ := ed.get("/console"); code != http.StatusOK || strings.Contains(body, `href="/settings/api"`) {
		t.Fatalf("an engineer sees the API link (%d)", code)
	}
	if code, _, _ := ed.get("/settings/api"); code != http.StatusForbidden {
		t.Fatalf("engineer on the API page: %d", code)
	}
	if code, _, _ := ed.post("/settings/api/tokens", url.Values{"name": {"mine"}}); code != http.StatusForbidden {
		t.Fatalf("engineer creating a token: %d", code)
	}
}

// sessionQuotaStore answers every new session with the provider's concurrent sessions quota.
type sessionQuotaStore struct{ Store }

func (sessionQuotaStore) CreateSession(context.Context, store.NewSession) (store.Session, error) {
	return store.Session{}, &store.QuotaError{What: "concurrent sessions", Limit: 3}
}

func TestAPISessionsMatchOpenAPI(t *testing.T) {
	h := newHarness(t)
	owner := h.signedUp("Acme", "erin@acme.test")
	tok := h.createToken(owner, "CRM")
	p := providerOf(t, h, "erin@acme.test")
	ctx := context.Background()
	erin, err := h.st.UserByEmail(ctx, p.ID, "erin@acme.test")
	if err != nil {
		t.Fatal(err)
	}
	desk, _ := h.st.DefaultDesk(ctx, p.ID)
	api := h.apiCaller()

	code, m, hdr := api.call(tok, http.MethodPost, "/api/v1/sessions", map[string]any{"customer_name": " Carla Customer ", "note": "Ticket 4711", "engineer_email": "ERIN@acme.test"}, true)
	if code != http.StatusCreated {
		t.Fatalf("create for an engineer: %d %v", code, m)
	}
	id := m["id"].(string)
	if hdr.Get("Location") != "/api/v1/sessions/"+id || m["state"] != "waiting" || m["customer_name"] != "Carla Customer" || m["origin"] != protocol.OriginAPI {
		t.Fatalf("created: %v", m)
	}
	if eng := m["engineer"].(map[string]any); eng["id"] != erin.ID || eng["email"] != "erin@acme.test" {
		t.Fatalf("engineer: %v", eng)
	}
	base := h.ts.URL + "/p/" + p.Slug
	if m["link"] != base+"/i/"+h.srv.inviteToken(id) || m["code_url"] != base+"/code" {
		t.Fatalf("link %v, code_url %v: want the provider's address", m["link"], m["code_url"])
	}
	sess, err := h.st.SessionByID(ctx, p.ID, id)
	if err != nil || sess.Code != m["code"] || sess.EngineerID != erin.ID || sess.Origin != protocol.OriginAPI || sess.Note != "Ticket 4711" {
		t.Fatalf("stored %+v, %v", sess, err)
	}
	// The customer's link works.
	if code, _, _ := h.browser().get(strings.TrimPrefix(m["link"].(string), h.ts.URL)); code != http.StatusOK {
		t.Fatalf("invitation link: %d", code)
	}
	if !strings.HasPrefix(m["console_url"].(string), h.ts.URL+"/go/"+id+".") || strings.Contains(m["console_url"].(string), tok) {
		t.Fatalf("console_url %v", m["console_url"])
	}

	code, m, _ = api.call(tok, http.MethodPost, "/api/v1/sessions", map[string]any{"customer_name": "Dora", "engineer_id": erin.ID, "desk_id": desk.ID}, true)
	if code != http.StatusCreated || m["engineer"] == nil {
		t.Fatalf("create by engineer_id: %d %v", code, m)
	}
	// A request for a desk waits in its queue, and the desk's consoles hear of it at once.
	console := h.wsDial(owner, "/ws/console")
	for deadline := time.Now().Add(5 * time.Second); !h.live.Hub().Present(p.ID, hub.RoleConsole); {
		if time.Now().After(deadline) {
			t.Fatal("the console never joined")
		}
		time.Sleep(5 * time.Millisecond)
	}
	code, m, _ = api.call(tok, http.MethodPost, "/api/v1/sessions", map[string]any{"customer_name": "Queue Customer", "desk_id": desk.ID}, true)
	if code != http.StatusCreated || m["engineer"] != nil || m["state"] != "waiting" || m["desk_id"] != desk.ID {
		t.Fatalf("create a waiting request: %d %v", code, m)
	}
	var up protocol.RequestUpdate
	expect(t, console, protocol.SigRequest, &up)
	if up.Event != protocol.RequestNew || up.SessionID != m["id"] {
		t.Fatalf("the console heard %+v, want the API's request", up)
	}
	waiting, _ := h.st.SessionByID(ctx, p.ID, m["id"].(string))
	if waiting.EngineerID != "" || waiting.Origin != protocol.OriginAPI {
		t.Fatalf("waiting request stored as %+v", waiting)
	}

	// GET follows the session.
	if _, err := h.st.JoinAgent(ctx, id, store.AgentJoin{KeyHash: "k", Source: protocol.SourceLink, OS: "windows", Host: "pc"}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.st.GiveConsent(ctx, id, protocol.GrantView|protocol.GrantControl); err != nil {
		t.Fatal(err)
	}
	code, m, _ = api.call(tok, http.MethodGet, "/api/v1/sessions/"+id, nil, true)
	if code != http.StatusOK || m["state"] != "active" || m["joined_at"] == nil || m["active_at"] == nil || len(m["grants"].([]any)) != 2 {
		t.Fatalf("get active: %d %v", code, m)
	}
	if _, _, err := h.live.End(ctx, id, "ended by the CRM test", store.ActorSystem); err != nil {
		t.Fatal(err)
	}
	code, m, _ = api.call(tok, http.MethodGet, "/api/v1/sessions/"+id, nil, true)
	if code != http.StatusOK || m["state"] != "ended" || m["end_reason"] != "ended by the CRM test" || m["ended_at"] == nil {
		t.Fatalf("get ended: %d %v", code, m)
	}

	// Bad input: 422 with a message that says what to change; nothing is created.
	before, _ := h.st.ListSessions(ctx, p.ID, store.ListFilter{})
	for _, tt := range []struct {
		name string
		body any
		want string
	}{
		{"empty body", "", "the body is empty"},
		{"not JSON", "{customer", "malformed JSON"},
		{"an array", `[1]`, "must be a JSON object"},
		{"unknown field", map[string]any{"customer_name": "C", "engineer": "erin"}, `unknown field "engineer"`},
		{"wrong type", `{"customer_name": 5, "desk_id": "x"}`, "customer_name must be a string"},
		{"no customer", map[string]any{"engineer_email": "erin@acme.test"}, "customer_name is required"},
		{"long customer", map[string]any{"customer_name": strings.Repeat("c", 101), "engineer_email": "erin@acme.test"}, "at most 100 characters"},
		{"long note", map[string]any{"customer_name": "C", "note": strings.Repeat("n", 501), "engineer_email": "erin@acme.test"}, "note has at most 500"},
		{"nobody", map[string]any{"customer_name": "C"}, "Name who helps"},
		{"both engineers", map[string]any{"customer_name": "C", "engineer_email": "erin@acme.test", "engineer_id": erin.ID}, "not both"},
		{"unknown email", map[string]any{"customer_name": "C", "engineer_email": "nobody@acme.test"}, "No engineer of Acme has the email address"},
		{"two objects", `{"customer_name": "C", "desk_id": "x"} {}`, "one JSON object"},
	} {
		code, m, _ := api.call(tok, http.MethodPost, "/api/v1/sessions", tt.body, false)
		if code != http.StatusUnprocessableEntity || !strings.Contains(m["error"].(string), tt.want) {
			t.Errorf("%s: %d %v, want 422 saying %q", tt.name, code, m, tt.want)
		}
	}
	if code, m, _ := api.call(tok, http.MethodPost, "/api/v1/sessions", `{"customer_name": "`+strings.Repeat("x", maxAPIBody)+`"}`, false); code != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized body: %d %v", code, m)
	}
	after, _ := h.st.ListSessions(ctx, p.ID, store.ListFilter{})
	if len(after) != len(before) {
		t.Fatalf("bad input created sessions: %d before, %d after", len(before), len(after))
	}

	// A deleted desk takes no new sessions.
	gone, err := h.st.CreateDesk(ctx, p.ID, "Closed desk")
	if err != nil {
		t.Fatal(err)
	}
	if err := h.st.DeleteDesk(ctx, p.ID, gone.ID); err != nil {
		t.Fatal(err)
	}
	if code, m, _ := api.call(tok, http.MethodPost, "/api/v1/sessions", map[string]any{"customer_name": "C", "desk_id": gone.ID}, true); code != http.StatusNotFound {
		t.Errorf("deleted desk: %d %v", code, m)
	}

	// Another provider's ids answer 404, its engineer's email is unknown here, and its token sees none of ours.
	_, olga, otherSess, otherTok := h.secondProvider()
	otherDesk, _ := h.st.DefaultDesk(ctx, olga.ProviderID)
	for _, tt := range []struct {
		name, method, path string
		body               any
		want               int
	}{
		{"their session", http.MethodGet, "/api/v1/sessions/" + otherSess.ID, nil, http.StatusNotFound},
		{"their engineer_id", http.MethodPost, "/api/v1/sessions", map[string]any{"customer_name": "C", "engineer_id": olga.ID}, http.StatusNotFound},
		{"their desk_id", http.MethodPost, "/api/v1/sessions", map[string]any{"customer_name": "C", "desk_id": otherDesk.ID}, http.StatusNotFound},
		{"our engineer in their desk", http.MethodPost, "/api/v1/sessions", map[string]any{"customer_name": "C", "engineer_id": erin.ID, "desk_id": otherDesk.ID}, http.StatusNotFound},
		{"their engineer's email", http.MethodPost, "/api/v1/sessions", map[string]any{"customer_name": "C", "engineer_email": "olga@other.test"}, http.StatusUnprocessableEntity},
	} {
		if code, m, _ := api.call(tok, tt.method, tt.path, tt.body, false); code != tt.want {
			t.Errorf("%s: %d %v, want %d", tt.name, code, m, tt.want)
		}
	}
	if code, _, _ := api.call(otherTok, http.MethodGet, "/api/v1/sessions/"+id, nil, true); code != http.StatusNotFound {
		t.Errorf("their token on our session: %d", code)
	}
	if code, _, _ := api.call(otherTok, http.MethodGet, "/api/v1/sessions/"+otherSess.ID, nil, true); code != http.StatusOK {
		t.Errorf("their token on their session: %d", code)
	}
	// Our admin cannot revoke their token.
	theirs, _ := h.st.APITokens(ctx, olga.ProviderID)
	if code, _, _ := owner.post("/settings/api/tokens/"+theirs[0].ID+"/revoke", nil); code != http.StatusNotFound {
		t.Errorf("revoking another provider's token: %d", code)
	}
	if _, err := h.st.APITokenByHash(ctx, auth.HashToken(otherTok)); err != nil {
		t.Errorf("their token was touched: %v", err)
	}
}

func TestAPIQuotaAndRateLimit(t *testing.T) {
	var qs *sessionQuotaStore
	h := newHarnessWith(t, nil, func(d *Deps) { qs = &sessionQuotaStore{d.Store}; d.Store = qs })
	owner := h.signedUp("Acme", "erin@acme.test")
	tok := h.createToken(owner, "CRM")
	api := h.apiCaller()
	code, m, _ := api.call(tok, http.MethodPost, "/api/v1/sessions", map[string]any{"customer_name": "C", "engineer_email": "erin@acme.test"}, true)
	if code != http.StatusTooManyRequests || !strings.Contains(m["error"].(string), "at most 3 concurrent sessions") {
		t.Fatalf("over quota: %d %v", code, m)
	}
	// The token's budget: a burst, then one request per 100 ms of the (fixed) clock.
	n := 1
	for ; n <= rateAPI.Burst+5; n++ {
		code, m, hdr := api.call(tok, http.MethodGet, "/api/v1/sessions/none", nil, true)
		if code == http.StatusTooManyRequests {
			if hdr.Get("Retry-After") == "" || !strings.Contains(m["error"].(string), "too many requests") {
				t.Fatalf("rate limited: %v %v", hdr, m)
			}
			break
		}
		if code != http.StatusNotFound {
			t.Fatalf("request %d: %d", n, code)
		}
	}
	// The refused POST above took one request of the burst.
	if n != rateAPI.Burst {
		t.Fatalf("limited at request %d, want %d", n, rateAPI.Burst)
	}
	h.clock.Add(time.Second)
	if code, _, _ := api.call(tok, http.MethodGet, "/api/v1/sessions/none", nil, true); code != http.StatusNotFound {
		t.Fatalf("after a second: %d", code)
	}
}

func TestCRMConsoleLinkOpensSessionAfterSignIn(t *testing.T) {
	h := newHarness(t)
	owner := h.signedUp("Acme", "erin@acme.test")
	tok := h.createToken(owner, "CRM")
	api := h.apiCaller()
	_, m, _ := api.call(tok, http.MethodPost, "/api/v1/sessions", map[string]any{"customer_name": "Carla", "engineer_email": "erin@acme.test"}, true)
	id, link := m["id"].(string), strings.TrimPrefix(m["console_url"].(string), h.ts.URL)

	if code, _, hdr := owner.get(link); code != http.StatusSeeOther || hdr.Get("Location") != "/sessions/"+id {
		t.Fatalf("signed in: %d %s", code, hdr.Get("Location"))
	}
	// Signed out: sign in first, then land on the session.
	b := h.browser()
	code, _, hdr := b.get(link)
	if code != http.StatusSeeOther || hdr.Get("Location") != "/login" {
		t.Fatalf("signed out: %d %s", code, hdr.Get("Location"))
	}
	b.get("/login")
	code, _, hdr = b.post("/login", url.Values{"email": {"erin@acme.test"}, "password": {"correct horse battery"}})
	if code != http.StatusSeeOther || hdr.Get("Location") != link {
		t.Fatalf("after sign-in: %d %s, want back to %s", code, hdr.Get("Location"), link)
	}
	if code, _, hdr := b.get(link); code != http.StatusSeeOther || hdr.Get("Location") != "/sessions/"+id {
		t.Fatalf("back on the link: %d %s", code, hdr.Get("Location"))
	}
	if code, body, _ := b.get("/sessions/" + id); code != http.StatusOK || !strings.Contains(body, "Carla") {
		t.Fatalf("session page: %d", code)
	}
	// The next sign-in goes to the console again: the link was used up.
	b2 := h.browser()
	b2.get("/login")
	if _, _, hdr := b2.post("/login", url.Values{"email": {"erin@acme.test"}, "password": {"correct horse battery"}}); hdr.Get("Location") != "/console" {
		t.Fatalf("plain sign-in lands on %s", hdr.Get("Location"))
	}

	// A forged or altered link answers 404, signed in or not.
	for _, bad := range []string{"/go/" + id, "/go/" + id + ".aaaa", "/go/" + id + "." + h.srv.derive("tether invite v1", id), "/go/x" + strings.TrimPrefix(link, "/go/")} {
		if code, _, _ := owner.get(bad); code != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", bad, code)
		}
	}
	// Another provider's engineer gets 404 for our session, and our link for theirs is refused to us.
	_, _, otherSess, _ := h.secondProvider()
	if code, body, _ := owner.get(strings.TrimPrefix(h.srv.consoleLink(otherSess.ID), h.ts.URL)); code != http.StatusNotFound || !strings.Contains(body, "erin@acme.test") {
		t.Errorf("their session's console link: %d", code)
	}
}

// receiver is a webhook endpoint that answers from a script of statuses and keeps what it accepted.
type receiver struct {
	mu       sync.Mutex
	statuses []int // answered in order; 200 once they run out
	got      [][]byte
	sigs     []string
	seen     int
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seen++
	status := http.StatusOK
	if len(r.statuses) > 0 {
		status, r.statuses = r.statuses[0], r.statuses[1:]
	}
	if status == http.StatusOK {
		r.got = append(r.got, body)
		r.sigs = append(r.sigs, req.Header.Get(protocol.WebhookSignatureHeader))
	}
	w.WriteHeader(status)
}

func TestWebhookReportsSessionLifeSignedWithRetries(t *testing.T) {
	h := newHarnessWith(t, []string{"-webhook-allow-private", "true"}, nil)
	owner := h.signedUp("Acme", "erin@acme.test")
	rcv := &receiver{statuses: []int{http.StatusInternalServerError}}
	hook := httptest.NewServer(rcv)
	defer hook.Close()

	owner.get("/settings/api")
	if code, _, hdr := owner.post("/settings/api/webhook", url.Values{"url": {hook.URL + "/tether"}}); code != http.StatusSeeOther {
		t.Fatalf("set webhook: %d %v", code, hdr)
	}
	_, page, _ := owner.get("/settings/api")
	sm := regexp.MustCompile(`id="webhook-secret" readonly value="(whsec_[a-z2-7]+)"`).FindStringSubmatch(page)
	if sm == nil {
		t.Fatal("the signing secret is not shown")
	}
	secret := sm[1]
	backoff := func(int) time.Duration { return 30 * time.Second }
	svc := webhook.New(h.st, h.srv.WebhookPayload, webhook.Options{AllowPrivate: true, Now: h.clock.Now, Backoff: backoff}, h.srv.Log)
	ctx := context.Background()

	tok := h.createToken(owner, "CRM")
	h.clock.Add(time.Second)
	_, m, _ := h.apiCaller().call(tok, http.MethodPost, "/api/v1/sessions", map[string]any{"customer_name": "Carla", "engineer_email": "erin@acme.test"}, true)
	id := m["id"].(string)
	if err := svc.SweepOnce(ctx); err != nil {
		t.Fatal(err)
	}
	// The receiver answered 500: nothing accepted, retried after the backoff, not before.
	if rcv.seen != 1 || len(rcv.got) != 0 {
		t.Fatalf("first attempt: seen %d, accepted %d", rcv.seen, len(rcv.got))
	}
	if _, body, _ := owner.get("/settings/api"); !strings.Contains(body, `data-status="retrying"`) || !strings.Contains(body, "500 Internal Server Error") {
		t.Fatal("the API page does not show the failed attempt")
	}
	// Meanwhile the session moves on; later events wait for the first.
	if _, err := h.st.JoinAgent(ctx, id, store.AgentJoin{KeyHash: "k", Source: protocol.SourceLink, OS: "linux", Host: "pc"}); err != nil {
		t.Fatal(err)
	}
	if err := svc.SweepOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if rcv.seen != 1 {
		t.Fatalf("sent %d before the backoff ran out", rcv.seen)
	}
	h.clock.Add(31 * time.Second)
	if _, err := h.st.GiveConsent(ctx, id, protocol.GrantView); err != nil {
		t.Fatal(err)
	}
	if _, _, err := h.live.End(ctx, id, "ended by Erin", store.ActorSystem); err != nil {
		t.Fatal(err)
	}
	for range 5 {
		if err := svc.SweepOnce(ctx); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{protocol.WebhookSessionWaiting, protocol.WebhookSessionJoined, protocol.WebhookSessionActive, protocol.WebhookSessionEnded}
	if len(rcv.got) != len(want) {
		t.Fatalf("accepted %d events, want %d", len(rcv.got), len(want))
	}
	doc, _ := openAPIDoc()
	schema := doc.Components.Schemas["WebhookEvent"].Value
	for i, body := range rcv.got {
		if err := webhook.Verify(secret, rcv.sigs[i], body, h.clock.Now(), 0); err != nil {
			t.Fatalf("event %d: signature does not verify: %v", i, err)
		}
		if err := webhook.Verify("whsec_wrong", rcv.sigs[i], body, h.clock.Now(), 0); !errors.Is(err, webhook.ErrBadSignature) {
			t.Fatalf("verifies with the wrong secret: %v", err)
		}
		var ev map[string]any
		if err := json.Unmarshal(body, &ev); err != nil {
			t.Fatal(err)
		}
		var v any
		_ = json.Unmarshal(body, &v)
		if err := schema.VisitJSON(v); err != nil {
			t.Fatalf("event %d does not match the WebhookEvent schema: %v\n%s", i, err, body)
		}
		sess := ev["session"].(map[string]any)
		if ev["type"] != want[i] || sess["id"] != id || "session."+sess["state"].(string) != want[i] {
			t.Fatalf("event %d: %s, want %s", i, body, want[i])
		}
		if want[i] == protocol.WebhookSessionEnded && sess["end_reason"] != "ended by Erin" {
			t.Fatalf("ended event without its reason: %s", body)
		}
	}
	if rcv.seen != 5 {
		t.Fatalf("receiver saw %d requests, want 5 (one retry)", rcv.seen)
	}
	if _, body, _ := owner.get("/settings/api"); strings.Count(body, `data-status="delivered"`) != 4 {
		t.Fatal("the API page does not show 4 delivered events")
	}
}

func TestWebhookURLRefusedWithReason(t *testing.T) {
	h := newHarness(t)
	owner := h.signedUp("Acme", "erin@acme.test")
	owner.get("/settings/api")
	for _, tt := range []struct{ url, want string }{
		{"http://crm.example.com/hook", "must start with https://"},
		{"https://127.0.0.1/hook", "not a public address"},
		{"https://10.1.2.3/hook", "not a public address"},
		{"https://localhost:8443/hook", "localhost is not a public address"},
		{"https://user:pw@crm.example.com/hook", "no user name or password"},
		{"crm.example.com/hook", "full address"},
	} {
		code, body, _ := owner.post("/settings/api/webhook", url.Values{"url": {tt.url}})
		if code != http.StatusBadRequest || !strings.Contains(body, tt.want) || !strings.Contains(body, `value="`+tt.url+`"`) {
			t.Errorf("%s: %d, want 400 saying %q and keeping what was typed", tt.url, code, tt.want)
		}
	}
	if code, _, _ := owner.post("/settings/api/webhook", url.Values{"url": {"https://crm.example.com/hook"}}); code != http.StatusSeeOther {
		t.Fatalf("good URL: %d", code)
	}
}
