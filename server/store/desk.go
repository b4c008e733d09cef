package store

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// Desk is a support queue of a provider. Every provider has exactly one default desk.
type Desk struct {
	bun.BaseModel `bun:"table:desks,alias:d"`

	ID         string    `bun:"id,pk"`
	ProviderID string    `bun:"provider_id,notnull"`
	Name       string    `bun:"name,notnull"`
	IsDefault  bool      `bun:"is_default,notnull"`
	CreatedAt  time.Time `bun:"created_at,notnull"`
}

// DeskMember makes a user part of a desk.
type DeskMember struct {
	bun.BaseModel `bun:"table:desk_members,alias:dm"`

	DeskID string `bun:"desk_id,pk"`
	UserID string `bun:"user_id,pk"`
}

// DefaultDesk returns the provider's default desk.
func (s *Store) DefaultDesk(ctx context.Context, providerID string) (Desk, error) {
	var d Desk
	err := s.db.NewSelect().Model(&d).Where("provider_id = ? AND is_default = ?", providerID, true).Scan(ctx)
	if err != nil {
		return Desk{}, notFound(err, "default desk")
	}
	return d, nil
}

// addDeskMember adds userID to deskID after checking the desk belongs to providerID.
func addDeskMember(ctx context.Context, tx bun.Tx, providerID, deskID, userID string) error {
	ok, err := tx.NewSelect().Model((*Desk)(nil)).Where("id = ? AND provider_id = ?", deskID, providerID).Exists(ctx)
	if err != nil {
		return fmt.Errorf("store: check desk: %w", err)
	}
	if !ok {
		return fmt.Errorf("desk %q: %w", deskID, ErrNotFound)
	}
	m := DeskMember{DeskID: deskID, UserID: userID}
	if _, err := tx.NewInsert().Model(&m).On("CONFLICT DO NOTHING").Exec(ctx); err != nil {
		return fmt.Errorf("store: insert desk member: %w", err)
	}
	return nil
}
