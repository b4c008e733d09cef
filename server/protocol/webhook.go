package protocol

// Webhook event names: what a provider's webhook is told about a support
// session, one per state it reaches (see docs/api.md). They are part of the
// API's contract: never rename one.
const (
	// WebhookSessionWaiting: the session was created and waits for the customer.
	WebhookSessionWaiting = "session.waiting"
	// WebhookSessionJoined: the customer's support program connected; it waits for their approval.
	WebhookSessionJoined = "session.joined"
	// WebhookSessionActive: the customer approved; the engineer may connect.
	WebhookSessionActive = "session.active"
	// WebhookSessionEnded: the session ended; the payload carries the reason.
	WebhookSessionEnded = "session.ended"
)

// WebhookEvent names the webhook event of a session state; "" for an unknown state.
func WebhookEvent(s SessionState) string {
	switch s {
	case SessionWaiting:
		return WebhookSessionWaiting
	case SessionJoined:
		return WebhookSessionJoined
	case SessionActive:
		return WebhookSessionActive
	case SessionEnded:
		return WebhookSessionEnded
	}
	return ""
}

// WebhookSignatureHeader carries a delivery's signature: "t=<unix seconds>,v1=<hex HMAC-SHA256 of
// "<t>.<body>" keyed with the webhook's secret>", the scheme Stripe uses.
const WebhookSignatureHeader = "X-Tether-Signature"
