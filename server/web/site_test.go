package web

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"tether/server/store"
)

// TestPortalAddresses: a provider's portal answers at /p/{subdomain}/ on any host, its invitations and
// codes work there and nowhere else's, and links stay on that address.
func TestPortalAddresses(t *testing.T) {
	h := newHarness(t)
	owner := h.signedUp("Acme", "erin@acme.test")
	ctx := context.Background()
	if _, _, err := h.st.CreateProviderWithOwner(ctx, "Globex", "Gus", "gus@globex.test", "h"); err != nil {
		t.Fatal(err)
	}
	id, token := h.newSession(owner, "Maria Lopez")
	sess, err := h.st.SessionByIDUnscoped(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	anon := h.browser()
	for _, tc := range []struct {
		path, want string
		code       int
	}{
		{"/p/acme/", "Acme", http.StatusOK},
		{"/p/acme", "Acme", http.StatusOK},
		{"/p/acme/code", `action="/p/acme/code"`, http.StatusOK},
		{"/p/nope/", "no support portal at this address", http.StatusNotFound},
		{"/p/acme/i/" + token, `data-base="/p/acme/i/` + token + `"`, http.StatusOK},
		{"/p/acme/i/" + token, `href="/p/acme/i/` + token + `/agent/linux-amd64"`, http.StatusOK},
		{"/i/" + token, `data-base="/i/` + token + `"`, http.StatusOK},
		{"/p/globex/i/" + token, "not valid", http.StatusNotFound},
		{"/p/globex/i/" + token + "/agent/linux-amd64", "not valid", http.StatusNotFound},
	} {
		code, body, _ := anon.get(tc.path)
		if code != tc.code || !strings.Contains(body, tc.want) {
			t.Errorf("GET %s: %d, want %d with %q", tc.path, code, tc.code, tc.want)
		}
	}
	anon.get("/p/globex/code")
	if code, body, _ := anon.post("/p/globex/code", url.Values{"code": {sess.Code}}); code != http.StatusNotFound || !strings.Contains(body, "not valid") {
		t.Errorf("Acme's code on Globex's portal: %d", code)
	}
	anon.get("/p/acme/code")
	if code, _, hdr := anon.post("/p/acme/code", url.Values{"code": {sess.Code}}); code != http.StatusSeeOther || !strings.HasPrefix(hdr.Get("Location"), "/p/acme/i/") {
		t.Errorf("Acme's code on Acme's portal: %d %s", code, hdr.Get("Location"))
	}
	// Signing in on a provider's address opens only that provider's account.
	gus := h.browser()
	gus.get("/p/acme/login")
	if code, _, _ := gus.post("/p/acme/login", url.Values{"email": {"erin@acme.test"}, "password": {"wrong"}}); code != http.StatusUnauthorized {
		t.Errorf("wrong password on Acme's address: %d", code)
	}
	gus.get("/p/globex/login")
	if code, _, _ := gus.post("/p/globex/login", url.Values{"email": {"erin@acme.test"}, "password": {"correct horse battery"}}); code != http.StatusUnauthorized {
		t.Errorf("Acme's account on Globex's address: %d, want 401", code)
	}
	gus.get("/p/acme/login")
	if code, _, _ := gus.post("/p/acme/login", url.Values{"email": {"erin@acme.test"}, "password": {"correct horse battery"}}); code != http.StatusSeeOther {
		t.Errorf("Acme's account on Acme's address: %d, want 303", code)
	}
}

// TestPortalBySubdomain: with -subdomains, {subdomain}.{base host} is the provider's portal, and
// invitation links and agent settings use it.
func TestPortalBySubdomain(t *testing.T) {
	h := newHarnessWith(t, []string{"-subdomains", "true", "-base-url", "http://localhost"}, nil)
	owner := h.signedUp("Acme", "erin@acme.test")
	_, token := h.newSession(owner, "Maria Lopez")
	get := func(host, path string) (int, string) {
		req, _ := http.NewRequest(http.MethodGet, h.ts.URL+path, nil)
		req.Host = host
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	for _, tc := range []struct {
		host, path, want string
		code             int
	}{
		{"acme.localhost", "/", "Acme", http.StatusOK},
		{"ACME.localhost:8080", "/i/" + token, `data-base="/i/` + token + `"`, http.StatusOK},
		{"globex.localhost", "/", "no support portal", http.StatusNotFound},
		{"www.localhost", "/", "Tether", http.StatusOK},
		{"localhost", "/i/" + token, "Maria Lopez", http.StatusOK},
	} {
		if code, body := get(tc.host, tc.path); code != tc.code || !strings.Contains(body, tc.want) {
			t.Errorf("GET %s%s: %d, want %d with %q", tc.host, tc.path, code, tc.code, tc.want)
		}
	}
	if got := h.srv.Config.ProviderURL("acme"); got != "http://acme.localhost" {
		t.Errorf("ProviderURL = %s", got)
	}
}

// TestDisabledProviderPortal: a disabled provider's portal says so, and its people cannot use the console.
func TestDisabledProviderPortal(t *testing.T) {
	h := newHarness(t)
	owner := h.signedUp("Acme", "erin@acme.test")
	_, token := h.newSession(owner, "Maria Lopez")
	u, err := userByEmail(h.st, "erin@acme.test")
	if err != nil {
		t.Fatal(err)
	}
	if err := h.st.SetProviderDisabled(context.Background(), u.ProviderID, true); err != nil {
		t.Fatal(err)
	}
	anon := h.browser()
	if code, body, _ := anon.get("/p/acme/"); code != http.StatusForbidden || !strings.Contains(body, "not available") {
		t.Errorf("disabled portal: %d", code)
	}
	if code, body, _ := anon.get("/i/" + token); code != http.StatusForbidden || !strings.Contains(body, "not available") {
		t.Errorf("disabled provider's invitation: %d, want the portal-closed page", code)
	}
	if code, _, _ := owner.get("/console"); code != http.StatusForbidden {
		t.Errorf("disabled provider's console: %d", code)
	}
}

// TestRenamedSubdomainRedirects: after a provider renames its subdomain, pages asked for on the old one
// are sent on to the same page on the new one (links sent before keep working), until another provider
// takes the old name.
func TestRenamedSubdomainRedirects(t *testing.T) {
	h := newHarness(t)
	owner := h.signedUp("Acme", "erin@acme.test")
	_, token := h.newSession(owner, "Maria Lopez")
	ctx := context.Background()
	p, err := h.st.ProviderBySlug(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.st.SetBrand(ctx, p.ID, store.BrandChange{Name: p.Name, Slug: "acme-it", Brand: p.Brand}); err != nil {
		t.Fatal(err)
	}
	anon := h.browser()
	for path, want := range map[string]string{
		"/p/acme/i/" + token: h.ts.URL + "/p/acme-it/i/" + token,
		"/p/acme/code?x=1":   h.ts.URL + "/p/acme-it/code?x=1",
		"/p/acme":            h.ts.URL + "/p/acme-it",
		"/p/acme/help":       h.ts.URL + "/p/acme-it/help",
	} {
		if code, _, hdr := anon.get(path); code != http.StatusTemporaryRedirect || hdr.Get("Location") != want {
			t.Errorf("GET %s: %d %s, want 307 to %s", path, code, hdr.Get("Location"), want)
		}
	}
	if code, body, _ := anon.get("/p/acme-it/i/" + token); code != http.StatusOK || !strings.Contains(body, "Maria Lopez") {
		t.Errorf("the invitation on the new address: %d", code)
	}
	// Another provider takes the old name: the name is theirs now, no redirect.
	other, _, err := h.st.CreateProviderWithOwner(ctx, "Globex", "Gus", "gus@globex.test", "h")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.st.SetBrand(ctx, other.ID, store.BrandChange{Name: "Acme Other", Slug: "acme", Brand: other.Brand}); err != nil {
		t.Fatal(err)
	}
	if code, body, _ := anon.get("/p/acme/"); code != http.StatusOK || !strings.Contains(body, "Acme Other") {
		t.Errorf("the old name taken by another provider: %d", code)
	}
	if code, _, _ := anon.get("/p/acme/i/" + token); code != http.StatusNotFound {
		t.Errorf("the first provider's invitation on the other's address: %d, want 404", code)
	}
	if code, _, _ := anon.get("/p/never-was/"); code != http.StatusNotFound {
		t.Errorf("an address nobody had: %d, want 404", code)
	}
}

// TestSetupRefusesALongCompanyName: setup asks for a company name within the bound every provider's
// display name has (customers see it), instead of failing in the store.
func TestSetupRefusesALongCompanyName(t *testing.T) {
	h := newHarness(t)
	b := h.browser()
	b.get("/setup?token=setup-token-123")
	code, body, _ := b.post("/setup", url.Values{"token": {"setup-token-123"}, "provider": {strings.Repeat("A", store.MaxProviderName+1)},
		"name": {"Erin"}, "email": {"erin@acme.test"}, "password": {"correct horse battery"}, "password2": {"correct horse battery"}})
	if code != http.StatusBadRequest || !strings.Contains(body, "up to 30 characters") {
		t.Fatalf("a 31-character company name: %d", code)
	}
	code, body, _ = b.post("/setup", url.Values{"token": {"setup-token-123"}, "provider": {"Acme"},
		"name": {"Erin"}, "email": {"erin@acme.test"}, "password": {"correct horse battery"}, "password2": {"other"}})
	if code != http.StatusBadRequest || !strings.Contains(body, "two passwords are different") {
		t.Fatalf("different passwords: %d", code)
	}
}

// TestCodePageSpeaksTheCustomersLanguage: the code page follows Accept-Language, and a language chosen
// with ?lang= is remembered over the browser's.
func TestCodePageSpeaksTheCustomersLanguage(t *testing.T) {
	h := newHarness(t)
	h.signedUp("Acme", "erin@acme.test")
	get := func(b *browser, path, accept string) string {
		req, _ := http.NewRequest(http.MethodGet, h.ts.URL+path, nil)
		req.Header.Set("Accept-Language", accept)
		resp, err := b.c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return string(body)
	}
	b := h.browser()
	for accept, want := range map[string]string{
		"de-DE,de;q=0.9": `<html lang="de">`,
		"zh-CN,zh;q=0.9": "输入支持代码",
		"fr-FR,fr;q=0.9": "Enter your support code",
		"de-CH;q=0.8,en": "Enter your support code",
		"de-AT,en;q=0.5": "Support-Code eingeben",
	} {
		if body := get(b, "/p/acme/code", accept); !strings.Contains(body, want) {
			t.Errorf("Accept-Language %s: the page lacks %q", accept, want)
		}
	}
	if body := get(b, "/p/acme/code?lang=zh-Hans", "de"); !strings.Contains(body, "输入支持代码") {
		t.Error("?lang=zh-Hans did not win over the browser's German")
	}
	if body := get(b, "/p/acme/code", "de"); !strings.Contains(body, `<html lang="zh-Hans">`) {
		t.Error("the chosen language was not remembered")
	}
}
