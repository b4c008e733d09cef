package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"tether/server/protocol"
)

func TestContainsPattern(t *testing.T) {
	for in, want := range map[string]string{
		"Ada":    "%ada%",
		"50%":    `%50\%%`,
		"a_b":    `%a\_b%`,
		`c:\tmp`: `%c:\\tmp%`,
	} {
		if got := containsPattern(in); got != want {
			t.Errorf("containsPattern(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestHistory(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		desk2, err := e.s.CreateDesk(ctx, e.p.ID, "Billing")
		if err != nil {
			t.Fatal(err)
		}
		erin, err := e.s.CreateUser(ctx, User{ProviderID: e.p.ID, Email: "erin@acme.test", Name: "Erin", PasswordHash: "h", Role: RoleEngineer}, desk2.ID)
		if err != nil {
			t.Fatal(err)
		}
		start := e.clock.Now()
		// 30 sessions, one a minute: every third Erin's in Billing, the rest the owner's in the default desk.
		// Sessions 0-9 stay waiting, 10-19 join and end after i minutes, 20-29 join and stay active.
		var all []Session
		for i := range 30 {
			desk, eng := e.desk.ID, e.owner.ID
			if i%3 == 0 {
				desk, eng = desk2.ID, erin.ID
			}
			name := fmt.Sprintf("Customer %02d", i)
			if i == 7 {
				name = "100% Discount_Shop"
			}
			sess, err := e.s.CreateSession(ctx, NewSession{ProviderID: e.p.ID, DeskID: desk, EngineerID: eng, CustomerName: name,
				Description: fmt.Sprintf("problem %d", i), TokenHash: "t-" + NewID(), Code: fmt.Sprintf("CODE%02d", i), ExpiresAt: start.Add(24 * time.Hour)})
			if err != nil {
				t.Fatal(err)
			}
			if i >= 10 {
				if _, err := e.s.JoinAgent(ctx, sess.ID, AgentJoin{KeyHash: "k" + sess.ID, Source: protocol.SourceLink, OS: "linux", Host: fmt.Sprintf("pc-%02d", 29-i), Instance: "i1"}); err != nil {
					t.Fatal(err)
				}
			}
			all = append(all, sess)
			e.clock.Advance(time.Minute)
		}
		for i := 10; i < 20; i++ {
			e.clock.Advance(time.Duration(i) * time.Second)
			if _, _, err := e.s.EndSession(ctx, all[i].ID, protocol.EndCustomerClosed, ActorCustomer); err != nil {
				t.Fatal(err)
			}
			if _, err := e.s.Rate(ctx, all[i].ID, 1+i%5, ""); err != nil {
				t.Fatal(err)
			}
		}
		op, ou, od := e.otherProvider(t)
		if _, err := e.s.CreateSession(ctx, NewSession{ProviderID: op.ID, DeskID: od.ID, EngineerID: ou.ID, CustomerName: "Customer 01",
			TokenHash: "t-" + NewID(), Code: "OTHER1", ExpiresAt: start.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}

		names := func(rows []HistoryRow) string {
			var out []string
			for _, r := range rows {
				out = append(out, strings.TrimPrefix(r.CustomerName, "Customer "))
			}
			return strings.Join(out, ",")
		}
		history := func(f HistoryFilter) ([]HistoryRow, int) {
			t.Helper()
			rows, total, err := e.s.History(ctx, e.p.ID, f)
			if err != nil {
				t.Fatalf("History(%+v): %v", f, err)
			}
			return rows, total
		}

		// Newest first by default; pages of 7 cover everything once, in order.
		rows, total := history(HistoryFilter{Desc: true})
		if total != 30 || len(rows) != 30 || rows[0].ID != all[29].ID || rows[29].ID != all[0].ID {
			t.Fatalf("all: total %d, %d rows, first %s", total, len(rows), names(rows[:1]))
		}
		if rows[0].EngineerName != "Ada Owner" || rows[1].EngineerName != "Ada Owner" || rows[2].EngineerName != "Erin" {
			t.Errorf("engineer names: %q %q %q", rows[0].EngineerName, rows[1].EngineerName, rows[2].EngineerName)
		}
		var paged []HistoryRow
		for off := 0; off < 35; off += 7 {
			page, total := history(HistoryFilter{Desc: true, Limit: 7, Offset: off})
			if total != 30 {
				t.Fatalf("page at %d: total %d", off, total)
			}
			paged = append(paged, page...)
		}
		if names(paged) != names(rows) {
			t.Errorf("pages %s\n  want %s", names(paged), names(rows))
		}

		for _, tt := range []struct {
			name string
			f    HistoryFilter
			want string
		}{
			{"engineer", HistoryFilter{EngineerID: erin.ID, States: []State{StateEnded}}, "12,15,18"},
			{"period", HistoryFilter{From: ptr(start.Add(5 * time.Minute)), To: ptr(start.Add(8 * time.Minute))}, "05,06,100% Discount_Shop"},
			{"who by customer", HistoryFilter{Who: "customer 2"}, "20,21,22,23,24,25,26,27,28,29"},
			{"who by computer", HistoryFilter{Who: "PC-0"}, "20,21,22,23,24,25,26,27,28,29"},
			{"percent is a percent", HistoryFilter{Text: "100%"}, "100% Discount_Shop"},
			{"underscore is an underscore", HistoryFilter{Text: "t_s"}, "100% Discount_Shop"},
			{"no wildcard match", HistoryFilter{Text: "Customer_0"}, ""},
			{"description", HistoryFilter{Text: "PROBLEM 13"}, "13"},
			{"code as read out", HistoryFilter{Text: "cod e04"}, "04"},
			{"id", HistoryFilter{Text: all[3].ID}, "03"},
			{"states", HistoryFilter{States: []State{StateJoined}, Text: "customer 2"}, "20,21,22,23,24,25,26,27,28,29"},
			{"desk scope", HistoryFilter{VisibleTo: erin.ID, Who: "customer 1"}, "12,15,18"},
		} {
			got, n := history(tt.f)
			if names(got) != tt.want || n != len(got) {
				t.Errorf("%s: got %q (total %d), want %q", tt.name, names(got), n, tt.want)
			}
		}

		// Sorts: every column, both ways; the empty values come last either way.
		sorted := func(s HistorySort, desc bool) []HistoryRow {
			rows, _ := history(HistoryFilter{Sort: s, Desc: desc})
			return rows
		}
		if got := sorted(SortComputer, false); got[0].AgentHost != "pc-00" || got[19].AgentHost != "pc-19" || got[20].AgentHost != "" {
			t.Errorf("computer ascending: %s, %s, %q", got[0].AgentHost, got[19].AgentHost, got[20].AgentHost)
		}
		if got := sorted(SortComputer, true); got[0].AgentHost != "pc-19" || got[29].AgentHost != "" {
			t.Errorf("computer descending: %s, %q", got[0].AgentHost, got[29].AgentHost)
		}
		now := e.clock.Now()
		for _, desc := range []bool{false, true} {
			got := sorted(SortDuration, desc)
			durs := make([]time.Duration, 20)
			for i := range durs {
				durs[i] = got[i].Duration(now)
				if durs[i] == 0 {
					t.Fatalf("duration sort (desc %v): row %d never joined", desc, i)
				}
			}
			if got[20].JoinedAt != nil {
				t.Errorf("duration sort: a joined session after the unjoined")
			}
			want := slices.Clone(durs)
			slices.Sort(want)
			if desc {
				slices.Reverse(want)
			}
			if !slices.Equal(durs, want) {
				t.Errorf("duration sort (desc %v): %v", desc, durs)
			}
		}
		if got := sorted(SortRating, true); got[0].Rating != 5 || got[9].Rating != 1 || got[10].Rating != 0 {
			t.Errorf("rating descending: %d %d %d", got[0].Rating, got[9].Rating, got[10].Rating)
		}
		if got := sorted(SortEngineer, true); got[0].EngineerName != "Erin" || got[29].EngineerName != "Ada Owner" {
			t.Errorf("engineer descending: %s .. %s", got[0].EngineerName, got[29].EngineerName)
		}
		if got := sorted(SortCustomer, false); got[0].CustomerName != "100% Discount_Shop" || got[1].CustomerName != "Customer 00" {
			t.Errorf("customer ascending: %s, %s", got[0].CustomerName, got[1].CustomerName)
		}
		if got := sorted(SortState, false); got[0].State != StateWaiting || got[10].State != StateJoined || got[29].State != StateEnded {
			t.Errorf("state ascending: %s .. %s", got[0].State, got[29].State)
		}
		if got := sorted(SortReason, false); got[0].EndReason == "" || got[10].EndReason != "" {
			t.Errorf("reason ascending: %q, %q", got[0].EndReason, got[10].EndReason)
		}
		for _, s := range HistorySorts {
			if !ValidHistorySort(string(s)) {
				t.Errorf("ValidHistorySort(%s) = false", s)
			}
		}
		if ValidHistorySort("created_at; DROP TABLE users") {
			t.Error("a nonsense sort is valid")
		}
	})
}

func ptr[T any](v T) *T { return &v }

// BenchmarkHistory reads one page of a provider with 100,000 sessions (and another provider's 20,000)
// on SQLite: the newest first, a text search, a sort by duration, and an engineer's desk scope.
func BenchmarkHistory(b *testing.B) {
	ctx := context.Background()
	clock := newTestClock()
	s, err := Open(ctx, "sqlite://"+b.TempDir()+"/bench.db", clock.Now)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	if err := s.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	p, owner, err := s.CreateProviderWithOwner(ctx, "Acme", "Ada", "ada@acme.test", "h")
	if err != nil {
		b.Fatal(err)
	}
	desk, _ := s.DefaultDesk(ctx, p.ID)
	op, oo, err := s.CreateProviderWithOwner(ctx, "Other", "Olga", "olga@other.test", "h")
	if err != nil {
		b.Fatal(err)
	}
	odesk, _ := s.DefaultDesk(ctx, op.ID)
	eng, err := s.CreateUser(ctx, User{ProviderID: p.ID, Email: "e@acme.test", Name: "Eve", PasswordHash: "h", Role: RoleEngineer}, desk.ID)
	if err != nil {
		b.Fatal(err)
	}
	start := clock.Now()
	insert := func(provider, deskID, engineer string, n int) {
		batch := make([]Session, 0, 1000)
		for i := range n {
			created := start.Add(-time.Duration(i) * time.Minute)
			joined, ended := created.Add(time.Minute), created.Add(time.Duration(2+i%50)*time.Minute)
			batch = append(batch, Session{ID: NewID(), ProviderID: provider, DeskID: deskID, EngineerID: engineer,
				CustomerName: fmt.Sprintf("Customer %06d", i), TokenHash: NewID(), Code: fmt.Sprintf("B%05d", i%100000), Source: protocol.SourceLink,
				Origin: protocol.OriginConsole, State: StateEnded, AgentOS: "windows", AgentHost: fmt.Sprintf("PC-%06d", i),
				CreatedAt: created, ExpiresAt: created.Add(time.Hour), JoinedAt: &joined, EndedAt: &ended, EndReason: protocol.EndCustomerClosed, Rating: i % 6})
			if len(batch) == cap(batch) || i == n-1 {
				if _, err := s.db.NewInsert().Model(&batch).Exec(ctx); err != nil {
					b.Fatal(err)
				}
				batch = batch[:0]
			}
		}
	}
	insert(p.ID, desk.ID, owner.ID, 100_000)
	insert(op.ID, odesk.ID, oo.ID, 20_000)
	for _, bc := range []struct {
		name string
		f    HistoryFilter
	}{
		{"newest", HistoryFilter{Sort: SortWhen, Desc: true}},
		{"page 1000", HistoryFilter{Sort: SortWhen, Desc: true, Offset: 999 * 50}},
		{"text", HistoryFilter{Sort: SortWhen, Desc: true, Text: "pc-0421"}},
		{"duration", HistoryFilter{Sort: SortDuration, Desc: true}},
		{"engineer", HistoryFilter{Sort: SortWhen, Desc: true, EngineerID: owner.ID, From: ptr(start.Add(-30 * 24 * time.Hour))}},
		{"desk scope", HistoryFilter{Sort: SortWhen, Desc: true, VisibleTo: eng.ID}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			bc.f.Limit = 50
			for b.Loop() {
				rows, total, err := s.History(ctx, p.ID, bc.f)
				if err != nil || total == 0 || len(rows) == 0 {
					b.Fatalf("%d rows of %d: %v", len(rows), total, err)
				}
			}
		})
	}
}
