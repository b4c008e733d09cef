package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"tether/server/protocol"
	"tether/server/store"
	"tether/templates"
)

// History is what the connection history needs from the database (history*.go).
type History interface {
	History(ctx context.Context, providerID string, f store.HistoryFilter) ([]store.HistoryRow, int, error)
	HistoryCount(ctx context.Context, providerID string, f store.HistoryFilter) (int, error)
	HistoryRows(ctx context.Context, providerID string, f store.HistoryFilter) ([]store.HistoryRow, error)
	AppendEvent(ctx context.Context, e store.Event) (store.Event, error)
}

const (
	// historyPageSize is how many sessions one page of the history shows.
	historyPageSize = 50
	// historyTextMax bounds the text filters, in characters.
	historyTextMax = 100
)

// historyParams is the history's view as the URL names it: the filters, the order and the page. Every
// value is one the page understood; what it did not is dropped (and named in a notice).
type historyParams struct {
	Period, From, To, Engineer, Who, State, Q, Sort, Dir string
	Page                                                 int
}

// Periods of the history's period filter; "" is all time.
const (
	periodToday  = "today"
	period7Days  = "7d"
	period30Days = "30d"
	periodCustom = "custom"
)

// stateLive is the state filter for every session not yet ended.
const stateLive = "live"

// historyDefaultDesc is the direction a column sorts in when first clicked: the newest, longest and best
// first; names and words A to Z.
var historyDefaultDesc = map[store.HistorySort]bool{store.SortWhen: true, store.SortDuration: true, store.SortRating: true}

// query is the URL query of p, without the values that are the defaults, with page when n > 1.
func (p historyParams) query(page int) url.Values {
	v := url.Values{}
	for k, val := range map[string]string{"period": p.Period, "from": p.From, "to": p.To, "engineer": p.Engineer,
		"who": p.Who, "state": p.State, "q": p.Q, "sort": p.Sort, "dir": p.Dir} {
		if val != "" {
			v.Set(k, val)
		}
	}
	if page > 1 {
		v.Set("page", strconv.Itoa(page))
	}
	return v
}

// url is the history at path with p's filters and page n.
func (p historyParams) url(path string, page int) string {
	if q := p.query(page).Encode(); q != "" {
		return path + "?" + q
	}
	return path
}

// parseHistory reads the history's parameters from the request. A value that makes no sense (page=-3,
// sort=drop table, from=banana, an engineer not of the provider) is dropped, and its parameter named in
// ignored; the rest still applies. zone is the reader's, for the days of the period; now the clock.
func parseHistory(q url.Values, engineers map[string]string, zone *time.Location, now time.Time) (p historyParams, f store.HistoryFilter, ignored []string) {
	ignore := func(name string) { ignored = append(ignored, name) }
	text := func(name string) string {
		v := strings.TrimSpace(q.Get(name))
		if utf8.RuneCountInString(v) > historyTextMax || !utf8.ValidString(v) || strings.ContainsFunc(v, func(r rune) bool { return r < 0x20 }) {
			ignore(name)
			return ""
		}
		return v
	}
	today := time.Date(now.In(zone).Year(), now.In(zone).Month(), now.In(zone).Day(), 0, 0, 0, 0, zone)
	day := func(name string) *time.Time {
		v := strings.TrimSpace(q.Get(name))
		if v == "" {
			return nil
		}
		d, err := time.ParseInLocation("2006-01-02", v, zone)
		if err != nil || d.Year() < 2000 || d.Year() > 9999 {
			ignore(name)
			return nil
		}
		return &d
	}

	switch period := q.Get("period"); period {
	case "", periodCustom:
		from, to := day("from"), day("to")
		if from != nil && to != nil && to.Before(*from) {
			ignore("to")
			to = nil
		}
		if from != nil {
			p.From, f.From = from.Format("2006-01-02"), from
		}
		if to != nil {
			end := to.AddDate(0, 0, 1) // the whole of the last day
			p.To, f.To = to.Format("2006-01-02"), &end
		}
		if from != nil || to != nil {
			p.Period = periodCustom
		}
	case periodToday, period7Days, period30Days:
		back := map[string]int{periodToday: 0, period7Days: 6, period30Days: 29}[period]
		from := today.AddDate(0, 0, -back)
		p.Period, f.From = period, &from
	default:
		ignore("period")
	}

	if id := q.Get("engineer"); id != "" {
		if _, ok := engineers[id]; ok {
			p.Engineer, f.EngineerID = id, id
		} else {
			ignore("engineer")
		}
	}
	p.Who = text("who")
	f.Who = p.Who
	p.Q = text("q")
	f.Text = p.Q

	switch st := q.Get("state"); st {
	case "":
	case stateLive:
		p.State, f.States = st, []store.State{store.StateWaiting, store.StateJoined, store.StateActive}
	case string(store.StateWaiting), string(store.StateJoined), string(store.StateActive), string(store.StateEnded):
		p.State, f.States = st, []store.State{store.State(st)}
	default:
		ignore("state")
	}

	f.Sort, f.Desc = store.SortWhen, true
	if s := q.Get("sort"); s != "" {
		if store.ValidHistorySort(s) {
			p.Sort, f.Sort, f.Desc = s, store.HistorySort(s), historyDefaultDesc[store.HistorySort(s)]
		} else {
			ignore("sort")
		}
	}
	switch d := q.Get("dir"); d {
	case "":
	case "asc", "desc":
		if p.Sort == "" && f.Sort == store.SortWhen && d == "desc" {
			break // the default: no need to say it
		}
		p.Dir, f.Desc = d, d == "desc"
		if p.Sort == "" {
			p.Sort = string(f.Sort)
		}
	default:
		ignore("dir")
	}

	p.Page = 1
	if v := q.Get("page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			ignore("page")
		} else {
			p.Page = n
		}
	}
	return p, f, ignored
}

// historyParamLabels are the message ids naming each parameter in the notice of what was ignored.
var historyParamLabels = map[string]string{
	"period": "history_filter_period", "from": "history_filter_from", "to": "history_filter_to",
	"engineer": "history_filter_engineer", "who": "history_filter_who", "state": "history_filter_state",
	"q": "history_filter_text", "sort": "history_param_sort", "dir": "history_param_dir", "page": "history_param_page",
}

// historyEngineers are the people the engineer filter offers: the provider's team, by id.
func (s *Server) historyEngineers(ctx context.Context, en engineer) ([]templates.Option, map[string]string, error) {
	team, err := s.Store.TeamMembers(ctx, en.Provider.ID)
	if err != nil {
		return nil, nil, err
	}
	opts := make([]templates.Option, 0, len(team))
	byID := make(map[string]string, len(team))
	for _, m := range team {
		opts = append(opts, templates.Option{Value: m.ID, Label: m.Name})
		byID[m.ID] = m.Name
	}
	return opts, byID, nil
}

func (s *Server) historyPage(c echo.Context, en engineer) error {
	ctx := c.Request().Context()
	page := s.shellPage(c, "", en)
	page.Title = page.Say("history_title")
	opts, byID, err := s.historyEngineers(ctx, en)
	if err != nil {
		return err
	}
	p, f, ignored := parseHistory(c.QueryParams(), byID, page.Location(), s.Now())
	f.VisibleTo = deskScope(en)
	total, err := s.Store.HistoryCount(ctx, en.Provider.ID, f)
	if err != nil {
		return err
	}
	pages := max(1, (total+historyPageSize-1)/historyPageSize)
	if p.Page > pages {
		ignored = append(ignored, "page")
		p.Page = pages
	}
	f.Limit, f.Offset = historyPageSize, (p.Page-1)*historyPageSize
	rows, err := s.Store.HistoryRows(ctx, en.Provider.ID, f)
	if err != nil {
		return err
	}

	v := templates.History{
		Page: page, Total: total, Engineers: opts, ResetURL: "/history",
		Filter: templates.HistoryFilter{Period: p.Period, From: p.From, To: p.To, Engineer: p.Engineer, Who: p.Who, State: p.State, Q: p.Q, Sort: p.Sort, Dir: p.Dir},
		CSVURL: p.url("/history.csv", 1), CSVCap: historyCSVCap, CSVCapped: total > historyCSVCap,
		Back: p.url("/history", p.Page),
	}
	for _, name := range ignored {
		v.Ignored = append(v.Ignored, page.Say(historyParamLabels[name]))
	}
	v.Periods = []templates.Option{
		{Value: "", Label: page.Say("history_period_all")}, {Value: periodToday, Label: page.Say("history_period_today")},
		{Value: period7Days, Label: page.Say("history_period_7d")}, {Value: period30Days, Label: page.Say("history_period_30d")},
		{Value: periodCustom, Label: page.Say("history_period_custom")},
	}
	v.States = []templates.Option{{Value: "", Label: page.Say("history_state_any")}, {Value: stateLive, Label: page.Say("history_state_live")}}
	for _, st := range []store.State{store.StateWaiting, store.StateJoined, store.StateActive, store.StateEnded} {
		v.States = append(v.States, templates.Option{Value: string(st), Label: stateLabel(page.Say, st)})
	}
	for _, key := range store.HistorySorts {
		col := templates.HistoryColumn{Key: string(key), Label: historyColumnLabel(page, key)}
		sorted := p
		sorted.Sort = string(key)
		if f.Sort == key {
			col.Sorted, col.Desc = true, f.Desc
			sorted.Dir = map[bool]string{true: "asc", false: "desc"}[f.Desc]
		} else {
			sorted.Dir = map[bool]string{true: "desc", false: "asc"}[historyDefaultDesc[key]]
		}
		col.URL = sorted.url("/history", 1)
		v.Columns = append(v.Columns, col)
	}
	now := s.Now()
	for _, r := range rows {
		v.Rows = append(v.Rows, historyItem(page, r, now, v.Back))
	}
	if total > 0 {
		v.First, v.Last = f.Offset+1, f.Offset+len(rows)
	}
	v.Pages = pageLinks(p, pages)
	if p.Page > 1 {
		v.Prev = p.url("/history", p.Page-1)
	}
	if p.Page < pages {
		v.Next = p.url("/history", p.Page+1)
	}
	if id := c.QueryParam("ended"); id != "" {
		if sess, err := s.Store.SessionVisibleTo(ctx, en.Provider.ID, deskScope(en), id); err == nil {
			v.Terminated = sess.CustomerName
		}
	}
	return s.render(c, http.StatusOK, templates.HistoryView(v))
}

// pageLinks are the pager's links: the first and last page, and two either side of the current one,
// with gaps between.
func pageLinks(p historyParams, pages int) []templates.PageLink {
	var out []templates.PageLink
	last := 0
	for n := 1; n <= pages; n++ {
		if n != 1 && n != pages && (n < p.Page-2 || n > p.Page+2) {
			continue
		}
		if last != 0 && n > last+1 {
			out = append(out, templates.PageLink{Gap: true})
		}
		out = append(out, templates.PageLink{N: n, URL: p.url("/history", n), Current: n == p.Page})
		last = n
	}
	return out
}

// historyItem is one row of the history as the page shows it.
func historyItem(p templates.Page, r store.HistoryRow, now time.Time, back string) templates.HistoryItem {
	it := templates.HistoryItem{
		ID: r.ID, URL: "/sessions/" + r.ID, At: r.CreatedAt, Customer: r.CustomerName, Computer: r.AgentHost,
		OS: osLabel(r.AgentOS), Engineer: r.EngineerName, Source: sourceLabel(p, r.Session), State: string(r.State),
		StateLabel: stateLabel(p.Say, r.State), EndReason: endReasonLabel(p, r.EndReason), Rating: r.Rating, Live: r.Live(),
	}
	if r.JoinedAt != nil {
		it.Duration = clockDuration(r.Duration(now))
	}
	if it.Live {
		it.TerminateURL = "/sessions/" + r.ID + "/terminate?" + url.Values{"back": {back}}.Encode()
	}
	return it
}

// clockDuration is a duration as hours, minutes and seconds: "0:04:12", "12:00:31".
func clockDuration(d time.Duration) string {
	sec := int64(d / time.Second)
	return fmt.Sprintf("%d:%02d:%02d", sec/3600, sec/60%60, sec%60)
}

// osLabel names the operating system the agent reported (runtime.GOOS).
func osLabel(goos string) string {
	switch goos {
	case "windows":
		return "Windows"
	case "linux":
		return "Linux"
	case "darwin":
		return "macOS"
	}
	return goos
}

// sourceLabel words how the session came about: the customer's own request (from the portal or the
// widget) and the API by where it was opened; an engineer's invitation by how the customer reached the
// agent (the link, the code, or the code typed into the widget). "" until the customer came.
func sourceLabel(p templates.Page, sess store.Session) string {
	switch sess.Origin {
	case protocol.OriginPortal:
		return p.Say("history_source_portal")
	case protocol.OriginWidget:
		return p.Say("history_source_widget_request")
	case protocol.OriginAPI:
		return p.Say("history_source_api")
	}
	switch sess.Source {
	case protocol.SourceLink:
		return p.Say("history_source_link")
	case protocol.SourceCode:
		return p.Say("history_source_code")
	case protocol.SourceWidget:
		return p.Say("history_source_widget")
	}
	return ""
}

// endReasonLabel words a stored end reason for the history's table, in the page's language and starting
// with a capital; one the vocabulary does not know (an older version's) is shown as stored.
func endReasonLabel(p templates.Page, reason string) string {
	w := endReason(p.Say, reason)
	if r, n := utf8.DecodeRuneInString(w); n > 0 {
		return string(unicode.ToUpper(r)) + w[n:]
	}
	return w
}

// historyColumnLabel is a sortable column's heading.
func historyColumnLabel(p templates.Page, key store.HistorySort) string {
	switch key {
	case store.SortWhen:
		return p.Say("history_col_when")
	case store.SortDuration:
		return p.Say("history_col_duration")
	case store.SortCustomer:
		return p.Say("history_col_customer")
	case store.SortComputer:
		return p.Say("history_col_computer")
	case store.SortEngineer:
		return p.Say("history_col_engineer")
	case store.SortSource:
		return p.Say("history_col_source")
	case store.SortState:
		return p.Say("history_col_state")
	case store.SortReason:
		return p.Say("history_col_reason")
	case store.SortRating:
		return p.Say("history_col_rating")
	}
	return string(key)
}
