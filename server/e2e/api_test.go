package e2e

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"tether/server/protocol"
	"tether/server/webhook"
)

// TestAdminConnectsCRMTokenWebhookAndConsoleLink: an owner makes an API token on the API page (shown
// once, with a copy button) and sets up a webhook; the "CRM" creates a session with the token, the
// webhook hears of it signed, and the session's permanent console link opens it in the browser, also
// through sign-in when the engineer was signed out.
func TestAdminConnectsCRMTokenWebhookAndConsoleLink(t *testing.T) {
	requireTools(t)
	w := &world{a: build(t)}
	w.srv = startServer(t, w.a, "TETHER_WEBHOOK_ALLOW_PRIVATE=true")
	w.engineer = newBrowser(t)
	w.setupAccount(t)

	var mu sync.Mutex
	var events []map[string]any
	var sigs []string
	var bodies [][]byte
	hook := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var ev map[string]any
		_ = json.Unmarshal(b, &ev)
		mu.Lock()
		events, sigs, bodies = append(events, ev), append(sigs, r.Header.Get(protocol.WebhookSignatureHeader)), append(bodies, b)
		mu.Unlock()
	}))
	defer hook.Close()

	do(t, w.engineer, 20*time.Second, "open the API page",
		chromedp.Click(chromedp.CSS(`nav a[href="/settings/api"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#api-tokens input[name=name]`)),
	)
	do(t, w.engineer, 20*time.Second, "create a token",
		chromedp.SendKeys(chromedp.CSS(`#api-tokens input[name=name]`), "Helpdesk CRM"),
		chromedp.Click(chromedp.CSS(`#api-tokens button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#new-token`)),
	)
	fullShot(t, w.engineer, "api-token-created")
	token := eval[string](t, w.engineer, `document.querySelector('#new-token').value`)
	if !strings.HasPrefix(token, "tth_") || len(token) != 56 {
		t.Fatalf("token %q", token)
	}
	if got := eval[string](t, w.engineer, `document.querySelector('#api-tokens tbody tr .api-name').textContent`); got != "Helpdesk CRM" {
		t.Fatalf("token list shows %q", got)
	}
	do(t, w.engineer, 20*time.Second, "set up the webhook",
		chromedp.SetValue(chromedp.CSS(`#api-webhook input[name=url]`), hook.URL+"/tether"),
		chromedp.Click(chromedp.CSS(`#api-webhook button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#webhook-secret`)),
	)
	secret := eval[string](t, w.engineer, `document.querySelector('#webhook-secret').value`)
	if eval[bool](t, w.engineer, `document.body.innerHTML.includes(`+jsString(token)+`)`) {
		t.Fatal("the API page shows the token again after reloading")
	}

	// The CRM creates a session.
	body, _ := json.Marshal(map[string]string{"customer_name": "Carla Customer", "note": "Ticket 4711", "engineer_email": "erin@acme.test"})
	req, _ := http.NewRequest(http.MethodPost, w.srv.url+"/api/v1/sessions", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var sess map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&sess)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create session: %d %v", resp.StatusCode, sess)
	}
	id, consoleURL := sess["id"].(string), sess["console_url"].(string)

	// The webhook hears of it within a few sweeps, signed with the page's secret.
	deadline := time.Now().Add(20 * time.Second)
	for {
		mu.Lock()
		n := len(events)
		mu.Unlock()
		if n > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the webhook heard nothing in 20 s")
		}
		time.Sleep(100 * time.Millisecond)
	}
	mu.Lock()
	if events[0]["type"] != protocol.WebhookSessionWaiting || events[0]["session"].(map[string]any)["id"] != id {
		t.Fatalf("first event %v", events[0])
	}
	if err := webhook.Verify(secret, sigs[0], bodies[0], time.Now(), 0); err != nil {
		t.Fatalf("signature: %v", err)
	}
	mu.Unlock()
	do(t, w.engineer, 20*time.Second, "delivery listed",
		chromedp.Reload(),
		chromedp.WaitVisible(chromedp.CSS(`#api-deliveries tr[data-status=delivered]`)),
	)
	fullShot(t, w.engineer, "api-page")

	// The console link opens the session for the signed-in engineer...
	do(t, w.engineer, 20*time.Second, "open the console link",
		chromedp.Navigate(consoleURL),
		chromedp.WaitVisible(chromedp.CSS(`main`)),
	)
	if loc := eval[string](t, w.engineer, `location.pathname`); loc != "/sessions/"+id {
		t.Fatalf("console link landed on %s", loc)
	}
	// ...and for a signed-out one, after signing in.
	other := newBrowser(t)
	do(t, other, 20*time.Second, "console link signed out",
		chromedp.Navigate(consoleURL),
		chromedp.WaitVisible(chromedp.CSS(`input[name=email]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name=email]`), "erin@acme.test"),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), "correct horse battery"),
		chromedp.Click(chromedp.CSS(`form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`.topbar`)),
	)
	waitJS(t, other, 10*time.Second, "on the session page", `location.pathname === "/sessions/`+id+`"`)
	if !eval[bool](t, other, `document.body.textContent.includes("Carla Customer")`) {
		t.Fatal("the session page does not name the customer")
	}

	// The token is revoked on the page and refused at once.
	do(t, w.engineer, 20*time.Second, "back to the API page",
		chromedp.Navigate(w.srv.url+"/settings/api"),
		chromedp.WaitVisible(chromedp.CSS(`#api-tokens form.confirm button`)),
	)
	// The page asks before revoking; the engineer says yes.
	eval[bool](t, w.engineer, `window.confirm = () => true; true`)
	do(t, w.engineer, 20*time.Second, "revoke",
		chromedp.Click(chromedp.CSS(`#api-tokens form.confirm button`)),
		chromedp.WaitVisible(chromedp.CSS(`#api-notice`)),
		chromedp.WaitVisible(chromedp.CSS(`#api-tokens tr.revoked`)),
	)
	req, _ = http.NewRequest(http.MethodGet, w.srv.url+"/api/v1/sessions/"+id, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("revoked token: %d", resp.StatusCode)
	}
	fullShot(t, w.engineer, "api-page-revoked")
	do(t, w.engineer, 10*time.Second, "phone width", chromedp.EmulateViewport(390, 844))
	fullShot(t, w.engineer, "api-page-phone")
	// Wide tables scroll inside their panel; the page itself fits the phone.
	if wd := eval[float64](t, w.engineer, `document.documentElement.scrollWidth`); wd > 390 {
		t.Fatalf("the API page is %v px wide on a 390 px phone", wd)
	}
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
