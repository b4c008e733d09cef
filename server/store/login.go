package store

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// Login is a browser sign-in session. Only the hex sha256 of the cookie token is stored.
type Login struct {
	bun.BaseModel `bun:"table:logins,alias:l"`

	TokenHash string    `bun:"token_hash,pk"`
	UserID    string    `bun:"user_id,notnull"`
	CreatedAt time.Time `bun:"created_at,notnull"`
	ExpiresAt time.Time `bun:"expires_at,notnull"`
	// UserAgent and Address are where the sign-in was made from, LastSeenAt when it was last used (at
	// most every few minutes): the profile's "Active sign-ins".
	UserAgent  string     `bun:"user_agent,notnull"`
	Address    string     `bun:"address,notnull"`
	LastSeenAt *time.Time `bun:"last_seen_at"`
}

// CreateLogin records a sign-in for userID until expires.
func (s *Store) CreateLogin(ctx context.Context, tokenHash, userID string, expires time.Time) error {
	if tokenHash == "" || userID == "" {
		return fmt.Errorf("%w: login needs a token hash and a user", ErrInvalidArgument)
	}
	l := Login{TokenHash: tokenHash, UserID: userID, CreatedAt: s.now(), ExpiresAt: utc(expires)}
	return s.inTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewInsert().Model(&l).Exec(ctx); err != nil {
			return fmt.Errorf("store: insert login: %w", err)
		}
		if _, err := tx.NewUpdate().Model((*User)(nil)).Set("last_sign_in_at = ?", l.CreatedAt).Where("id = ?", userID).Exec(ctx); err != nil {
			return fmt.Errorf("store: note sign-in: %w", err)
		}
		return nil
	})
}

// LoginUser returns the user signed in with tokenHash and when that sign-in expires; ErrNotFound if there
// is no such login, it expired, or the user was deactivated.
func (s *Store) LoginUser(ctx context.Context, tokenHash string) (User, time.Time, error) {
	var row struct {
		User
		LoginExpires time.Time `bun:"login_expires"`
	}
	err := s.db.NewSelect().Model(&row.User).
		ColumnExpr("u.*").ColumnExpr("l.expires_at AS login_expires").
		Join("JOIN logins AS l ON l.user_id = u.id").
		Where("l.token_hash = ? AND l.expires_at > ? AND u.disabled_at IS NULL", tokenHash, s.now()).
		Scan(ctx, &row)
	if err != nil {
		return User{}, time.Time{}, notFound(err, "login")
	}
	return row.User, row.LoginExpires, nil
}

// DeleteLogin signs a login out. Deleting a missing login is not an error.
func (s *Store) DeleteLogin(ctx context.Context, tokenHash string) error {
	if _, err := s.db.NewDelete().Model((*Login)(nil)).Where("token_hash = ?", tokenHash).Exec(ctx); err != nil {
		return fmt.Errorf("store: delete login: %w", err)
	}
	return nil
}

// PurgeExpiredLogins deletes logins past their expiry and reports how many went.
func (s *Store) PurgeExpiredLogins(ctx context.Context) (int64, error) {
	res, err := s.db.NewDelete().Model((*Login)(nil)).Where("expires_at <= ?", s.now()).Exec(ctx)
	if err != nil {
		return 0, fmt.Errorf("store: purge logins: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("store: purge logins: %w", err)
	}
	return n, nil
}
