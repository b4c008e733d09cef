// Package templates renders Tether's pages with templ. Handlers pass view
// models defined here, never store rows, so a page shows exactly what its
// handler chose to show.
package templates

import (
	"time"

	"tether/static/locales"
)

// Brand is what the customer sees of the provider. Every URL is versioned by the brand's last change.
type Brand struct {
	Name    string
	LogoURL string // empty: a monogram of Name
	// IconURL is the favicon (an .ico); empty: Tether's.
	IconURL string
	// ThemeURL is a style sheet setting the brand's colours as CSS custom properties; empty: Tether's.
	ThemeURL string
	// Contact is one line (phone, email, hours) in the customer pages' footer.
	Contact string
	// Banner is a line above the customer pages, a link when BannerLink (https) is set.
	Banner     string
	BannerLink string
	// Welcome is a short message on the invitation and code pages.
	Welcome string
}

// Monogram is the first letter of the brand name, for a logo placeholder.
func (b Brand) Monogram() string {
	for _, r := range b.Name {
		return string(r)
	}
	return "T"
}

// Page is what every page's layout needs.
type Page struct {
	Title string
	CSRF  string
	Brand Brand
	// User is the signed-in engineer, nil on public pages.
	User *User
	// Asset maps a static path ("css/app.css") to its versioned URL.
	Asset func(path string) string
	// Lang is the BCP 47 tag of the page's language ("en", "de", "zh-Hans"); T says a message of
	// static/locales in it (English where the catalog lacks one).
	Lang string
	T    func(id string, data ...map[string]any) string
	// Zone and Clock12h are how the reader reads times (see when.go): the signed-in user's profile; the
	// server's zone and a 24-hour clock when nil and false.
	Zone     *time.Location
	Clock12h bool
}

// Language is the page's language for <html lang>: English on a page made without one.
func (p Page) Language() string {
	if p.Lang == "" {
		return "en"
	}
	return p.Lang
}

// WithTitle is the page titled by message id in its language.
func (p Page) WithTitle(id string, data ...map[string]any) Page {
	p.Title = p.Say(id, data...)
	return p
}

// Say is the message id in the page's language; in English on a page made without a language.
func (p Page) Say(id string, data ...map[string]any) string {
	if p.T == nil {
		return locales.Localizer{}.T(id, data...)
	}
	return p.T(id, data...)
}

// User is the signed-in engineer as pages show them.
type User struct {
	Name     string
	Email    string
	Provider string
	Role     string
	// Operator: the server's operator, who sees the Operator page.
	Operator bool
	// OtherAccounts: the same email has an account at another provider ("Switch provider").
	OtherAccounts bool
	// LanguageSet: the profile names a language; otherwise the shell offers a language switch.
	LanguageSet bool
}

// Setup is the first-run page.
type Setup struct {
	Page
	Token    string
	Provider string
	Name     string
	Email    string
	Error    string
}

// Login is the sign-in page.
type Login struct {
	Page
	Email string
	Error string
	// Notice says why the browser is here (its sign-in ended).
	Notice string
	// Prefix is the provider's path prefix ("/p/acme") when the page is on a provider's address, and
	// Provider its name; both empty on the server's own address.
	Prefix   string
	Provider string
	// SignupOpen links to self-service sign-up of new providers.
	SignupOpen bool
}

// SessionRow is one support session in a list.
type SessionRow struct {
	ID           string
	CustomerName string
	// Description is what the customer wrote when asking for help (requests).
	Description string
	Note        string
	Engineer    string
	State       string // waiting, joined, active, ended
	StateLabel  string
	Grants      []string // what the customer allowed, as chips ("View", "Control")
	Code        string   // formatted for reading aloud: "ABC DEF"
	Created     time.Time
	Ended       *time.Time
	EndReason   string
	AgentHost   string
	// Feedback is the customer's survey answer, once given.
	Feedback Feedback
	// Desk names the session's desk where the provider has several; empty otherwise.
	Desk string
}

// SessionGroup is the sessions of one state, in console order.
type SessionGroup struct {
	State    string
	Title    string
	Empty    string
	Sessions []SessionRow
}

// Console is the engineer's session list.
type Console struct {
	Page
	Groups []SessionGroup
	// Queue is the customers' requests waiting in the engineer's desks (requests).
	Queue RequestQueue
	Error string
	// Form values kept after a failed submit.
	CustomerName string
	Note         string
	OpenViewer   bool
	// Desks the new session may go to (shown when more than one), DeskID the one chosen.
	Desks  []DeskChoice
	DeskID string
	// Tour is the first-sign-in tour of the console (tour.templ).
	Tour Tour
	// Notify is the engineer's notification choices (notify).
	Notify NotifyPanel
}

// Event is one line of a session's audit log.
type Event struct {
	Seq    int64
	At     time.Time
	Kind   string
	Label  string // what happened, in words
	Actor  string // as stored: "engineer:<id>", "customer", ...
	Who    string // the actor, named
	Detail string // the detail, worded
}

// SessionDetail is one session's page for the engineer.
type SessionDetail struct {
	Page
	// AcceptURL: the session is a customer's request nobody accepted yet (requests).
	AcceptURL  string
	Session    SessionRow
	InviteURL  string // empty once the token cannot be shown again
	CodeURL    string
	Expires    time.Time
	Events     []Event
	BytesSent  int64
	BytesRecvd int64
	// Summary is the engineer's summary; CanEditSummary whether this
	// engineer may change it (the session's engineer, owners and admins).
	Summary        string
	CanEditSummary bool
	SummarySaved   bool
	Screenshots    []ReportShot
	// Recording is the session's recording; nil when the session is not recorded.
	Recording *RecordingInfo
	// Facts is the history's part of the page (history.templ): source, computer, duration, chat, files.
	Facts *SessionFacts
}

// Viewer is the engineer's live view of a customer's screen.
type Viewer struct {
	Page
	Session   SessionRow
	InviteURL string
	CodeURL   string
	WSURL     string
	WasmURL   string
	// Recorder says where the viewer uploads the recording; empty URL when the session is not recorded.
	Recorder Recorder
	// Requestable are the grants (names) the session's desk lets the engineer ask for.
	Requestable []string
}

// AgentDownload is one agent build offered to the customer.
type AgentDownload struct {
	OS       string // linux, windows
	Arch     string // amd64, arm64
	Label    string // "Windows (64-bit)"
	URL      string
	FileName string
	Size     int64
}

// Invite is the customer's invitation page.
type Invite struct {
	Page
	// Base is the invitation's path on the address the page was opened on
	// (/i/{token}, or /p/{subdomain}/i/{token}); the page's links append to it.
	Base         string
	Token        string
	Engineer     string
	CustomerName string
	State        string
	// Grants are the names of what the customer allowed ("view", "control").
	Grants []string
	// GrantLabels maps grant names to what they let the engineer do, for
	// the page's script (JSON).
	GrantLabels string
	// Sentence is what the engineer may do now, for the first render.
	Sentence  string
	Downloads []AgentDownload
	// WindowsFile and LinuxFile are the support program's file names, after the provider, for the
	// "Run" step.
	WindowsFile string
	LinuxFile   string
	WSURL       string
	Expires     time.Time
	// ReportURL is the customer's copy of the report, once the session
	// ended; Rated whether they answered the survey.
	ReportURL string
	Rated     bool
	// Contact tells the customer how to ask for the recording.
	Contact string
	// MaxComment bounds the survey's comment, in characters.
	MaxComment int
	// Recorded: the provider records the session; the page says so.
	Recorded bool
	// Request: the session is a customer's request; set while it waits for an engineer (requests).
	Request *RequestWait
	// VerifyURL is the provider's verification page with the session's code filled in (verify.templ).
	VerifyURL string
	// Helper introduces the engineer (profile); nil while a request waits for one.
	Helper *EngineerCard
	// Words are the sentences the page's scripts say, in the page's language (JSON).
	Words string
}

// CodeEntry is the page where a customer types a code.
type CodeEntry struct {
	Page
	// Action is where the form posts: /code on the address the page is on.
	Action string
	// HelpURL is the provider's "Get help" form; empty on the server's own address (requests).
	HelpURL string
	Code    string
	Error   string
	Status  int
}

// ErrorPage is a human error page.
type ErrorPage struct {
	Page
	Status  int
	Heading string
	Message string
	// Home is the start page of the address the error happened on ("/" or "/p/acme/").
	Home string
}

// Recorder tells the viewer to record what it shows and upload it in chunks.
type Recorder struct {
	URL  string // POST chunks here (?seq=N); "" records nothing
	Next int    // the next chunk's number (a reloaded viewer goes on)
	AtMs int64  // the recording time the viewer starts at
}

// RecordingInfo is a session's recording on its detail page.
type RecordingInfo struct {
	URL      string // the playback page; "" while nothing is recorded or once deleted
	Duration string // "03:12"
	Bytes    int64
	Chunks   int
	Started  time.Time
	KeepDays int
	DeleteOn time.Time // when retention deletes it
	Deleted  time.Time // zero unless deleted
}

// Playback is the page that plays a session's recording back.
type Playback struct {
	Page
	Session    SessionRow
	DataURL    string
	WasmURL    string
	DurationMs int64
	Bytes      int64
	Started    time.Time
	Keyframes  int
}
