package protocol

// Notifications: what an engineer's console may announce with a desktop notification or a sound, and the
// snapshot of the console's live state it derives them from.

// Notification kinds an engineer can opt in to, each for desktop notifications and sounds.
const (
	// NotifyCustomerJoined: the customer of one of the engineer's sessions ran the support program.
	NotifyCustomerJoined = "customer_joined"
	// NotifyCustomerLeft: the customer of one of the engineer's sessions ended it, closed or lost the
	// support program, or refused consent (CustomerLeft).
	NotifyCustomerLeft = "customer_left"
	// NotifyRequestNew: a customer's request arrived in one of the engineer's desks.
	NotifyRequestNew = "request_new"
	// NotifyRequestTaken: another engineer accepted a request from the engineer's queue.
	NotifyRequestTaken = "request_taken"
)

// NotifyKinds lists the notification kinds in the order the console shows them.
var NotifyKinds = []string{NotifyCustomerJoined, NotifyCustomerLeft, NotifyRequestNew, NotifyRequestTaken}

// ValidNotifyKind reports whether k is one of NotifyKinds.
func ValidNotifyKind(k string) bool {
	for _, v := range NotifyKinds {
		if v == k {
			return true
		}
	}
	return false
}

// CustomerLeft reports whether a session ending with reason ended on the customer's side (their stop,
// their program closing or disconnecting for good, a refusal), not by an engineer, a limit or the server.
func CustomerLeft(reason string) bool {
	switch reason {
	case EndCustomerClosed, EndCustomerStopped, EndCustomerDenied, EndCannotCapture, EndAgentLost:
		return true
	}
	return false
}

// SigConsole (server → console) is the console's snapshot, a ConsoleSnapshot: the first message on every
// /ws/console connection, and again after each update that concerns the engineer. A console that
// reconnects after a drop compares it with the last one it had, so it catches up on what it missed
// without a cursor: the snapshot is read from the store, the same on every server instance.
const SigConsole = "console"

// ConsoleSnapshot is what one engineer's console needs to count waiting items and to notice, by
// comparing two snapshots, that a customer joined or left, a request arrived or another engineer took it.
type ConsoleSnapshot struct {
	// Requests wait in the engineer's desks (every desk for owners and admins), oldest first.
	Requests []ConsoleRequest `json:"requests"`
	// Taken are requests of those desks that another engineer accepted recently (ConsoleRecent).
	Taken []ConsoleTaken `json:"taken"`
	// Sessions are the engineer's own sessions: every live one, and those that ended recently.
	Sessions []ConsoleSession `json:"sessions"`
	// Waiting counts the waiting items the tab title shows: Requests, and the Sessions whose customer
	// waits for the engineer (ConsoleSession.Waiting).
	Waiting int `json:"waiting"`
}

// ConsoleRecentMinutes is how long ended sessions and taken requests stay in snapshots: a console that was
// disconnected for less still announces them when it comes back.
const ConsoleRecentMinutes = 10

// ConsoleRequest is a waiting request in a ConsoleSnapshot.
type ConsoleRequest struct {
	SessionID   string `json:"session_id"`
	Customer    string `json:"customer"`
	Description string `json:"description,omitempty"`
}

// ConsoleTaken is a request another engineer accepted.
type ConsoleTaken struct {
	SessionID string `json:"session_id"`
	Customer  string `json:"customer"`
	Engineer  string `json:"engineer"`
}

// ConsoleSession is one of the engineer's sessions in a ConsoleSnapshot.
type ConsoleSession struct {
	SessionID string       `json:"session_id"`
	Customer  string       `json:"customer"`
	State     SessionState `json:"state"`
	// Waiting: the customer waits for the engineer: their support program is connected (the session
	// is joined or active) and the engineer's viewer is not open.
	Waiting bool `json:"waiting,omitempty"`
	// Left: the session ended on the customer's side (CustomerLeft).
	Left bool `json:"left,omitempty"`
}
