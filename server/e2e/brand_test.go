//go:build linux

package e2e

import (
	"bytes"
	"context"
	"encoding/binary"
	"image"
	"image/color"
	"image/png"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// brandWorld is a Tether server and an engineer (the owner) signed in, with no customer computer: the
// branding tests look at pages, not screens.
func brandWorld(t *testing.T, serverEnv ...string) *world {
	requireTools(t)
	w := &world{a: build(t)}
	w.srv = startServer(t, w.a, serverEnv...)
	w.engineer = newBrowser(t)
	w.setupAccount(t)
	return w
}

// brandFiles writes a logo (a wide PNG: an orange rounded bar with a white square) and an icon (an ICO
// around a 32×32 PNG) for upload.
func brandFiles(t *testing.T) (logo, icon string) {
	t.Helper()
	dir := t.TempDir()
	img := image.NewNRGBA(image.Rect(0, 0, 480, 120))
	for y := range 120 {
		for x := range 480 {
			c := color.NRGBA{R: 0xc2, G: 0x41, B: 0x0c, A: 255}
			if x > 30 && x < 110 && y > 20 && y < 100 {
				c = color.NRGBA{R: 255, G: 255, B: 255, A: 255}
			}
			img.Set(x, y, c)
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	logo = filepath.Join(dir, "northwind-logo.png")
	if err := os.WriteFile(logo, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	small := image.NewNRGBA(image.Rect(0, 0, 32, 32))
	for i := range small.Pix {
		small.Pix[i] = []byte{0x0f, 0x76, 0x6e, 0xff}[i%4]
	}
	var p bytes.Buffer
	if err := png.Encode(&p, small); err != nil {
		t.Fatal(err)
	}
	le := binary.LittleEndian
	ico := make([]byte, 22)
	le.PutUint16(ico[2:], 1)
	le.PutUint16(ico[4:], 1)
	ico[6], ico[7] = 32, 32
	le.PutUint16(ico[10:], 1)
	le.PutUint16(ico[12:], 32)
	le.PutUint32(ico[14:], uint32(p.Len()))
	le.PutUint32(ico[18:], 22)
	icon = filepath.Join(dir, "northwind.ico")
	if err := os.WriteFile(icon, append(ico, p.Bytes()...), 0o644); err != nil {
		t.Fatal(err)
	}
	return logo, icon
}

// brandType replaces an input's value the way a person does, so that its input events fire.
func brandType(sel, text string) chromedp.Action[chromedp.Void] {
	clear := chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := chromedp.Evaluate[bool](`(document.querySelector(`+strconv.Quote(sel)+`).value = "") === ""`)(ctx, tg)
		return err
	})
	return chromedp.Steps(chromedp.WaitVisible(chromedp.CSS(sel)), clear, chromedp.SendKeys(chromedp.CSS(sel), text))
}

// brandComputed is a computed style property of the first element sel matches.
func brandComputed(t testing.TB, ctx context.Context, sel, prop string) string {
	t.Helper()
	return eval[string](t, ctx, `getComputedStyle(document.querySelector(`+strconv.Quote(sel)+`)).getPropertyValue(`+strconv.Quote(prop)+`)`)
}

// TestBrandingShownToCustomer: the owner brands the portal on the branding page in a real browser (a
// PNG logo and an ICO icon uploaded, colours, welcome, contact, banner), the preview follows as they
// type, and the customer's invitation page, the code page and the downloaded program show the brand.
func TestBrandingShownToCustomer(t *testing.T) {
	w := brandWorld(t)
	eng := w.engineer
	logo, icon := brandFiles(t)
	const orange, teal = "rgb(194, 65, 12)", "rgb(15, 118, 110)"
	// A file that is not an image is refused with the reason, and nothing is saved.
	notImage := filepath.Join(t.TempDir(), "logo.png")
	if err := os.WriteFile(notImage, []byte("this is not a picture"), 0o644); err != nil {
		t.Fatal(err)
	}
	do(t, eng, 20*time.Second, "a refused logo",
		chromedp.Navigate(w.srv.url+"/console"),
		chromedp.Click(chromedp.CSS(`.topbar nav a[href="/settings/branding"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#branding-form`)),
		brandType(`#b-welcome`, "Not saved"),
		chromedp.SetUploadFiles(chromedp.CSS(`#b-logo`), []string{notImage}),
		chromedp.Click(chromedp.CSS(`#b-save`)),
		chromedp.WaitVisible(chromedp.CSS(`#branding-error`)),
	)
	if got := eval[string](t, eng, `document.getElementById("branding-error").textContent`); got != "Not saved. The logo is not a PNG, JPEG, WebP or SVG image. The old logo stays." {
		t.Errorf("refusal: %q", got)
	}
	if got := eval[string](t, eng, `document.getElementById("b-welcome").value`); got != "Not saved" {
		t.Errorf("the refused form lost the welcome typed: %q", got)
	}
	fullShot(t, eng, "brand-admin-refused")
	do(t, eng, 20*time.Second, "branding page",
		chromedp.Navigate(w.srv.url+"/settings/branding"),
		chromedp.WaitVisible(chromedp.CSS(`#branding-form`)),
		brandType(`#b-name`, "Northwind"),
		brandType(`#b-slug`, "northwind"),
		brandType(`#b-primary_color`, "#c2410c"),
		brandType(`#b-accent_color`, "#0f766e"),
		brandType(`#b-welcome`, "Thanks for calling Northwind.\nWe will be with you in a moment."),
		brandType(`#b-contact`, "+1 555 0142 · help@northwind.test · Mon–Fri 8–18"),
		brandType(`#b-banner`, "Holiday hours: closed on December 25"),
		brandType(`#b-banner-link`, "https://northwind.test/hours"),
		chromedp.SetUploadFiles(chromedp.CSS(`#b-logo`), []string{logo}),
		chromedp.SetUploadFiles(chromedp.CSS(`#b-icon`), []string{icon}),
	)
	// The preview follows the fields before anything is saved.
	waitJS(t, eng, 5*time.Second, "the preview shows the chosen logo", `document.getElementById("pv-logo").src.startsWith("blob:") && !document.getElementById("pv-logo").hidden && document.getElementById("pv-logo").naturalWidth === 480`)
	if got := brandComputed(t, eng, `#preview .download.primary`, "background-color"); got != orange {
		t.Errorf("preview download button colour %s, want %s", got, orange)
	}
	if got := brandComputed(t, eng, `#preview .brand-banner`, "background-color"); got != teal {
		t.Errorf("preview banner colour %s, want %s", got, teal)
	}
	for sel, want := range map[string]string{
		`#pv-file`: "Northwind-Support.exe", `#pv-banner-text`: "Holiday hours: closed on December 25",
		`#pv-contact`: "+1 555 0142 · help@northwind.test · Mon–Fri 8–18", `#b-address`: w.srv.url + "/p/northwind",
		`.mock-head .brand-name`: "Northwind",
	} {
		if got := eval[string](t, eng, `document.querySelector(`+strconv.Quote(sel)+`).textContent`); got != want {
			t.Errorf("preview %s = %q, want %q", sel, got, want)
		}
	}
	eval[bool](t, eng, `window.scrollTo(0, 0) === undefined`)
	fullShot(t, eng, "brand-admin-preview")
	do(t, eng, 20*time.Second, "save the branding",
		chromedp.Click(chromedp.CSS(`#b-save`)),
		chromedp.WaitVisible(chromedp.CSS(`#branding-saved`)),
	)
	waitJS(t, eng, 5*time.Second, "the saved logo", `document.getElementById("b-logo-current") && document.getElementById("b-logo-current").naturalWidth === 480`)
	fullShot(t, eng, "brand-admin-saved")

	link, code := w.newSession(t, "Ann Lee")
	if u, err := url.Parse(link); err != nil || !strings.HasPrefix(u.Path, "/p/northwind/i/") {
		t.Fatalf("invitation link %q is not on the provider's address", link)
	}

	// The customer's invitation page, on a desktop and on a phone.
	cust := newBrowser(t)
	do(t, cust, 20*time.Second, "open the invitation", chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS(`#downloads`)))
	checkBrandedPage(t, cust, "invitation")
	if got := eval[string](t, cust, `document.getElementById("headline").textContent.trim()`); got != "Erin Engineer from Northwind would like to help you" {
		t.Errorf("headline %q", got)
	}
	if got := eval[string](t, cust, `document.querySelector("#downloads a.download[data-os=linux][data-arch=amd64]").getAttribute("download")`); got != "northwind-support" {
		t.Errorf("Linux download named %q", got)
	}
	fullShot(t, cust, "brand-invitation-desktop")
	do(t, cust, 10*time.Second, "phone", chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile))
	fullShot(t, cust, "brand-invitation-phone")
	if wide := eval[bool](t, cust, `document.documentElement.scrollWidth > window.innerWidth + 1`); wide {
		t.Errorf("the invitation page is wider than a 390-pixel phone: %d", eval[int](t, cust, `document.documentElement.scrollWidth`))
	}
	do(t, cust, 10*time.Second, "desktop", chromedp.EmulateViewport(1400, 1000))
	// The program downloads under the provider's name.
	path := download(t, cust, `#downloads a.download[data-os=linux][data-arch=amd64]`, "northwind-support")
	if st, err := os.Stat(path); err != nil || st.Size() < 1<<20 {
		t.Fatalf("downloaded program: %v", err)
	}

	// The code page on the provider's address, and a code typed there.
	codePage := strings.SplitN(link, "/i/", 2)[0] + "/"
	other := newBrowser(t)
	do(t, other, 10*time.Second, "phone", chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile))
	do(t, other, 20*time.Second, "code page", chromedp.Navigate(codePage), chromedp.WaitVisible(chromedp.CSS(`#code`)))
	checkBrandedPage(t, other, "code page")
	if got := brandComputed(t, other, `form.code-form button[type=submit]`, "background-color"); got != orange {
		t.Errorf("code page button colour %s, want %s", got, orange)
	}
	fullShot(t, other, "brand-code-phone")
	if wide := eval[bool](t, other, `document.documentElement.scrollWidth > window.innerWidth + 1`); wide {
		t.Error("the code page is wider than a 390-pixel phone")
	}
	do(t, other, 20*time.Second, "enter the code",
		chromedp.SendKeys(chromedp.CSS(`#code`), code),
		chromedp.Click(chromedp.CSS(`form.code-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#downloads`)),
	)
	if loc := eval[string](t, other, `location.pathname`); !strings.HasPrefix(loc, "/p/northwind/i/") {
		t.Errorf("the code led to %s, not the invitation on the provider's address", loc)
	}
	checkBrandedPage(t, other, "invitation by code")
}

// checkBrandedPage checks that a customer page shows Northwind's brand: logo, name, colours, favicon,
// welcome, banner and contact.
func checkBrandedPage(t *testing.T, ctx context.Context, what string) {
	t.Helper()
	waitJS(t, ctx, 5*time.Second, what+": the logo loaded", `(() => { const i = document.querySelector(".public-head img.brand-logo"); return !!i && i.complete && i.naturalWidth === 480 && i.getAttribute("src").startsWith("/brand/northwind/logo?v="); })()`)
	for js, want := range map[string]string{
		`document.querySelector(".public-head .brand-name").textContent`:            "Northwind",
		`document.getElementById("brand-welcome").textContent`:                      "Thanks for calling Northwind.\nWe will be with you in a moment.",
		`document.getElementById("brand-banner").textContent.trim()`:                "Holiday hours: closed on December 25\n\t\t\t\t→",
		`document.getElementById("brand-banner").getAttribute("href")`:              "https://northwind.test/hours",
		`document.getElementById("brand-contact").textContent`:                      "+1 555 0142 · help@northwind.test · Mon–Fri 8–18",
		`new URL(document.querySelector("link[rel=icon]").href).pathname`:           "/brand/northwind/icon.ico",
		`new URL(document.getElementById("brand-theme").href).pathname`:             "/brand/northwind/theme.css",
		`getComputedStyle(document.getElementById("brand-banner")).color`:           "rgb(255, 255, 255)",
		`getComputedStyle(document.getElementById("brand-banner")).backgroundColor`: "rgb(15, 118, 110)",
	} {
		got := eval[string](t, ctx, js)
		if js == `document.getElementById("brand-banner").textContent.trim()` {
			got = strings.Join(strings.Fields(got), " ")
			want = "Holiday hours: closed on December 25 →"
		}
		if got != want {
			t.Errorf("%s: %s = %q, want %q", what, js, got, want)
		}
	}
	// The favicon is the uploaded icon.
	if n := evalAsync[int](t, ctx, `fetch(document.querySelector("link[rel=icon]").href).then(r => r.ok && r.headers.get("content-type") === "image/x-icon" ? r.arrayBuffer() : null).then(b => b ? b.byteLength : 0)`); n < 22 {
		t.Errorf("%s: the favicon does not load", what)
	}
}

// TestPortalBySubdomainAndPath: with subdomains on, Chromium reaches the provider's portal at
// http://acme.localhost:PORT/ (*.localhost resolves to loopback) and at /p/acme/ on the server's own
// address, both branded; a code typed on either leads to the invitation page on the same address; a
// subdomain changed on the branding page moves the portal at once.
func TestPortalBySubdomainAndPath(t *testing.T) {
	port := freePort(t)
	base := "http://localhost:" + strconv.Itoa(port)
	w := brandWorld(t, "TETHER_LISTEN=127.0.0.1:"+strconv.Itoa(port), "TETHER_BASE_URL="+base, "TETHER_SUBDOMAINS=true")
	w.srv.url = base
	eng := w.engineer
	do(t, eng, 20*time.Second, "change the subdomain and colour",
		chromedp.Navigate(base+"/settings/branding"),
		chromedp.WaitVisible(chromedp.CSS(`#branding-form`)),
		brandType(`#b-slug`, "acme"),
		brandType(`#b-primary_color`, "#7c3aed"),
		brandType(`#b-welcome`, "Welcome to Acme's help desk."),
	)
	if got := eval[string](t, eng, `document.getElementById("b-address").textContent`); got != "http://acme.localhost:"+strconv.Itoa(port) {
		t.Errorf("the page shows the new address as %q", got)
	}
	do(t, eng, 20*time.Second, "save", chromedp.Click(chromedp.CSS(`#b-save`)), chromedp.WaitVisible(chromedp.CSS(`#branding-saved`)))
	link, code := w.newSession(t, "Sam Subdomain")
	sub := "http://acme.localhost:" + strconv.Itoa(port)
	if !strings.HasPrefix(link, sub+"/i/") {
		t.Fatalf("invitation link %q is not on %s", link, sub)
	}
	const purple = "rgb(124, 58, 237)"
	for _, tc := range []struct{ name, start, invite string }{
		{"subdomain", sub + "/", sub + "/i/"},
		{"path", base + "/p/acme/", base + "/p/acme/i/"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cust := newBrowser(t)
			do(t, cust, 20*time.Second, "code page", chromedp.Navigate(tc.start), chromedp.WaitVisible(chromedp.CSS(`#code`)))
			if got := eval[string](t, cust, `document.querySelector(".public-head .brand-name").textContent + " | " + document.getElementById("brand-welcome").textContent`); got != "Acme IT Services | Welcome to Acme's help desk." {
				t.Errorf("code page brand: %q", got)
			}
			if got := brandComputed(t, cust, `form.code-form button[type=submit]`, "background-color"); got != purple {
				t.Errorf("code page button colour %s, want %s", got, purple)
			}
			fullShot(t, cust, "brand-portal-"+tc.name)
			do(t, cust, 20*time.Second, "enter the code",
				chromedp.SendKeys(chromedp.CSS(`#code`), code),
				chromedp.Click(chromedp.CSS(`form.code-form button[type=submit]`)),
				chromedp.WaitVisible(chromedp.CSS(`#downloads`)),
			)
			if loc := eval[string](t, cust, `location.href`); !strings.HasPrefix(loc, tc.invite) {
				t.Errorf("the code led to %s, want %s…", loc, tc.invite)
			}
			if got := eval[string](t, cust, `document.getElementById("headline").textContent.trim()`); got != "Erin Engineer from Acme IT Services would like to help you" {
				t.Errorf("invitation headline %q", got)
			}
			if got := brandComputed(t, cust, `#downloads a.download.primary`, "background-color"); got != purple {
				t.Errorf("download button colour %s, want %s", got, purple)
			}
		})
	}
	// The old subdomain leads to the new one: links sent before the rename keep working.
	cust := newBrowser(t)
	do(t, cust, 20*time.Second, "old subdomain", chromedp.Navigate("http://acme-it-services.localhost:"+strconv.Itoa(port)+"/code"), chromedp.WaitVisible(chromedp.CSS(`h1`)))
	if got := eval[string](t, cust, `location.host + location.pathname`); got != "acme.localhost:"+strconv.Itoa(port)+"/code" {
		t.Errorf("the old subdomain led to %s, want the new one's code page", got)
	}
}
