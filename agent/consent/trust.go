package consent

import (
	"errors"
	"time"

	"tether/server/protocol"
)

// Trust is what the consent page shows of the customer's controls while
// sharing: a request from the engineer for more, a pause, a time limit.
type Trust struct {
	// Request is what the engineer asks for beyond Grants (with view, to
	// be a valid set); the page asks the customer to allow or refuse it.
	// Zero when nothing is asked.
	Request protocol.Grants `json:"request,omitempty"`
	// RequestText says what is asked, as the customer reads it ("use your
	// mouse and keyboard").
	RequestText string `json:"request_text,omitempty"`
	// Paused: the customer paused; the engineer sees a black screen and
	// their input is dropped until Resume.
	Paused bool `json:"paused,omitempty"`
	// EndsAt is when the session ends at a time limit (EndsWhy says which:
	// protocol.EndTimeLimit or protocol.EndIdle), while inside its warning
	// period, in this computer's clock. Extendable: the customer may extend
	// it.
	EndsAt     time.Time `json:"ends_at,omitzero"`
	EndsWhy    string    `json:"ends_why,omitempty"`
	Extendable bool      `json:"extendable,omitempty"`
	// Changes are the last grant changes, newest last, as the page lists
	// them ("You allowed control at 10:42").
	Changes []Change `json:"changes,omitempty"`
}

// Change is one grant change the customer made, for the page's list.
type Change struct {
	At   time.Time `json:"at"`
	Text string    `json:"text"`
}

// TrustDecision is the customer's answer on one of the controls.
type TrustDecision struct {
	// Answer: the customer answered the engineer's Request; Give says how.
	Answer, Give bool
	// Request is what was asked, as the page showed it.
	Request protocol.Grants
	// Pause or Resume: the customer paused, or resumed. Extend: the
	// customer extends the time limit.
	Pause, Resume, Extend bool
}

// Actions of the customer's controls, as the page posts them.
const (
	ActionGrantAllow  = "grant-allow"
	ActionGrantRefuse = "grant-refuse"
	ActionPause       = "pause"
	ActionResume      = "resume"
	ActionExtend      = "extend"
)

func trustAction(a string) bool {
	switch a {
	case ActionGrantAllow, ActionGrantRefuse, ActionPause, ActionResume, ActionExtend:
		return true
	}
	return false
}

// trustDecision checks a control's action against what the page shows.
func trustDecision(action string, st Status) (Decision, error) {
	var d Decision
	switch action {
	case ActionGrantAllow, ActionGrantRefuse:
		if st.Request == 0 {
			return d, errors.New("Nothing is asked of you now.")
		}
		d.Answer, d.Give, d.Request = true, action == ActionGrantAllow, st.Request
	case ActionPause:
		if st.Paused {
			return d, errors.New("The session is paused already.")
		}
		d.Pause = true
	case ActionResume:
		if !st.Paused {
			return d, errors.New("The session is not paused.")
		}
		d.Resume = true
	case ActionExtend:
		if !st.Extendable || st.EndsAt.IsZero() {
			return d, errors.New("There is nothing to extend now.")
		}
		d.Extend = true
	}
	return d, nil
}
