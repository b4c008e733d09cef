package templates

import "time"

// APISettings is the API page: tokens, the webhook and its latest deliveries (owners and admins).
type APISettings struct {
	Page
	// APIBase is the API's address; DocsURL its OpenAPI document.
	APIBase string
	DocsURL string
	Tokens  []APIToken
	// NewToken is a token just made, shown this once; NewTokenName its name.
	NewToken     string
	NewTokenName string
	// TokenName is the name typed when it was refused with TokenError.
	TokenName  string
	TokenError string
	// Notice confirms the last change.
	Notice       string
	Webhook      APIWebhook
	WebhookError string
	Deliveries   []APIDelivery
}

// APIToken is one row of the token list; the token itself is never shown again.
type APIToken struct {
	ID        string
	Name      string
	Hint      string // the token's last characters
	CreatedBy string
	CreatedAt time.Time
	LastUsed  *time.Time
	RevokedAt *time.Time
}

// APIWebhook is the provider's webhook; URL is what was typed when it was refused.
type APIWebhook struct {
	Set    bool
	URL    string
	Secret string
	// Private: this server may send to private addresses and plain http.
	Private bool
}

// APIDelivery is one webhook event and how its delivery went.
type APIDelivery struct {
	At        time.Time
	Event     string
	SessionID string
	// Status is "delivered", "retrying", "pending" or "failed"; Detail says more.
	Status   string
	Detail   string
	Attempts int
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

func shortID(id string) string {
	if len(id) > 8 {
		return id[:8] + "…"
	}
	return id
}

// curlExample is a first request with the new token, to copy into a terminal.
func curlExample(a APISettings) string {
	email := "engineer@example.com"
	if a.User != nil {
		email = a.User.Email
	}
	return "curl -X POST " + a.APIBase + "/sessions \\\n" +
		"  -H \"Authorization: Bearer " + a.NewToken + "\" \\\n" +
		"  -H \"Content-Type: application/json\" \\\n" +
		"  -d '{\"customer_name\": \"Carla Customer\", \"engineer_email\": \"" + email + "\"}'"
}
