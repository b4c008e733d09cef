//go:build linux

package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"tether/server/protocol"
	"tether/server/store"
)

// historyShots is where the history's screenshots go, for a person to look at.
const historyShots = "/tmp/shots10/history"

// seededSession is what the test knows of one generated session.
type seededSession struct {
	id, customer, engineer string
	created                time.Time
}

// seedHistory puts n sessions into the server's database through the store, as server/loadgen does:
// spread over the last 60 days, among three engineers, most ended with a rating, a few still live.
func seedHistory(t *testing.T, w *world, n int) ([]seededSession, map[string]string) {
	t.Helper()
	ctx := context.Background()
	var (
		mu  sync.Mutex
		now time.Time
	)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	set := func(t time.Time) { mu.Lock(); now = t; mu.Unlock() }
	st, err := store.Open(ctx, "sqlite://"+filepath.Join(w.srv.data, "tether.db"), clock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	owners, err := st.UsersByEmail(ctx, "erin@acme.test")
	if err != nil || len(owners) != 1 {
		t.Fatalf("owner: %v", err)
	}
	p := owners[0].ProviderID
	desk, err := st.DefaultDesk(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	set(time.Now())
	engineers := map[string]string{owners[0].ID: owners[0].Name}
	ids := []string{owners[0].ID}
	for _, name := range []string{"Bob Berg", "Chen Wei"} {
		u, err := st.CreateUser(ctx, store.User{ProviderID: p, Email: strings.ToLower(strings.Fields(name)[0]) + "@acme.test", Name: name,
			PasswordHash: "not a usable hash", Role: store.RoleEngineer}, desk.ID)
		if err != nil {
			t.Fatal(err)
		}
		engineers[u.ID] = name
		ids = append(ids, u.ID)
	}
	start := time.Now()
	out := make([]seededSession, 0, n)
	for i := range n {
		created := start.Add(-time.Duration(i)*3*time.Hour - time.Duration(i%7)*time.Minute)
		set(created)
		eng := ids[i%3]
		customer := fmt.Sprintf("Customer %03d", i)
		if i%50 == 7 {
			customer = fmt.Sprintf("Zeppelin Works %03d", i)
		}
		var sess store.Session
		retryLocked(t, func() (err error) {
			sess, err = st.CreateSession(ctx, store.NewSession{ProviderID: p, DeskID: desk.ID, EngineerID: eng, CustomerName: customer,
				Description: "printer offline", TokenHash: "seed-" + store.NewID(), Code: fmt.Sprintf("H%05d", i), ExpiresAt: start.Add(24 * time.Hour)})
			return err
		})
		set(created.Add(time.Minute))
		retryLocked(t, func() error {
			_, err := st.JoinAgent(ctx, sess.ID, store.AgentJoin{KeyHash: "k-" + sess.ID, Source: []string{protocol.SourceLink, protocol.SourceCode, protocol.SourceWidget}[i%3],
				OS: []string{"windows", "linux", "darwin"}[i%3], Host: fmt.Sprintf("PC-%04d", i), Instance: "seed"})
			return err
		})
		if i >= 5 { // the five newest stay live
			set(created.Add(time.Minute + time.Duration(1+i%40)*time.Minute))
			retryLocked(t, func() error {
				_, _, err := st.EndSession(ctx, sess.ID, protocol.EndCustomerClosed, store.ActorCustomer)
				return err
			})
			if i%4 != 0 {
				retryLocked(t, func() error {
					_, err := st.Rate(ctx, sess.ID, 1+i%5, "")
					return err
				})
			}
		}
		out = append(out, seededSession{id: sess.ID, customer: customer, engineer: eng, created: created})
	}
	return out, engineers
}

// retryLocked runs a write of the seeding again while the running server holds SQLite's write lock (a
// transaction that read before the server's write cannot upgrade: SQLITE_BUSY_SNAPSHOT, which the busy
// timeout does not wait out). The transaction rolled back, so running it again is safe.
func retryLocked(t *testing.T, write func() error) {
	t.Helper()
	for attempt := 0; ; attempt++ {
		err := write()
		if err == nil {
			return
		}
		if !strings.Contains(err.Error(), "database is locked") || attempt == 100 {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// historyStep runs steps that load another history page (a click, a form submitted) and waits until the
// new page has replaced the old one.
func historyStep(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	eval[bool](t, ctx, `window.__stale = true`)
	do(t, ctx, 20*time.Second, what, steps...)
	// Polled from here: a poll inside the page ends with the page it ran in.
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, cancel := context.WithTimeout(ctx, 2*time.Second)
		loaded, err := chromedp.Run(c, chromedp.Evaluate[bool](`window.__stale !== true && document.readyState === "complete" && !!document.getElementById("history-count")`))
		cancel()
		if err == nil && loaded {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: the new page did not load (%v)", what, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// historyRows is the row ids the history shows, in order.
func historyRows(t *testing.T, ctx context.Context) []string {
	return eval[[]string](t, ctx, `[...document.querySelectorAll("#history-table tbody tr")].map(r => r.dataset.id)`)
}

func historyCount(t *testing.T, ctx context.Context) string {
	return strings.Join(strings.Fields(eval[string](t, ctx, `document.getElementById("history-count").textContent`)), " ")
}

// historyShot saves the whole page at width x height to historyShots.
func historyShot(t *testing.T, ctx context.Context, name string, width, height int64) {
	t.Helper()
	if err := os.MkdirAll(historyShots, 0o755); err != nil {
		t.Fatal(err)
	}
	do(t, ctx, 20*time.Second, "viewport for "+name, chromedp.EmulateViewport(width, height))
	waitJS(t, ctx, 5*time.Second, "layout after resize", fmt.Sprintf(`window.innerWidth === %d`, width))
	c, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	png, err := chromedp.Run(c, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(historyShots, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
	// No part of the page is wider than the window.
	if over := eval[int](t, ctx, `document.documentElement.scrollWidth - window.innerWidth`); over > 0 {
		t.Errorf("%s: the page is %d px wider than the window", name, over)
	}
	if over := eval[int](t, ctx, `(s => s ? s.scrollWidth - s.clientWidth : 0)(document.querySelector(".history-scroll"))`); over > 0 {
		t.Errorf("%s: the table is %d px wider than its frame", name, over)
	}
}

// TestHistoryFiltersAndPages: against 500 generated sessions, the engineer filters the history by
// engineer, text and period in the browser, pages through, sorts, and opens the URL in a fresh tab to
// find the same view.
func TestHistoryFiltersAndPages(t *testing.T) {
	requireTools(t)
	w := &world{a: build(t)}
	w.srv = startServer(t, w.a)
	w.engineer = newBrowser(t)
	w.setupAccount(t)
	seedStart := time.Now()
	seeded, engineers := seedHistory(t, w, 500)
	t.Logf("500 sessions seeded in %v", time.Since(seedStart))
	ctx := w.engineer

	began := time.Now()
	do(t, ctx, 20*time.Second, "open the history",
		chromedp.Click(chromedp.CSS(`#nav-history`)),
		chromedp.WaitVisible(chromedp.CSS(`#history-table`)))
	t.Logf("history of 500 sessions shown in %v", time.Since(began))
	if got := historyCount(t, ctx); got != "Sessions 1–50 of 500" {
		t.Fatalf("count line %q", got)
	}
	if rows := historyRows(t, ctx); len(rows) != 50 || rows[0] != seeded[0].id || rows[49] != seeded[49].id {
		t.Fatalf("first page: %d rows, not the newest first", len(rows))
	}
	historyShot(t, ctx, "history-en-1280", 1280, 900)

	// By engineer.
	var bob string
	for id, name := range engineers {
		if name == "Bob Berg" {
			bob = id
		}
	}
	wantBob := 0
	for _, s := range seeded {
		if s.engineer == bob {
			wantBob++
		}
	}
	historyStep(t, ctx, "filter by engineer",
		chromedp.SetValue(chromedp.CSS(`#f-engineer`), bob),
		chromedp.Click(chromedp.CSS(`#f-apply`)))
	if got, want := historyCount(t, ctx), fmt.Sprintf("Sessions 1–50 of %d", wantBob); got != want {
		t.Errorf("engineer filter: %q, want %q", got, want)
	}
	if names := eval[[]string](t, ctx, `[...new Set([...document.querySelectorAll("#history-table tbody .col-engineer")].map(td => td.textContent))]`); !slices.Equal(names, []string{"Bob Berg"}) {
		t.Errorf("engineer filter shows %v", names)
	}

	// By text, from a clean slate.
	historyStep(t, ctx, "clear the filters", chromedp.Click(chromedp.CSS(`#f-reset`)))
	historyStep(t, ctx, "filter by text",
		chromedp.SendKeys(chromedp.CSS(`#f-q`), "zeppelin"),
		chromedp.Click(chromedp.CSS(`#f-apply`)))
	if got := historyCount(t, ctx); got != "Sessions 1–10 of 10" {
		t.Errorf("text filter: %q", got)
	}
	if url := eval[string](t, ctx, `location.search`); url != "?q=zeppelin" {
		t.Errorf("the text filter is not in the URL: %s", url)
	}

	// By period: the last 7 days in the reader's zone (the server's, as the profile names none).
	midnight := time.Date(time.Now().Year(), time.Now().Month(), time.Now().Day(), 0, 0, 0, 0, time.Local).AddDate(0, 0, -6)
	want7 := 0
	for _, s := range seeded {
		if !s.created.Before(midnight) {
			want7++
		}
	}
	historyStep(t, ctx, "clear the filters again", chromedp.Click(chromedp.CSS(`#f-reset`)))
	historyStep(t, ctx, "filter by period",
		chromedp.SetValue(chromedp.CSS(`#f-period`), "7d"),
		chromedp.Click(chromedp.CSS(`#f-apply`)))
	if got, want := historyCount(t, ctx), fmt.Sprintf("Sessions 1–50 of %d", want7); got != want {
		t.Errorf("period filter: %q, want %q", got, want)
	}

	// Pages: next, then the last page by its number.
	historyStep(t, ctx, "all sessions", chromedp.Click(chromedp.CSS(`#f-reset`)))
	historyStep(t, ctx, "next page", chromedp.Click(chromedp.CSS(`#page-next`)))
	if got := historyCount(t, ctx); got != "Sessions 51–100 of 500" {
		t.Errorf("page 2: %q", got)
	}
	if rows := historyRows(t, ctx); len(rows) != 50 || rows[0] != seeded[50].id {
		t.Errorf("page 2 does not go on where page 1 stopped")
	}
	historyStep(t, ctx, "last page", chromedp.Click(chromedp.CSS(`#history-pager a[data-page="10"]`)))
	if eval[bool](t, ctx, `!!document.getElementById("page-next")`) {
		t.Error("the last page links to a next one")
	}
	if got := historyCount(t, ctx); got != "Sessions 451–500 of 500" {
		t.Errorf("page 10: %q", got)
	}
	if rows := historyRows(t, ctx); len(rows) != 50 || rows[49] != seeded[499].id {
		t.Errorf("the last page does not end with the oldest session")
	}

	// Sort by customer, then the other way.
	historyStep(t, ctx, "sort by customer", chromedp.Click(chromedp.CSS(`th.col-customer a`)))
	if eval[string](t, ctx, `document.querySelector("th.col-customer").getAttribute("aria-sort")`) != "ascending" {
		t.Error("the customer column is not marked sorted")
	}
	customers := eval[[]string](t, ctx, `[...document.querySelectorAll("#history-table tbody .col-customer")].map(td => td.textContent)`)
	if customers[0] != "Customer 000" || !slices.IsSorted(customers) || historyCount(t, ctx) != "Sessions 1–50 of 500" {
		t.Errorf("ascending by customer: %v…, %s", customers[:3], historyCount(t, ctx))
	}
	historyStep(t, ctx, "sort the other way", chromedp.Click(chromedp.CSS(`th.col-customer a`)))
	if first := eval[string](t, ctx, `document.querySelector("#history-table tbody .col-customer").textContent`); first != "Zeppelin Works 457" {
		t.Errorf("descending by customer starts with %q", first)
	}

	// A filtered, sorted, paged view: its URL reproduces it in a fresh tab.
	do(t, ctx, 20*time.Second, "a view to share",
		chromedp.Navigate(w.srv.url+"/history?period=30d&q=customer&sort=duration&dir=desc&page=2"),
		chromedp.WaitVisible(chromedp.CSS(`#history-table`)))
	shared := eval[string](t, ctx, `location.href`)
	want := historyRows(t, ctx)
	tab, cancel := chromedp.NewContext(ctx)
	defer cancel()
	// The first action on a context opens its tab, which lives as long as that action's context.
	if err := chromedp.Do(tab, chromedp.Navigate("about:blank")); err != nil {
		t.Fatal(err)
	}
	do(t, tab, 20*time.Second, "the URL in a fresh tab", chromedp.Navigate(shared), chromedp.WaitVisible(chromedp.CSS(`#history-table`)))
	if got := historyRows(t, tab); len(got) != 50 || !slices.Equal(got, want) {
		t.Errorf("the fresh tab shows %d rows, not the same view", len(got))
	}
	if eval[string](t, tab, `document.getElementById("f-period").value`) != "30d" || eval[string](t, tab, `document.getElementById("f-q").value`) != "customer" ||
		eval[string](t, tab, `document.querySelector("th[aria-sort]").className`) != "col-duration" {
		t.Error("the fresh tab's form does not show the view's filters and order")
	}

	// Nonsense in the URL: the unfiltered list, and a notice.
	do(t, tab, 20*time.Second, "nonsense filters", chromedp.Navigate(w.srv.url+"/history?page=-3&sort=drop%20table&from=banana"), chromedp.WaitVisible(chromedp.CSS(`#history-ignored`)))
	if got := historyCount(t, tab); got != "Sessions 1–50 of 500" {
		t.Errorf("nonsense filters: %q", got)
	}

	// Screenshots: English and German, at 1280 wide and on a phone.
	do(t, ctx, 20*time.Second, "history", chromedp.Navigate(w.srv.url+"/history?lang=en&q=zeppelin&sort=rating"), chromedp.WaitVisible(chromedp.CSS(`#history-table`)))
	historyShot(t, ctx, "history-en-390", 390, 844)
	do(t, ctx, 20*time.Second, "history in German", chromedp.Navigate(w.srv.url+"/history?lang=de&q=zeppelin&sort=rating&state=banana"), chromedp.WaitVisible(chromedp.CSS(`#history-table`)))
	if h1 := eval[string](t, ctx, `document.querySelector("h1").textContent`); h1 != "Verbindungsverlauf" {
		t.Errorf("German heading %q", h1)
	}
	historyShot(t, ctx, "history-de-390", 390, 844)
	do(t, ctx, 20*time.Second, "history in German", chromedp.Navigate(w.srv.url+"/history?lang=de"), chromedp.WaitVisible(chromedp.CSS(`#history-table`)))
	historyShot(t, ctx, "history-de-1280", 1280, 900)
	do(t, ctx, 20*time.Second, "history in Chinese", chromedp.Navigate(w.srv.url+"/history?lang=zh-Hans&page=-1"), chromedp.WaitVisible(chromedp.CSS(`#history-table`)))
	historyShot(t, ctx, "history-zh-1280", 1280, 900)
	do(t, ctx, 20*time.Second, "back to English", chromedp.Navigate(w.srv.url+"/history?lang=en"))
	t.Logf("the test took %v after the build and setup", time.Since(seedStart))
}

// TestTerminateFromHistoryEndsSession: with a real agent session running, the engineer terminates it
// from the history; the agent exits, the viewer and the customer's page show the end, and the session's
// log names who terminated it.
func TestTerminateFromHistoryEndsSession(t *testing.T) {
	w := newWorld(t)
	link, _ := w.newSession(t, "Terry Tanaka")
	cust := newBrowser(t)
	do(t, cust, 20*time.Second, "open invitation", chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS(`#downloads`)))
	c := w.downloadAndRun(t, cust)
	c.approve(t, "control")
	waitJS(t, w.engineer, 10*time.Second, "first frame", `Number(document.getElementById("viewer").dataset.frames) > 0`)

	hist, cancel := chromedp.NewContext(w.engineer)
	defer cancel()
	if err := chromedp.Do(hist, chromedp.Navigate("about:blank")); err != nil {
		t.Fatal(err)
	}
	do(t, hist, 20*time.Second, "history",
		chromedp.Navigate(w.srv.url+"/history?state=live"),
		chromedp.WaitVisible(chromedp.CSS(`#history-table tr[data-state=active] a.terminate`)))
	if got := eval[string](t, hist, `document.querySelector("#history-table tr[data-state=active] .col-computer").textContent`); !strings.Contains(got, "Linux") {
		t.Errorf("the history's computer column: %q", got)
	}
	do(t, hist, 10*time.Second, "terminate", chromedp.Click(chromedp.CSS(`#history-table tr[data-state=active] a.terminate`)), chromedp.WaitVisible(chromedp.CSS(`#terminate-dialog[open]`)))
	if q := eval[string](t, hist, `document.getElementById("terminate-question").textContent`); !strings.Contains(q, "Terry Tanaka") {
		t.Errorf("the dialog asks %q", q)
	}
	historyShot(t, hist, "terminate-dialog-en-1280", 1280, 900)
	at := time.Now()
	do(t, hist, 10*time.Second, "confirm", chromedp.Click(chromedp.CSS(`#terminate-confirm`)), chromedp.WaitVisible(chromedp.CSS(`#history-terminated`)))
	c.waitExit(t, 10*time.Second)
	waitJS(t, cust, 10*time.Second, "customer page ended", `document.getElementById("invite").dataset.state === "ended"`)
	waitJS(t, w.engineer, 10*time.Second, "viewer ended", `document.getElementById("viewer").dataset.state === "ended"`)
	t.Logf("terminate to the agent gone, the customer's page and the viewer ended: %v", time.Since(at))
	if rows := eval[int](t, hist, `document.querySelectorAll("#history-table tbody tr").length`); rows != 0 {
		t.Errorf("the live filter still lists %d sessions", rows)
	}
	do(t, hist, 10*time.Second, "session page",
		chromedp.Navigate(w.srv.url+"/history"),
		chromedp.Click(chromedp.CSS(`#history-table tbody .col-customer a`)),
		chromedp.WaitVisible(chromedp.CSS(`table.audit`)))
	log := strings.Join(strings.Fields(eval[string](t, hist, `document.querySelector("table.audit").innerText`)), " ")
	if !strings.Contains(log, "Erin Engineer Terminated from the connection history") || !strings.Contains(log, "ended by Erin Engineer") {
		t.Errorf("the session's log does not say who terminated it:\n%s", log)
	}
	if facts := eval[string](t, hist, `document.getElementById("session-facts").innerText`); !strings.Contains(facts, "Linux") || !strings.Contains(facts, "Ended by Erin Engineer") || !strings.Contains(facts, "Link") {
		t.Errorf("session facts: %q", facts)
	}
	historyShot(t, hist, "session-detail-en-1280", 1280, 900)
}
