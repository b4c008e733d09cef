package protocol

import (
	"fmt"
	"time"
)

// The customer's controls during a session: grants asked for and answered
// mid-session, pause, and the time limits. Like every grant, the answers
// come only from the customer's agent; the server records and passes them on.
const (
	// SigGrantRequest: viewer → server → agent. The engineer asks for more
	// (GrantRequest). The server logs grant_requested and forwards it; the
	// agent asks the customer on the consent page. It grants nothing by
	// itself: only a SigConsent from the agent does.
	SigGrantRequest = "grant-request"
	// SigGrantAnswer: agent → server → viewer. The customer's answer
	// (GrantAnswer). A given one comes with the usual SigConsent carrying the
	// new grants; the server logs grant_refused for a refused one.
	SigGrantAnswer = "grant-answer"
	// SigPause: agent → server. The customer paused or resumed (Pause); the
	// agent has already blacked out the stream and drops input meanwhile.
	SigPause = "pause"
	// SigExtend: agent → server. The customer extends the session's time
	// limit by ExtendBy (payload Extend).
	SigExtend = "extend"
)

// GrantRequest is what the engineer asks the customer to allow, beyond what
// they have.
type GrantRequest struct {
	Grants Grants `json:"grants"`
}

// Validate checks a request: something beyond view, known grants only.
func (r GrantRequest) Validate() error {
	if err := r.Grants.Valid(); err != nil {
		return err
	}
	if r.Grants&^GrantView == 0 {
		return fmt.Errorf("%w: a grant request asks for nothing beyond view", ErrInvalid)
	}
	return nil
}

// GrantAnswer is the customer's answer to a GrantRequest: Given says
// whether they allowed Grants (then a SigConsent with the new set follows).
type GrantAnswer struct {
	Grants Grants `json:"grants"`
	Given  bool   `json:"given"`
	// Policy (server → viewer only): the request was outside the permission
	// template of the session's desk, so the customer was not asked.
	Policy bool `json:"policy,omitempty"`
}

// Pause says whether the customer paused the session (true) or resumed it.
type Pause struct {
	Paused bool `json:"paused"`
}

// Extend asks the server to move the session's time limit (agent → server).
// It carries nothing: the amount is ExtendBy, the server's.
type Extend struct{}

// ExtendBy is how much one extension adds to a session's time limit, in
// policy minutes.
const ExtendBy = 30

// Reasons a session ends at a time limit (decided by the server's sweeper).
const (
	EndTimeLimit = "time limit reached"
	EndIdle      = "idle"
)

// Warning announces that the session ends soon unless something changes:
// State carries it while the session is inside its warning period.
type Warning struct {
	// At is when the session ends; InMS is the same as milliseconds from
	// when the state was sent, for ends whose clock differs from the
	// server's (a browser's, a customer's computer's).
	At   time.Time `json:"at"`
	InMS int64     `json:"in_ms"`
	// Reason is EndTimeLimit or EndIdle: what ends it.
	Reason string `json:"reason"`
	// Extendable: the customer may extend it (a time limit, not idleness,
	// which any activity resets).
	Extendable bool `json:"extendable,omitempty"`
}

// Paused is the agent's word to the viewer that the customer paused the
// session (the screen is blacked out and input dropped until resumed), or
// resumed it.
//
//	+--------+
//	| paused |  0 or 1
//	+--------+
type Paused struct {
	Paused bool
}

func (*Paused) Type() Type       { return TypePaused }
func (*Paused) MarshalSize() int { return headerSize + 1 }
func (m *Paused) MarshalTo(buf []byte) (int, error) {
	if err := putHeader(buf, TypePaused, m.MarshalSize()); err != nil {
		return 0, err
	}
	w := writer{b: buf, n: headerSize}
	var b uint8
	if m.Paused {
		b = 1
	}
	w.u8(b)
	return w.n, nil
}

func (m *Paused) unmarshalPayload(p []byte) error {
	r := reader{b: p}
	b := r.u8()
	if err := r.done(); err != nil {
		return err
	}
	if b > 1 {
		return fmt.Errorf("%w: paused %d", ErrInvalid, b)
	}
	m.Paused = b == 1
	return nil
}
