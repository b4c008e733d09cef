package session

import "tether/server/protocol"

// onRequest follows the customer's request while it waits in a desk's queue: when an engineer accepts
// it, the consent page and the console name them from then on. Nothing here grants anything.
func (s *session) onRequest(env protocol.Envelope) {
	var up protocol.RequestUpdate
	if err := env.Decode(&up); err != nil {
		s.log.Warn("bad request update", "err", err)
		return
	}
	if up.Event != protocol.RequestAccepted || up.Engineer == "" {
		return
	}
	s.engineer = up.Engineer
	s.sayT("customer_agent_accepted", map[string]any{"Engineer": s.engineer})
	s.updatePage()
}
