package consent

import (
	"encoding/json"
	"html"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"tether/server/protocol"
	"tether/static/locales"
)

// TestConsentPageSpeaksTheCustomersLanguage: in the language the settings name, the consent page's
// headline, grants, buttons and the words its script says are the catalog's, with no message id shown.
func TestConsentPageSpeaksTheCustomersLanguage(t *testing.T) {
	for _, tc := range []struct {
		lang string
		want []string
	}{
		{"de", []string{`<html lang="de">`, "Erin Engineer von Acme IT möchte sich mit diesem Computer verbinden", "Identität durch Zertifikat bestätigt",
			"Maus und Tastatur verwenden", ">Erlauben<", ">Ablehnen<", "Chat mit Erin Engineer", "Nichts wird übertragen, bevor Sie auf"}},
		{"zh-Hans", []string{`<html lang="zh-Hans">`, "Acme IT 的 Erin Engineer 请求连接到此电脑", "身份已通过证书验证", "使用您的鼠标和键盘", ">允许<", ">拒绝<"}},
		{"en", []string{`<html lang="en">`, "Erin Engineer from Acme IT asks to connect to this computer", ">Allow<", ">Deny<"}},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			loc, err := locales.For(tc.lang)
			if err != nil {
				t.Fatal(err)
			}
			p, err := Serve(asking, protocol.AgentBrand{}, loc, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			resp, err := http.Get(p.URL())
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			page := string(b)
			for _, w := range tc.want {
				if !strings.Contains(page, w) {
					t.Errorf("the page lacks %q", w)
				}
			}
			if m := regexp.MustCompile(`customer_[a-z_]+`).FindString(page); m != "" {
				t.Errorf("the page shows the message id %s", m)
			}
			// The script's words: every one said, in the page's language.
			m := regexp.MustCompile(`data-words="([^"]*)"`).FindStringSubmatch(page)
			if m == nil {
				t.Fatal("the page has no data-words")
			}
			var words map[string]string
			if err := json.Unmarshal([]byte(html.UnescapeString(m[1])), &words); err != nil {
				t.Fatalf("data-words: %v", err)
			}
			for k, w := range words {
				if w == "" || strings.HasPrefix(w, "customer_") {
					t.Errorf("word %s is %q", k, w)
				}
			}
			if en := (locales.Localizer{}).T("customer_agent_status_asking"); tc.lang == "de" && words["status_asking"] == en {
				t.Error("the script's words are English")
			}
		})
	}
}

// TestPromptInSpeaksTheLetters: the console question in every language names the letters Parse reads.
func TestPromptInSpeaksTheLetters(t *testing.T) {
	for _, lang := range []string{"en", "de", "zh-Hans"} {
		loc, err := locales.For(lang)
		if err != nil {
			t.Fatal(err)
		}
		p := PromptIn(loc)
		for _, letter := range []string{"v", "c", "d"} {
			if !strings.Contains(p, letter) {
				t.Errorf("%s prompt %q lacks %q", lang, p, letter)
			}
		}
		if lang == "en" && p != Prompt {
			t.Errorf("English prompt %q, want %q", p, Prompt)
		}
	}
}
