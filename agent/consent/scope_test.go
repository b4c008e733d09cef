package consent

import (
	"net/http"
	"slices"
	"testing"
)

func TestConsentPageScopeChoices(t *testing.T) {
	st := asking
	st.Windows = []Window{{ID: 7, Title: "Mail"}, {ID: 9, Title: "Notes"}}
	p := servePage(t, st)
	own := "http://" + p.host
	if code, body := decide(t, p, own, "application/json", `{"action":"scope","scope":{"window":9,"hidden":[7]}}`); code != http.StatusNoContent {
		t.Fatalf("scope: %d %s", code, body)
	}
	if d := <-p.Decisions(); d.Scope == nil || d.Scope.Window != 9 || !slices.Equal(d.Scope.Hidden, []uint64{7}) || d.Allow {
		t.Fatalf("decision %+v", d)
	}
	if code, _ := decide(t, p, own, "application/json", `{"action":"windows"}`); code != http.StatusNoContent {
		t.Fatalf("windows: %d", code)
	}
	if d := <-p.Decisions(); !d.Windows || d.Scope != nil {
		t.Fatalf("decision %+v", d)
	}
	for _, bad := range []string{
		`{"action":"scope","scope":{"window":8,"hidden":[]}}`,  // not listed
		`{"action":"scope","scope":{"window":0,"hidden":[8]}}`, // not listed
		`{"action":"scope"}`, // no choice
		`{"action":"scope","scope":{"window":0,"hidden":[7,7,7]}}`, // more than listed
	} {
		if code, _ := decide(t, p, own, "application/json", bad); code != http.StatusBadRequest {
			t.Errorf("%s: %d, want 400", bad, code)
		}
	}
	if code, _ := decide(t, p, "http://evil.test", "application/json", `{"action":"scope","scope":{"window":9,"hidden":[]}}`); code != http.StatusForbidden {
		t.Errorf("from another origin: %d, want 403", code)
	}
	ended := st
	ended.Phase = PhaseEnded
	p.Update(ended)
	if code, _ := decide(t, p, own, "application/json", `{"action":"scope","scope":{"window":9,"hidden":[]}}`); code != http.StatusConflict {
		t.Errorf("after the end: %d, want 409", code)
	}
	select {
	case d := <-p.Decisions():
		t.Fatalf("a refused choice was delivered: %+v", d)
	default:
	}
}
