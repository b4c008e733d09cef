package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"
)

// Webhook is where a provider's session state changes are POSTed, and the secret that signs them.
type Webhook struct {
	bun.BaseModel `bun:"table:webhooks,alias:wh"`

	ProviderID string `bun:"provider_id,pk"`
	URL        string `bun:"url,notnull"`
	Secret     string `bun:"secret,notnull"`
	// Since is when the webhook was set up: sessions that ended before report nothing.
	Since     time.Time `bun:"since,notnull"`
	UpdatedAt time.Time `bun:"updated_at,notnull"`
}

// webhookState is the state of a session its provider's webhook was last told about.
type webhookState struct {
	bun.BaseModel `bun:"table:webhook_states,alias:ws"`

	SessionID  string `bun:"session_id,pk"`
	ProviderID string `bun:"provider_id,notnull"`
	State      State  `bun:"state,notnull"`
}

// WebhookDelivery is one event in the outbox.
type WebhookDelivery struct {
	bun.BaseModel `bun:"table:webhook_deliveries,alias:wd"`

	ID            string     `bun:"id,pk"`
	ProviderID    string     `bun:"provider_id,notnull"`
	SessionID     string     `bun:"session_id,notnull"`
	Seq           int        `bun:"seq,notnull"`
	Event         string     `bun:"event,notnull"`
	Payload       string     `bun:"payload,notnull"`
	CreatedAt     time.Time  `bun:"created_at,notnull"`
	Attempts      int        `bun:"attempts,notnull"`
	NextAttemptAt time.Time  `bun:"next_attempt_at,notnull"`
	LastStatus    int        `bun:"last_status,notnull"`
	LastError     string     `bun:"last_error,notnull"`
	DeliveredAt   *time.Time `bun:"delivered_at"`
	FailedAt      *time.Time `bun:"failed_at"`
	// URL and Secret are the provider's webhook at the time the delivery was claimed (DueWebhookDeliveries).
	URL    string `bun:"url,scanonly"`
	Secret string `bun:"secret,scanonly"`
}

// WebhookOf returns a provider's webhook; ErrNotFound when it has none.
func (s *Store) WebhookOf(ctx context.Context, providerID string) (Webhook, error) {
	var w Webhook
	if err := s.db.NewSelect().Model(&w).Where("provider_id = ?", providerID).Scan(ctx); err != nil {
		return Webhook{}, notFound(err, "webhook")
	}
	return w, nil
}

// SetWebhook sets a provider's webhook URL and secret. A new webhook starts from the present: the
// sessions not yet ended count as reported in their current state, so it hears of their next change
// and of every session created from now on, not of the past.
func (s *Store) SetWebhook(ctx context.Context, providerID, url, secret string) (Webhook, error) {
	if providerID == "" || strings.TrimSpace(url) == "" || secret == "" {
		return Webhook{}, fmt.Errorf("%w: a webhook needs a provider, a URL and a secret", ErrInvalidArgument)
	}
	now := s.now()
	w := Webhook{ProviderID: providerID, URL: url, Secret: secret, Since: now, UpdatedAt: now}
	err := s.inTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var old Webhook
		err := tx.NewSelect().Model(&old).Where("provider_id = ?", providerID).Scan(ctx)
		if err == nil {
			w.Since = old.Since
			_, err = tx.NewUpdate().Model(&w).Column("url", "secret", "updated_at").WherePK().Exec(ctx)
			if err != nil {
				return fmt.Errorf("store: update webhook: %w", err)
			}
			return nil
		}
		if err = notFound(err, "webhook"); !errors.Is(err, ErrNotFound) {
			return err
		}
		if _, err := tx.NewInsert().Model(&w).Exec(ctx); err != nil {
			return fmt.Errorf("store: insert webhook: %w", err)
		}
		// Sessions reported under an earlier webhook, and live ones, count as reported now.
		_, err = tx.NewRaw(`INSERT INTO webhook_states (session_id, provider_id, state)
SELECT id, provider_id, state FROM support_sessions
WHERE provider_id = ? AND (state <> ? OR id IN (SELECT session_id FROM webhook_states WHERE provider_id = ?))
ON CONFLICT (session_id) DO UPDATE SET state = excluded.state`, providerID, StateEnded, providerID).Exec(ctx)
		if err != nil {
			return fmt.Errorf("store: webhook baseline: %w", err)
		}
		return nil
	})
	if err != nil {
		return Webhook{}, err
	}
	return w, nil
}

// DeleteWebhook removes a provider's webhook and the deliveries still waiting to go.
func (s *Store) DeleteWebhook(ctx context.Context, providerID string) error {
	return s.inTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewDelete().Model((*Webhook)(nil)).Where("provider_id = ?", providerID).Exec(ctx); err != nil {
			return fmt.Errorf("store: delete webhook: %w", err)
		}
		_, err := tx.NewDelete().Model((*WebhookDelivery)(nil)).
			Where("provider_id = ? AND delivered_at IS NULL AND failed_at IS NULL", providerID).Exec(ctx)
		if err != nil {
			return fmt.Errorf("store: delete pending deliveries: %w", err)
		}
		return nil
	})
}

// WebhookChange is a session whose state differs from the one its provider's webhook last heard of.
type WebhookChange struct {
	Session Session
	// Reported is the state last reported; "" when none was.
	Reported State
}

// Steps are the states to report, in order: every state from Reported on to the session's current one
// that the session went through (a session that expired while waiting never joined), or only the
// current one when the session went back (an active session whose consent lapsed is joined again).
func (c WebhookChange) Steps() []State {
	order := []State{StateWaiting, StateJoined, StateActive, StateEnded}
	rank := func(st State) int {
		for i, o := range order {
			if o == st {
				return i
			}
		}
		return -1
	}
	from, to := rank(c.Reported), rank(c.Session.State)
	if to <= from {
		return []State{c.Session.State}
	}
	var steps []State
	for _, st := range order[from+1 : to+1] {
		switch {
		case st == StateJoined && c.Session.JoinedAt == nil, st == StateActive && c.Session.ActiveAt == nil:
			continue
		}
		steps = append(steps, st)
	}
	return steps
}

// WebhookChanges returns up to limit sessions, of providers with a webhook, whose state changed since
// it was last reported. Several instances may see the same change; ClaimWebhookChange lets one win.
func (s *Store) WebhookChanges(ctx context.Context, limit int) ([]WebhookChange, error) {
	var rows []struct {
		Session
		Reported *string `bun:"reported,scanonly"`
	}
	err := s.db.NewSelect().Model(&rows).ModelTableExpr("support_sessions AS ss").
		ColumnExpr("ss.*").ColumnExpr("ws.state AS reported").
		Join("JOIN webhooks AS wh ON wh.provider_id = ss.provider_id").
		Join("LEFT JOIN webhook_states AS ws ON ws.session_id = ss.id").
		Where("(ws.state IS NULL AND ss.created_at > wh.since) OR ws.state <> ss.state").
		OrderExpr("ss.created_at, ss.id").Limit(int64(limit)).Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: webhook changes: %w", err)
	}
	out := make([]WebhookChange, len(rows))
	for i, r := range rows {
		out[i].Session = r.Session
		if r.Reported != nil {
			out[i].Reported = State(*r.Reported)
		}
	}
	return out, nil
}

// NewWebhookDelivery is one event to put in the outbox.
type NewWebhookDelivery struct {
	ID      string // the event's id, also in its payload; NewID() when empty
	Event   string
	Payload []byte
}

// ClaimWebhookChange records that c.Session's state is reported and puts its events in the outbox, in
// one transaction. It reports false, and writes nothing, when another instance claimed the change first
// (the state last reported is no longer c.Reported).
func (s *Store) ClaimWebhookChange(ctx context.Context, c WebhookChange, events []NewWebhookDelivery) (bool, error) {
	claimed := false
	now := s.now()
	err := s.inTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var n int64
		if c.Reported == "" {
			res, err := tx.NewInsert().Model(&webhookState{SessionID: c.Session.ID, ProviderID: c.Session.ProviderID, State: c.Session.State}).
				On("CONFLICT (session_id) DO NOTHING").Exec(ctx)
			if err != nil {
				return fmt.Errorf("store: claim webhook change: %w", err)
			}
			n, _ = res.RowsAffected()
		} else {
			res, err := tx.NewUpdate().Model((*webhookState)(nil)).Set("state = ?", c.Session.State).
				Where("session_id = ? AND state = ?", c.Session.ID, c.Reported).Exec(ctx)
			if err != nil {
				return fmt.Errorf("store: claim webhook change: %w", err)
			}
			n, _ = res.RowsAffected()
		}
		if n != 1 {
			return nil
		}
		claimed = true
		var seq int
		if err := tx.NewRaw("SELECT COALESCE(MAX(seq), 0) FROM webhook_deliveries WHERE session_id = ?", c.Session.ID).Scan(ctx, &seq); err != nil {
			return fmt.Errorf("store: webhook seq: %w", err)
		}
		for _, e := range events {
			seq++
			if e.ID == "" {
				e.ID = NewID()
			}
			d := WebhookDelivery{ID: e.ID, ProviderID: c.Session.ProviderID, SessionID: c.Session.ID, Seq: seq,
				Event: e.Event, Payload: string(e.Payload), CreatedAt: now, NextAttemptAt: now}
			if _, err := tx.NewInsert().Model(&d).Exec(ctx); err != nil {
				return fmt.Errorf("store: insert webhook delivery: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return false, err
	}
	return claimed, nil
}

// DueWebhookDeliveries claims up to limit deliveries that are due, each with its provider's webhook URL
// and secret: a session's next event only once its earlier ones are delivered or given up. A claim
// counts the attempt and holds the delivery for lease, so that no other instance sends it meanwhile; an
// instance that dies mid-send leaves it to be sent again after the lease (deliveries are at least once).
func (s *Store) DueWebhookDeliveries(ctx context.Context, limit int, lease time.Duration) ([]WebhookDelivery, error) {
	now := s.now()
	var due []WebhookDelivery
	err := s.db.NewSelect().Model(&due).ColumnExpr("wd.*").ColumnExpr("wh.url AS url, wh.secret AS secret").
		Join("JOIN webhooks AS wh ON wh.provider_id = wd.provider_id").
		Where("wd.delivered_at IS NULL AND wd.failed_at IS NULL AND wd.next_attempt_at <= ?", now).
		Where(`NOT EXISTS (SELECT 1 FROM webhook_deliveries AS e WHERE e.session_id = wd.session_id AND e.seq < wd.seq
AND e.delivered_at IS NULL AND e.failed_at IS NULL)`).
		OrderExpr("wd.next_attempt_at, wd.created_at, wd.seq").Limit(int64(limit)).Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: due webhook deliveries: %w", err)
	}
	claimed := due[:0]
	for _, d := range due {
		res, err := s.db.NewUpdate().Model((*WebhookDelivery)(nil)).
			Set("attempts = attempts + 1").Set("next_attempt_at = ?", now.Add(lease)).
			Where("id = ? AND attempts = ? AND delivered_at IS NULL AND failed_at IS NULL", d.ID, d.Attempts).Exec(ctx)
		if err != nil {
			return claimed, fmt.Errorf("store: claim webhook delivery: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 1 {
			d.Attempts++
			d.NextAttemptAt = now.Add(lease)
			claimed = append(claimed, d)
		}
	}
	return claimed, nil
}

// WebhookDelivered records that the receiver accepted a delivery with status.
func (s *Store) WebhookDelivered(ctx context.Context, id string, status int) error {
	_, err := s.db.NewUpdate().Model((*WebhookDelivery)(nil)).
		Set("delivered_at = ?", s.now()).Set("last_status = ?", status).Set("last_error = ''").
		Where("id = ?", id).Exec(ctx)
	if err != nil {
		return fmt.Errorf("store: webhook delivered: %w", err)
	}
	return nil
}

// WebhookAttemptFailed records a failed attempt (status 0: no answer): the delivery is tried again at
// next, or given up when next is zero.
func (s *Store) WebhookAttemptFailed(ctx context.Context, id string, status int, why string, next time.Time) error {
	q := s.db.NewUpdate().Model((*WebhookDelivery)(nil)).Set("last_status = ?", status).Set("last_error = ?", why).Where("id = ?", id)
	if next.IsZero() {
		q = q.Set("failed_at = ?", s.now())
	} else {
		q = q.Set("next_attempt_at = ?", utc(next))
	}
	if _, err := q.Exec(ctx); err != nil {
		return fmt.Errorf("store: webhook attempt failed: %w", err)
	}
	return nil
}

// WebhookDeliveries lists a provider's latest deliveries, newest first.
func (s *Store) WebhookDeliveries(ctx context.Context, providerID string, limit int) ([]WebhookDelivery, error) {
	var ds []WebhookDelivery
	err := s.db.NewSelect().Model(&ds).Where("provider_id = ?", providerID).
		OrderExpr("created_at DESC, seq DESC").Limit(int64(limit)).Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: list webhook deliveries: %w", err)
	}
	return ds, nil
}

// PurgeWebhookDeliveries deletes deliveries delivered or given up before cutoff; pending ones stay.
func (s *Store) PurgeWebhookDeliveries(ctx context.Context, cutoff time.Time) (int64, error) {
	res, err := s.db.NewDelete().Model((*WebhookDelivery)(nil)).
		Where("delivered_at < ? OR failed_at < ?", utc(cutoff), utc(cutoff)).Exec(ctx)
	if err != nil {
		return 0, fmt.Errorf("store: purge webhook deliveries: %w", err)
	}
	return res.RowsAffected()
}
