package web

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"tether/server/protocol"
	"tether/server/store"
)

// widgetRequest sends one request to the harness with the given headers, following no redirect.
func (h *harness) widgetRequest(method, path string, hdr map[string]string, body string) (int, string, http.Header) {
	h.t.Helper()
	req, err := http.NewRequest(method, h.ts.URL+path, strings.NewReader(body))
	if err != nil {
		h.t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

// widgetSetup signs Acme up, allows origins for its widget from the admin page, and adds Globex.
func widgetSetup(t *testing.T, origins string) (*harness, *browser) {
	h := newHarness(t)
	owner := h.signedUp("Acme", "erin@acme.test")
	owner.get("/settings/widget")
	if code, body, hdr := owner.post("/settings/widget", url.Values{"origins": {origins}, "help": {"1"}}); code != http.StatusSeeOther || hdr.Get("Location") != "/settings/widget?saved=1" {
		t.Fatalf("save widget settings: %d %s", code, body)
	}
	if _, _, err := h.st.CreateProviderWithOwner(context.Background(), "Globex", "Gus", "gus@globex.test", "h"); err != nil {
		t.Fatal(err)
	}
	return h, owner
}

// TestWidgetFrameAncestors: each provider's widget may be framed by its own allowed origins (and
// Tether's own pages) and by nobody else's; every other page still refuses any frame.
func TestWidgetFrameAncestors(t *testing.T) {
	h, _ := widgetSetup(t, "https://shop.acme.example\nhttp://localhost:8080")
	self := originOf(h.ts.URL)
	for _, tc := range []struct {
		path      string
		status    int
		has, lack []string
	}{
		{"/p/acme/widget", http.StatusOK, []string{"frame-ancestors 'self' " + self, "https://shop.acme.example", "http://localhost:8080", "default-src 'self'"}, []string{"frame-ancestors 'none'"}},
		{"/p/globex/widget", http.StatusOK, []string{"frame-ancestors 'self' " + self}, []string{"shop.acme.example", "localhost:8080", "frame-ancestors 'none'"}},
	} {
		code, body, hdr := h.browser().get(tc.path)
		csp := hdr.Get("Content-Security-Policy")
		if code != tc.status || hdr.Get("X-Frame-Options") != "" {
			t.Errorf("GET %s: %d, X-Frame-Options %q", tc.path, code, hdr.Get("X-Frame-Options"))
		}
		for _, want := range tc.has {
			if !strings.Contains(csp, want) {
				t.Errorf("GET %s: CSP %q lacks %q", tc.path, csp, want)
			}
		}
		for _, bad := range tc.lack {
			if strings.Contains(csp, bad) {
				t.Errorf("GET %s: CSP %q has %q", tc.path, csp, bad)
			}
		}
		if !strings.Contains(body, `id="widget-code"`) || !strings.Contains(body, `target="_top"`) {
			t.Errorf("GET %s: no code box", tc.path)
		}
	}
	// Acme offers "Get help", Globex (nothing configured) does not.
	if _, body, _ := h.browser().get("/p/acme/widget"); !strings.Contains(body, h.ts.URL+"/p/acme/help?from=widget") || !strings.Contains(body, "Acme") {
		t.Error("Acme's widget lacks its name or its Get help button")
	}
	if _, body, _ := h.browser().get("/p/globex/widget"); strings.Contains(body, "widget-help") {
		t.Error("Globex's widget shows Get help, which it did not turn on")
	}
	// The widget is always a provider's; every other page refuses any frame.
	if code, _, _ := h.browser().get("/widget"); code != http.StatusNotFound {
		t.Errorf("widget on the server's own address: %d", code)
	}
	if code, _, _ := h.browser().get("/p/nope/widget"); code != http.StatusNotFound {
		t.Errorf("widget of an unknown provider: %d", code)
	}
	for _, p := range []string{"/p/acme/", "/p/acme/code", "/login"} {
		_, _, hdr := h.browser().get(p)
		if hdr.Get("X-Frame-Options") != "DENY" || !strings.Contains(hdr.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
			t.Errorf("GET %s may be framed: %v", p, hdr)
		}
	}
}

// TestWidgetSettingsRefuseBadOrigins: a bad origin is refused with its reason, what was typed stays in
// the form, and the saved list is unchanged.
func TestWidgetSettingsRefuseBadOrigins(t *testing.T) {
	h, owner := widgetSetup(t, "https://shop.acme.example")
	many := make([]string, store.MaxWidgetOrigins+1)
	for i := range many {
		many[i] = "https://s" + strings.Repeat("x", i) + ".acme.example"
	}
	for _, tc := range []struct{ typed, why string }{
		{"shop.acme.example", "has no scheme"},
		{"http://shop.acme.example", "must use https"},
		{"https://shop.acme.example/contact", "has a path"},
		{"https://*.acme.example", "wildcard"},
		{"https://shop.acme.example 'unsafe-inline'", "not a website address"},
		{strings.Join(many, "\n"), "at most 20"},
	} {
		code, body, _ := owner.post("/settings/widget", url.Values{"origins": {"https://www.acme.example\n" + tc.typed}})
		if code != http.StatusBadRequest || !strings.Contains(body, "Not saved") || !strings.Contains(body, tc.why) {
			t.Errorf("origins %q: %d, want 400 saying %q", tc.typed, code, tc.why)
		}
		if !strings.Contains(body, "https://www.acme.example\n") {
			t.Errorf("origins %q: what was typed is lost", tc.typed)
		}
	}
	p, err := h.st.ProviderBySlug(context.Background(), "acme")
	if err != nil || strings.Join(p.Origins(), " ") != "https://shop.acme.example" {
		t.Fatalf("saved origins after refusals: %q, %v", p.Origins(), err)
	}
	// The page shows the snippet with the provider's address, a preview, and what is allowed.
	_, body, hdr := owner.get("/settings/widget")
	for _, want := range []string{`&lt;iframe src=&#34;` + h.ts.URL + `/p/acme/widget&#34;`, `id="widget-preview"`, "Embedding is allowed on 1 website", `href="/settings/widget"`} {
		if !strings.Contains(body, want) {
			t.Errorf("settings page lacks %q", want)
		}
	}
	if !strings.Contains(hdr.Get("Content-Security-Policy"), "frame-src 'self' "+originOf(h.ts.URL)) {
		t.Errorf("settings page cannot frame the preview: %q", hdr.Get("Content-Security-Policy"))
	}
	// Clearing the list: no website may frame the widget, and the page says so.
	owner.post("/settings/widget", url.Values{"origins": {""}})
	if _, body, _ := owner.get("/settings/widget"); !strings.Contains(body, "No website can embed the widget yet") {
		t.Error("an empty list is not explained")
	}
	if _, _, hdr := h.browser().get("/p/acme/widget"); strings.Contains(hdr.Get("Content-Security-Policy"), "shop.acme.example") {
		t.Error("a removed origin may still frame the widget")
	}
	// Engineers (not admins) may not change it.
	u, err := h.st.CreateUser(context.Background(), store.User{ProviderID: p.ID, Email: "eve@acme.test", Name: "Eve", PasswordHash: "h"})
	if err != nil {
		t.Fatal(err)
	}
	eve := h.browser()
	if err := h.srv.startLoginFor(eve, u); err != nil {
		t.Fatal(err)
	}
	if code, _, _ := eve.get("/settings/widget"); code != http.StatusForbidden {
		t.Errorf("engineer opened the widget settings: %d", code)
	}
}

// TestWidgetCodeEndpoint: the code typed into the widget leads to the invitation under the widget token,
// the download says so, allowed origins get CORS and others are refused, codes are the provider's own
// and rate-limited like the code page.
func TestWidgetCodeEndpoint(t *testing.T) {
	h, owner := widgetSetup(t, "https://shop.acme.example")
	id, _ := h.newSession(owner, "Maria Lopez")
	sess, err := h.st.SessionByIDUnscoped(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	form := func(code string) string { return url.Values{"code": {code}}.Encode() }
	formJSON := map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"}
	with := func(m map[string]string, k, v string) map[string]string {
		out := map[string]string{k: v}
		for a, b := range m {
			out[a] = b
		}
		return out
	}
	wantURL := h.ts.URL + "/p/acme/i/" + h.srv.widgetToken(id)

	// The widget's own script: same origin, no cookie, no CSRF token.
	code, body, hdr := h.widgetRequest(http.MethodPost, "/p/acme/widget/code", with(formJSON, "Origin", originOf(h.ts.URL)), form(strings.ToLower(sess.Code)))
	var ans widgetAnswer
	if code != http.StatusOK || json.Unmarshal([]byte(body), &ans) != nil || ans.URL != wantURL || hdr.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("own origin: %d %s, CORS %q", code, body, hdr.Get("Access-Control-Allow-Origin"))
	}
	// An allowed website's script (here JSON, after a preflight).
	code, _, hdr = h.widgetRequest(http.MethodOptions, "/p/acme/widget/code", map[string]string{"Origin": "https://shop.acme.example", "Access-Control-Request-Method": "POST"}, "")
	if code != http.StatusNoContent || hdr.Get("Access-Control-Allow-Origin") != "https://shop.acme.example" || !strings.Contains(hdr.Get("Access-Control-Allow-Methods"), "POST") {
		t.Fatalf("preflight from an allowed origin: %d %v", code, hdr)
	}
	code, body, hdr = h.widgetRequest(http.MethodPost, "/p/acme/widget/code",
		map[string]string{"Origin": "https://shop.acme.example", "Content-Type": "application/json", "Accept": "application/json"}, `{"code":"`+sess.Code+`"}`)
	if code != http.StatusOK || !strings.Contains(body, wantURL) || hdr.Get("Access-Control-Allow-Origin") != "https://shop.acme.example" || !strings.Contains(hdr.Get("Vary"), "Origin") {
		t.Fatalf("allowed origin: %d %s %v", code, body, hdr)
	}
	// Any other website: refused, and its script may not read the answer.
	code, _, hdr = h.widgetRequest(http.MethodOptions, "/p/acme/widget/code", map[string]string{"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"}, "")
	if code != http.StatusForbidden || hdr.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("preflight from another origin: %d %v", code, hdr)
	}
	for _, origin := range []string{"https://evil.example", "http://shop.acme.example", "null"} {
		code, body, hdr = h.widgetRequest(http.MethodPost, "/p/acme/widget/code", with(formJSON, "Origin", origin), form(sess.Code))
		if code != http.StatusForbidden || strings.Contains(body, "/i/") || hdr.Get("Access-Control-Allow-Origin") != "" {
			t.Fatalf("origin %s: %d %s %v", origin, code, body, hdr)
		}
	}
	// Globex's allowed origins do not open Acme's widget, nor Acme's codes Globex's.
	code, body, _ = h.widgetRequest(http.MethodPost, "/p/globex/widget/code", with(formJSON, "Origin", originOf(h.ts.URL)), form(sess.Code))
	if code != http.StatusNotFound || !strings.Contains(body, "not valid") {
		t.Fatalf("Acme's code in Globex's widget: %d %s", code, body)
	}

	// Without script, the form posts with target=_top and gets a redirect.
	code, _, hdr = h.widgetRequest(http.MethodPost, "/p/acme/widget/code", map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Origin": originOf(h.ts.URL)}, form(sess.Code))
	if code != http.StatusSeeOther || hdr.Get("Location") != "/p/acme/i/"+h.srv.widgetToken(id) {
		t.Fatalf("form post: %d %s", code, hdr.Get("Location"))
	}
	// The invitation page opens, and the agent downloaded from it says the customer came by the widget.
	if code, body, _ := h.browser().get("/p/acme/i/" + h.srv.widgetToken(id)); code != http.StatusOK || !strings.Contains(body, "Hello Maria Lopez") {
		t.Fatalf("invitation by widget token: %d", code)
	}
	resp, err := http.Get(wantURL + "/agent/linux-amd64")
	if err != nil {
		t.Fatal(err)
	}
	bin, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	set, err := protocol.ReadSettings(bytes.NewReader(bin), int64(len(bin)), agentSigningKey.Public().(ed25519.PublicKey))
	if err != nil || set.Source != protocol.SourceWidget || set.Token != h.srv.widgetToken(id) {
		t.Fatalf("widget download settings %+v, %v", set, err)
	}
	// The widget token is not the link's nor the code's, and a made-up one opens nothing.
	if h.srv.widgetToken(id) == h.srv.codeToken(id) || h.srv.widgetToken(id) == h.srv.inviteToken(id) {
		t.Fatal("widget token equals another token")
	}
	if code, _, _ := h.browser().get("/p/acme/i/" + h.srv.derive("tether widget v2", id)); code != http.StatusNotFound {
		t.Fatalf("made-up widget token: %d", code)
	}

	// Wrong codes: the reason as JSON for the script; the code page, posting back here, for a form.
	code, body, _ = h.widgetRequest(http.MethodPost, "/p/acme/widget/code", with(formJSON, "Origin", originOf(h.ts.URL)), form("ZZZZZZ"))
	if code != http.StatusNotFound || !strings.Contains(body, `"error":"That code is not valid`) {
		t.Fatalf("wrong code: %d %s", code, body)
	}
	code, body, _ = h.widgetRequest(http.MethodPost, "/p/acme/widget/code", map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, form("ZZZZZZ"))
	if code != http.StatusNotFound || !strings.Contains(body, `action="/p/acme/widget/code"`) || !strings.Contains(body, "not valid or has expired") {
		t.Fatalf("wrong code by form: %d", code)
	}
	code, body, _ = h.widgetRequest(http.MethodPost, "/p/acme/widget/code", formJSON, strings.Repeat("x", 4096))
	if code != http.StatusBadRequest || !strings.Contains(body, "6-character code") {
		t.Fatalf("oversized body: %d %s", code, body)
	}
	// The widget spends the same budget as the code page.
	limited := false
	for i := 0; i < 20 && !limited; i++ {
		code, body, hdr = h.widgetRequest(http.MethodPost, "/p/acme/widget/code", formJSON, form("ZZZZZZ"))
		limited = code == http.StatusTooManyRequests
	}
	if !limited || !strings.Contains(body, "Too many attempts") || hdr.Get("Retry-After") == "" {
		t.Fatalf("widget code attempts are not rate-limited: %d %s", code, body)
	}
	cust := h.browser()
	cust.get("/p/acme/code")
	if code, _, _ := cust.post("/p/acme/code", url.Values{"code": {"ZZZZZZ"}}); code != http.StatusTooManyRequests {
		t.Fatalf("code page after the widget spent the budget: %d", code)
	}
}

// TestWidgetBySubdomain: with -subdomains the widget answers at {subdomain}.{base host}/widget, Tether's
// own addresses (the admin page's, the provider's) may frame it, and the code leads to the provider's
// address.
func TestWidgetBySubdomain(t *testing.T) {
	h := newHarnessWith(t, []string{"-subdomains", "true", "-base-url", "http://localhost"}, nil)
	owner := h.signedUp("Acme", "erin@acme.test")
	id, _ := h.newSession(owner, "Maria Lopez")
	sess, err := h.st.SessionByIDUnscoped(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	p, err := h.st.ProviderBySlug(context.Background(), "acme")
	if err != nil {
		t.Fatal(err)
	}
	if err := h.st.SetWidget(context.Background(), p.ID, []string{"https://www.acme.example"}, false); err != nil {
		t.Fatal(err)
	}
	send := func(method, path string, hdr map[string]string, body string) (int, string, http.Header) {
		req, _ := http.NewRequest(method, h.ts.URL+path, strings.NewReader(body))
		req.Host = "acme.localhost"
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), resp.Header
	}
	code, body, hdr := send(http.MethodGet, "/widget", nil, "")
	if want := "frame-ancestors 'self' http://localhost http://acme.localhost https://www.acme.example"; code != http.StatusOK || !strings.Contains(hdr.Get("Content-Security-Policy"), want) {
		t.Fatalf("widget by subdomain: %d, CSP %q, want %q", code, hdr.Get("Content-Security-Policy"), want)
	}
	if !strings.Contains(body, `action="/widget/code"`) {
		t.Fatal("the widget's form does not post to its own address")
	}
	code, body, hdr = send(http.MethodPost, "/widget/code", map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json", "Origin": "http://acme.localhost"}, "code="+sess.Code)
	if code != http.StatusOK || !strings.Contains(body, `"url":"http://acme.localhost/i/`+h.srv.widgetToken(id)+`"`) || hdr.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("code by subdomain: %d %s", code, body)
	}
	// The admin page may frame the provider's address for its preview.
	_, _, hdr = owner.get("/settings/widget")
	if !strings.Contains(hdr.Get("Content-Security-Policy"), "frame-src 'self' http://acme.localhost") {
		t.Fatalf("admin page CSP %q", hdr.Get("Content-Security-Policy"))
	}
}
