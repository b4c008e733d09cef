package store

import (
	"context"
	"fmt"
)

// Policy is how a provider's support sessions run, set by its owner and admins (Settings). Every
// instance reads it from the store when it needs it, so a change applies to the next decision anywhere.
type Policy struct {
	// SessionMaxMinutes ends an active session that long after the customer approved (both sides are
	// warned before; the customer may extend).
	SessionMaxMinutes int `bun:"session_max_minutes,notnull"`
	// IdleTimeoutMinutes ends a session with nobody using it that long; 0 turns it off.
	IdleTimeoutMinutes int `bun:"idle_timeout_minutes,notnull"`
	// Recording: the engineer's view of each session is recorded; the customer is told before consent.
	Recording bool `bun:"recording,notnull"`
	// RecordingRetentionDays is how long recordings are kept before a background job deletes them.
	RecordingRetentionDays int `bun:"recording_retention_days,notnull"`
	// FileMaxMB bounds one file sent either way in a session, in MiB.
	FileMaxMB int `bun:"file_max_mb,notnull"`
	// RequestTimeoutMinutes is how long a customer's request waits in its desk's queue before the
	// customer is told that nobody is free and the request ends.
	RequestTimeoutMinutes int `bun:"request_timeout_minutes,notnull"`
}

// Policy bounds: what the settings page accepts.
const (
	MaxSessionMinutes     = 24 * 60
	MaxIdleTimeoutMinutes = 24 * 60
	MaxRetentionDays      = 3650
	MaxFileMB             = 100 << 10 // 100 GiB
	DefaultSessionMinutes = 120
	DefaultIdleMinutes    = 30
	DefaultRetentionDays  = 30
	DefaultFileMB         = 2048
	MaxRequestMinutes     = 24 * 60
	DefaultRequestMinutes = 15
)

// DefaultPolicy is a new provider's policy (and the columns' defaults in the migration).
func DefaultPolicy() Policy {
	return Policy{
		SessionMaxMinutes:      DefaultSessionMinutes,
		IdleTimeoutMinutes:     DefaultIdleMinutes,
		RecordingRetentionDays: DefaultRetentionDays,
		FileMaxMB:              DefaultFileMB,
		RequestTimeoutMinutes:  DefaultRequestMinutes,
	}
}

// FileMaxBytes is FileMaxMB in bytes.
func (p Policy) FileMaxBytes() int64 { return int64(p.FileMaxMB) << 20 }

// Validate says which setting is out of bounds, in words for the settings page.
func (p Policy) Validate() error {
	switch {
	case p.SessionMaxMinutes < 5 || p.SessionMaxMinutes > MaxSessionMinutes:
		return fmt.Errorf("%w: the maximum session length must be between 5 minutes and %d hours", ErrInvalidArgument, MaxSessionMinutes/60)
	case p.IdleTimeoutMinutes < 0 || p.IdleTimeoutMinutes > MaxIdleTimeoutMinutes:
		return fmt.Errorf("%w: the idle timeout must be between 0 (off) and %d minutes", ErrInvalidArgument, MaxIdleTimeoutMinutes)
	case p.RecordingRetentionDays < 1 || p.RecordingRetentionDays > MaxRetentionDays:
		return fmt.Errorf("%w: recordings must be kept between 1 and %d days", ErrInvalidArgument, MaxRetentionDays)
	case p.FileMaxMB < 1 || p.FileMaxMB > MaxFileMB:
		return fmt.Errorf("%w: the file size limit must be between 1 MB and %d GB", ErrInvalidArgument, MaxFileMB>>10)
	case p.RequestTimeoutMinutes < 1 || p.RequestTimeoutMinutes > MaxRequestMinutes:
		return fmt.Errorf("%w: the wait for a free engineer must be between 1 minute and %d hours", ErrInvalidArgument, MaxRequestMinutes/60)
	}
	return nil
}

// SetPolicy changes a provider's session policy; ErrInvalidArgument (with the reason) when a setting is
// out of bounds, ErrNotFound for an unknown provider.
func (s *Store) SetPolicy(ctx context.Context, providerID string, p Policy) error {
	if err := p.Validate(); err != nil {
		return err
	}
	res, err := s.db.NewUpdate().Model((*Provider)(nil)).
		Set("session_max_minutes = ?", p.SessionMaxMinutes).
		Set("idle_timeout_minutes = ?", p.IdleTimeoutMinutes).
		Set("recording = ?", p.Recording).
		Set("recording_retention_days = ?", p.RecordingRetentionDays).
		Set("file_max_mb = ?", p.FileMaxMB).
		Set("request_timeout_minutes = ?", p.RequestTimeoutMinutes).
		Where("id = ?", providerID).
		Exec(ctx)
	if err != nil {
		return fmt.Errorf("store: set policy: %w", err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return fmt.Errorf("set policy: %w", ErrNotFound)
	}
	return nil
}
