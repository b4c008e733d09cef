package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"tether/server/protocol"
)

// NotifyPrefs is what an engineer chose to be told about: per notification kind (protocol.NotifyKinds),
// a desktop notification and a sound. Nothing is chosen until they opt in.
type NotifyPrefs struct {
	Desktop map[string]bool
	Sound   map[string]bool
}

// NotifyColumns are the users columns behind NotifyPrefs: each a comma-separated list of kinds.
type NotifyColumns struct {
	NotifyDesktop string `bun:"notify_desktop,notnull"`
	NotifySound   string `bun:"notify_sound,notnull"`
}

// notifyRow reads and writes the preference columns of users.
type notifyRow struct {
	bun.BaseModel `bun:"table:users,alias:u"`

	ID         string `bun:"id,pk"`
	ProviderID string `bun:"provider_id,notnull"`
	Desktop    string `bun:"notify_desktop,notnull"`
	Sound      string `bun:"notify_sound,notnull"`
}

// NotifyPrefs returns a user's notification choices; ErrNotFound if the user is not the provider's.
func (s *Store) NotifyPrefs(ctx context.Context, providerID, userID string) (NotifyPrefs, error) {
	var row notifyRow
	err := s.db.NewSelect().Model(&row).Where("id = ? AND provider_id = ?", userID, providerID).Scan(ctx)
	if err != nil {
		return NotifyPrefs{}, notFound(err, "notification preferences")
	}
	return NotifyPrefs{Desktop: kindSet(row.Desktop), Sound: kindSet(row.Sound)}, nil
}

// SetNotifyPrefs saves a user's notification choices. A kind that is not one of protocol.NotifyKinds
// gets ErrInvalidArgument and saves nothing; ErrNotFound if the user is not the provider's.
func (s *Store) SetNotifyPrefs(ctx context.Context, providerID, userID string, p NotifyPrefs) error {
	desktop, err := kindList(p.Desktop)
	if err != nil {
		return err
	}
	sound, err := kindList(p.Sound)
	if err != nil {
		return err
	}
	n, err := affected(ctx, s.db.NewUpdate().Model((*notifyRow)(nil)).
		Set("notify_desktop = ?", desktop).
		Set("notify_sound = ?", sound).
		Where("id = ? AND provider_id = ?", userID, providerID))
	if err != nil {
		return fmt.Errorf("store: save notification preferences: %w", err)
	}
	if n == 0 {
		return fmt.Errorf("notification preferences: %w", ErrNotFound)
	}
	return nil
}

// kindSet reads a stored list; a kind no longer known is left out.
func kindSet(list string) map[string]bool {
	out := map[string]bool{}
	for _, k := range strings.Split(list, ",") {
		if protocol.ValidNotifyKind(k) {
			out[k] = true
		}
	}
	return out
}

// kindList writes the chosen kinds in protocol.NotifyKinds' order.
func kindList(set map[string]bool) (string, error) {
	for k := range set {
		if !protocol.ValidNotifyKind(k) {
			return "", fmt.Errorf("%w: unknown notification kind %q", ErrInvalidArgument, k)
		}
	}
	var kinds []string
	for _, k := range protocol.NotifyKinds {
		if set[k] {
			kinds = append(kinds, k)
		}
	}
	return strings.Join(kinds, ","), nil
}

// TakenRequest is a request another engineer accepted (ConsoleWatch).
type TakenRequest struct {
	SessionID    string `bun:"id"`
	CustomerName string `bun:"customer_name"`
	Engineer     string `bun:"engineer"`
}

// ConsoleWatch returns what a console snapshot needs besides the waiting requests: the user's own
// sessions that are live or ended since since, newest first, and the requests of deskIDs (every desk
// when nil) that another engineer accepted since since.
func (s *Store) ConsoleWatch(ctx context.Context, providerID, userID string, deskIDs []string, since time.Time) ([]Session, []TakenRequest, error) {
	since = utc(since)
	mine := []Session{}
	err := s.db.NewSelect().Model(&mine).
		Where("provider_id = ? AND engineer_id = ?", providerID, userID).
		Where("(state <> ? OR ended_at >= ?)", StateEnded, since).
		OrderExpr("created_at DESC, id DESC").
		Scan(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("store: console sessions: %w", err)
	}
	taken := []TakenRequest{}
	if deskIDs != nil && len(deskIDs) == 0 {
		return mine, taken, nil
	}
	q := s.db.NewSelect().TableExpr("support_sessions AS ss").
		Join("JOIN users AS u ON u.id = ss.engineer_id").
		ColumnExpr("ss.id, ss.customer_name, u.name AS engineer").
		Where("ss.provider_id = ? AND ss.engineer_id <> ? AND ss.accepted_at >= ?", providerID, userID, since).
		OrderExpr("ss.accepted_at, ss.id")
	if deskIDs != nil {
		q = q.Where("ss.desk_id IN (?)", bun.List(deskIDs))
	}
	if err := q.Scan(ctx, &taken); err != nil {
		return nil, nil, fmt.Errorf("store: taken requests: %w", err)
	}
	return mine, taken, nil
}
