package web

import (
	"bytes"
	"context"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"tether/server/auth"
	"tether/server/store"
)

func brandPNG(t testing.TB, w, h int) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = 0xc0
	}
	img.Set(0, 0, color.NRGBA{R: 255, A: 255})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// brandICO is an ICO holding one PNG image of side pixels.
func brandICO(t testing.TB, side int) []byte {
	img := brandPNG(t, side, side)
	var b bytes.Buffer
	le := binary.LittleEndian
	hdr := make([]byte, 6+16)
	le.PutUint16(hdr[2:], 1)
	le.PutUint16(hdr[4:], 1)
	hdr[6], hdr[7] = byte(side), byte(side)
	le.PutUint16(hdr[10:], 1)
	le.PutUint16(hdr[12:], 32)
	le.PutUint32(hdr[14:], uint32(len(img)))
	le.PutUint32(hdr[18:], 22)
	b.Write(hdr)
	b.Write(img)
	return b.Bytes()
}

// brandingFields are the branding page's fields as a browser sends them unchanged, plus changes.
func brandingFields(change map[string]string) map[string]string {
	f := map[string]string{"name": "Acme", "slug": "acme", "primary_color": "", "accent_color": "", "contact": "",
		"banner_text": "", "banner_link": "", "welcome": ""}
	for k, v := range change {
		f[k] = v
	}
	return f
}

// postBranding posts the branding form as multipart, with files by field name.
func (b *browser) postBranding(path string, fields map[string]string, files map[string][]byte) (int, string, http.Header) {
	b.h.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	_ = mw.WriteField("_csrf", b.csrf)
	for k, v := range fields {
		_ = mw.WriteField(k, v)
	}
	for k, data := range files {
		w, _ := mw.CreateFormFile(k, k+".bin")
		_, _ = w.Write(data)
	}
	_ = mw.Close()
	req, _ := http.NewRequest(http.MethodPost, b.h.ts.URL+path, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := b.c.Do(req)
	if err != nil {
		b.h.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(out), resp.Header
}

func (h *harness) providerBySlug(slug string) store.Provider {
	h.t.Helper()
	p, err := h.st.ProviderBySlug(context.Background(), slug)
	if err != nil {
		h.t.Fatal(err)
	}
	return p
}

func TestBrandingSavedAndShownToCustomers(t *testing.T) {
	h := newHarness(t)
	owner := h.signedUp("Acme", "erin@acme.test")
	if code, body, _ := owner.get("/settings/branding"); code != http.StatusOK || !strings.Contains(body, `id="branding-form"`) ||
		!strings.Contains(body, `href="/settings/branding"`) || !strings.Contains(body, "breaks its code signature (Authenticode)") {
		t.Fatalf("branding page: %d", code)
	}
	h.clock.Add(time.Minute)
	code, body, hdr := owner.postBranding("/settings/branding", brandingFields(map[string]string{
		"name": "Müller IT", "slug": "Mueller-IT", "primary_color": "#AA3300", "accent_color": "#ffd700",
		"contact": "+49 30 1234 · help@mueller.test", "banner_text": "Closed on Friday", "banner_link": "https://mueller.test/news",
		"welcome": "Hallo!\r\nWe help at once.", "patch_icon": "1",
	}), map[string][]byte{"logo": brandPNG(t, 1024, 256), "icon": brandICO(t, 32)})
	if code != http.StatusSeeOther || hdr.Get("Location") != "/settings/branding?saved=1" {
		t.Fatalf("save: %d %s", code, body)
	}
	p := h.providerBySlug("mueller-it")
	if p.Name != "Müller IT" || p.PrimaryColor != "#aa3300" || p.AccentColor != "#ffd700" || p.Welcome != "Hallo!\nWe help at once." ||
		!p.PatchIcon || !strings.HasSuffix(p.LogoKey, ".png") || !strings.HasSuffix(p.IconKey, ".ico") || p.UpdatedAt == nil {
		t.Fatalf("saved provider: %+v", p)
	}
	if _, body, _ := owner.get("/settings/branding?saved=1"); !strings.Contains(body, "Branding saved") || !strings.Contains(body, "/p/mueller-it") {
		t.Fatal("saved page does not say so or show the new address")
	}

	// The customer's pages carry the brand.
	id, token := h.newSession(owner, "Ann Lee")
	cust := h.browser()
	for _, path := range []string{"/i/" + token, "/p/mueller-it/i/" + token, "/p/mueller-it/", "/p/mueller-it/i/" + strings.Repeat("b", 32)} {
		_, body, _ := cust.get(path)
		v := brandVersion(p)
		for _, want := range []string{
			`src="/brand/mueller-it/logo?v=` + v + `"`, `href="/brand/mueller-it/theme.css?v=` + v + `"`,
			`<link rel="icon" href="/brand/mueller-it/icon.ico?v=` + v + `" type="image/x-icon">`,
			`+49 30 1234 · help@mueller.test`, `href="https://mueller.test/news" target="_blank" rel="noopener noreferrer"`, "Closed on Friday",
		} {
			if !strings.Contains(body, want) {
				t.Errorf("%s lacks %s", path, want)
			}
		}
		if !strings.Contains(path, strings.Repeat("b", 32)) && !strings.Contains(body, "Hallo!\nWe help at once.") {
			t.Errorf("%s lacks the welcome", path)
		}
	}
	if _, body, _ := cust.get("/p/mueller-it/i/" + strings.Repeat("b", 32)); !strings.Contains(body, `href="/p/mueller-it/">Go to the start page`) {
		t.Error("a provider's error page leads to Tether's start page")
	}
	if _, body, _ := cust.get("/i/" + token); !strings.Contains(body, "Müller-IT-Support.exe") && !strings.Contains(body, "müller-it-support") {
		t.Error("invitation page does not name the program after the provider")
	}

	// The brand's files, versioned and cacheable.
	logo := cust.fetchBrandFile(t, "/brand/mueller-it/logo?v="+brandVersion(p), "image/png")
	if cfg, err := png.DecodeConfig(bytes.NewReader(logo.body)); err != nil || cfg.Width != 512 || cfg.Height != 128 {
		t.Fatalf("logo: %v %+v", err, cfg)
	}
	if logo.hdr.Get("Cache-Control") != "public, max-age=31536000, immutable" {
		t.Fatalf("logo cache: %q", logo.hdr.Get("Cache-Control"))
	}
	if old := cust.fetchBrandFile(t, "/brand/mueller-it/logo?v=old", "image/png"); old.hdr.Get("Cache-Control") != "no-cache" {
		t.Fatalf("an old version is cached: %q", old.hdr.Get("Cache-Control"))
	}
	if ico := cust.fetchBrandFile(t, "/brand/mueller-it/icon.ico?v="+brandVersion(p), "image/x-icon"); !bytes.Equal(ico.body, brandICO(t, 32)) {
		t.Fatal("icon is not the uploaded one")
	}
	theme := cust.fetchBrandFile(t, "/brand/mueller-it/theme.css?v="+brandVersion(p), "text/css; charset=utf-8")
	for _, want := range []string{"--brand-primary: #aa3300;", "--brand-on-primary: #ffffff;", "--brand-accent: #ffd700;", "--brand-on-accent: #1b2330;"} {
		if !strings.Contains(string(theme.body), want) {
			t.Fatalf("theme lacks %s:\n%s", want, theme.body)
		}
	}

	// The download is named after the provider, for every new download at once.
	resp, err := http.Get(h.ts.URL + "/i/" + token + "/agent/linux-amd64")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if cd := resp.Header.Get("Content-Disposition"); cd != `attachment; filename="m_ller-it-support"; filename*=UTF-8''m%C3%BCller-it-support` {
		t.Fatalf("download name: %q", cd)
	}

	// The report to keep carries the logo and colours in itself, to show them offline.
	if _, body, _ := owner.get("/sessions/" + id + "/report/download"); !strings.Contains(body, `<img class="brand-logo" src="data:image/png;base64,`) ||
		!strings.Contains(body, "--brand-primary: #aa3300;") || strings.Contains(body, "/brand/mueller-it/") {
		t.Error("the downloaded report does not carry the brand in itself")
	}

	// Removing the logo goes back to the monogram and deletes the file.
	owner.get("/settings/branding")
	if code, _, _ := owner.post("/settings/branding/remove", url.Values{"what": {"logo"}}); code != http.StatusSeeOther {
		t.Fatalf("remove logo: %d", code)
	}
	if p2 := h.providerBySlug("mueller-it"); p2.LogoKey != "" || p2.IconKey != p.IconKey {
		t.Fatalf("after removing the logo: %+v", p2.Brand)
	}
	if code, _, _ := cust.get("/brand/mueller-it/logo"); code != http.StatusNotFound {
		t.Fatalf("removed logo still served: %d", code)
	}
	if _, _, err := h.srv.Blobs.Open(context.Background(), p.LogoKey); err == nil {
		t.Fatal("removed logo's file is still stored")
	}
}

type brandFile struct {
	body []byte
	hdr  http.Header
}

func (b *browser) fetchBrandFile(t *testing.T, path, ctype string) brandFile {
	t.Helper()
	resp, err := b.c.Get(b.h.ts.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != ctype {
		t.Fatalf("GET %s: %d %s", path, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	return brandFile{body, resp.Header}
}

func TestBrandingRefusalsKeepTheOldBranding(t *testing.T) {
	h := newHarness(t)
	owner := h.signedUp("Acme", "erin@acme.test")
	if _, _, err := h.st.CreateProviderWithOwner(context.Background(), "Globex", "Gil", "gil@globex.test", "h"); err != nil {
		t.Fatal(err)
	}
	owner.get("/settings/branding")
	if code, body, _ := owner.postBranding("/settings/branding", brandingFields(map[string]string{"primary_color": "#112233"}),
		map[string][]byte{"logo": brandPNG(t, 40, 40), "icon": brandICO(t, 16)}); code != http.StatusSeeOther {
		t.Fatalf("first save: %d %s", code, body)
	}
	before := h.providerBySlug("acme")
	blobs := func() int {
		infos, err := h.srv.Blobs.List(context.Background(), "brand")
		if err != nil {
			t.Fatal(err)
		}
		return len(infos)
	}
	if blobs() != 2 {
		t.Fatalf("%d brand files stored, want 2", blobs())
	}
	small := brandPNG(t, 8, 8)
	bomb := bytes.Clone(small)
	binary.BigEndian.PutUint32(bomb[16:], 60000)
	binary.BigEndian.PutUint32(bomb[20:], 60000)
	binary.BigEndian.PutUint32(bomb[29:], crc32.ChecksumIEEE(bomb[12:29]))
	for _, tc := range []struct {
		name   string
		fields map[string]string
		files  map[string][]byte
		status int
		want   string
	}{
		{"not an image", nil, map[string][]byte{"logo": []byte("just text")}, 400, "not a PNG, JPEG, WebP or SVG image. The old logo stays."},
		{"decompression bomb", nil, map[string][]byte{"logo": bomb}, 400, "60000×60000 pixels; the limit is 16 megapixels"},
		{"svg with a script", nil, map[string][]byte{"logo": []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`)}, 400, "uses the element &lt;script&gt;"},
		{"not an ico", nil, map[string][]byte{"icon": small}, 400, "not a Windows icon (.ico) file"},
		{"ico cut short", nil, map[string][]byte{"icon": brandICO(t, 16)[:10]}, 400, "cut short"},
		{"logo too big", nil, map[string][]byte{"logo": make([]byte, 2<<20+1)}, 400, "larger than 2 MB"},
		{"whole upload too big", nil, map[string][]byte{"logo": make([]byte, 2<<20), "icon": make([]byte, 1<<20+100<<10)}, 413, "at most 2 MB and the icon 1 MB"},
		{"subdomain taken", map[string]string{"slug": "globex"}, map[string][]byte{"logo": small}, 400, "Not saved. The subdomain &#34;globex&#34; is taken by another provider"},
		{"subdomain reserved", map[string]string{"slug": "admin"}, nil, 400, "&#34;admin&#34; is reserved"},
		{"subdomain invalid", map[string]string{"slug": "-acme"}, nil, 400, "cannot start or end with a hyphen"},
		{"bad colour", map[string]string{"primary_color": "red"}, nil, 400, "primary colour must be a colour written #rrggbb"},
		{"banner link not https", map[string]string{"banner_text": "x", "banner_link": "javascript:alert(1)"}, nil, 400, "must be a web address starting with https://"},
		{"name too long", map[string]string{"name": strings.Repeat("n", 31)}, map[string][]byte{"icon": brandICO(t, 16)}, 400, "display name must have 1 to 30 characters"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, body, _ := owner.postBranding("/settings/branding", brandingFields(tc.fields), tc.files)
			if code != tc.status || !strings.Contains(body, tc.want) {
				t.Fatalf("%d, want %d with %q:\n%s", code, tc.status, tc.want, regexp.MustCompile(`(?s)<p class="error"[^>]*>.*?</p>`).FindString(body))
			}
			if code == 400 && tc.fields != nil {
				for _, v := range tc.fields {
					if !strings.Contains(body, `value="`+v+`"`) {
						t.Errorf("the form lost what was typed: %q", v)
					}
				}
			}
			after := h.providerBySlug("acme")
			if after.Name != before.Name || after.Slug != before.Slug || after.LogoKey != before.LogoKey || after.IconKey != before.IconKey ||
				after.PrimaryColor != before.PrimaryColor || !after.UpdatedAt.Equal(*before.UpdatedAt) {
				t.Fatalf("the old branding changed: %+v", after)
			}
			if n := blobs(); n != 2 {
				t.Fatalf("%d brand files stored after a refusal, want 2", n)
			}
		})
	}
}

func TestBrandingSVGLogoServedSandboxed(t *testing.T) {
	h := newHarness(t)
	owner := h.signedUp("Acme", "erin@acme.test")
	owner.get("/settings/branding")
	svg := `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><circle cx="5" cy="5" r="4" fill="#c00"/></svg>`
	if code, body, _ := owner.postBranding("/settings/branding", brandingFields(nil), map[string][]byte{"logo": []byte(svg)}); code != http.StatusSeeOther {
		t.Fatalf("save: %d %s", code, body)
	}
	got := h.browser().fetchBrandFile(t, "/brand/acme/logo", "image/svg+xml")
	if got.hdr.Get("Content-Security-Policy") != svgPolicy || got.hdr.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("headers: %v", got.hdr)
	}
	if !strings.Contains(string(got.body), `<circle cx="5" cy="5" r="4" fill="#c00"></circle>`) {
		t.Fatalf("served SVG: %s", got.body)
	}
}

func TestBrandingOnlyForAdmins(t *testing.T) {
	h := newHarness(t)
	h.signedUp("Acme", "erin@acme.test")
	p := h.providerBySlug("acme")
	if _, err := h.st.CreateUser(context.Background(), store.User{ProviderID: p.ID, Email: "eng@acme.test", Name: "Eng",
		PasswordHash: brandingHash(t, "correct horse battery"), Role: store.RoleEngineer}); err != nil {
		t.Fatal(err)
	}
	eng := h.browser()
	eng.get("/login")
	if code, _, _ := eng.post("/login", url.Values{"email": {"eng@acme.test"}, "password": {"correct horse battery"}}); code != http.StatusSeeOther {
		t.Fatalf("sign in: %d", code)
	}
	if code, body, _ := eng.get("/settings/branding"); code != http.StatusForbidden || strings.Contains(body, `href="/settings/branding"`) {
		t.Fatalf("engineer on the branding page: %d", code)
	}
	if code, _, _ := eng.postBranding("/settings/branding", brandingFields(map[string]string{"name": "Hacked"}), nil); code != http.StatusForbidden {
		t.Fatalf("engineer saving the branding: %d", code)
	}
	if h.providerBySlug("acme").Name != "Acme" {
		t.Fatal("an engineer changed the branding")
	}
}

func TestAgentFileName(t *testing.T) {
	for _, tc := range []struct{ name, windows, linux string }{
		{"Acme", "Acme-Support.exe", "acme-support"},
		{"Acme IT Services", "Acme-IT-Services-Support.exe", "acme-it-services-support"},
		{"Acme Support", "Acme-Support.exe", "acme-support"},
		{"../../etc/passwd", "etc-passwd-Support.exe", "etc-passwd-support"},
		{`a"b\c;d`, "a-b-c-d-Support.exe", "a-b-c-d-support"},
		{"Müller & Söhne", "Müller-Söhne-Support.exe", "müller-söhne-support"},
		{"東京サポート", "東京サポート-Support.exe", "東京サポート-support"},
		{"!!!", "Tether-Support.exe", "tether-support"},
	} {
		if got := agentFileName(tc.name, "windows"); got != tc.windows {
			t.Errorf("agentFileName(%q, windows) = %q, want %q", tc.name, got, tc.windows)
		}
		if got := agentFileName(tc.name, "linux"); got != tc.linux {
			t.Errorf("agentFileName(%q, linux) = %q, want %q", tc.name, got, tc.linux)
		}
	}
	if got := contentDisposition("Müller-Support.exe"); got != `attachment; filename="M_ller-Support.exe"; filename*=UTF-8''M%C3%BCller-Support.exe` {
		t.Errorf("contentDisposition = %s", got)
	}
}

func TestThemeTextContrast(t *testing.T) {
	for bg, want := range map[string]string{"#2457d6": "#ffffff", "#000000": "#ffffff", "#ffd700": "#1b2330", "#ffffff": "#1b2330", "#aa3300": "#ffffff"} {
		if got := textOn(bg); got != want {
			t.Errorf("textOn(%s) = %s, want %s", bg, got, want)
		}
	}
	for c, want := range map[string]string{"#2457d6": "#2457d6", "#ffd700": "#857000", "#ffffff": "#717171", "#000000": "#000000"} {
		got := readableOnWhite(c)
		if got != want || 1.05/(luminance(got)+0.05) < 4.5 {
			t.Errorf("readableOnWhite(%s) = %s, want %s", c, got, want)
		}
	}
	if css := themeCSS("#112233", "red;}body{x"); strings.Contains(css, "red") || !strings.Contains(css, "#112233") {
		t.Errorf("theme written from an invalid colour:\n%s", css)
	}
}

func brandingHash(t *testing.T, pw string) string {
	t.Helper()
	h, err := auth.HashPassword(pw)
	if err != nil {
		t.Fatal(err)
	}
	return h
}
