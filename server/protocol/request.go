package protocol

// Customer-initiated requests: a session opened by the customer (the portal's "Get help" form or the
// website widget) waits in a desk's queue with no engineer until one accepts it.

// SigRequest (server → console, invitation page and agent) says that a waiting request changed: it
// arrived, moved up the queue, was accepted or ended. Its payload is a RequestUpdate.
const SigRequest = "request"

// Request events, as RequestUpdate.Event names them.
const (
	// RequestNew: a customer asked for help; the request waits in its desk's queue (consoles).
	RequestNew = "new"
	// RequestQueued: the request's place in the queue (invitation page).
	RequestQueued = "queued"
	// RequestAccepted: an engineer took the request (consoles, invitation page, agent).
	RequestAccepted = "accepted"
	// RequestEnded: the request ended before anyone accepted it: the customer cancelled, or nobody
	// was free before the provider's timeout (consoles).
	RequestEnded = "ended"
)

// EndNobodyFree is the end reason of a request nobody accepted within the provider's request timeout.
const EndNobodyFree = "nobody was free"

// RequestUpdate is SigRequest's payload.
type RequestUpdate struct {
	SessionID string `json:"session_id"`
	Event     string `json:"event"`
	// Engineer is who accepted the request (RequestAccepted).
	Engineer string `json:"engineer,omitempty"`
	// Position is the request's place in its desk's queue, 1 for the next one to be taken; Waiting
	// how many requests wait in that queue (RequestQueued).
	Position int `json:"position,omitempty"`
	Waiting  int `json:"waiting,omitempty"`
	// EstimateMinutes is the expected wait in whole minutes, 0 when the desk has no recent history
	// to estimate from (RequestQueued).
	EstimateMinutes int `json:"estimate_minutes,omitempty"`
}
