//go:build linux

package e2e

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"database/sql"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/tc-hib/winres"
	"github.com/uptrace/bun/driver/sqliteshim"

	"tether/server/blob"
	"tether/server/protocol"
)

// testBrand is a provider's brand as the branding page leaves it: logo and
// icon in the blob store, colours, contact line and the icon choice in the
// provider's row.
type testBrand struct {
	logo, ico       []byte
	primary, accent string
	contact         string
	patchIcon       bool
	logoW, logoH    int
	primaryRGB      string // as CSS computes it
	accentRGB       string
}

// acmeBrand is a green and amber brand with a 240x80 logo and an icon,
// green with a purple band. The icon's colours have equal red and blue:
// Wine draws the PNG images of an icon with red and blue swapped, which
// these colours survive.
func acmeBrand(t testing.TB) testBrand {
	t.Helper()
	logo := image.NewNRGBA(image.Rect(0, 0, 240, 80))
	for y := range 80 {
		for x := range 240 {
			c := color.NRGBA{0x0a, 0x7d, 0x5a, 0xff}
			if x > 80 {
				c = color.NRGBA{0, 0, 0, 0} // a transparent word mark area
				if (x/12+y/12)%2 == 0 && y > 20 && y < 60 {
					c = color.NRGBA{0xff, 0xb0, 0x00, 0xff}
				}
			}
			logo.SetNRGBA(x, y, c)
		}
	}
	var lb bytes.Buffer
	if err := png.Encode(&lb, logo); err != nil {
		t.Fatal(err)
	}
	var imgs []image.Image
	for _, side := range []int{16, 32, 48, 256} {
		img := image.NewNRGBA(image.Rect(0, 0, side, side))
		for y := range side {
			for x := range side {
				c := iconGreen
				if x >= side/3 && x < side*2/3 {
					c = iconPurple
				}
				img.SetNRGBA(x, y, c)
			}
		}
		imgs = append(imgs, img)
	}
	icon, err := winres.NewIconFromImages(imgs)
	if err != nil {
		t.Fatal(err)
	}
	var ib bytes.Buffer
	if err := icon.SaveICO(&ib); err != nil {
		t.Fatal(err)
	}
	return testBrand{logo: lb.Bytes(), ico: ib.Bytes(), primary: "#0a7d5a", accent: "#ffb000",
		contact: "+1 555 0100 · help@acme.example · Mon–Fri 8–18", logoW: 240, logoH: 80,
		primaryRGB: "rgb(10, 125, 90)", accentRGB: "rgb(255, 176, 0)"}
}

// The icon's colours (acmeBrand).
var iconGreen, iconPurple = color.NRGBA{0x33, 0x99, 0x33, 0xff}, color.NRGBA{0x99, 0x33, 0x99, 0xff}

// brandProvider gives the world's provider brand b, where the branding
// page saves it: the blobs in the server's blob folder, the rest in its
// provider's row. The server reads both on every download.
func (w *world) brandProvider(t testing.TB, b testBrand) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	blobs, err := blob.NewDir(filepath.Join(w.srv.data, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	const logoKey, iconKey = "brand/e2e/logo.png", "brand/e2e/icon.ico"
	for key, data := range map[string][]byte{logoKey: b.logo, iconKey: b.ico} {
		if _, err := blobs.Put(ctx, key, bytes.NewReader(data)); err != nil {
			t.Fatal(err)
		}
	}
	db, err := sql.Open(sqliteshim.ShimName, filepath.Join(w.srv.data, "tether.db")+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	res, err := db.ExecContext(ctx, `UPDATE providers SET logo_key = ?, icon_key = ?, primary_color = ?, accent_color = ?,
		contact = ?, patch_icon = ?, brand_updated_at = ?`, logoKey, iconKey, b.primary, b.accent, b.contact, b.patchIcon, time.Now().UTC())
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		t.Fatalf("branded %d providers, want the one", n)
	}
}

// openConsentPage opens the agent's consent page in a new tab of the
// customer's browser, as the agent's "open in the default browser" does,
// and leaves it there for approve.
func (c *customer) openConsentPage(t testing.TB) {
	t.Helper()
	page, cancel := chromedp.NewContext(c.ctx)
	t.Cleanup(cancel)
	if err := chromedp.Do(page, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("open a tab: %v", err)
	}
	c.page = page
	do(t, page, 20*time.Second, "open consent page", chromedp.Navigate(c.consent), chromedp.WaitVisible(chromedp.CSS(`#allow`)))
}

// checkConsentBrand checks the consent page shows the provider's logo (as
// served by the agent, decoded at its size), colours, name and contact
// line, and makes no request anywhere but the agent itself.
func checkConsentBrand(t testing.TB, page context.Context, b testBrand, provider string) {
	t.Helper()
	waitJS(t, page, 10*time.Second, "logo loaded", `(() => { const i = document.getElementById("logo"); return !!i && i.complete && i.naturalWidth > 0; })()`)
	got := eval[string](t, page, `(() => {
		const logo = document.getElementById("logo"), allow = document.getElementById("allow");
		const main = document.querySelector("main");
		return [logo.naturalWidth + "x" + logo.naturalHeight, new URL(logo.src).host === location.host,
			getComputedStyle(allow).backgroundColor, getComputedStyle(main).borderTopColor,
			document.getElementById("provider").textContent, document.getElementById("contact").textContent,
			document.title,
			performance.getEntriesByType("resource").every(e => new URL(e.name).host === location.host)].join(" | ");
	})()`)
	want := strings.Join([]string{"240x80", "true", b.primaryRGB, b.accentRGB, provider, "Contact " + provider + ": " + b.contact,
		"Remote support request · " + provider, "true"}, " | ")
	if got != want {
		t.Fatalf("consent page brand:\n got %s\nwant %s", got, want)
	}
}

// TestConsentPageCarriesBrand: a provider with a logo, colours and a
// contact line; its customer's Linux agent serves a consent page that
// shows them all, from the agent's own signed settings, and consent given
// there still starts the session.
func TestConsentPageCarriesBrand(t *testing.T) {
	w := newWorld(t)
	b := acmeBrand(t)
	w.brandProvider(t, b)
	link, _ := w.newSession(t, "Carla Customer")
	cust := newBrowser(t)
	do(t, cust, 20*time.Second, "open invitation", chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS(`#downloads`)))
	c := w.downloadAndRun(t, cust)
	c.openConsentPage(t)
	checkConsentBrand(t, c.page, b, "Acme IT Services")
	fullShot(t, c.page, "consent-branded")
	do(t, c.page, 10*time.Second, "phone width", chromedp.EmulateViewport(390, 844))
	if over := eval[bool](t, c.page, `document.documentElement.scrollWidth > 390`); over {
		t.Error("the branded consent page is wider than a 390px screen")
	}
	fullShot(t, c.page, "consent-branded-390")
	do(t, c.page, 10*time.Second, "desktop width", chromedp.EmulateViewport(1400, 1000))

	c.approve(t, "control")
	waitJS(t, w.engineer, 20*time.Second, "first frame", `Number(document.getElementById("viewer").dataset.frames) > 0`)
	fullShot(t, c.page, "consent-branded-sharing")
	do(t, w.engineer, 10*time.Second, "end", chromedp.Click(chromedp.CSS(`#v-toolbar button.danger`)))
	c.waitExit(t, 10*time.Second)
}

// TestWindowsAgentShowsProviderIcon: a provider that chose to put its icon
// into the Windows agent. The downloaded exe carries that icon as its
// application icon (read back with winres) and its signed settings; run
// under Wine it names the provider in its first lines, connects, and asks
// for consent on a page with the provider's logo and colours; the session
// then runs and ends as usual.
func TestWindowsAgentShowsProviderIcon(t *testing.T) {
	var desk *wineDesktop
	w := newWorldOn(t, screenW, screenH, func(w *world) *testWindow {
		desk = startWineDesktop(t, w.display, w.sw, w.sh)
		cmd := desk.command(w.a.testwinExe)
		cmd.Stderr = &prefixWriter{t: t, prefix: "testwin.exe: "}
		return watchTestWindow(t, cmd)
	})
	b := acmeBrand(t)
	b.patchIcon = true
	w.brandProvider(t, b)
	link, _ := w.newSession(t, "Wendy Windows")
	cust := newBrowser(t, chromedp.UserAgent(windowsUserAgent))
	do(t, cust, 20*time.Second, "open invitation", chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS(`#downloads`)))

	c := w.runOnWindows(t, cust, desk)
	exe, err := os.ReadFile(c.agentPath)
	if err != nil {
		t.Fatal(err)
	}
	rs, err := winres.LoadFromEXE(bytes.NewReader(exe))
	if err != nil {
		t.Fatalf("the downloaded agent has no resources: %v", err)
	}
	icon, err := rs.GetIcon(winres.ID(1))
	if err != nil {
		t.Fatalf("the downloaded agent has no application icon: %v", err)
	}
	var ico bytes.Buffer
	if err := icon.SaveICO(&ico); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(ico.Bytes(), b.ico) {
		t.Fatalf("the downloaded agent's icon (%d bytes) is not the provider's (%d bytes)", ico.Len(), len(b.ico))
	}
	_, key, err := protocol.FindKeySlot(bytes.NewReader(exe), int64(len(exe)))
	if err != nil || bytes.Equal(key, make(ed25519.PublicKey, ed25519.PublicKeySize)) {
		t.Fatalf("key slot of the patched agent: %v", err)
	}
	set, err := protocol.ReadSettings(bytes.NewReader(exe), int64(len(exe)), key)
	if err != nil || set.Brand.Primary != b.primary || !bytes.Equal(set.Brand.Logo, b.logo) {
		t.Fatalf("settings of the patched agent: %+v, %v", set.Brand.Primary, err)
	}

	// Windows shows the program with the provider's icon.
	w.explorerShowsIcon(t, desk, exe)

	// The first lines name the provider; then comes the consent page.
	var head []string
	deadline := time.After(30 * time.Second)
	for c.consent == "" {
		select {
		case line := <-c.lines:
			head = append(head, line)
			c.consent = consoleURL.FindString(line)
		case err := <-c.exited:
			t.Fatalf("the agent exited before asking for consent: %v", err)
		case <-deadline:
			t.Fatal("the agent printed no consent URL within 30s")
		}
	}
	if len(head) < 2 || head[0] != "Acme IT Services · Remote support" || head[1] != "Contact Acme IT Services: "+b.contact {
		t.Fatalf("the agent's first lines: %q", head)
	}
	checkLocalPage(t, c.consent)
	c.openConsentPage(t)
	checkConsentBrand(t, c.page, b, "Acme IT Services")
	fullShot(t, c.page, "windows-consent-branded")
	shotScreen(t, w.display, "windows-desktop-branded")

	c.approve(t, "control")
	waitJS(t, w.engineer, 20*time.Second, "first frame", `Number(document.getElementById("viewer").dataset.frames) > 0`)
	w.checkPixels(t)
	do(t, w.engineer, 10*time.Second, "end", chromedp.Click(chromedp.CSS(`#v-toolbar button.danger`)))
	c.waitExitRemoved(t, 10*time.Second, 10*time.Second)
}

// explorerShowsIcon asks Windows' shell, as Explorer does, for the icon
// of a copy of exe (testicon.exe under Wine, built here) and checks it is
// the provider's: drawn at 32x32, its green and purple fill it.
func (w *world) explorerShowsIcon(t testing.TB, desk *wineDesktop, exe []byte) {
	t.Helper()
	dir := t.TempDir()
	prog, tool := filepath.Join(dir, "TetherSupport.exe"), filepath.Join(dir, "testicon.exe")
	if err := os.WriteFile(prog, exe, 0o755); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	build := exec.CommandContext(ctx, "go", "build", "-o", tool, "./testicon")
	build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=windows", "GOARCH=amd64")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build testicon: %v\n%s", err, out)
	}
	hex := func(c color.NRGBA) string { return fmt.Sprintf("%02x%02x%02x", c.R, c.G, c.B) }
	run := desk.command(tool, windowsPath(prog), hex(iconGreen), hex(iconPurple))
	run.WaitDelay = 5 * time.Second
	out, err := run.Output()
	if err != nil {
		t.Fatalf("testicon under Wine: %v %s", err, out)
	}
	var got struct {
		Icons  int    `json:"icons"`
		Counts []int  `json:"counts"`
		Centre string `json:"centre"`
		PNG    []byte `json:"png"`
	}
	if err := json.Unmarshal(out, &got); err != nil || len(got.Counts) != 2 {
		t.Fatalf("testicon said %q: %v", out, err)
	}
	// The icon is green with a purple band across its middle third.
	if got.Icons < 1 || got.Counts[0] < 32*32*6/10 || got.Counts[1] < 32*32*3/10 {
		t.Fatalf("Windows shows the program with another icon: %d icons, %d green and %d purple pixels of 1024, #%s in the centre", got.Icons, got.Counts[0], got.Counts[1], got.Centre)
	}
	if dir := os.Getenv("TETHER_E2E_SHOTS"); dir != "" {
		if err := os.WriteFile(filepath.Join(dir, "windows-icon-as-drawn.png"), got.PNG, 0o644); err != nil {
			t.Error(err)
		}
	}
	t.Logf("Windows' shell draws the program's icon with %d green and %d purple pixels of 1024", got.Counts[0], got.Counts[1])
}
