package consent

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"strings"
	"testing"

	"tether/server/protocol"
	"tether/static/locales"
)

func pngLogo(t *testing.T) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, 96, 32))
	for i := range img.Pix {
		img.Pix[i] = 0xc0
	}
	img.Set(3, 3, color.NRGBA{0x0a, 0x7d, 0x5a, 0xff})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func get(t *testing.T, u string) (*http.Response, string) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(b)
}

// TestConsentPageShowsBrand: the page shows the provider's logo, contact
// line and colours, all served by the agent itself from its settings, and
// keeps its CSP.
func TestConsentPageShowsBrand(t *testing.T) {
	logo := pngLogo(t)
	brand := protocol.AgentBrand{Primary: "#0a7d5a", Accent: "#ffb000", Contact: "+1 555 0100 · help@acme.example <b>", Logo: logo}
	p, err := Serve(asking, brand, locales.Localizer{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	resp, html := get(t, p.URL())
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "style-src 'self'") || !strings.Contains(csp, "img-src 'self'") || strings.Contains(csp, "unsafe") {
		t.Errorf("CSP %q", csp)
	}
	for _, want := range []string{`<img class="logo" id="logo" src="logo.png"`, `href="brand.css"`, "Contact Acme IT:", "&#43;1 555 0100 · help@acme.example &lt;b&gt;</span>"} {
		if !strings.Contains(html, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(html, `class="mark"`) {
		t.Error("page shows the initial as well as the logo")
	}
	resp, body := get(t, p.URL()+"logo.png")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/png" || body != string(logo) {
		t.Errorf("logo.png: %d %q, %d bytes", resp.StatusCode, resp.Header.Get("Content-Type"), len(body))
	}
	resp, css := get(t, p.URL()+"brand.css")
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/css") {
		t.Fatalf("brand.css: %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	for _, want := range []string{"--accent: #0a7d5a;", "--on-accent: #ffffff;", "--brand-accent: #ffb000;", "--accent-soft: #e7f2ef;"} {
		if !strings.Contains(css, want) {
			t.Errorf("brand.css lacks %q:\n%s", want, css)
		}
	}

	// Without a brand: Tether's own look, no logo, no stylesheet to fetch.
	plain := servePage(t, asking)
	_, html = get(t, plain.URL())
	if strings.Contains(html, "brand.css") || strings.Contains(html, "logo.png") || strings.Contains(html, "Contact ") || !strings.Contains(html, `class="mark"`) {
		t.Error("a page without brand shows brand elements")
	}
	if resp, _ := get(t, plain.URL()+"logo.png"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("logo.png without a logo: %d", resp.StatusCode)
	}

	// What the settings could not carry is refused here too.
	if _, err := Serve(asking, protocol.AgentBrand{Primary: "red;}body{display:none"}, locales.Localizer{}, nil); err == nil {
		t.Error("a colour that is CSS text was served")
	}
}

func TestBrandColours(t *testing.T) {
	yellow, _ := parseColor("#ffe600")
	if onColor(yellow) != ink {
		t.Errorf("text on yellow: %s, want the ink", onColor(yellow).hex())
	}
	navy, _ := parseColor("#102a6b")
	if onColor(navy) != white {
		t.Errorf("text on navy: %s, want white", onColor(navy).hex())
	}
	if d := readableOn(yellow, white); contrast(d, white) < 4.5 {
		t.Errorf("yellow as text: %s, contrast %.2f", d.hex(), contrast(d, white))
	}
	if d := readableOn(navy, white); d.hex() != "#102a6b" {
		t.Errorf("navy as text changed to %s", d.hex())
	}
	if css := brandCSS(protocol.AgentBrand{}); css != nil {
		t.Errorf("css without colours: %q", css)
	}
}
