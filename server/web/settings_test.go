package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"tether/server/store"
)

// TestOwnerChangesSessionSettings: the owner sees and saves the session policy; values out of bounds are
// refused with the reason and change nothing; an engineer may not open the page.
func TestOwnerChangesSessionSettings(t *testing.T) {
	h := newHarness(t)
	a := h.signedUp("Acme", "erin@acme.test")
	code, body, _ := a.get("/settings")
	if code != http.StatusOK || !strings.Contains(body, `name="session_max_minutes"`) || !strings.Contains(body, `value="120"`) {
		t.Fatalf("settings page: %d", code)
	}
	form := url.Values{"session_max_minutes": {"90"}, "idle_timeout_minutes": {"0"}, "recording": {"1"}, "recording_retention_days": {"14"}, "file_max_mb": {"500"}, "request_timeout_minutes": {"5"}}
	if code, _, hdr := a.post("/settings", form); code != http.StatusSeeOther || hdr.Get("Location") != "/settings?saved=1" {
		t.Fatalf("save: %d %s", code, hdr.Get("Location"))
	}
	u, err := userByEmail(h.st, "erin@acme.test")
	if err != nil {
		t.Fatal(err)
	}
	want := store.Policy{SessionMaxMinutes: 90, IdleTimeoutMinutes: 0, Recording: true, RecordingRetentionDays: 14, FileMaxMB: 500, RequestTimeoutMinutes: 5}
	if p, err := h.st.ProviderByID(context.Background(), u.ProviderID); err != nil || p.Policy != want {
		t.Fatalf("stored %+v, %v; want %+v", p.Policy, err, want)
	}
	for _, bad := range []url.Values{
		{"session_max_minutes": {"2"}, "idle_timeout_minutes": {"0"}, "recording_retention_days": {"14"}, "file_max_mb": {"500"}},
		{"session_max_minutes": {"ten"}, "idle_timeout_minutes": {"0"}, "recording_retention_days": {"14"}, "file_max_mb": {"500"}},
		{"session_max_minutes": {"60"}, "idle_timeout_minutes": {"0"}, "recording_retention_days": {"14"}, "file_max_mb": {"500"}, "request_timeout_minutes": {"0"}},
	} {
		code, body, _ := a.post("/settings", bad)
		if code != http.StatusBadRequest || !strings.Contains(body, `role="alert"`) {
			t.Fatalf("bad %v: %d", bad, code)
		}
	}
	if p, _ := h.st.ProviderByID(context.Background(), u.ProviderID); p.Policy != want {
		t.Fatalf("a refused form changed the policy: %+v", p.Policy)
	}
	eng, err := h.st.CreateUser(context.Background(), store.User{ProviderID: u.ProviderID, Email: "ed@acme.test", Name: "Ed", PasswordHash: u.PasswordHash, Role: store.RoleEngineer})
	if err != nil {
		t.Fatal(err)
	}
	e := h.browser()
	if err := h.srv.startLoginFor(e, eng); err != nil {
		t.Fatal(err)
	}
	if code, _, _ := e.get("/settings"); code != http.StatusForbidden {
		t.Fatalf("engineer GET /settings: %d, want 403", code)
	}
	e.get("/console")
	if code, _, _ := e.post("/settings", form); code != http.StatusForbidden {
		t.Fatalf("engineer POST /settings: %d, want 403", code)
	}
}
