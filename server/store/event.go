package store

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// Event is one entry of a session's append-only log.
type Event struct {
	bun.BaseModel `bun:"table:session_events,alias:ev"`

	ID         string    `bun:"id,pk"`
	SessionID  string    `bun:"session_id,notnull"`
	ProviderID string    `bun:"provider_id,notnull"`
	Seq        int64     `bun:"seq,notnull"` // 1, 2, 3... within the session: the log's order, even when At ties
	At         time.Time `bun:"at,notnull"`
	Kind       string    `bun:"kind,notnull"`  // EventCreated, EventAgentConnected, ... or any other word
	Actor      string    `bun:"actor,notnull"` // "engineer:<id>", "customer", "agent", "system"
	Detail     string    `bun:"detail,notnull"`
}

// AppendEvent adds e to its session's log, filling ID and At if empty and Seq always. An empty ProviderID
// is taken from the session; a ProviderID that does not own the session gets ErrNotFound.
func (s *Store) AppendEvent(ctx context.Context, e Event) (Event, error) {
	if e.SessionID == "" || e.Kind == "" {
		return Event{}, fmt.Errorf("%w: event needs a session and a kind", ErrInvalidArgument)
	}
	err := s.inTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		// Lock the session row so concurrent appends on PostgreSQL take turns numbering; SQLite runs one
		// transaction at a time anyway.
		q := tx.NewSelect().Model((*Session)(nil)).Column("provider_id").Where("id = ?", e.SessionID)
		if s.dialect == dialectPostgres {
			q = q.For("UPDATE")
		}
		var providerID string
		if err := q.Scan(ctx, &providerID); err != nil {
			return notFound(err, "event session")
		}
		if e.ProviderID == "" {
			e.ProviderID = providerID
		}
		if e.ProviderID != providerID {
			return fmt.Errorf("event session: %w", ErrNotFound)
		}
		var err error
		e, err = s.appendEvent(ctx, tx, e)
		return err
	})
	if err != nil {
		return Event{}, err
	}
	return e, nil
}

// appendEvent inserts e inside tx. Callers hold the session row (an UPDATE or SELECT FOR UPDATE earlier in
// tx), which makes MAX(seq)+1 safe.
func (s *Store) appendEvent(ctx context.Context, tx bun.Tx, e Event) (Event, error) {
	if e.ID == "" {
		e.ID = NewID()
	}
	if e.At.IsZero() {
		e.At = s.now()
	} else {
		e.At = utc(e.At)
	}
	err := tx.NewSelect().Model((*Event)(nil)).
		ColumnExpr("COALESCE(MAX(seq), 0) + 1").
		Where("session_id = ?", e.SessionID).
		Scan(ctx, &e.Seq)
	if err != nil {
		return Event{}, fmt.Errorf("store: next event seq: %w", err)
	}
	if _, err := tx.NewInsert().Model(&e).Exec(ctx); err != nil {
		return Event{}, fmt.Errorf("store: insert event: %w", err)
	}
	return e, nil
}

// Events returns a session's log, oldest first; ErrNotFound if the session is not the provider's.
func (s *Store) Events(ctx context.Context, providerID, sessionID string) ([]Event, error) {
	if _, err := s.SessionByID(ctx, providerID, sessionID); err != nil {
		return nil, err
	}
	events := []Event{}
	err := s.db.NewSelect().Model(&events).
		Where("session_id = ? AND provider_id = ?", sessionID, providerID).
		OrderExpr("seq ASC").
		Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: events: %w", err)
	}
	return events, nil
}
