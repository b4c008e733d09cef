package live

import (
	"context"
	"errors"
	"fmt"
	"time"

	"tether/server/hub"
	"tether/server/protocol"
	"tether/server/store"
)

// The customer's controls while sharing (grants asked for mid-session,
// pause, extension) and the session's time limits. What the server does
// here is record, tell and, for the limits, end: a grant still comes only
// from the agent's consent.

// TrustStore is what the time limits and the customer's controls need from
// the database, beyond Store.
type TrustStore interface {
	StartTimeLimits(ctx context.Context, id string, max, idle time.Duration) (store.Session, error)
	Touch(ctx context.Context, id string, idle time.Duration) error
	Extend(ctx context.Context, id string, by, idle time.Duration, actor string) (store.Session, error)
	SetPaused(ctx context.Context, id string, paused bool) (store.Session, bool, error)
	TimeLimitsDue(ctx context.Context, within time.Duration) ([]store.Session, error)
	LastEventAt(ctx context.Context, id, kind string) (time.Time, error)
	MarkWarned(ctx context.Context, id string, at time.Time) (bool, error)
	EndAtLimit(ctx context.Context, id, reason string) (store.Session, bool, error)
	LapseLostAgent(ctx context.Context, lost store.Session, grace time.Duration) (store.Session, bool, error)
}

// warnLead is how long before a time limit both sides are warned: five
// minutes, or half the limit when that is shorter.
func (s *Service) warnLead(limit time.Duration) time.Duration {
	return min(5*s.cfg.Minute, limit/2)
}

// policy reads the provider's session policy as durations.
func (s *Service) policy(ctx context.Context, providerID string) (max, idle time.Duration, err error) {
	p, err := s.store.ProviderByID(ctx, providerID)
	if err != nil {
		return 0, 0, fmt.Errorf("read policy: %w", err)
	}
	return time.Duration(p.Policy.SessionMaxMinutes) * s.cfg.Minute, time.Duration(p.Policy.IdleTimeoutMinutes) * s.cfg.Minute, nil
}

// nextEnd is when an active session ends unless something changes, why,
// and the length of the limit that ends it.
func nextEnd(sess store.Session) (at time.Time, reason string, limit time.Duration, ok bool) {
	if sess.State != store.StateActive {
		return at, "", 0, false
	}
	if sess.DeadlineAt != nil && sess.ActiveAt != nil {
		at, reason, limit, ok = *sess.DeadlineAt, protocol.EndTimeLimit, sess.DeadlineAt.Sub(*sess.ActiveAt), true
	}
	if sess.IdleAt != nil && sess.LastActivityAt != nil && (!ok || sess.IdleAt.Before(at)) {
		at, reason, limit, ok = *sess.IdleAt, protocol.EndIdle, sess.IdleAt.Sub(*sess.LastActivityAt), true
	}
	return at, reason, limit, ok
}

// warning is the State's warning for sess at now, or nil outside its
// warning period.
func (s *Service) warning(sess store.Session, now time.Time) *protocol.Warning {
	at, reason, limit, ok := nextEnd(sess)
	if !ok || now.Before(at.Add(-s.warnLead(limit))) {
		return nil
	}
	return &protocol.Warning{At: at, InMS: max(0, at.Sub(now).Milliseconds()), Reason: reason, Extendable: reason == protocol.EndTimeLimit}
}

// trustState adds the customer's controls and the time limits to st.
func (s *Service) trustState(st *protocol.State, sess store.Session) {
	st.Paused = sess.Paused && sess.State == store.StateActive
	st.AgentLost = sess.AgentLostAt != nil && sess.State != store.StateEnded
	st.Warning = s.warning(sess, s.cfg.Now())
}

// startLimits sets the time limits at the customer's first consent.
func (s *Service) startLimits(ctx context.Context, sess store.Session) store.Session {
	max, idle, err := s.policy(ctx, sess.ProviderID)
	if err == nil {
		var started store.Session
		if started, err = s.store.StartTimeLimits(ctx, sess.ID, max, idle); err == nil {
			return started
		}
	}
	s.log.Error("start time limits", "session", sess.ID, "err", err)
	return sess
}

// touch records activity, which moves the idle end.
func (s *Service) touch(ctx context.Context, sess store.Session) {
	_, idle, err := s.policy(ctx, sess.ProviderID)
	if err == nil {
		err = s.store.Touch(ctx, sess.ID, idle)
	}
	if err != nil {
		s.log.Error("record activity", "session", sess.ID, "err", err)
	}
}

// grantRequest passes the engineer's request for more grants to the agent,
// which asks the customer. It grants nothing.
func (v *Viewer) grantRequest(ctx context.Context, env protocol.Envelope) error {
	s := v.svc
	var r protocol.GrantRequest
	if err := env.Decode(&r); err != nil {
		return err
	}
	if err := r.Validate(); err != nil {
		return err
	}
	sess, err := s.store.SessionByIDUnscoped(ctx, v.sess.ID)
	if err != nil {
		return err
	}
	if sess.State != store.StateActive {
		s.log.Info("grant request outside an active session dropped", "session", sess.ID, "state", sess.State)
		return nil
	}
	tpl, err := s.store.DeskTemplateOf(ctx, sess.ProviderID, sess.DeskID)
	if err != nil {
		return err
	}
	if !tpl.Permits(r.Grants) {
		// Outside the desk's permission template: the customer is not
		// asked, and the engineer is told why.
		s.log.Info("grant request outside the desk's template refused", "session", sess.ID, "grants", r.Grants.String(), "allowed", tpl.Allowed.String())
		s.sendSignal(sess.ID, hub.RoleViewer, protocol.SigGrantAnswer, protocol.GrantAnswer{Grants: r.Grants, Policy: true})
		return nil
	}
	s.event(ctx, sess, store.EventGrantRequested, v.actor, r.Grants.String())
	s.sendSignal(sess.ID, hub.RoleAgent, protocol.SigGrantRequest, r)
	return nil
}

// trustSignal handles the agent's grant-answer, pause and extend.
func (a *Agent) trustSignal(ctx context.Context, env protocol.Envelope) error {
	s := a.svc
	if !a.grants.Load().Consented() {
		return fmt.Errorf("%w: %s before consent", protocol.ErrInvalid, env.Type)
	}
	switch env.Type {
	case protocol.SigGrantAnswer:
		var ans protocol.GrantAnswer
		if err := env.Decode(&ans); err != nil {
			return err
		}
		if !ans.Given {
			s.event(ctx, a.sess, store.EventGrantRefused, store.ActorCustomer, ans.Grants.String())
		}
		// A given answer changes nothing here: the consent that follows it does.
		ans.Policy = false // only the server speaks for the desk's template
		s.sendSignal(a.sess.ID, hub.RoleViewer, protocol.SigGrantAnswer, ans)
	case protocol.SigPause:
		var p protocol.Pause
		if err := env.Decode(&p); err != nil {
			return err
		}
		sess, changed, err := s.store.SetPaused(ctx, a.sess.ID, p.Paused)
		if err != nil {
			s.log.Error("pause", "session", a.sess.ID, "err", err)
			return nil
		}
		if changed {
			s.log.Info("session paused by the customer", "session", a.sess.ID, "paused", p.Paused)
			s.Notify(sess)
		}
	case protocol.SigExtend:
		_, idle, err := s.policy(ctx, a.sess.ProviderID)
		if err != nil {
			s.log.Error("extend", "session", a.sess.ID, "err", err)
			return nil
		}
		sess, err := s.store.Extend(ctx, a.sess.ID, protocol.ExtendBy*s.cfg.Minute, idle, store.ActorCustomer)
		if errors.Is(err, store.ErrInvalidTransition) {
			s.log.Info("extension refused", "session", a.sess.ID, "err", err)
			return nil
		}
		if err != nil {
			s.log.Error("extend", "session", a.sess.ID, "err", err)
			return nil
		}
		s.log.Info("session extended by the customer", "session", a.sess.ID, "until", sess.DeadlineAt)
		s.notifyAgent(s.Notify(sess))
	}
	return nil
}

// activity records what the agent's stats say happened.
// stats records an agent's byte counts and, when it carried out input or
// sent changes, the activity the idle timeout watches: one update.
func (a *Agent) stats(ctx context.Context, st protocol.Stats) {
	s := a.svc
	var idle *time.Duration
	if st.Input > 0 || st.Frames > 0 {
		_, d, err := s.policy(ctx, a.sess.ProviderID)
		if err != nil {
			s.log.Error("record activity", "session", a.sess.ID, "err", err)
		} else {
			idle = &d
		}
	}
	if err := s.store.AddStats(ctx, a.sess.ID, st.ToViewer, st.ToAgent, idle); err != nil {
		s.log.Error("record stats", "session", a.sess.ID, "err", err)
	}
}

// sweepTimeLimits warns both sides of sessions about to reach a time limit
// and ends those that reached it. A chat message since the last recorded
// activity counts as activity (the chat records its messages as events).
func (s *Service) sweepTimeLimits(ctx context.Context) error {
	due, err := s.store.TimeLimitsDue(ctx, 5*s.cfg.Minute)
	if err != nil {
		return err
	}
	now := s.cfg.Now()
	var errs []error
	for _, sess := range due {
		at, reason, _, ok := nextEnd(sess)
		if !ok {
			continue
		}
		if reason == protocol.EndIdle {
			if chat, err := s.store.LastEventAt(ctx, sess.ID, store.EventChat); err != nil {
				errs = append(errs, err)
			} else if sess.LastActivityAt != nil && chat.After(*sess.LastActivityAt) {
				s.touch(ctx, sess)
				continue
			}
		}
		if !now.Before(at) {
			ended, changed, err := s.store.EndAtLimit(ctx, sess.ID, reason)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			if changed {
				s.log.Info("session ended at its time limit", "session", sess.ID, "reason", reason)
				s.closeEnded(ended)
			}
			continue
		}
		if s.warning(sess, now) == nil {
			continue
		}
		warned, err := s.store.MarkWarned(ctx, sess.ID, at)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if warned {
			s.log.Info("session ends soon; both sides warned", "session", sess.ID, "reason", reason, "at", at)
			s.notifyAgent(s.Notify(sess))
		}
	}
	return errors.Join(errs...)
}

// notifyAgent sends st to the agent too, for the warning the consent page
// shows; the agent takes nothing else from a state.
func (s *Service) notifyAgent(st protocol.State) {
	s.sendSignal(st.SessionID, hub.RoleAgent, protocol.SigState, st)
}
