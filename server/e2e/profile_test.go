package e2e

import (
	"context"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/pquerna/otp/totp"
)

// passwordStep signs in with email and password and waits for the code page.
func passwordStep(t testing.TB, ctx context.Context, base, email, pw string) {
	do(t, ctx, 20*time.Second, "sign in with the password",
		chromedp.Navigate(base+"/login"),
		chromedp.WaitVisible(chromedp.CSS(`input[name=email]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name=email]`), email),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), pw),
		chromedp.Click(chromedp.CSS(`form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#signin-code`)),
	)
}

// TestTOTPEnrolAndSignIn: an engineer turns on two-factor sign-in from their profile (the secret read off
// the page, the codes computed here as an authenticator app would), signs out, and signs in again in two
// steps: a wrong code is answered like a wrong password, the right one opens the console, and a recovery
// code works in place of the app.
func TestTOTPEnrolAndSignIn(t *testing.T) {
	requireTools(t)
	w := &world{a: build(t)}
	w.srv = startServer(t, w.a)
	w.engineer = newBrowser(t)
	w.setupAccount(t)
	b := w.engineer
	do(t, b, 20*time.Second, "open the profile from the top bar",
		chromedp.Click(chromedp.CSS(`#me-profile`)),
		chromedp.WaitVisible(chromedp.CSS(`#profile-form`)),
	)
	fullShot(t, b, "profile-en")
	do(t, b, 20*time.Second, "start enrolment",
		chromedp.Click(chromedp.CSS(`#profile-2fa-start`)),
		chromedp.WaitVisible(chromedp.CSS(`#enrol-secret`)),
	)
	if ok := eval[bool](t, b, `(() => { const i = document.querySelector('.enrol-qr img'); return i.complete && i.naturalWidth >= 200; })()`); !ok {
		t.Fatal("the QR code did not load")
	}
	fullShot(t, b, "enrol-en")
	secret := strings.ReplaceAll(eval[string](t, b, `document.getElementById('enrol-secret').textContent`), " ", "")
	code, err := totp.GenerateCode(secret, time.Now())
	if err != nil {
		t.Fatalf("secret %q from the page: %v", secret, err)
	}
	do(t, b, 20*time.Second, "confirm with a code",
		chromedp.SendKeys(chromedp.CSS(`#enrol-code`), code),
		chromedp.Click(chromedp.CSS(`.enrol-confirm button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#recovery-codes`)),
	)
	fullShot(t, b, "recovery-codes-en")
	codes := eval[[]any](t, b, `[...document.querySelectorAll('#recovery-codes li')].map(li => li.textContent)`)
	if len(codes) != 10 {
		t.Fatalf("%d recovery codes shown", len(codes))
	}
	do(t, b, 20*time.Second, "sign out",
		chromedp.Click(chromedp.CSS(`#sign-out button`)),
		chromedp.WaitVisible(chromedp.CSS(`input[name=email]`)),
	)
	// A wrong code: the sign-in page, as for a wrong password.
	passwordStep(t, b, w.srv.url, "erin@acme.test", "correct horse battery")
	do(t, b, 20*time.Second, "a wrong code",
		chromedp.SendKeys(chromedp.CSS(`#signin-code`), "000000"),
		chromedp.Click(chromedp.CSS(`form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`p.error`)),
	)
	if got := eval[string](t, b, `document.querySelector('p.error').textContent`); got != "Wrong email or password." {
		t.Fatalf("a wrong code is answered %q", got)
	}
	// The code of the next step: this step's was used at enrolment and is refused as a replay.
	next, _ := totp.GenerateCode(secret, time.Now().Add(30*time.Second))
	passwordStep(t, b, w.srv.url, "erin@acme.test", "correct horse battery")
	fullShot(t, b, "signin-code-en")
	do(t, b, 20*time.Second, "the right code",
		chromedp.SendKeys(chromedp.CSS(`#signin-code`), next),
		chromedp.Click(chromedp.CSS(`form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#session-list`)),
	)
	do(t, b, 20*time.Second, "sign out again",
		chromedp.Click(chromedp.CSS(`#sign-out button`)),
		chromedp.WaitVisible(chromedp.CSS(`input[name=email]`)),
	)
	passwordStep(t, b, w.srv.url, "erin@acme.test", "correct horse battery")
	do(t, b, 20*time.Second, "a recovery code",
		chromedp.SendKeys(chromedp.CSS(`#signin-code`), codes[0].(string)),
		chromedp.Click(chromedp.CSS(`form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#session-list`)),
		chromedp.Navigate(w.srv.url+"/profile"),
		chromedp.WaitVisible(chromedp.CSS(`#profile-2fa-on`)),
	)
	if got := eval[string](t, b, `document.getElementById('profile-recovery-left').textContent`); got != "9 recovery codes left." {
		t.Fatalf("after using one: %q", got)
	}
	if n := eval[int](t, b, `document.querySelectorAll('#profile-signins tbody tr').length`); n != 1 {
		t.Fatalf("%d active sign-ins listed, want this one", n)
	}
	// The same page in German and Chinese, and on a phone.
	for _, lang := range []string{"de", "zh-Hans"} {
		do(t, b, 20*time.Second, "switch language to "+lang,
			chromedp.SetValue(chromedp.CSS(`select[name=language]`), lang),
			chromedp.Click(chromedp.CSS(`#profile-form button[type=submit]`)),
		)
		// The page before the save also says "saved": wait for the new page in the new language.
		waitAcrossNavigation(t, b, 10*time.Second, "the profile in "+lang, `document.documentElement.lang === '`+lang+`' && !!document.getElementById('profile-saved')`)
		fullShot(t, b, "profile-"+lang)
	}
	do(t, b, 10*time.Second, "phone width", chromedp.EmulateViewport(390, 844), chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(`#profile-form`)))
	if over := eval[bool](t, b, `document.documentElement.scrollWidth > 392`); over {
		t.Fatal("the profile page overflows a 390 px screen")
	}
	fullShot(t, b, "profile-zh-390")
	// The public pages of the second step and of "Forgot password?" in German (without SMTP: ask an admin).
	do(t, b, 20*time.Second, "forgot password, in German",
		chromedp.EmulateViewport(1400, 1000),
		chromedp.Navigate(w.srv.url+"/login?lang=de"),
		chromedp.Click(chromedp.CSS(`#forgot-link`)),
		chromedp.WaitVisible(chromedp.CSS(`#forgot-ask-admin`)),
	)
	if got := eval[string](t, b, `document.querySelector('h1').textContent`); got != "Passwort zurücksetzen" {
		t.Fatalf("forgot page heading %q", got)
	}
	fullShot(t, b, "forgot-de")
	passwordStep(t, b, w.srv.url, "erin@acme.test", "correct horse battery")
	fullShot(t, b, "signin-code-de")
}

var employeeRE = regexp.MustCompile(`E-1042`)

// TestProfileShownToCustomer: the engineer fills in their profile and a photo; the customer's invitation
// page shows the name, department, employee number and photo.
func TestProfileShownToCustomer(t *testing.T) {
	requireTools(t)
	w := &world{a: build(t)}
	w.srv = startServer(t, w.a)
	w.engineer = newBrowser(t)
	w.setupAccount(t)
	photo := filepath.Join(t.TempDir(), "me.png")
	img := image.NewRGBA(image.Rect(0, 0, 600, 400))
	for y := 0; y < 400; y++ {
		for x := 0; x < 600; x++ {
			img.Set(x, y, color.RGBA{R: uint8(x / 3), G: 90, B: uint8(y / 2), A: 255})
		}
	}
	f, err := os.Create(photo)
	if err != nil {
		t.Fatal(err)
	}
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
	f.Close()
	b := w.engineer
	field := func(name, v string) chromedp.Action[chromedp.Void] {
		return chromedp.SetValue(chromedp.CSS(`#profile-form input[name=`+name+`]`), v)
	}
	do(t, b, 20*time.Second, "fill in the profile",
		chromedp.Navigate(w.srv.url+"/profile"),
		chromedp.WaitVisible(chromedp.CSS(`#profile-form`)),
		field("first_name", "Erin"), field("last_name", "Engel"), field("employee_no", "E-1042"), field("department", "Field Service"),
		chromedp.Click(chromedp.CSS(`#profile-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#profile-saved`)),
		chromedp.SetUploadFiles(chromedp.CSS(`input[name=photo]`), []string{photo}),
		chromedp.Click(chromedp.CSS(`#profile-photo button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`img.profile-photo`)),
	)
	fullShot(t, b, "profile-filled-en")
	link, _ := w.newSession(t, "Carl Customer")
	cust := newBrowser(t)
	do(t, cust, 20*time.Second, "open the invitation", chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS(`#engineer-card`)))
	got := eval[[]any](t, cust, `['engineer-name','engineer-department','engineer-employee-no'].map(id => document.getElementById(id).textContent)`)
	if got[0] != "Erin Engel" || got[1] != "Field Service" || !employeeRE.MatchString(got[2].(string)) {
		t.Fatalf("the invitation shows %v", got)
	}
	waitJS(t, cust, 10*time.Second, "the photo loads", `(() => { const i = document.querySelector('#engineer-card img'); return !!i && i.complete && i.naturalWidth === 256; })()`)
	if h := eval[string](t, cust, `document.getElementById('headline').textContent`); !strings.Contains(h, "Erin Engel") {
		t.Fatalf("headline %q", h)
	}
	fullShot(t, cust, "invite-engineer-en")
	do(t, cust, 10*time.Second, "phone width", chromedp.EmulateViewport(390, 844), chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(`#engineer-card`)))
	if over := eval[bool](t, cust, `document.documentElement.scrollWidth > 392`); over {
		t.Fatal("the invitation page overflows a 390 px screen")
	}
	fullShot(t, cust, "invite-engineer-390")
}
