package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"tether/server/hub"
	"tether/server/protocol"
)

// postScript posts a form the way the console's script does: with the CSRF header, asking for JSON.
func (b *browser) postScript(path string, form url.Values) (int, string) {
	b.h.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, b.h.ts.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("X-CSRF-Token", b.csrf)
	resp, err := b.c.Do(req)
	if err != nil {
		b.h.t.Fatal(err)
	}
	defer resp.Body.Close()
	var sb strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := resp.Body.Read(buf)
		sb.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return resp.StatusCode, sb.String()
}

// TestNotifyPrefsSaved: the console's Notifications menu starts with nothing chosen; a choice saved by
// the script, or by the plain form, is the user's: another browser of theirs shows it. A kind the
// server does not know is refused with the reason and changes nothing.
func TestNotifyPrefsSaved(t *testing.T) {
	h := newHarness(t)
	eng := h.signedUp("Acme", "erin@acme.test")
	u, err := userByEmail(h.st, "erin@acme.test")
	if err != nil {
		t.Fatal(err)
	}
	box := func(body, name, kind string) (present, checked bool) {
		i := strings.Index(body, `name="`+name+`" value="`+kind+`"`)
		if i < 0 {
			return false, false
		}
		tag := body[i:]
		tag = tag[:strings.Index(tag, ">")]
		return true, strings.Contains(tag, "checked")
	}
	code, body, _ := eng.get("/console")
	if code != http.StatusOK || !strings.Contains(body, `id="notify-panel"`) {
		t.Fatalf("console: %d, no notifications menu", code)
	}
	for _, k := range protocol.NotifyKinds {
		for _, name := range []string{"desktop", "sound"} {
			if present, checked := box(body, name, k); !present || checked {
				t.Fatalf("%s %s: present %v checked %v, want an unticked box", name, k, present, checked)
			}
		}
	}
	if !strings.Contains(body, "A customer of mine joins") || strings.Contains(body, "notify_kind_") {
		t.Fatal("the menu's rows are not worded")
	}
	// The script's words come from the page, with the placeholders it fills in.
	for _, attr := range []string{`data-joined-title="{customer} joined"`, `data-taken-title="{engineer} took a request"`, `id="stream-status"`} {
		if !strings.Contains(body, attr) {
			t.Errorf("the menu lacks %s", attr)
		}
	}

	code, resp := eng.postScript("/console/notifications", url.Values{"desktop": {protocol.NotifyCustomerJoined, protocol.NotifyRequestNew}, "sound": {protocol.NotifyRequestNew}})
	if code != http.StatusOK || !strings.Contains(resp, `"ok":true`) {
		t.Fatalf("save by script: %d %s", code, resp)
	}
	other := h.browser()
	if err := h.srv.startLoginFor(other, u); err != nil {
		t.Fatal(err)
	}
	_, body, _ = other.get("/console")
	for _, c := range []struct {
		name, kind string
		want       bool
	}{
		{"desktop", protocol.NotifyCustomerJoined, true}, {"desktop", protocol.NotifyRequestNew, true},
		{"desktop", protocol.NotifyCustomerLeft, false}, {"sound", protocol.NotifyRequestNew, true},
		{"sound", protocol.NotifyCustomerJoined, false},
	} {
		if _, checked := box(body, c.name, c.kind); checked != c.want {
			t.Errorf("in another browser %s %s ticked = %v, want %v", c.name, c.kind, checked, c.want)
		}
	}

	code, resp = eng.postScript("/console/notifications", url.Values{"desktop": {"customer_sneezed"}})
	if code != http.StatusUnprocessableEntity || !strings.Contains(resp, "does not know") {
		t.Fatalf("unknown kind: %d %s, want 422 with the reason", code, resp)
	}
	prefs, err := h.st.NotifyPrefs(context.Background(), u.ProviderID, u.ID)
	if err != nil || !prefs.Desktop[protocol.NotifyCustomerJoined] || !prefs.Sound[protocol.NotifyRequestNew] {
		t.Fatalf("after a refused save: %+v %v, want the earlier choice", prefs, err)
	}

	// Without script the form posts, saves and returns to the console; nothing ticked is nothing chosen.
	code, _, hdr := eng.post("/console/notifications", url.Values{"sound": {protocol.NotifyRequestTaken}})
	if code != http.StatusSeeOther || hdr.Get("Location") != "/console" {
		t.Fatalf("plain form: %d %s", code, hdr.Get("Location"))
	}
	prefs, _ = h.st.NotifyPrefs(context.Background(), u.ProviderID, u.ID)
	if len(prefs.Desktop) != 0 || len(prefs.Sound) != 1 || !prefs.Sound[protocol.NotifyRequestTaken] {
		t.Fatalf("after the plain form: %+v", prefs)
	}
	// In German, placeholders and all.
	_, de, _ := eng.get("/console?lang=de")
	if !strings.Contains(de, "Ein Kunde meiner Sitzung ist verbunden") || !strings.Contains(de, `data-joined-title="{customer} ist verbunden"`) {
		t.Error("the menu is not German with ?lang=de")
	}
	if code, _, hdr := h.browser().post("/console/notifications", url.Values{"desktop": {protocol.NotifyCustomerLeft}}); code < 300 || hdr.Get("Location") == "/console" {
		t.Fatalf("signed out: %d %s", code, hdr.Get("Location"))
	}
}

// snapshotUntil reads the console's snapshots until ok accepts one.
func snapshotUntil(t *testing.T, c *websocket.Conn, what string, ok func(protocol.ConsoleSnapshot) bool) protocol.ConsoleSnapshot {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	var last protocol.ConsoleSnapshot
	for time.Now().Before(deadline) {
		var snap protocol.ConsoleSnapshot
		expect(t, c, protocol.SigConsole, &snap)
		if ok(snap) {
			return snap
		}
		last = snap
	}
	t.Fatalf("no snapshot with %s; the last was %+v", what, last)
	return last
}

func sessionIn(snap protocol.ConsoleSnapshot, id string) (protocol.ConsoleSession, bool) {
	for _, s := range snap.Sessions {
		if s.SessionID == id {
			return s, true
		}
	}
	return protocol.ConsoleSession{}, false
}

// TestConsoleStreamCatchesUp: the console's stream opens with a snapshot of what concerns the
// engineer. While it is down, a customer joins, a request arrives and another engineer takes an
// earlier one; the snapshot on reconnecting shows all three, and the tab's count. An engineer of no
// desk learns of no request.
func TestConsoleStreamCatchesUp(t *testing.T) {
	w := newRequestWorld(t)
	h := w.h
	w.ask(t, "Olga Customer", "VPN down", nil)

	ed := w.consoleOf(t, w.ed)
	snap := snapshotUntil(t, ed, "Olga's request", func(s protocol.ConsoleSnapshot) bool { return len(s.Requests) == 1 })
	olga := snap.Requests[0].SessionID
	if snap.Requests[0].Customer != "Olga Customer" || snap.Requests[0].Description != "VPN down" || snap.Waiting != 1 || len(snap.Sessions) != 0 {
		t.Fatalf("first snapshot %+v", snap)
	}
	id, token := h.newSession(w.ed, "Maria Lopez")
	snap = snapshotUntil(t, ed, "Maria's session", func(s protocol.ConsoleSnapshot) bool { _, ok := sessionIn(s, id); return ok })
	if s, _ := sessionIn(snap, id); s.State != protocol.SessionWaiting || s.Waiting || snap.Waiting != 1 {
		t.Fatalf("new session in the snapshot: %+v, waiting %d", s, snap.Waiting)
	}

	// The stream drops.
	ed.Close(websocket.StatusNormalClosure, "")
	for deadline := time.Now().Add(5 * time.Second); h.live.Hub().Present(w.provider.ID, hub.RoleConsole); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the console never left")
		}
	}
	agent := h.wsDial(nil, "/ws/agent")
	send(t, agent, protocol.SigAgentHello, hello(token))
	expect(t, agent, protocol.SigWelcome, nil)
	w.ask(t, "Rita Customer", "Printer offline", nil)
	w.erin.get("/console")
	if code, body := w.erin.postScript("/sessions/"+olga+"/accept", nil); code != http.StatusOK {
		t.Fatalf("Erin accepts Olga's request: %d %s", code, body)
	}

	// Back: the first snapshot has everything that happened meanwhile.
	ed = w.consoleOf(t, w.ed)
	var back protocol.ConsoleSnapshot
	expect(t, ed, protocol.SigConsole, &back)
	if len(back.Requests) != 1 || back.Requests[0].Customer != "Rita Customer" {
		t.Errorf("requests after reconnecting: %+v, want Rita's only", back.Requests)
	}
	if len(back.Taken) != 1 || back.Taken[0].SessionID != olga || back.Taken[0].Engineer != "Erin Engineer" || back.Taken[0].Customer != "Olga Customer" {
		t.Errorf("taken after reconnecting: %+v, want Olga's by Erin Engineer", back.Taken)
	}
	if s, ok := sessionIn(back, id); !ok || s.State != protocol.SessionJoined || !s.Waiting {
		t.Errorf("Maria's session after reconnecting: %+v, want joined and waiting for Ed", s)
	}
	if back.Waiting != 2 {
		t.Errorf("waiting = %d, want 2 (Rita's request, Maria waiting for Ed)", back.Waiting)
	}

	// Live again: the customer leaves, and the next snapshot says so.
	send(t, agent, protocol.SigEnd, protocol.End{Reason: protocol.EndCustomerStopped})
	snap = snapshotUntil(t, ed, "Maria gone", func(s protocol.ConsoleSnapshot) bool {
		m, _ := sessionIn(s, id)
		return m.State == protocol.SessionEnded
	})
	if m, _ := sessionIn(snap, id); !m.Left || m.Waiting || snap.Waiting != 1 {
		t.Errorf("after the customer stopped: %+v, waiting %d; want left, 1 waiting", m, snap.Waiting)
	}

	// Nia belongs to no desk: no request, no taken request reaches her.
	nia := h.wsDial(w.nia, "/ws/console")
	var hers protocol.ConsoleSnapshot
	expect(t, nia, protocol.SigConsole, &hers)
	if len(hers.Requests)+len(hers.Taken)+len(hers.Sessions) != 0 || hers.Waiting != 0 {
		t.Errorf("Nia's snapshot %+v, want nothing", hers)
	}
}
