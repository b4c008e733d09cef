package templates

import "time"

// Help is the portal's "Get help" form: a customer asks for help and waits in a desk's queue.
type Help struct {
	Page
	// Action is where the form posts (/help on the address the page is on); CodeURL the code page there.
	Action  string
	CodeURL string
	// From is "widget" when the form came from the provider's website widget.
	From        string
	Name        string
	Description string
	DeskID      string
	// Desks are offered only when the provider has several.
	Desks []HelpDesk
	// MaxName and MaxDescription bound the fields, in characters.
	MaxName, MaxDescription int
	Error                   string
	// Contact is the provider's contact line, for when the form cannot take a request.
	Contact string
}

// HelpDesk is a desk a customer may choose.
type HelpDesk struct {
	ID, Name string
}

// RequestWait is what the invitation page of a customer's request shows while it waits for an engineer
// (and after, if it ended unaccepted).
type RequestWait struct {
	// Position is the request's place in its desk's queue (1: next), Waiting how many wait there.
	Position, Waiting int
	// EstimateMinutes is the expected wait; 0 when there is no history ("a few minutes").
	EstimateMinutes int
	// Description is what the customer wrote.
	Description string
	// Ended: the request ended before anyone accepted it; NobodyFree that it was the timeout.
	Ended, NobodyFree bool
	Reason            string
	// Contact is the provider's contact line; HelpURL asks again.
	Contact string
	HelpURL string
}

// RequestQueue is the console's list of customers' requests waiting in the engineer's desks.
type RequestQueue struct {
	Requests []RequestRow
	// AllDesks: the engineer is an admin and sees every desk's queue.
	AllDesks bool
	// CSRF goes into each Accept form (the list is also rendered on its own, without its page).
	CSRF string
	// Page is the engineer's page (language, zone and clock), for the list's words and times.
	Page Page
}

// Say is the message id in the engineer's language.
func (q RequestQueue) Say(id string, data ...map[string]any) string { return q.Page.Say(id, data...) }

// Clock is a time of day in the engineer's zone and clock.
func (q RequestQueue) Clock(t time.Time) string { return q.Page.Clock(t) }

// RequestRow is one waiting request.
type RequestRow struct {
	ID           string
	CustomerName string
	Description  string
	// Desk names the desk when the provider has several.
	Desk    string
	Origin  string // "portal" or "widget"
	Created time.Time
	// Joined: the customer's support program is already running.
	Joined bool
}
