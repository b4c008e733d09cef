package store

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"tether/server/protocol"
)

// Event kinds of the customer's controls and the time limits.
const (
	EventGrantRequested = "grant_requested"
	EventGrantRefused   = "grant_refused"
	EventPaused         = "paused"
	EventResumed        = "resumed"
	EventExtended       = "extended"
	// EventChat is the chat's event kind; a chat message counts as activity for the idle timeout.
	EventChat = "chat"
)

// The time limits of an active session, as the store keeps them:
//
//   - deadline_at: the session's maximum end, set once at the first consent (now + the provider's
//     SessionMaxMinutes) and moved by Extend;
//   - last_activity_at and idle_at: the last activity (consent, the engineer's input carried out or a
//     changed screen as the agent reports them, a chat message, a grant change, an extension) and when
//     the session becomes idle without more (last activity + IdleTimeoutMinutes; NULL when off);
//   - warned_for: the end both sides were last warned about, so each warning is sent once whichever
//     instance sweeps.
//
// Every instance's sweeper reads them from here (TimeLimitsDue) and ends a session with a conditional
// update (EndAtLimit), so the limits hold across instances and restarts.

// StartTimeLimits sets an active session's limits at its first consent: deadline consent+max, idle consent+idle
// (none when idle is 0). A session that has them already (a consent repeated after a reconnect, or given
// again after it lapsed) keeps them.
func (s *Store) StartTimeLimits(ctx context.Context, id string, max, idle time.Duration) (Session, error) {
	var out Session
	err := s.inTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		cur, err := s.sessionWhere(ctx, tx, "start time limits", "id = ?", id)
		if err != nil {
			return err
		}
		if cur.State != StateActive || cur.DeadlineAt != nil || cur.ActiveAt == nil {
			out = cur
			return nil
		}
		from := *cur.ActiveAt
		if _, err := affected(ctx, tx.NewUpdate().Model((*Session)(nil)).
			Set("deadline_at = ?", from.Add(max)).
			Set("last_activity_at = ?", from).
			Set("idle_at = ?", idleAt(from, idle)).
			Where("id = ? AND state = ? AND deadline_at IS NULL", id, StateActive)); err != nil {
			return err
		}
		out, err = s.sessionWhere(ctx, tx, "start time limits", "id = ?", id)
		return err
	})
	return out, err
}

func idleAt(now time.Time, idle time.Duration) *time.Time {
	if idle <= 0 {
		return nil
	}
	t := now.Add(idle)
	return &t
}

// Touch records activity in an active session: its idle end moves to now+idle (none when idle is 0).
func (s *Store) Touch(ctx context.Context, id string, idle time.Duration) error {
	now := s.now()
	_, err := affected(ctx, s.db.NewUpdate().Model((*Session)(nil)).
		Set("last_activity_at = ?", now).
		Set("idle_at = ?", idleAt(now, idle)).
		Where("id = ? AND state = ?", id, StateActive))
	return err
}

// Extend moves an active session's deadline by `by` (from now, if it has passed already), counts as
// activity, and logs who extended it. ErrInvalidTransition when the session is not active or has no
// deadline.
func (s *Store) Extend(ctx context.Context, id string, by, idle time.Duration, actor string) (Session, error) {
	var out Session
	err := s.inTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		cur, err := s.sessionWhere(ctx, tx, "extend", "id = ?", id)
		if err != nil {
			return err
		}
		if cur.State != StateActive || cur.DeadlineAt == nil {
			return fmt.Errorf("%w: extend a session %s", ErrInvalidTransition, cur.State)
		}
		now := s.now()
		deadline := later(*cur.DeadlineAt, now).Add(by)
		n, err := affected(ctx, tx.NewUpdate().Model((*Session)(nil)).
			Set("deadline_at = ?", deadline).
			Set("last_activity_at = ?", now).
			Set("idle_at = ?", idleAt(now, idle)).
			Where("id = ? AND state = ? AND deadline_at = ?", id, StateActive, *cur.DeadlineAt))
		if err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("%w: the session changed meanwhile", ErrInvalidTransition)
		}
		if _, err := s.appendEvent(ctx, tx, Event{SessionID: id, ProviderID: cur.ProviderID, Kind: EventExtended, Actor: actor,
			Detail: "until " + deadline.Format(time.RFC3339)}); err != nil {
			return err
		}
		out, err = s.sessionWhere(ctx, tx, "extend", "id = ?", id)
		return err
	})
	return out, err
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// SetPaused records that the customer paused (or resumed) an active session, with its event; changed is
// false when it already was.
func (s *Store) SetPaused(ctx context.Context, id string, paused bool) (Session, bool, error) {
	kind := EventResumed
	if paused {
		kind = EventPaused
	}
	var changed bool
	var out Session
	err := s.inTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		n, err := affected(ctx, tx.NewUpdate().Model((*Session)(nil)).
			Set("paused = ?", paused).
			Where("id = ? AND state = ? AND paused <> ?", id, StateActive, paused))
		if err != nil {
			return err
		}
		if out, err = s.sessionWhere(ctx, tx, "pause", "id = ?", id); err != nil {
			return err
		}
		if changed = n == 1; !changed {
			return nil
		}
		_, err = s.appendEvent(ctx, tx, Event{SessionID: id, ProviderID: out.ProviderID, Kind: kind, Actor: ActorCustomer})
		return err
	})
	return out, changed, err
}

// TimeLimitsDue returns the active sessions that end (deadline or idle) within `within` from now.
func (s *Store) TimeLimitsDue(ctx context.Context, within time.Duration) ([]Session, error) {
	var out []Session
	t := s.now().Add(within)
	err := s.db.NewSelect().Model(&out).
		Where("state = ?", StateActive).
		WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
			return q.Where("deadline_at <= ?", t).WhereOr("idle_at <= ?", t)
		}).
		OrderExpr("created_at, id").Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: time limits due: %w", err)
	}
	return out, nil
}

// LastEventAt is the time of a session's latest event of kind; the zero time when there is none.
func (s *Store) LastEventAt(ctx context.Context, id, kind string) (time.Time, error) {
	var at []time.Time
	err := s.db.NewSelect().Model((*Event)(nil)).Column("at").
		Where("session_id = ? AND kind = ?", id, kind).OrderExpr("seq DESC").Limit(1).Scan(ctx, &at)
	if err != nil {
		return time.Time{}, fmt.Errorf("store: last event: %w", err)
	}
	if len(at) == 0 {
		return time.Time{}, nil
	}
	return at[0], nil
}

// MarkWarned records that both sides were warned the session ends at `at`; false when they already were
// (another instance's sweep, or an earlier one).
func (s *Store) MarkWarned(ctx context.Context, id string, at time.Time) (bool, error) {
	n, err := affected(ctx, s.db.NewUpdate().Model((*Session)(nil)).
		Set("warned_for = ?", at).
		Where("id = ? AND state = ? AND (warned_for IS NULL OR warned_for <> ?)", id, StateActive, at))
	return n == 1, err
}

// EndAtLimit ends an active session whose deadline (reason protocol.EndTimeLimit) or idle end
// (protocol.EndIdle) has passed, if it still has; the bool reports whether this call ended it.
func (s *Store) EndAtLimit(ctx context.Context, id, reason string) (Session, bool, error) {
	col := "deadline_at"
	switch reason {
	case protocol.EndTimeLimit:
	case protocol.EndIdle:
		col = "idle_at"
	default:
		return Session{}, false, fmt.Errorf("%w: time limit reason %q", ErrInvalidArgument, reason)
	}
	ended, err := s.endWhere(ctx, reason, []State{StateActive}, "id = ? AND state = ? AND "+col+" <= ?", id, StateActive, s.now())
	if err != nil || len(ended) == 0 {
		return Session{}, false, err
	}
	return ended[0], true, nil
}

// EventConsentLapsed: the agent of an active session was lost for longer than the rejoin grace; its
// consent lapsed and the customer is asked again when it comes back.
const EventConsentLapsed = "consent_lapsed"

// LapseLostAgent takes back the consent of an active session whose agent has been lost since more than
// grace ago, if it still is: the session goes back to joined with no grants, and waits another grace for
// the agent to come back and ask the customer again (after which EndLostAgent ends it). The bool reports
// whether this call changed it.
func (s *Store) LapseLostAgent(ctx context.Context, lost Session, grace time.Duration) (Session, bool, error) {
	var out Session
	var changed bool
	err := s.inTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		now := s.now()
		n, err := affected(ctx, tx.NewUpdate().Model((*Session)(nil)).
			Set("state = ?", StateJoined).Set("grants = ''").Set("paused = FALSE").Set("agent_lost_at = ?", now).
			Where("id = ? AND state = ? AND agent_lost_at IS NOT NULL AND agent_lost_at <= ?", lost.ID, StateActive, now.Add(-grace)))
		if err != nil {
			return err
		}
		if out, err = s.sessionWhere(ctx, tx, "lapse", "id = ?", lost.ID); err != nil {
			return err
		}
		if changed = n == 1; !changed {
			return nil
		}
		_, err = s.appendEvent(ctx, tx, Event{SessionID: lost.ID, ProviderID: out.ProviderID, Kind: EventConsentLapsed, Actor: ActorSystem,
			Detail: "the support program was disconnected for longer than " + grace.String()})
		return err
	})
	return out, changed, err
}

// EventAgentRestarted: a new run of the agent (another key) took over a session whose agent was lost;
// the customer is asked again.
const EventAgentRestarted = "agent_restarted"

// rebindAgent binds a joined or active session whose agent is lost to a new run of the agent: the
// session goes back to joined with no grants, so the customer must approve again on their computer.
func (s *Store) rebindAgent(ctx context.Context, tx bun.Tx, cur Session, j AgentJoin, out *Session) error {
	n, err := affected(ctx, tx.NewUpdate().Model((*Session)(nil)).
		Set("state = ?", StateJoined).Set("grants = ''").Set("paused = FALSE").
		Set("agent_key_hash = ?", j.KeyHash).Set("agent_instance = ?", j.Instance).Set("agent_lost_at = NULL").
		Set("agent_os = ?", j.OS).Set("agent_host = ?", j.Host).
		Where("id = ? AND state IN (?) AND agent_lost_at IS NOT NULL", cur.ID, bun.List([]State{StateJoined, StateActive})))
	if err != nil {
		return err
	}
	if n == 0 {
		return ErrAgentBound
	}
	if *out, err = s.sessionWhere(ctx, tx, "join agent", "id = ?", cur.ID); err != nil {
		return err
	}
	_, err = s.appendEvent(ctx, tx, Event{SessionID: cur.ID, ProviderID: cur.ProviderID, Kind: EventAgentRestarted, Actor: ActorAgent,
		Detail: joinDetail(cur.Source, j.OS, j.Host)})
	return err
}
