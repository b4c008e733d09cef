package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// Rate is a limit: Burst attempts at once, then one per Every.
type Rate struct {
	Every time.Duration
	Burst int
}

// Allow takes one attempt for key under rate r and reports whether it is allowed; when it is not, retry
// says how long until the next one would be. Limits live in the database so that every instance sharing
// it counts the same attempts, and a restart forgets nothing.
//
// It is the generic cell rate algorithm (GCRA, ITU-T I.371): one "theoretical arrival time" per key,
// moved forward by Every on each allowed attempt; an attempt is allowed while that time stays within
// Burst×Every of now. One conditional upsert does it atomically on SQLite and PostgreSQL.
func (s *Store) Allow(ctx context.Context, key string, r Rate) (ok bool, retry time.Duration, err error) {
	if key == "" || r.Every <= 0 || r.Burst <= 0 {
		return false, 0, fmt.Errorf("%w: rate limit %q %+v", ErrInvalidArgument, key, r)
	}
	now := s.now().UnixMicro()
	every := r.Every.Microseconds()
	window := int64(r.Burst) * every
	greatest := "MAX"
	if s.dialect == dialectPostgres {
		greatest = "GREATEST"
	}
	q := fmt.Sprintf(`INSERT INTO rate_limits (key, tat) VALUES (?, ?)
ON CONFLICT (key) DO UPDATE SET tat = %[1]s(rate_limits.tat, ?) + ?
WHERE %[1]s(rate_limits.tat, ?) + ? - ? <= ?
RETURNING tat`, greatest)
	var tat int64
	err = s.db.NewRaw(q, key, now+every, now, every, now, every, now, window).Scan(ctx, &tat)
	if err == nil {
		return true, 0, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return false, 0, fmt.Errorf("store: rate limit: %w", err)
	}
	if err := s.db.NewRaw("SELECT tat FROM rate_limits WHERE key = ?", key).Scan(ctx, &tat); err != nil {
		return false, 0, fmt.Errorf("store: rate limit: %w", err)
	}
	return false, time.Duration(max(tat+every-now-window, 0)) * time.Microsecond, nil
}

// PurgeRateLimits forgets keys whose limit has fully recovered, so the table holds only recent attempts.
func (s *Store) PurgeRateLimits(ctx context.Context) (int64, error) {
	res, err := s.db.NewRaw("DELETE FROM rate_limits WHERE tat < ?", s.now().UnixMicro()).Exec(ctx)
	if err != nil {
		return 0, fmt.Errorf("store: purge rate limits: %w", err)
	}
	return res.RowsAffected()
}

// SignInFailures is the failure record of one account key.
type SignInFailures struct {
	Failures    int
	LockedUntil time.Time // zero: not locked
}

// SignInLock returns the failure record of key (zero when there is none).
func (s *Store) SignInLock(ctx context.Context, key string) (SignInFailures, error) {
	var f struct {
		Failures    int        `bun:"failures"`
		LockedUntil *time.Time `bun:"locked_until"`
	}
	err := s.db.NewRaw("SELECT failures, locked_until FROM sign_in_failures WHERE key = ?", key).Scan(ctx, &f)
	if errors.Is(err, sql.ErrNoRows) {
		return SignInFailures{}, nil
	}
	if err != nil {
		return SignInFailures{}, fmt.Errorf("store: sign-in failures: %w", err)
	}
	out := SignInFailures{Failures: f.Failures}
	if f.LockedUntil != nil && f.LockedUntil.After(s.now()) {
		out.LockedUntil = *f.LockedUntil
	}
	return out, nil
}

// RecordSignInFailure counts one failed sign-in for key. Failures older than forget are forgotten first;
// lock says, for the new count, how long the account is then locked (0: not at all).
func (s *Store) RecordSignInFailure(ctx context.Context, key string, forget time.Duration, lock func(failures int) time.Duration) (SignInFailures, error) {
	var out SignInFailures
	err := s.inTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		now := s.now()
		var cur struct {
			Failures int       `bun:"failures"`
			LastAt   time.Time `bun:"last_at"`
		}
		q := "SELECT failures, last_at FROM sign_in_failures WHERE key = ?"
		if s.dialect == dialectPostgres {
			q += " FOR UPDATE"
		}
		err := tx.NewRaw(q, key).Scan(ctx, &cur)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return fmt.Errorf("store: sign-in failures: %w", err)
		case now.Sub(cur.LastAt) > forget:
			cur.Failures = 0
		}
		out.Failures = cur.Failures + 1
		var until *time.Time
		if d := lock(out.Failures); d > 0 {
			out.LockedUntil = now.Add(d)
			until = &out.LockedUntil
		}
		_, err = tx.NewRaw(`INSERT INTO sign_in_failures (key, failures, last_at, locked_until) VALUES (?, ?, ?, ?)
ON CONFLICT (key) DO UPDATE SET failures = EXCLUDED.failures, last_at = EXCLUDED.last_at, locked_until = EXCLUDED.locked_until`,
			key, out.Failures, now, until).Exec(ctx)
		if err != nil {
			return fmt.Errorf("store: record sign-in failure: %w", err)
		}
		return nil
	})
	return out, err
}

// ClearSignInFailures forgets the failures of key, after a successful sign-in.
func (s *Store) ClearSignInFailures(ctx context.Context, key string) error {
	if _, err := s.db.NewRaw("DELETE FROM sign_in_failures WHERE key = ?", key).Exec(ctx); err != nil {
		return fmt.Errorf("store: clear sign-in failures: %w", err)
	}
	return nil
}
