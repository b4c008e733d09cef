package viewer

import (
	"tether/server/protocol"
)

// The customer's controls as the engineer sees them: the session's state
// (grants, pause, time-limit warning, reconnecting) for the toolbar and the
// banners, requests for more grants and the customer's answers. The page
// script static/js/viewer-grants.js draws them.

// Events the viewer emits for viewer-grants.js.
const (
	// EventSession: detail SessionDetail, on every state from the server.
	EventSession = "session"
	// EventPaused: detail {"paused": bool}, when the agent says so.
	EventPaused = "paused"
	// EventGrantAnswer: detail protocol.GrantAnswer, the customer's answer.
	EventGrantAnswer = "grant-answer"
)

// CmdGrantRequest asks the customer for more grants; detail is
// protocol.GrantRequest ({"grants":["view","control"]}).
const CmdGrantRequest = "grant-request"

// SessionDetail is what the page scripts learn of each state.
type SessionDetail struct {
	State     protocol.SessionState `json:"state"`
	Grants    protocol.Grants       `json:"grants"`
	Paused    bool                  `json:"paused"`
	AgentLost bool                  `json:"agent_lost"`
	Agent     bool                  `json:"agent"`
	Warning   *protocol.Warning     `json:"warning,omitempty"`
	Reason    string                `json:"reason,omitempty"`
}

// emitSession tells the page scripts about a state.
func (v *Viewer) emitSession(s protocol.State) {
	v.ui.Emit(EventSession, SessionDetail{
		State: s.State, Grants: s.Grants, Paused: s.Paused, AgentLost: s.AgentLost, Agent: s.Agent, Warning: s.Warning, Reason: s.Reason,
	})
}

// onPaused passes the agent's pause on to the page.
func (v *Viewer) onPaused(m *protocol.Paused) {
	v.ui.Emit(EventPaused, map[string]bool{"paused": m.Paused})
}

// onGrantAnswer passes the customer's answer on to the page.
func (v *Viewer) onGrantAnswer(env protocol.Envelope) error {
	var a protocol.GrantAnswer
	if err := env.Decode(&a); err != nil {
		return err
	}
	v.ui.Emit(EventGrantAnswer, a)
	return nil
}

// requestGrants sends the engineer's request to the customer's agent,
// which asks the customer; it grants nothing by itself.
func (v *Viewer) requestGrants(detail []byte) error {
	var r protocol.GrantRequest
	if err := decodeDetail(CmdGrantRequest, detail, &r); err != nil {
		return err
	}
	r.Grants |= protocol.GrantView
	if err := r.Validate(); err != nil {
		return err
	}
	v.signal(protocol.SigGrantRequest, r)
	return nil
}
