package templates

// Verify is the public page where a customer checks who is helping them.
type Verify struct {
	Page
	// Action is the page's own path on the address it is on ("/p/acme/verify" or "/verify").
	Action   string
	Provider string
	// Code and Number are what was typed (or filled in by a link); By which of the two was asked.
	Code, Number string
	By           string
	MaxNumber    int
	// Result answers a code; People answer an employee number (one, unless the provider gave the
	// number to several people).
	Result *VerifyResult
	People []VerifyResult
	// NotFound: nothing matched, one answer for every kind of miss. Limited: too many checks.
	NotFound bool
	Limited  bool
}

// What was asked on the verification page.
const (
	VerifyByCode   = "code"
	VerifyByNumber = "number"
)

// Presence is how a verified engineer stands towards the customer now.
const (
	// PresenceWithYou: the session of the typed code is active, the engineer sees the screen.
	PresenceWithYou = "with-you"
	// PresenceJoined: the session's support program runs and waits for the customer's approval.
	PresenceJoined = "joined"
	// PresenceInvited: the engineer invited the holder of the code; nothing runs yet.
	PresenceInvited = "invited"
	// PresenceQueued: the code is a request waiting for an engineer; nobody to name.
	PresenceQueued = "queued"
	// PresenceBusy and PresenceFree: by employee number, the engineer has some session open now, or none.
	PresenceBusy = "busy"
	PresenceFree = "free"
	// PresenceGone: the engineer's account was deactivated.
	PresenceGone = "gone"
)

// VerifyResult is one engineer as the verification page shows them.
type VerifyResult struct {
	Name       string
	Initials   string
	Department string
	EmployeeNo string
	// PhotoURL is the profile photo on the provider's address, empty without one.
	PhotoURL string
	Presence string
}

// presenceMessages are the messages of each presence: the badge, the sentence and its detail.
var presenceMessages = map[string][3]string{
	PresenceWithYou: {"verify_badge_with_you", "verify_presence_with_you", "verify_presence_with_you_detail"},
	PresenceJoined:  {"verify_badge_joined", "verify_presence_joined", "verify_presence_joined_detail"},
	PresenceInvited: {"verify_badge_invited", "verify_presence_invited", "verify_presence_invited_detail"},
	PresenceBusy:    {"verify_badge_busy", "verify_presence_busy", "verify_presence_busy_detail"},
	PresenceFree:    {"verify_badge_free", "verify_presence_free", "verify_presence_free_detail"},
	PresenceGone:    {"verify_badge_gone", "verify_presence_gone", "verify_presence_gone_detail"},
}

// verifyData fills the page's messages about one engineer.
func verifyData(v Verify, r VerifyResult) map[string]any {
	return map[string]any{"Name": r.Name, "Provider": v.Provider, "Code": v.Code}
}
