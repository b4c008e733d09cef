package store

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/uptrace/bun"

	"tether/server/protocol"
)

// Customer-initiated requests: a session with a desk and no engineer (EngineerID "") waits in that desk's
// queue until an engineer accepts it (AcceptRequest) or the provider's RequestTimeoutMinutes pass
// (TimeOutRequests).

// EventRequestAccepted: an engineer took a waiting request; the actor is that engineer.
const EventRequestAccepted = "request_accepted"

// ErrAlreadyTaken: another engineer accepted the request first. AcceptRequest returns the session as it
// is, so the caller can say who.
var ErrAlreadyTaken = errors.New("store: request already taken by another engineer")

// AcceptRequest makes userID the engineer of the waiting request id, if nobody did first. It is one
// conditional UPDATE (engineer_id IS NULL and not ended), so of engineers pressing Accept at the same
// moment exactly one wins, on SQLite and PostgreSQL alike; the others get the session with its new
// engineer and ErrAlreadyTaken. ErrNotFound for another provider's session or a user who is not an active
// member of the provider; ErrSessionEnded when the request ended meanwhile.
func (s *Store) AcceptRequest(ctx context.Context, providerID, id, userID string) (Session, error) {
	var out Session
	err := s.inTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		ok, err := tx.NewSelect().Model((*User)(nil)).
			Where("id = ? AND provider_id = ? AND disabled_at IS NULL", userID, providerID).Exists(ctx)
		if err != nil {
			return fmt.Errorf("store: check engineer: %w", err)
		}
		if !ok {
			return fmt.Errorf("accepting engineer: %w", ErrNotFound)
		}
		now := s.now()
		n, err := affected(ctx, tx.NewUpdate().Model((*Session)(nil)).
			Set("engineer_id = ?", userID).
			Set("accepted_at = ?", now).
			Where("id = ? AND provider_id = ? AND engineer_id IS NULL AND state <> ?", id, providerID, StateEnded))
		if err != nil {
			return err
		}
		cur, err := s.sessionWhere(ctx, tx, "accept request", "id = ? AND provider_id = ?", id, providerID)
		if err != nil {
			return err
		}
		out = cur
		if n == 0 {
			if cur.State == StateEnded {
				return ErrSessionEnded
			}
			return ErrAlreadyTaken
		}
		_, err = s.appendEvent(ctx, tx, Event{SessionID: id, ProviderID: providerID, Kind: EventRequestAccepted, Actor: ActorEngineer(userID)})
		return err
	})
	if errors.Is(err, ErrAlreadyTaken) {
		return out, err
	}
	if err != nil {
		return Session{}, err
	}
	return out, nil
}

// WaitingRequests returns the provider's requests nobody accepted yet, oldest first: in deskIDs, or in
// every desk when deskIDs is nil.
func (s *Store) WaitingRequests(ctx context.Context, providerID string, deskIDs []string) ([]Session, error) {
	out := []Session{}
	if deskIDs != nil && len(deskIDs) == 0 {
		return out, nil
	}
	q := s.db.NewSelect().Model(&out).
		Where("provider_id = ? AND engineer_id IS NULL AND state <> ?", providerID, StateEnded).
		OrderExpr("created_at, id")
	if deskIDs != nil {
		q = q.Where("desk_id IN (?)", bun.List(deskIDs))
	}
	if err := q.Scan(ctx); err != nil {
		return nil, fmt.Errorf("store: waiting requests: %w", err)
	}
	return out, nil
}

// RecentWaits returns how long the desk's last n accepted requests (accepted since since) waited from
// the customer's request to an engineer's Accept, newest first.
func (s *Store) RecentWaits(ctx context.Context, providerID, deskID string, since time.Time, n int) ([]time.Duration, error) {
	var rows []Session
	err := s.db.NewSelect().Model(&rows).Column("created_at", "accepted_at").
		Where("provider_id = ? AND desk_id = ? AND accepted_at IS NOT NULL AND accepted_at >= ?", providerID, deskID, utc(since)).
		OrderExpr("accepted_at DESC").Limit(int64(n)).Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: recent waits: %w", err)
	}
	out := make([]time.Duration, 0, len(rows))
	for _, r := range rows {
		if d := r.AcceptedAt.Sub(r.CreatedAt); d >= 0 {
			out = append(out, d)
		}
	}
	return out, nil
}

// MedianWait is the median of waits; ok is false when there are none.
func MedianWait(waits []time.Duration) (median time.Duration, ok bool) {
	if len(waits) == 0 {
		return 0, false
	}
	w := append([]time.Duration(nil), waits...)
	sort.Slice(w, func(i, j int) bool { return w[i] < w[j] })
	if len(w)%2 == 1 {
		return w[len(w)/2], true
	}
	return (w[len(w)/2-1] + w[len(w)/2]) / 2, true
}

// RequestDeadline is when a request created at created ends unaccepted under a timeout of minutes
// policy minutes (minute long each; tests shorten it).
func RequestDeadline(created time.Time, minutes int, minute time.Duration) time.Time {
	return created.Add(time.Duration(minutes) * minute)
}

// TimeOutRequests ends every request nobody accepted within its provider's RequestTimeoutMinutes (minute
// is the length of one policy minute), with reason protocol.EndNobodyFree, and returns those this call
// ended. Each end is a conditional update that also requires no engineer, so a request accepted at the
// last moment is never ended, and of several instances sweeping at once one ends each.
func (s *Store) TimeOutRequests(ctx context.Context, minute time.Duration) ([]Session, error) {
	var out []Session
	err := s.inTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		out = out[:0]
		var waiting []Session
		if err := tx.NewSelect().Model(&waiting).
			Where("engineer_id IS NULL AND state <> ?", StateEnded).OrderExpr("created_at, id").Scan(ctx); err != nil {
			return fmt.Errorf("store: select waiting requests: %w", err)
		}
		timeouts := map[string]int{}
		now := s.now()
		for _, cur := range waiting {
			minutes, ok := timeouts[cur.ProviderID]
			if !ok {
				var p Provider
				if err := tx.NewSelect().Model(&p).Column("id", "request_timeout_minutes").Where("id = ?", cur.ProviderID).Scan(ctx); err != nil {
					return notFound(err, "request provider")
				}
				minutes = p.RequestTimeoutMinutes
				timeouts[cur.ProviderID] = minutes
			}
			if now.Before(RequestDeadline(cur.CreatedAt, minutes, minute)) {
				continue
			}
			n, err := affected(ctx, tx.NewUpdate().Model((*Session)(nil)).
				Set("state = ?", StateEnded).
				Set("ended_at = ?", now).
				Set("end_reason = ?", protocol.EndNobodyFree).
				Where("id = ? AND engineer_id IS NULL AND state <> ?", cur.ID, StateEnded))
			if err != nil {
				return err
			}
			if n == 0 {
				continue
			}
			if _, err := s.appendEvent(ctx, tx, Event{SessionID: cur.ID, ProviderID: cur.ProviderID, Kind: EventEnded, Actor: ActorSystem, Detail: protocol.EndNobodyFree}); err != nil {
				return err
			}
			after, err := s.sessionWhere(ctx, tx, "time out request", "id = ?", cur.ID)
			if err != nil {
				return err
			}
			out = append(out, after)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
