package live

import (
	"context"

	"tether/server/protocol"
	"tether/server/store"
)

// audit records a transfer the agent reports (protocol.Audit) in the
// session's event log, as its kind with the agent as actor and its sizes
// as detail; content never reaches the server. A report the agent could
// not honestly make, for a grant the customer has not given, is recorded
// nowhere and logged: a malformed one breaks the wire contract.
func (a *Agent) audit(ctx context.Context, env protocol.Envelope) error {
	var au protocol.Audit
	if err := env.Decode(&au); err != nil {
		return err
	}
	if err := au.Validate(); err != nil {
		return err
	}
	if g := a.grants.Load(); !g.Has(protocol.AuditGrant(au.Kind)) {
		a.svc.log.Warn("audit for a grant the customer has not given, ignored", "session", a.sess.ID, "kind", au.Kind, "grants", g.String())
		return nil
	}
	a.svc.event(ctx, a.sess, au.Kind, store.ActorAgent, au.Detail())
	return nil
}
