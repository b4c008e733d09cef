package consent

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"tether/server/protocol"
	"tether/static/locales"
)

func servePage(t *testing.T, st Status) *Page {
	t.Helper()
	p, err := Serve(st, protocol.AgentBrand{}, locales.Localizer{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

var asking = Status{Phase: PhaseAsking, Engineer: "Erin Engineer", Provider: "Acme IT", Server: "support.acme.test", Verified: true,
	Offer: protocol.GrantView | protocol.GrantControl}

func decide(t *testing.T, p *Page, origin, contentType, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, p.URL()+"decide", strings.NewReader(body))
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	req.Header.Set("Content-Type", contentType)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestConsentPageShowsWhoAsks(t *testing.T) {
	p := servePage(t, asking)
	u, _ := url.Parse(p.URL())
	if u.Hostname() != "127.0.0.1" || len(strings.Trim(u.Path, "/")) < 32 {
		t.Fatalf("page URL %s: want 127.0.0.1 and a long secret path", p.URL())
	}
	resp, err := http.Get(p.URL())
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	html := string(b)
	for _, want := range []string{"Erin Engineer from Acme IT asks to connect to this computer", "support.acme.test", "identity confirmed by its certificate", "use your mouse and keyboard"} {
		if !strings.Contains(html, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("CSP %q", csp)
	}
	for _, path := range []string{"page.js", "page.css"} {
		if r, err := http.Get(p.URL() + path); err != nil || r.StatusCode != 200 {
			t.Errorf("%s: %v %v", path, r.StatusCode, err)
		}
	}
}

func TestConsentPageRefusesStrangers(t *testing.T) {
	p := servePage(t, asking)
	base := "http://" + p.host
	for name, path := range map[string]string{"no secret": "/", "wrong secret": "/" + strings.Repeat("a", len(p.secret)) + "/", "secret prefix": "/" + p.secret[:10] + "/"} {
		if r, err := http.Get(base + path); err != nil || r.StatusCode != http.StatusNotFound {
			t.Errorf("%s: status %v, %v; want 404", name, r.StatusCode, err)
		}
	}
	// DNS rebinding: a page on evil.test resolving to 127.0.0.1 sends its own Host.
	req, _ := http.NewRequest(http.MethodGet, p.URL(), nil)
	req.Host = "evil.test:" + strings.Split(p.host, ":")[1]
	if r, err := http.DefaultClient.Do(req); err != nil || r.StatusCode != http.StatusMisdirectedRequest {
		t.Errorf("foreign Host: %v %v; want 421", r.StatusCode, err)
	}
	own := "http://" + p.host
	allow := `{"action":"allow","grants":["view","control"]}`
	for _, tc := range []struct {
		name, origin, ct, body string
		want                   int
	}{
		{"cross-site post", "http://evil.test", "application/json", allow, http.StatusForbidden},
		{"no origin", "", "application/json", allow, http.StatusForbidden},
		{"form post", own, "application/x-www-form-urlencoded", "action=allow", http.StatusUnsupportedMediaType},
		{"beyond the offer", own, "application/json", `{"action":"allow","grants":["view","files"]}`, http.StatusBadRequest},
		{"control without view", own, "application/json", `{"action":"allow","grants":["control"]}`, http.StatusBadRequest},
		{"unknown grant", own, "application/json", `{"action":"allow","grants":["view","root"]}`, http.StatusBadRequest},
		{"stop while asking", own, "application/json", `{"action":"stop"}`, http.StatusConflict},
		{"unknown field", own, "application/json", `{"action":"allow","grants":["view"],"as":"server"}`, http.StatusBadRequest},
	} {
		if code, body := decide(t, p, tc.origin, tc.ct, tc.body); code != tc.want {
			t.Errorf("%s: status %d (%s), want %d", tc.name, code, body, tc.want)
		}
	}
	select {
	case d := <-p.Decisions():
		t.Fatalf("a refused request made a decision: %+v", d)
	default:
	}
}

func TestConsentPageDecisions(t *testing.T) {
	p := servePage(t, asking)
	own := "http://" + p.host
	if code, body := decide(t, p, own, "application/json", `{"action":"allow","grants":["view","control"]}`); code != http.StatusNoContent {
		t.Fatalf("allow: %d %s", code, body)
	}
	if d := <-p.Decisions(); !d.Allow || d.Grants != protocol.GrantView|protocol.GrantControl {
		t.Fatalf("decision %+v", d)
	}
	sharing := asking
	sharing.Phase, sharing.Grants = PhaseSharing, protocol.GrantView|protocol.GrantControl
	p.Update(sharing)
	if code, _ := decide(t, p, own, "application/json", `{"action":"deny"}`); code != http.StatusConflict {
		t.Errorf("deny while sharing: %d, want 409", code)
	}
	if code, _ := decide(t, p, own, "application/json", `{"action":"update","grants":["view"]}`); code != http.StatusNoContent {
		t.Fatalf("update: %d", code)
	}
	if d := <-p.Decisions(); !d.Allow || d.Grants != protocol.GrantView {
		t.Fatalf("update decision %+v", d)
	}
	if code, _ := decide(t, p, own, "application/json", `{"action":"stop"}`); code != http.StatusNoContent {
		t.Fatalf("stop: %d", code)
	}
	if d := <-p.Decisions(); !d.Stop {
		t.Fatalf("stop decision %+v", d)
	}
}

func TestConsentPageFollowsTheSession(t *testing.T) {
	p := servePage(t, asking)
	resp, err := http.Get(p.URL() + "events")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	lines := bufio.NewScanner(resp.Body)
	next := func() Status {
		t.Helper()
		for lines.Scan() {
			if data, ok := strings.CutPrefix(lines.Text(), "data: "); ok {
				var st Status
				if err := json.Unmarshal([]byte(data), &st); err != nil {
					t.Fatal(err)
				}
				return st
			}
		}
		t.Fatalf("event stream ended: %v", lines.Err())
		return Status{}
	}
	if st := next(); st.Phase != PhaseAsking || st.Engineer != "Erin Engineer" || st.Offer != asking.Offer {
		t.Fatalf("first event %+v", st)
	}
	ended := asking
	ended.Phase, ended.Reason = PhaseEnded, "ended by Erin Engineer"
	p.Update(ended)
	if st := next(); st.Phase != PhaseEnded || st.Reason != ended.Reason {
		t.Fatalf("second event %+v", st)
	}
	done := make(chan struct{})
	go func() {
		for lines.Scan() {
		}
		close(done)
	}()
	p.Close()
	select {
	case <-done:
	case <-time.After(3 * time.Second):
		t.Fatal("the event stream stayed open after Close")
	}
}

// TestConsentPageSaysRecorded: when the provider records, the page says so
// plainly before Allow and that the customer may refuse; otherwise the
// notice is hidden.
func TestConsentPageSaysRecorded(t *testing.T) {
	get := func(st Status) string {
		p := servePage(t, st)
		resp, err := http.Get(p.URL())
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	rec := asking
	rec.Recorded = true
	html := get(rec)
	i := strings.Index(html, `<p id="recorded" class="recorded">`)
	if i < 0 || !strings.Contains(html[i:], "This session is recorded.") || !strings.Contains(html[i:], "Acme IT keeps a recording of what Erin Engineer sees") ||
		!strings.Contains(html[i:], "you may refuse: click Deny") || i > strings.Index(html, `id="allow"`) {
		t.Fatalf("recorded notice missing or after Allow:\n%s", html)
	}
	if html := get(asking); !strings.Contains(html, `<p id="recorded" class="recorded" hidden>`) {
		t.Fatalf("recorded notice shown for a session not recorded")
	}
}
