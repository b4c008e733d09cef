package consent

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

func pageHTML(t *testing.T, p *Page) string {
	t.Helper()
	resp, err := http.Get(p.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func TestConsentPageLinksToVerification(t *testing.T) {
	st := asking
	st.Verify = "https://support.acme.test/p/acme/verify?code=KQW7XR"
	html := pageHTML(t, servePage(t, st))
	if !strings.Contains(html, `<a href="https://support.acme.test/p/acme/verify?code=KQW7XR" target="_blank" rel="noopener" id="verify-link">Check who is helping you on `) {
		t.Errorf("no link to the verification page: %s", html)
	}
	if html := pageHTML(t, servePage(t, asking)); strings.Contains(html, `id="verify-link"`) {
		t.Error("a link without an address")
	}
}
