package web

import (
	"context"
	"encoding/csv"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"tether/server/protocol"
	"tether/server/store"
	"tether/static/locales"
	"tether/templates"
)

func TestParseHistory(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 22, 23, 30, 0, 0, time.UTC) // 00:30 on the 23rd in Berlin
	engineers := map[string]string{"u1": "Erin"}
	for _, tt := range []struct {
		query   string
		ignored string
		check   func(p historyParams, f store.HistoryFilter) bool
	}{
		{"", "", func(p historyParams, f store.HistoryFilter) bool {
			return f.From == nil && f.To == nil && f.Sort == store.SortWhen && f.Desc && p.Page == 1 && p.query(1).Encode() == ""
		}},
		{"period=today", "", func(p historyParams, f store.HistoryFilter) bool {
			return f.From.Equal(time.Date(2026, 11, 23, 0, 0, 0, 0, berlin)) && f.To == nil
		}},
		{"period=7d", "", func(p historyParams, f store.HistoryFilter) bool {
			return f.From.Equal(time.Date(2026, 11, 17, 0, 0, 0, 0, berlin))
		}},
		{"from=2026-11-01&to=2026-11-02", "", func(p historyParams, f store.HistoryFilter) bool {
			return p.Period == periodCustom && f.From.Equal(time.Date(2026, 11, 1, 0, 0, 0, 0, berlin)) && f.To.Equal(time.Date(2026, 11, 3, 0, 0, 0, 0, berlin))
		}},
		{"from=banana&to=2026-11-02", "from", func(p historyParams, f store.HistoryFilter) bool { return f.From == nil && f.To != nil }},
		{"from=2026-11-05&to=2026-11-02", "to", func(p historyParams, f store.HistoryFilter) bool { return f.From != nil && f.To == nil }},
		{"period=forever", "period", func(p historyParams, f store.HistoryFilter) bool { return f.From == nil && p.Period == "" }},
		{"engineer=u1&state=live", "", func(p historyParams, f store.HistoryFilter) bool {
			return f.EngineerID == "u1" && len(f.States) == 3
		}},
		{"engineer=someone-else&state=exploded", "engineer, state", func(p historyParams, f store.HistoryFilter) bool {
			return f.EngineerID == "" && len(f.States) == 0
		}},
		{"sort=drop+table&dir=sideways&page=-3", "sort, dir, page", func(p historyParams, f store.HistoryFilter) bool {
			return f.Sort == store.SortWhen && f.Desc && p.Page == 1 && p.Sort == ""
		}},
		{"sort=customer&page=4", "", func(p historyParams, f store.HistoryFilter) bool {
			return f.Sort == store.SortCustomer && !f.Desc && p.Page == 4 && p.query(4).Get("page") == "4"
		}},
		{"sort=rating&dir=asc", "", func(p historyParams, f store.HistoryFilter) bool { return f.Sort == store.SortRating && !f.Desc }},
		{"q=" + strings.Repeat("x", 101) + "&who=%01", "who, q", func(p historyParams, f store.HistoryFilter) bool { return f.Text == "" && f.Who == "" }},
		{"q=+50%25+&who=pc-1", "", func(p historyParams, f store.HistoryFilter) bool { return f.Text == "50%" && f.Who == "pc-1" }},
	} {
		q, err := url.ParseQuery(tt.query)
		if err != nil {
			t.Fatal(err)
		}
		p, f, ignored := parseHistory(q, engineers, berlin, now)
		slicesSorted := strings.Join(ignored, ", ")
		if slicesSorted != tt.ignored || !tt.check(p, f) {
			t.Errorf("%q: ignored %q (want %q), params %+v, filter %+v", tt.query, slicesSorted, tt.ignored, p, f)
		}
	}
}

func TestEveryEndReasonIsWorded(t *testing.T) {
	for _, lang := range []string{"en", "de", "zh-Hans"} {
		loc, err := locales.For(lang)
		if err != nil {
			t.Fatal(err)
		}
		p := templates.Page{Lang: loc.Lang(), T: loc.T}
		for _, reason := range protocol.EndReasons() {
			if got := endReasonLabel(p, reason); got == "" || strings.Contains(got, "_") || (lang != "en" && got == reason) {
				t.Errorf("%s: %q worded %q", lang, reason, got)
			}
		}
		if got := endReasonLabel(p, "ended by Erin"); !strings.Contains(got, "Erin") || (lang != "en" && strings.HasPrefix(got, "ended by")) {
			t.Errorf("%s: ended by Erin worded %q", lang, got)
		}
	}
}

var historyRowID = regexp.MustCompile(`<tr data-id="([^"]+)"`)

func TestHistoryPage(t *testing.T) {
	h := newHarness(t)
	owner := h.signedUp("Acme", "erin@acme.test")
	ctx := context.Background()
	p, err := h.st.ProviderBySlug(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	a, err := h.st.CreateDesk(ctx, p.ID, "Desk A")
	if err != nil {
		t.Fatal(err)
	}
	b, err := h.st.CreateDesk(ctx, p.ID, "Desk B")
	if err != nil {
		t.Fatal(err)
	}
	alice, _ := h.engineerIn(p.ID, "alice@acme.test", a.ID)
	bob, _ := h.engineerIn(p.ID, "bob@acme.test", b.ID)
	var aliceIDs []string
	for range 3 {
		id, _ := h.newSession(alice, "Anna of A")
		aliceIDs = append(aliceIDs, id)
		h.clock.Add(time.Minute)
	}
	bobID, _ := h.newSession(bob, "=HYPERLINK(\"http://evil\")")
	_, _, otherSess, _ := h.secondProvider()

	t.Run("engineer sees only their desks", func(t *testing.T) {
		code, body, _ := alice.get("/history")
		ids := historyRowID.FindAllStringSubmatch(body, -1)
		if code != http.StatusOK || len(ids) != 3 || strings.Contains(body, bobID) {
			t.Fatalf("alice's history: %d, %d rows, bob's session shown: %v", code, len(ids), strings.Contains(body, bobID))
		}
		if ids[0][1] != aliceIDs[2] {
			t.Errorf("alice's history does not start with her newest session")
		}
		if code, _, _ := alice.get("/sessions/" + bobID + "/terminate"); code != http.StatusNotFound {
			t.Errorf("alice asks to terminate bob's session: %d", code)
		}
		if code, _, _ := alice.post("/sessions/"+bobID+"/terminate", nil); code != http.StatusNotFound {
			t.Errorf("alice terminates bob's session: %d", code)
		}
		_, body, _ = owner.get("/history")
		if n := len(historyRowID.FindAllStringSubmatch(body, -1)); n != 4 {
			t.Errorf("the owner's history has %d rows, want 4", n)
		}
	})

	t.Run("another provider's session", func(t *testing.T) {
		for _, path := range []string{"/sessions/" + otherSess.ID + "/terminate"} {
			if code, _, _ := owner.get(path); code != http.StatusNotFound {
				t.Errorf("GET %s: %d", path, code)
			}
			if code, _, _ := owner.post(path, nil); code != http.StatusNotFound {
				t.Errorf("POST %s: %d", path, code)
			}
		}
		if _, body, _ := owner.get("/history?q=" + otherSess.ID); strings.Contains(body, `data-id="`+otherSess.ID) || !strings.Contains(body, `id="history-count"`) {
			t.Error("another provider's session found by its id")
		}
		if s, _ := h.st.SessionByID(ctx, otherSess.ProviderID, otherSess.ID); s.State == store.StateEnded {
			t.Error("another provider's session ended")
		}
	})

	t.Run("nonsense filters", func(t *testing.T) {
		code, body, _ := owner.get("/history?page=-3&sort=drop+table&from=banana&engineer=nobody&state=melted&dir=up")
		if code != http.StatusOK {
			t.Fatalf("nonsense filters: %d", code)
		}
		notice := regexp.MustCompile(`id="history-ignored">([^<]*)<`).FindStringSubmatch(body)
		if notice == nil {
			t.Fatal("no notice of what was ignored")
		}
		for _, name := range []string{"From", "Engineer", "State", "Sort order", "Sort direction", "Page"} {
			if !strings.Contains(notice[1], name) {
				t.Errorf("the notice %q does not name %s", notice[1], name)
			}
		}
		if n := len(historyRowID.FindAllStringSubmatch(body, -1)); n != 4 {
			t.Errorf("unfiltered page has %d rows, want 4", n)
		}
		// A partly sensible request keeps what made sense.
		_, body, _ = owner.get("/history?q=anna&page=99")
		if n := len(historyRowID.FindAllStringSubmatch(body, -1)); n != 3 || !strings.Contains(body, `id="history-ignored"`) {
			t.Errorf("q=anna&page=99: %d rows, notice %v", n, strings.Contains(body, `id="history-ignored"`))
		}
		if _, body, _ := owner.get("/history?q=anna"); strings.Contains(body, `id="history-ignored"`) {
			t.Error("a sensible filter gets a notice")
		}
	})

	t.Run("csv", func(t *testing.T) {
		code, body, hdr := owner.get("/history.csv?sort=customer")
		body0 := body
		if code != http.StatusOK || !strings.HasPrefix(hdr.Get("Content-Type"), "text/csv") || !strings.HasPrefix(body, "\uFEFF") {
			t.Fatalf("csv: %d %s, BOM %v", code, hdr.Get("Content-Type"), strings.HasPrefix(body, "\uFEFF"))
		}
		recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\uFEFF"))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) != 5 || strings.Join(recs[0], ",") != strings.Join(historyCSVHeader, ",") {
			t.Fatalf("csv: %d records, header %v", len(recs), recs[0])
		}
		// Sorted by customer: "=HYPERLINK" first, guarded.
		if recs[1][0] != bobID || recs[1][3] != `'=HYPERLINK("http://evil")` {
			t.Errorf("first row %v: not bob's, or the formula is not guarded", recs[1])
		}
		_, body, _ = alice.get("/history.csv")
		if strings.Contains(body, bobID) || strings.Count(body, "Anna of A") != 3 {
			t.Error("alice's export is not her desk's")
		}
		// Read in batches smaller than the list: every row once, in the list's order.
		oldBatch := historyCSVBatch
		historyCSVBatch = 3
		defer func() { historyCSVBatch = oldBatch }()
		_, batched, _ := owner.get("/history.csv?sort=customer")
		if batched != body0 {
			t.Errorf("the export in batches of 3 differs:\n%s\nwant\n%s", batched, body0)
		}
		old := historyCSVCap
		historyCSVCap = 2
		defer func() { historyCSVCap = old }()
		_, body, hdr = owner.get("/history.csv")
		recs, err = csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\uFEFF"))).ReadAll()
		if err == nil {
			t.Fatal("a cut export has no line saying so")
		}
		r := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\uFEFF")))
		r.FieldsPerRecord = -1
		recs, err = r.ReadAll()
		if err != nil || len(recs) != 4 || !strings.Contains(recs[3][0], "2 of 4") || hdr.Get("X-Tether-Truncated") != "2 of 4" {
			t.Errorf("cut export: %v, %d records, last %v, header %q", err, len(recs), recs[len(recs)-1], hdr.Get("X-Tether-Truncated"))
		}
		if _, page, _ := owner.get("/history"); !strings.Contains(page, "first 2") {
			t.Error("the page does not say the export is cut")
		}
	})

	t.Run("terminate", func(t *testing.T) {
		back := "/history?q=anna"
		code, body, _ := alice.get("/sessions/" + aliceIDs[0] + "/terminate?back=" + url.QueryEscape(back))
		if code != http.StatusOK || !strings.Contains(body, `id="terminate-confirm"`) || !strings.Contains(body, html.EscapeString(back)) {
			t.Fatalf("confirm page: %d", code)
		}
		code, _, hdr := alice.post("/sessions/"+aliceIDs[0]+"/terminate", url.Values{"back": {back}})
		if code != http.StatusSeeOther || hdr.Get("Location") != back+"&ended="+aliceIDs[0] {
			t.Fatalf("terminate: %d to %s", code, hdr.Get("Location"))
		}
		s, err := h.st.SessionByID(ctx, p.ID, aliceIDs[0])
		if err != nil || s.State != store.StateEnded || s.EndReason != "ended by alice" {
			t.Fatalf("terminated session: %v %s %q", err, s.State, s.EndReason)
		}
		evs, err := h.st.Events(ctx, p.ID, s.ID)
		if err != nil {
			t.Fatal(err)
		}
		var kinds []string
		for _, e := range evs {
			kinds = append(kinds, e.Kind+"/"+e.Actor)
		}
		joined := strings.Join(kinds, " ")
		if !strings.Contains(joined, store.EventTerminated+"/engineer:") || !strings.HasSuffix(joined, store.EventEnded+"/"+store.ActorEngineer(evs[len(evs)-1].Actor[len("engineer:"):])) {
			t.Errorf("events: %s", joined)
		}
		_, body, _ = alice.get(hdr.Get("Location"))
		if !strings.Contains(body, `id="history-terminated"`) || !strings.Contains(body, "Ended by alice") {
			t.Error("the history does not say the session ended")
		}
		// Somewhere else than the history is not a way back.
		if _, _, hdr := alice.post("/sessions/"+aliceIDs[1]+"/terminate", url.Values{"back": {"https://evil.example/"}}); !strings.HasPrefix(hdr.Get("Location"), "/history?ended=") {
			t.Errorf("back to %s", hdr.Get("Location"))
		}
		// Terminating an ended session changes nothing.
		if code, _, _ := alice.post("/sessions/"+aliceIDs[0]+"/terminate", nil); code != http.StatusSeeOther {
			t.Errorf("terminate again: %d", code)
		}
		if evs2, _ := h.st.Events(ctx, p.ID, s.ID); len(evs2) != len(evs) {
			t.Errorf("terminating an ended session logged %d more events", len(evs2)-len(evs))
		}
	})

	t.Run("german", func(t *testing.T) {
		_, body, _ := owner.get("/history?lang=de&period=nonsense")
		for _, want := range []string{"Verbindungsverlauf", "Zeitraum", "Beendet von alice", "Einige Filter waren ungültig"} {
			if !strings.Contains(body, want) {
				t.Errorf("the German history lacks %q", want)
			}
		}
	})
}
