package live

import "tether/server/store"

// Ended tells everyone that sessions the store ended outside this service
// (the operator disabling their provider, in one transaction with the rest)
// ended, and closes their agents and viewers on whichever instance they are.
func (s *Service) Ended(sessions ...store.Session) {
	for _, sess := range sessions {
		s.log.Info("session ended", "session", sess.ID, "reason", sess.EndReason)
		s.closeEnded(sess)
	}
}
