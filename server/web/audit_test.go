package web

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"tether/server/protocol"
	"tether/server/store"
	"tether/static/locales"
)

// TestAuditLogExport: the session's log, chat included, is on the detail
// page and in the CSV and JSON exports, worded and with who did it; a kind
// nobody labelled shows as itself; another provider gets 404; no method
// changes the log.
func TestAuditLogExport(t *testing.T) {
	h := newHarness(t)
	eng := h.signedUp("Acme", "erin@acme.test")
	id, token := h.newSession(eng, "Maria Lopez")

	// The customer writes from the invitation page, the engineer from the
	// viewer; both are stored as chat events.
	page := h.wsDial(nil, "/ws/invite/"+token)
	expect(t, page, protocol.SigState, nil)
	send(t, page, protocol.SigChat, protocol.Chat{Text: "=HYPERLINK(\"http://evil.test\")", Ref: "p1"})
	var got protocol.Chat
	expect(t, page, protocol.SigChat, &got)
	if got.Side != protocol.SideCustomer || got.From != "Maria Lopez" || got.Ref != "p1" {
		t.Fatalf("page got %+v", got)
	}
	viewer := h.wsDial(eng, "/ws/viewer/"+id)
	expect(t, viewer, protocol.SigState, nil)
	expect(t, viewer, protocol.SigChat, &got) // the history
	send(t, viewer, protocol.SigChat, protocol.Chat{Text: "Hello Maria, one moment", Ref: "v1"})
	expect(t, page, protocol.SigChat, &got)
	if got.From != "Erin Engineer" || got.Text != "Hello Maria, one moment" {
		t.Fatalf("page got %+v", got)
	}
	ctx := context.Background()
	if _, err := h.st.AppendEvent(ctx, store.Event{SessionID: id, Kind: "teleported", Actor: store.ActorSystem, Detail: "to the moon"}); err != nil {
		t.Fatal(err)
	}
	evs, err := h.st.Events(ctx, mustProvider(t, h, id), id)
	if err != nil {
		t.Fatal(err)
	}

	code, body, _ := eng.get("/sessions/" + id)
	if code != http.StatusOK {
		t.Fatalf("detail page: %d", code)
	}
	for _, want := range []string{"Audit log", "Invitation created", "Chat message", "Hello Maria, one moment", "Maria Lopez (customer)",
		"teleported", "to the moon", "/sessions/" + id + "/events.csv", "/sessions/" + id + "/events.json"} {
		if !strings.Contains(body, want) {
			t.Errorf("detail page lacks %q", want)
		}
	}

	code, body, hdr := eng.get("/sessions/" + id + "/events.csv")
	if code != http.StatusOK || !strings.HasPrefix(hdr.Get("Content-Type"), "text/csv") || !strings.Contains(hdr.Get("Content-Disposition"), "attachment") {
		t.Fatalf("csv: %d %v", code, hdr)
	}
	rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(evs)+1 || strings.Join(rows[0], ",") != "seq,time,kind,event,actor,who,description,detail" {
		t.Fatalf("csv has %d rows for %d events: %v", len(rows), len(evs), rows[0])
	}
	byKind := map[string][]string{}
	for i, r := range rows[1:] {
		if r[0] != strconv.FormatInt(evs[i].Seq, 10) || r[2] != evs[i].Kind || r[4] != evs[i].Actor {
			t.Errorf("csv row %d = %v, want event %+v", i, r, evs[i])
		}
		if _, err := time.Parse(time.RFC3339Nano, r[1]); err != nil {
			t.Errorf("csv row %d time %q", i, r[1])
		}
		byKind[r[2]+" "+r[4]] = r
	}
	customer := byKind["chat customer"]
	if customer == nil || customer[5] != "Maria Lopez (customer)" || customer[6] != `'=HYPERLINK("http://evil.test")` {
		t.Errorf("customer's chat row %q: want the formula quoted", customer)
	}
	if r := byKind["teleported system"]; r == nil || r[3] != "teleported" || r[6] != "to the moon" {
		t.Errorf("unlabelled kind row %q", r)
	}
	if r := byKind["created engineer:"+evs[0].Actor[len("engineer:"):]]; r == nil || r[3] != "Invitation created" || r[5] != "Erin Engineer" {
		t.Errorf("created row %q", r)
	}

	code, body, hdr = eng.get("/sessions/" + id + "/events.json")
	if code != http.StatusOK || !strings.HasPrefix(hdr.Get("Content-Type"), "application/json") {
		t.Fatalf("json: %d %v", code, hdr)
	}
	var exp auditExport
	if err := json.Unmarshal([]byte(body), &exp); err != nil {
		t.Fatal(err)
	}
	if exp.Session.ID != id || exp.Session.Customer != "Maria Lopez" || exp.Session.Engineer != "Erin Engineer" || len(exp.Events) != len(evs) {
		t.Fatalf("json export %+v", exp.Session)
	}
	var chats int
	for i, e := range exp.Events {
		if e.Seq != evs[i].Seq || e.Kind != evs[i].Kind || e.Detail != evs[i].Detail || !e.At.Equal(evs[i].At) {
			t.Errorf("json event %d = %+v, want %+v", i, e, evs[i])
		}
		if e.Kind == "chat" {
			chats++
			if e.Label != "Chat message" || !strings.HasPrefix(e.Detail, `{"text":`) {
				t.Errorf("chat event %+v", e)
			}
		}
	}
	if chats != 2 {
		t.Errorf("%d chat events exported, want 2", chats)
	}

	// Another provider's engineer: nothing, as if it did not exist.
	_, u, err := h.st.CreateProviderWithOwner(ctx, "Other Co", "Olga", "olga@other.test", "$2a$10$abcdefghijklmnopqrstuuJ3M8S3G3V1hG1fW3cQp8H2wO4E7ePa")
	if err != nil {
		t.Fatal(err)
	}
	o := h.browser()
	if err := h.srv.startLoginFor(o, u); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/sessions/" + id + "/events.csv", "/sessions/" + id + "/events.json"} {
		if code, body, _ := o.get(p); code != http.StatusNotFound || strings.Contains(body, "Maria") {
			t.Errorf("other provider GET %s: %d", p, code)
		}
		if code, _, hdr := h.browser().get(p); code != http.StatusSeeOther || hdr.Get("Location") != "/login" {
			t.Errorf("signed out GET %s: %d", p, code)
		}
	}
	// Append-only: nothing edits or deletes.
	for _, m := range []string{http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch} {
		req, _ := http.NewRequest(m, h.ts.URL+"/sessions/"+id+"/events.json", nil)
		req.Header.Set("X-CSRF-Token", eng.csrf)
		resp, err := eng.c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusMethodNotAllowed && resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s events: %d", m, resp.StatusCode)
		}
	}
	after, err := h.st.Events(ctx, mustProvider(t, h, id), id)
	if err != nil || len(after) != len(evs) {
		t.Fatalf("the log changed: %d events, then %d (%v)", len(evs), len(after), err)
	}
	viewer.Close(websocket.StatusNormalClosure, "")
}

// TestAuditWording: the agent's reports read as names, sizes and hashes;
// what does not decode shows as stored.
func TestAuditWording(t *testing.T) {
	sha := strings.Repeat("ab", 32)
	for _, tc := range []struct{ kind, detail, want string }{
		{protocol.AuditFileToCustomer, `{"kind":"file_to_customer","name":"invoice.pdf","size":2500000,"sha256":"` + sha + `"}`, "invoice.pdf · 2.4 MB · SHA-256 " + sha},
		{protocol.AuditClipboardToEngineer, `{"kind":"clipboard_to_engineer","size":240,"count":3}`, "3 transfers · 240 B"},
		{protocol.AuditFileFailed, `{"kind":"file_failed","name":"big.iso","size":0,"note":"over the size limit"}`, "big.iso · 0 B · over the size limit"},
		{store.EventConsentGiven, "view,control", "View · Control"},
		{"chat", `{"text":"hi"}`, "hi"},
		{protocol.AuditFileToEngineer, "not json", "not json"},
	} {
		k := eventKinds[tc.kind]
		if got := k.Detail(locales.Localizer{}, tc.detail); got != tc.want {
			t.Errorf("%s %s: %q, want %q", tc.kind, tc.detail, got, tc.want)
		}
	}
}
