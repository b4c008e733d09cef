package templates

import (
	"strings"
	"time"
)

// History is the connection history: one page of the sessions the filters match.
type History struct {
	Page
	Filter HistoryFilter
	// Engineers are the choices of the engineer filter; States of the state filter.
	Engineers []Option
	States    []Option
	Periods   []Option
	// Ignored names the filters the request gave nonsense for (translated), shown in a notice.
	Ignored []string
	Columns []HistoryColumn
	Rows    []HistoryItem
	// Total is how many sessions match; First and Last the row numbers shown (1-based).
	Total, First, Last int
	Pages              []PageLink
	Prev, Next         string
	// CSVURL exports the same filters; CSVCap is the most rows an export holds, CSVCapped whether Total
	// is over it.
	CSVURL    string
	CSVCap    int
	CSVCapped bool
	// Back is this view's URL, for the terminate form to come back to; Terminated names the customer
	// whose session was just ended from here.
	Back       string
	Terminated string
	// ResetURL is the history without filters.
	ResetURL string
}

// HistoryFilter is the filter form's values, as given.
type HistoryFilter struct {
	Period, From, To, Engineer, Who, State, Q string
	Sort, Dir                                 string
}

// HistoryColumn is a sortable column's header: its link sorts by it (or the other way when it already
// does).
type HistoryColumn struct {
	Key, Label, URL string
	Sorted, Desc    bool
}

// PageLink is one link of the pager; Gap is an ellipsis between page numbers.
type PageLink struct {
	N       int
	URL     string
	Current bool
	Gap     bool
}

// HistoryItem is one session of the history.
type HistoryItem struct {
	ID         string
	URL        string
	At         time.Time
	Duration   string // "1:04:05"; "" when the customer never connected
	Customer   string
	Computer   string
	OS         string
	Engineer   string
	Source     string
	State      string
	StateLabel string
	EndReason  string
	Rating     int
	Live       bool
	// TerminateURL confirms ending the live session, for the page without scripts.
	TerminateURL string
}

// HistoryTerminate asks to confirm ending a live session from the history.
type HistoryTerminate struct {
	Page
	Item HistoryItem
	Back string
}

// SessionFacts is what the session's page adds for the history: where the session came from, the
// computer's operating system (its name is in the page's Connection panel), how long it lasted, and its
// chat and files.
type SessionFacts struct {
	Started   time.Time
	Duration  string
	OS        string
	Source    string
	Engineer  string
	EndReason string
	Chat      []ChatLine
	Files     []FileLine
}

// ChatLine is one chat message of a session.
type ChatLine struct {
	At   time.Time
	Who  string
	Text string
}

// FileLine is one file that crossed during a session.
type FileLine struct {
	At        time.Time
	Direction string
	Detail    string
	Failed    bool
}

// joinList joins names for a sentence: "page, sort".
func joinList(names []string) string { return strings.Join(names, ", ") }
