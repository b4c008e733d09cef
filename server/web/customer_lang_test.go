package web

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"tether/server/protocol"
	"tether/server/store"
	"tether/static/locales"
)

// getLang fetches path with an Accept-Language header ("" for none) in browser b.
func getLang(t *testing.T, h *harness, b *browser, path, accept string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, h.ts.URL+path, nil)
	if accept != "" {
		req.Header.Set("Accept-Language", accept)
	}
	resp, err := b.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// rawID is a message id shown instead of its words.
var rawID = regexp.MustCompile(`\b(customer|invite|code|language)_[a-z0-9_]+\b`)

// TestCustomerPagesSpeakTheCustomersLanguage: every customer page answers in the browser's language, or the
// one chosen with ?lang=, with words of the catalog (no message id, no English left in its main lines),
// while the provider's own texts stay as written.
func TestCustomerPagesSpeakTheCustomersLanguage(t *testing.T) {
	h, owner := widgetSetup(t, "https://www.acme.example")
	_, tok := h.newSession(owner, "Maria")
	pages := []struct {
		name, path string
		status     int
		en, de, zh []string
	}{
		{"invitation", "/p/acme/i/" + tok, 200,
			[]string{"Erin Engineer from Acme would like to help you", "Hello Maria.", "Download", "This invitation is valid until", "Chat with Erin Engineer"},
			[]string{"Erin Engineer von Acme möchte Ihnen helfen", "Hallo Maria,", "Herunterladen", "Diese Einladung ist gültig bis", "Chat mit Erin Engineer", "Wie zufrieden waren Sie"},
			[]string{"Acme 的 Erin Engineer 希望为您提供帮助", "Maria，您好", "下载", "此邀请有效期至", "与 Erin Engineer 聊天"}},
		{"code", "/p/acme/code", 200,
			[]string{"Enter your support code", "No code yet?"},
			[]string{"Support-Code eingeben", "Noch keinen Code?", "Hilfe anfordern"},
			[]string{"输入支持代码", "还没有代码？", "获取帮助"}},
		{"help", "/p/acme/help", 200,
			[]string{"Get help from Acme", "Your name", "Ask for help"},
			[]string{"Hilfe von Acme anfordern", "Ihr Name", "Worum geht es?"},
			[]string{"向 Acme 寻求帮助", "您的姓名", "请求帮助"}},
		{"widget", "/p/acme/widget", 200,
			[]string{"Enter your support code", "Connect"},
			[]string{"Support-Code eingeben", "Verbinden"},
			[]string{"输入支持代码", "连接"}},
		{"unknown invitation", "/p/acme/i/nonsense", 404,
			[]string{"Not found", "This invitation link is not valid", "Go to the start page"},
			[]string{"Nicht gefunden", "Dieser Einladungslink ist nicht gültig", "Zur Startseite"},
			[]string{"未找到", "此邀请链接无效", "返回首页"}},
	}
	english := []string{"Remote support", "would like to help", "Download", "Enter your support code", "Ask for help", "Not found", "powered by"}
	for _, pg := range pages {
		for _, tc := range []struct {
			lang, accept, query string
			want                []string
		}{
			{"en", "en-US,en;q=0.9", "", pg.en},
			{"de", "de-DE,de;q=0.9,en;q=0.5", "", pg.de},
			{"zh-Hans", "zh-CN,zh;q=0.9", "", pg.zh},
			{"de", "fr-FR", "?lang=de", pg.de},
			{"zh-Hans", "de-DE", "?lang=zh-Hans", pg.zh},
		} {
			t.Run(pg.name+"/"+tc.lang+tc.query, func(t *testing.T) {
				status, body := getLang(t, h, h.browser(), pg.path+tc.query, tc.accept)
				if status != pg.status {
					t.Fatalf("status %d, want %d", status, pg.status)
				}
				if !strings.Contains(body, `<html lang="`+tc.lang+`">`) {
					t.Errorf("<html lang> is not %s", tc.lang)
				}
				for _, w := range tc.want {
					if !strings.Contains(body, w) {
						t.Errorf("the page lacks %q", w)
					}
				}
				if m := rawID.FindString(body); m != "" {
					t.Errorf("the page shows the message id %s", m)
				}
				if tc.lang != "en" {
					for _, en := range english {
						if strings.Contains(body, ">"+en) || strings.Contains(body, en+"<") {
							t.Errorf("English left on the page: %q", en)
						}
					}
				}
				if pg.name != "widget" && !strings.Contains(body, `id="lang-switch"`) {
					t.Error("the page has no language switcher")
				}
			})
		}
	}

	// The choice is remembered across pages and outranks the browser's language.
	b := h.browser()
	getLang(t, h, b, "/p/acme/code?lang=de", "zh-CN")
	if _, body := getLang(t, h, b, "/p/acme/i/"+tok, "zh-CN"); !strings.Contains(body, "möchte Ihnen helfen") {
		t.Error("the language chosen on the code page was not kept on the invitation page")
	}
}

// TestCustomerErrorsInTheCustomersLanguage: what a customer is refused with (a wrong code, the widget's
// JSON answer) is worded in their language.
func TestCustomerErrorsInTheCustomersLanguage(t *testing.T) {
	h, _ := widgetSetup(t, "https://www.acme.example")
	b := h.browser()
	b.get("/p/acme/code?lang=de")
	code, body, _ := b.post("/p/acme/code", url.Values{"code": {"ZZZZZZ"}})
	if code != http.StatusNotFound || !strings.Contains(body, "Dieser Code ist ungültig oder abgelaufen") {
		t.Errorf("wrong code in German: %d, the page lacks the German refusal", code)
	}
	req, _ := http.NewRequest(http.MethodPost, h.ts.URL+"/p/acme/widget/code", strings.NewReader("code=ZZZZZZ"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Accept-Language", "zh-CN")
	resp, err := h.browser().c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	js, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(js), "该代码无效或已过期") {
		t.Errorf("widget refusal not in Chinese: %s", js)
	}
}

// TestProviderDefaultCustomerLanguage: a provider's default customer language is what customers get when
// their browser asks for no language Tether speaks; a browser asking for one Tether speaks still gets it.
func TestProviderDefaultCustomerLanguage(t *testing.T) {
	h := newHarness(t)
	owner := h.signedUp("Acme", "erin@acme.test")
	_, tok := h.newSession(owner, "Maria")
	owner.get("/settings/branding")
	if code, _, hdr := owner.post("/settings/branding/language", url.Values{"default_language": {"de"}}); code != http.StatusSeeOther ||
		!strings.HasPrefix(hdr.Get("Location"), "/settings/branding?language=saved") {
		t.Fatalf("save: %d %s", code, hdr.Get("Location"))
	}
	if _, body, _ := owner.get("/settings/branding?language=saved"); !strings.Contains(body, `<option value="de" selected>`) ||
		!strings.Contains(body, `id="customer-language-saved"`) {
		t.Error("the Branding page does not show the saved language")
	}
	for _, tc := range []struct{ accept, want string }{
		{"", "Erin Engineer von Acme möchte Ihnen helfen"},
		{"fr-FR,fr;q=0.9", "Erin Engineer von Acme möchte Ihnen helfen"},
		{"en-GB", "Erin Engineer from Acme would like to help you"},
		{"zh-CN", "Acme 的 Erin Engineer 希望为您提供帮助"},
	} {
		if _, body := getLang(t, h, h.browser(), "/p/acme/i/"+tok, tc.accept); !strings.Contains(body, tc.want) {
			t.Errorf("Accept-Language %q: the invitation lacks %q", tc.accept, tc.want)
		}
	}
	if _, body := getLang(t, h, h.browser(), "/p/acme/code", "fr"); !strings.Contains(body, "Support-Code eingeben") {
		t.Error("the code page ignores the provider's default language")
	}
	// Nonsense is refused and changes nothing.
	if code, _, _ := owner.post("/settings/branding/language", url.Values{"default_language": {"klingon"}}); code != http.StatusBadRequest {
		t.Errorf("a language Tether does not speak: %d, want 400", code)
	}
	if _, body := getLang(t, h, h.browser(), "/p/acme/code", "fr"); !strings.Contains(body, "Support-Code eingeben") {
		t.Error("a refused language changed the default")
	}
	// Back to English, stored as "".
	owner.post("/settings/branding/language", url.Values{"default_language": {"en"}})
	if _, body := getLang(t, h, h.browser(), "/p/acme/code", "fr"); !strings.Contains(body, "Enter your support code") {
		t.Error("English as default did not apply")
	}
}

// TestEndReasonsSaid: every end reason a customer may read has its words in every language.
func TestEndReasonsSaid(t *testing.T) {
	for _, lang := range []string{"en", "de", "zh-Hans"} {
		loc, err := locales.For(lang)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range append(protocol.EndReasons(), protocol.EndedBy("Erin")) {
			got := locales.CustomerEndReason(loc.T, r)
			if got == "" || strings.HasPrefix(got, "customer_reason_") {
				t.Errorf("%s: end reason %q is said as %q", lang, r, got)
			}
			if lang != "en" && got == r {
				t.Errorf("%s: end reason %q is left in English", lang, r)
			}
		}
	}
}

// TestAgentSpeaksTheInvitationsLanguage: the support program downloaded from an invitation page carries
// the page's language in its signed settings (the choice, else the browser's, else the provider's default).
func TestAgentSpeaksTheInvitationsLanguage(t *testing.T) {
	h := newHarness(t)
	owner := h.signedUp("Acme", "erin@acme.test")
	_, tok := h.newSession(owner, "Maria")
	language := func(b *browser, accept string) string {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, h.ts.URL+"/i/"+tok+"/agent/linux-amd64", nil)
		if accept != "" {
			req.Header.Set("Accept-Language", accept)
		}
		resp, err := b.c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		bin, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		set, err := protocol.ReadSettings(bytes.NewReader(bin), int64(len(bin)), agentSigningKey.Public().(ed25519.PublicKey))
		if err != nil {
			t.Fatalf("settings: %v (status %d)", err, resp.StatusCode)
		}
		return set.Language
	}
	if got := language(h.browser(), "de-DE,de;q=0.9"); got != "de" {
		t.Errorf("German browser: agent language %q", got)
	}
	b := h.browser()
	getLang(t, h, b, "/i/"+tok+"?lang=zh-Hans", "de")
	if got := language(b, "de"); got != "zh-Hans" {
		t.Errorf("Chinese chosen on the page: agent language %q", got)
	}
	if got := language(h.browser(), ""); got != "en" {
		t.Errorf("no preference: agent language %q", got)
	}
}

// TestEndedSessionInTheCustomersLanguage: after the end, the invitation page, the customer's report and its
// download speak the customer's language, the end reason too.
func TestEndedSessionInTheCustomersLanguage(t *testing.T) {
	h := newHarness(t)
	owner := h.signedUp("Acme", "erin@acme.test")
	id, tok := h.newSession(owner, "Maria")
	if _, _, err := h.live.End(context.Background(), id, protocol.EndedBy("Erin Engineer"), store.ActorCustomer); err != nil {
		t.Fatal(err)
	}
	cust := h.browser()
	for _, tc := range []struct {
		path string
		want []string
	}{
		{"/i/" + tok + "?lang=de", []string{"Ihre Support-Sitzung mit Erin Engineer von Acme", "Diese Support-Sitzung ist beendet.", "Bericht ansehen", "Feedback senden"}},
		{"/i/" + tok + "/report", []string{`<html lang="de">`, `id="lang-switch"`, "Bericht zur Support-Sitzung", "Grund für das Ende", "beendet von Erin Engineer",
			"Was der Techniker durfte", "Der Kunde hat keine Berechtigungen erteilt.", "Wurde diese Sitzung aufgezeichnet"}},
		{"/i/" + tok + "/report/download", []string{`<html lang="de">`, "Bericht zur Support-Sitzung", "Bericht erstellt am"}},
	} {
		code, body, _ := cust.get(tc.path)
		if code != http.StatusOK {
			t.Fatalf("GET %s: %d", tc.path, code)
		}
		for _, w := range tc.want {
			if !strings.Contains(body, w) {
				t.Errorf("%s lacks %q", tc.path, w)
			}
		}
		if m := rawID.FindString(body); m != "" {
			t.Errorf("%s shows the message id %s", tc.path, m)
		}
	}
	// The survey answers the customer in their language too.
	cust.get("/i/" + tok)
	if code, body := cust.postJSON("/i/"+tok+"/survey", surveyAnswer{Rating: 9}); code != http.StatusBadRequest || !strings.Contains(body, "Wählen Sie 1 bis 5 Sterne") {
		t.Errorf("bad survey answer: %d %s", code, body)
	}
}
