//go:build linux

package e2e

import (
	"bytes"
	"context"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// customerShot captures the whole page as a PNG and checks it is a real picture (decodes, has the page's
// size, is not one flat colour); width > 0 first narrows the window to that many CSS pixels (a phone).
// The PNG goes to $TETHER_E2E_SHOTS when set, for a person to look at.
func customerShot(t *testing.T, ctx context.Context, name string, width int64) {
	t.Helper()
	if width > 0 {
		do(t, ctx, 10*time.Second, "narrow the window", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			_, err := chromedp.Call(ctx, emulation.SetDeviceMetricsOverride, emulation.SetDeviceMetricsOverrideParams{Width: width, Height: 844, DeviceScaleFactor: 2, Mobile: true})
			return err
		}))
		defer do(t, ctx, 10*time.Second, "widen the window", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			_, err := chromedp.Call(ctx, emulation.ClearDeviceMetricsOverride, cdp.Empty{})
			return err
		}))
		// The page has no horizontal overflow at a phone's width.
		if over := eval[bool](t, ctx, `document.documentElement.scrollWidth > window.innerWidth + 1`); over {
			t.Errorf("%s: the page is wider than the phone's %d px", name, width)
		}
	}
	c, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	b, err := chromedp.Run(c, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	r := img.Bounds()
	if r.Dx() < 300 || r.Dy() < 300 {
		t.Errorf("screenshot %s is %dx%d", name, r.Dx(), r.Dy())
	}
	colours := map[[3]uint32]bool{}
	for y := r.Min.Y; y < r.Max.Y && len(colours) < 50; y += 7 {
		for x := r.Min.X; x < r.Max.X; x += 7 {
			cr, cg, cb, _ := img.At(x, y).RGBA()
			colours[[3]uint32{cr >> 8, cg >> 8, cb >> 8}] = true
		}
	}
	if len(colours) < 20 {
		t.Errorf("screenshot %s is nearly blank (%d colours)", name, len(colours))
	}
	if dir := os.Getenv("TETHER_E2E_SHOTS"); dir != "" {
		if err := os.WriteFile(filepath.Join(dir, name+".png"), b, 0o644); err != nil {
			t.Error(err)
		}
	}
}

// speaking is a browser set to prefer the languages in accept ("de-DE,de"), best first: Chromium sends
// them as its Accept-Language header (with q-values of its own) and in navigator.languages.
func speaking(t *testing.T, accept string) context.Context {
	t.Helper()
	ctx := newBrowser(t, chromedp.Flag("accept-lang", accept))
	if got := eval[string](t, ctx, `navigator.languages.join(",")`); got != accept {
		t.Fatalf("browser languages %q, want %q", got, accept)
	}
	return ctx
}

// messageID is a catalog message id shown instead of its words.
var messageID = regexp.MustCompile(`\b(customer|invite|code|language)_[a-z0-9_]+\b`)

// TestInvitationPageInGermanAndChinese: a customer whose browser asks for German, or Chinese, reads the
// whole invitation page in it: the visible text has no message id and none of the English main lines,
// the expiry is in the browser's zone and language, Chinese glyphs render (not as boxes), and the
// switcher changes the language and keeps it.
func TestInvitationPageInGermanAndChinese(t *testing.T) {
	requireTools(t)
	w := &world{sw: screenW, sh: screenH, a: build(t)}
	w.srv = startServer(t, w.a)
	w.engineer = newBrowser(t)
	w.setupAccount(t)
	link, _ := w.newSession(t, "Maria Lopez")

	english := []string{"would like to help you", "Hello Maria", "Download", "Approve", "Run", "This invitation", "Chat with",
		"Waiting for you", "Secure remote support", "Nothing is installed", "Language:"}
	for _, tc := range []struct {
		name, accept, lang string
		want               []string
		when               string // the expiry as the browser writes it
	}{
		{"de", "de-DE,de", "de", []string{"Erin Engineer von Acme IT Services möchte Ihnen helfen", "Hallo Maria Lopez", "Herunterladen",
			"Starten", "Zustimmen", "Diese Einladung ist gültig bis", "Chat mit Erin Engineer", "Sprache:"}, `\d{2}\.\d{2}\.\d{4}`},
		{"zh", "zh-CN,zh", "zh-Hans", []string{"Acme IT Services 的 Erin Engineer 希望为您提供帮助", "Maria Lopez，您好", "下载", "运行", "确认",
			"此邀请有效期至", "与 Erin Engineer 聊天", "语言："}, `\d{4}年\d{1,2}月\d{1,2}日`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cust := speaking(t, tc.accept)
			do(t, cust, 20*time.Second, "open the invitation",
				chromedp.Navigate(link),
				chromedp.WaitVisible(chromedp.CSS(`#steps`)),
			)
			waitJS(t, cust, 5*time.Second, "the expiry in the browser's zone", `!!document.querySelector("#expiry time").title`)
			if got := eval[string](t, cust, `document.documentElement.lang`); got != tc.lang {
				t.Errorf("<html lang=%q>, want %q", got, tc.lang)
			}
			text := eval[string](t, cust, `document.body.innerText`)
			for _, want := range tc.want {
				if !strings.Contains(text, want) {
					t.Errorf("the page does not say %q", want)
				}
			}
			for _, en := range english {
				// Whole words: the Linux step's path ~/Downloads is a folder's name, not English to translate.
				if regexp.MustCompile(`\b` + regexp.QuoteMeta(en) + `\b`).MatchString(text) {
					t.Errorf("English left on the page: %q", en)
				}
			}
			if m := messageID.FindString(text); m != "" {
				t.Errorf("the page shows the message id %s", m)
			}
			when := eval[string](t, cust, `document.querySelector("#expiry time").textContent`)
			if !regexp.MustCompile(tc.when).MatchString(when) {
				t.Errorf("expiry %q is not written as the browser's %s", when, tc.name)
			}
			// Two different Chinese characters drawn in the page's font differ: a missing font draws both
			// as the same empty box.
			if tc.name == "zh" {
				same := eval[bool](t, cust, `(() => {
					const draw = (ch) => { const c = document.createElement("canvas"); c.width = c.height = 40;
						const x = c.getContext("2d"); x.font = "32px " + getComputedStyle(document.body).fontFamily; x.fillText(ch, 2, 34);
						return Array.from(x.getImageData(0, 0, 40, 40).data).join(","); };
					return draw("语") === draw("言"); })()`)
				if same {
					t.Error("Chinese characters render as boxes: no CJK font (fonts-wqy-microhei or fonts-noto-cjk)")
				}
			}
			customerShot(t, cust, "invite-"+tc.name, 0)
			customerShot(t, cust, "invite-"+tc.name+"-phone", 390)

			// The provider's other customer pages in the same language: code page, "Get help", a wrong link.
			base := link[:strings.Index(link, "/i/")]
			for _, pg := range []struct{ name, path, sel string }{
				{"code", "/code", `#code`},
				{"help", "/help", `#help-form`},
				{"error", "/i/nonsense", `.card h1`},
			} {
				do(t, cust, 20*time.Second, "open the "+pg.name+" page", chromedp.Navigate(base+pg.path), chromedp.WaitVisible(chromedp.CSS(pg.sel)))
				text := eval[string](t, cust, `document.body.innerText`)
				if got := eval[string](t, cust, `document.documentElement.lang`); got != tc.lang {
					t.Errorf("%s page: <html lang=%q>", pg.name, got)
				}
				if m := messageID.FindString(text); m != "" {
					t.Errorf("%s page shows the message id %s", pg.name, m)
				}
				for _, en := range []string{"Enter your support code", "Get help", "Your name", "Not found", "Go to the start page", "Secure remote support"} {
					if strings.Contains(text, en) {
						t.Errorf("%s page: English left: %q", pg.name, en)
					}
				}
				customerShot(t, cust, pg.name+"-"+tc.name, 0)
			}
		})
	}

	// English, and the switcher: a German browser switches to Chinese, and the choice holds on reload.
	cust := speaking(t, "de-DE,de")
	do(t, cust, 20*time.Second, "open the invitation", chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS(`#lang-switch`)))
	do(t, cust, 20*time.Second, "switch to English",
		chromedp.Click(chromedp.CSS(`#lang-switch a[hreflang="en"]`)),
		chromedp.WaitVisible(chromedp.CSS(`html[lang="en"] #steps`)),
	)
	if text := eval[string](t, cust, `document.body.innerText`); !strings.Contains(text, "Erin Engineer from Acme IT Services would like to help you") {
		t.Error("the switcher did not turn the page English")
	}
	customerShot(t, cust, "invite-en", 0)
	do(t, cust, 20*time.Second, "switch to Chinese",
		chromedp.Click(chromedp.CSS(`#lang-switch a[hreflang="zh-Hans"]`)),
		chromedp.WaitVisible(chromedp.CSS(`html[lang="zh-Hans"] #steps`)),
		chromedp.Navigate(link),
		chromedp.WaitVisible(chromedp.CSS(`#steps`)),
	)
	if got := eval[string](t, cust, `document.documentElement.lang`); got != "zh-Hans" {
		t.Errorf("after switching to Chinese and reloading the page speaks %q", got)
	}
}
