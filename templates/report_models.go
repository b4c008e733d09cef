package templates

import "time"

// Report is a session's end-of-session report: for the engineer's
// provider, or the customer's copy, in a page or as a file.
type Report struct {
	Page
	// ForCustomer is the customer's copy: no internal note, links through
	// the invitation token.
	ForCustomer bool
	// Standalone is the downloaded file: its style inline and screenshots
	// embedded, so that it reads the same offline.
	Standalone bool
	// CSS is the report's style sheet, inlined in the standalone file.
	CSS string

	SessionID    string
	BackURL      string // the session's page (engineer) or invitation page (customer)
	DownloadURL  string
	Provider     string
	Engineer     string
	CustomerName string
	Note         string // engineers only
	AgentHost    string
	State        string
	StateLabel   string
	Created      time.Time
	Started      *time.Time // when the customer approved; nil if they never did
	Ended        *time.Time
	Duration     string // from approval to the end, in words; empty while live or never started
	EndReason    string
	Grants       []ReportGrant
	Files        []ReportFile
	Screenshots  []ReportShot
	Chat         []ReportChat
	Summary      string
	SummaryBy    string
	SummaryAt    *time.Time
	Rating       int
	Comment      string
	Generated    time.Time
	// Contact tells the customer how to ask the provider for the recording.
	Contact string
}

// ReportGrant is one change of what the engineer may do.
type ReportGrant struct {
	At     time.Time
	What   string // "Approved", "Changed"
	Grants string // "View · Control"; "Nothing" when all was taken back
}

// ReportFile is one file transfer of the session, as the agent reported it.
type ReportFile struct {
	At        time.Time
	Direction string // "To the customer", "From the customer", "Failed"
	Failed    bool
	Name      string
	Size      int64
	SHA256    string
	Note      string
}

// ReportShot is one screenshot taken into the session's record.
type ReportShot struct {
	N      int64 // its number in the session's log
	At     time.Time
	By     string
	URL    string // the image: a link, or a data: URL in the standalone file
	Width  int
	Height int
}

// ReportChat is one chat message.
type ReportChat struct {
	At       time.Time
	From     string
	Engineer bool
	Text     string
}

// Feedback is the customer's survey answer as the console shows it.
type Feedback struct {
	Rating  int // 1 to 5; 0 when the customer has not answered
	Comment string
	At      *time.Time
}

// Stars draws a rating as five stars, filled up to it.
func Stars(rating int) string {
	const full, empty = "★", "☆"
	out := ""
	for i := 1; i <= 5; i++ {
		if i <= rating {
			out += full
		} else {
			out += empty
		}
	}
	return out
}
