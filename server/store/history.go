package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/uptrace/bun"
)

// The connection history (issue 10): every session of a provider, filtered, sorted and paged in SQL, so
// that a provider with a million sessions never loads them into Go.

// EventTerminated: an engineer ended the live session from the connection history; the actor is the
// engineer, and the "ended" event after it carries the reason.
const EventTerminated = "terminated"

// HistorySort is a column the history sorts by.
type HistorySort string

// The columns the history sorts by.
const (
	SortWhen     HistorySort = "when"
	SortDuration HistorySort = "duration"
	SortCustomer HistorySort = "customer"
	SortComputer HistorySort = "computer"
	SortEngineer HistorySort = "engineer"
	SortSource   HistorySort = "source"
	SortState    HistorySort = "state"
	SortReason   HistorySort = "reason"
	SortRating   HistorySort = "rating"
)

// HistorySorts lists every HistorySort, for validating a request.
var HistorySorts = []HistorySort{SortWhen, SortDuration, SortCustomer, SortComputer, SortEngineer, SortSource, SortState, SortReason, SortRating}

// ValidHistorySort reports whether s is one of HistorySorts.
func ValidHistorySort(s string) bool {
	for _, v := range HistorySorts {
		if string(v) == s {
			return true
		}
	}
	return false
}

// HistoryFilter narrows and orders History. Zero values filter nothing: no From/To, no engineer, no
// states, no text. Sort "" is SortWhen; Limit <= 0 is no limit.
type HistoryFilter struct {
	// VisibleTo is the desk scope (visibleTo): "" for owners and admins, the engineer's id otherwise.
	VisibleTo string
	// From and To bound created_at: From <= created_at < To.
	From, To *time.Time
	// EngineerID keeps the sessions this engineer ran.
	EngineerID string
	// Who matches the customer's name or the computer's name (contains, case-insensitive).
	Who string
	// Text matches the customer, the computer, the customer's description, the code or the id.
	Text   string
	States []State
	Sort   HistorySort
	Desc   bool
	Limit  int
	Offset int
}

// HistoryRow is one session of the history, with its engineer's name ("" for a request nobody took, or
// an engineer since removed).
type HistoryRow struct {
	Session      `bun:",extend"`
	EngineerName string `bun:"engineer_name"`
}

// Duration is how long the customer was connected: from the agent joining to the end, or to now for a
// live session; 0 when the agent never joined.
func (r HistoryRow) Duration(now time.Time) time.Duration {
	if r.JoinedAt == nil {
		return 0
	}
	end := now
	if r.EndedAt != nil {
		end = *r.EndedAt
	}
	if d := end.Sub(*r.JoinedAt); d > 0 {
		return d
	}
	return 0
}

// History returns one page of the provider's sessions matching f, and how many match in all.
func (s *Store) History(ctx context.Context, providerID string, f HistoryFilter) ([]HistoryRow, int, error) {
	total, err := s.HistoryCount(ctx, providerID, f)
	if err != nil {
		return nil, 0, err
	}
	rows, err := s.HistoryRows(ctx, providerID, f)
	if err != nil {
		return nil, 0, err
	}
	return rows, total, nil
}

// HistoryCount counts the provider's sessions matching f (ignoring its order and page).
func (s *Store) HistoryCount(ctx context.Context, providerID string, f HistoryFilter) (int, error) {
	total, err := s.historyQuery(providerID, f, nil).Count(ctx)
	if err != nil {
		return 0, fmt.Errorf("store: count history: %w", err)
	}
	return int(total), nil
}

// HistoryRows returns the page of the provider's sessions matching f that f.Limit and f.Offset name.
//
// The page is found first by ids alone, and only its rows are read whole: SQLite computes every column
// of the rows an OFFSET skips, which made page 1,000 of 100,000 sessions several times slower.
func (s *Store) HistoryRows(ctx context.Context, providerID string, f HistoryFilter) ([]HistoryRow, error) {
	page := s.historyQuery(providerID, f, nil).Column("ss.id")
	if f.Sort == SortEngineer {
		page = page.Join("LEFT JOIN users AS u ON u.id = ss.engineer_id AND u.provider_id = ss.provider_id")
	}
	page = s.historyOrder(page, f)
	if f.Limit > 0 {
		page = page.Limit(int64(f.Limit))
	}
	if f.Offset > 0 {
		page = page.Offset(int64(f.Offset))
	}
	var ids []string
	if err := page.Scan(ctx, &ids); err != nil {
		return nil, fmt.Errorf("store: history page: %w", err)
	}
	rows := []HistoryRow{}
	if len(ids) == 0 {
		return rows, nil
	}
	err := s.db.NewSelect().Model(&rows).
		ColumnExpr("ss.*").ColumnExpr("COALESCE(u.name, '') AS engineer_name").
		Join("LEFT JOIN users AS u ON u.id = ss.engineer_id AND u.provider_id = ss.provider_id").
		Where("ss.id IN (?)", bun.List(ids)).Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: history: %w", err)
	}
	// In the page's order.
	at := make(map[string]int, len(ids))
	for i, id := range ids {
		at[id] = i
	}
	slices.SortFunc(rows, func(a, b HistoryRow) int { return at[a.ID] - at[b.ID] })
	return rows, nil
}

// historyQuery is the filtered select of f, without columns or order; model is where rows go (nil to
// count).
func (s *Store) historyQuery(providerID string, f HistoryFilter, model *[]HistoryRow) *bun.SelectQuery {
	q := s.db.NewSelect()
	if model != nil {
		q = q.Model(model)
	} else {
		q = q.Model((*Session)(nil))
	}
	q = q.Where("ss.provider_id = ?", providerID)
	q = visibleTo(q, f.VisibleTo)
	if f.From != nil {
		q = q.Where("ss.created_at >= ?", utc(*f.From))
	}
	if f.To != nil {
		q = q.Where("ss.created_at < ?", utc(*f.To))
	}
	if f.EngineerID != "" {
		q = q.Where("ss.engineer_id = ?", f.EngineerID)
	}
	if len(f.States) > 0 {
		q = q.Where("ss.state IN (?)", bun.List(f.States))
	}
	if who := strings.TrimSpace(f.Who); who != "" {
		pat := containsPattern(who)
		q = q.Where("(LOWER(ss.customer_name) LIKE ? ESCAPE '\\' OR LOWER(ss.agent_host) LIKE ? ESCAPE '\\')", pat, pat)
	}
	if text := strings.TrimSpace(f.Text); text != "" {
		pat := containsPattern(text)
		// A code is read out in two halves ("ABC DEF") and stored as one word.
		code := NormalizeCode(strings.ReplaceAll(text, " ", ""))
		q = q.Where("(LOWER(ss.customer_name) LIKE ? ESCAPE '\\' OR LOWER(ss.agent_host) LIKE ? ESCAPE '\\'"+
			" OR LOWER(ss.description) LIKE ? ESCAPE '\\' OR ss.code = ? OR ss.id = ?)", pat, pat, pat, code, text)
	}
	return q
}

// containsPattern is a LIKE pattern matching v anywhere, lowercased, with LIKE's wildcards in v escaped
// (the query says ESCAPE '\'), so that "50%" finds "50%" and not "500".
func containsPattern(v string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(strings.ToLower(v)) + "%"
}

// historyOrder orders q by f's column, then by id for a stable order across pages. Columns that may be
// empty (a computer before the agent joined, a duration) put the empty ones last either way.
func (s *Store) historyOrder(q *bun.SelectQuery, f HistoryFilter) *bun.SelectQuery {
	dir := "ASC"
	if f.Desc {
		dir = "DESC"
	}
	switch f.Sort {
	case SortDuration:
		q = q.OrderExpr("(ss.joined_at IS NULL) ASC").OrderExpr(s.durationExpr()+" "+dir, utc(s.clock()))
	case SortCustomer:
		q = q.OrderExpr("LOWER(ss.customer_name) " + dir)
	case SortComputer:
		q = q.OrderExpr("(ss.agent_host = '') ASC").OrderExpr("LOWER(ss.agent_host) " + dir)
	case SortEngineer:
		q = q.OrderExpr("(u.name IS NULL) ASC").OrderExpr("LOWER(u.name) " + dir)
	case SortSource:
		q = q.OrderExpr("ss.origin " + dir).OrderExpr("ss.source " + dir)
	case SortState:
		// In the order of a session's life, not of the alphabet.
		q = q.OrderExpr("CASE ss.state WHEN ? THEN 0 WHEN ? THEN 1 WHEN ? THEN 2 ELSE 3 END "+dir, StateWaiting, StateJoined, StateActive)
	case SortReason:
		q = q.OrderExpr("(ss.end_reason = '') ASC").OrderExpr("ss.end_reason " + dir)
	case SortRating:
		q = q.OrderExpr("(ss.rating = 0) ASC").OrderExpr("ss.rating " + dir)
	}
	return q.OrderExpr("ss.created_at " + dir).OrderExpr("ss.id " + dir)
}

// durationExpr is the seconds from joined_at to ended_at (or to the one argument, now, for a live
// session) in the store's dialect: SQLite keeps times as text, which julianday reads.
func (s *Store) durationExpr() string {
	if s.dialect == dialectPostgres {
		return "EXTRACT(EPOCH FROM (COALESCE(ss.ended_at, ?) - ss.joined_at))"
	}
	return "(julianday(COALESCE(ss.ended_at, ?)) - julianday(ss.joined_at))"
}
