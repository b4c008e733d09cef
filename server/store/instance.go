package store

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// Instance is one server process sharing the database, as its heartbeats
// left it.
type Instance struct {
	bun.BaseModel `bun:"table:instances,alias:i"`

	Name      string     `bun:"name,pk"`
	StartedAt time.Time  `bun:"started_at,notnull"`
	SeenAt    time.Time  `bun:"seen_at,notnull"`
	StoppedAt *time.Time `bun:"stopped_at"`
}

// StartInstance records that instance started and marks the agents it held
// before as lost now: none of its connections survived the restart, and
// they have the rejoin grace to come back, here or elsewhere.
func (s *Store) StartInstance(ctx context.Context, instance string) ([]Session, error) {
	now := s.now()
	_, err := s.db.NewInsert().Model(&Instance{Name: instance, StartedAt: now, SeenAt: now}).
		On("CONFLICT (name) DO UPDATE").
		Set("started_at = EXCLUDED.started_at, seen_at = EXCLUDED.seen_at, stopped_at = NULL").
		Exec(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: start instance: %w", err)
	}
	// '' is a session from before instances were known.
	return s.loseAgents(ctx, now, "agent_instance IN (?)", bun.List([]string{instance, ""}))
}

// Heartbeat records that instance is alive.
func (s *Store) Heartbeat(ctx context.Context, instance string) error {
	_, err := s.db.NewUpdate().Model((*Instance)(nil)).
		Set("seen_at = ?", s.now()).Set("stopped_at = NULL").
		Where("name = ?", instance).Exec(ctx)
	if err != nil {
		return fmt.Errorf("store: heartbeat: %w", err)
	}
	return nil
}

// StopInstance records that instance stopped on purpose, so that the others
// need not wait for its heartbeat to go stale. Agents it still held are
// marked lost now.
func (s *Store) StopInstance(ctx context.Context, instance string) ([]Session, error) {
	now := s.now()
	if _, err := s.db.NewUpdate().Model((*Instance)(nil)).
		Set("stopped_at = ?", now).Where("name = ?", instance).Exec(ctx); err != nil {
		return nil, fmt.Errorf("store: stop instance: %w", err)
	}
	return s.loseAgents(ctx, now, "agent_instance = ?", instance)
}

// LoseDeadInstances marks as lost the agents held by instances that stopped
// or whose last heartbeat is older than deadAfter, as of that heartbeat: the
// rejoin grace runs from when the instance was last known alive.
func (s *Store) LoseDeadInstances(ctx context.Context, deadAfter time.Duration) ([]Session, error) {
	var dead []Instance
	if err := s.db.NewSelect().Model(&dead).
		Where("stopped_at IS NOT NULL OR seen_at <= ?", s.now().Add(-deadAfter)).Scan(ctx); err != nil {
		return nil, fmt.Errorf("store: dead instances: %w", err)
	}
	var out []Session
	for _, in := range dead {
		at := in.SeenAt
		if in.StoppedAt != nil {
			at = *in.StoppedAt
		}
		lost, err := s.loseAgents(ctx, at, "agent_instance = ?", in.Name)
		if err != nil {
			return out, err
		}
		out = append(out, lost...)
	}
	return out, nil
}

// loseAgents marks the agents of live, joined or active sessions matching
// where as lost at the given time, unless already marked, with an event
// each, and returns those it marked.
func (s *Store) loseAgents(ctx context.Context, at time.Time, where string, args ...any) ([]Session, error) {
	var out []Session
	err := s.inTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		out = out[:0]
		var due []Session
		if err := tx.NewSelect().Model(&due).
			Where("state IN (?) AND agent_lost_at IS NULL", bun.List([]State{StateJoined, StateActive})).
			Where(where, args...).OrderExpr("created_at, id").Scan(ctx); err != nil {
			return fmt.Errorf("store: select agents to lose: %w", err)
		}
		for _, cur := range due {
			n, err := affected(ctx, tx.NewUpdate().Model((*Session)(nil)).Set("agent_lost_at = ?", utc(at)).
				Where("id = ? AND agent_instance = ? AND agent_lost_at IS NULL", cur.ID, cur.AgentInstance))
			if err != nil {
				return err
			}
			if n == 0 {
				continue
			}
			if _, err := s.appendEvent(ctx, tx, Event{SessionID: cur.ID, ProviderID: cur.ProviderID, Kind: EventAgentLost, Actor: ActorSystem, Detail: "instance " + cur.AgentInstance}); err != nil {
				return err
			}
			t := utc(at)
			cur.AgentLostAt = &t
			out = append(out, cur)
		}
		return nil
	})
	return out, err
}
