package store

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"
)

// MaxAPITokenName bounds an API token's name, in characters.
const MaxAPITokenName = 60

// apiTokenTouchEvery is how stale last_used_at may get: a busy integration does not write on every call.
const apiTokenTouchEvery = time.Minute

// APIToken is a provider's token for the session API. The token itself is shown once, when it is made;
// only its SHA-256 (TokenHash) is kept, with its last characters (Hint) to tell tokens apart.
type APIToken struct {
	bun.BaseModel `bun:"table:api_tokens,alias:at"`

	ID         string     `bun:"id,pk"`
	ProviderID string     `bun:"provider_id,notnull"`
	Name       string     `bun:"name,notnull"`
	TokenHash  string     `bun:"token_hash,notnull"`
	Hint       string     `bun:"hint,notnull"`
	CreatedBy  string     `bun:"created_by,nullzero"` // user id; "" once that user is deleted
	CreatedAt  time.Time  `bun:"created_at,notnull"`
	LastUsedAt *time.Time `bun:"last_used_at"`
	RevokedAt  *time.Time `bun:"revoked_at"`
	// CreatorName is the name of the user who made it, filled by APITokens.
	CreatorName string `bun:"creator_name,scanonly"`
}

// Revoked reports whether the token was revoked.
func (t APIToken) Revoked() bool { return t.RevokedAt != nil }

// ValidAPITokenName checks a token's name: 1 to MaxAPITokenName characters once trimmed.
func ValidAPITokenName(name string) error {
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > MaxAPITokenName {
		return fmt.Errorf("%w: a token's name has 1 to %d characters", ErrInvalidArgument, MaxAPITokenName)
	}
	return nil
}

// CreateAPIToken stores a new token of t.ProviderID made by t.CreatedBy (who must belong to it).
func (s *Store) CreateAPIToken(ctx context.Context, t APIToken) (APIToken, error) {
	t.Name = strings.TrimSpace(t.Name)
	if err := ValidAPITokenName(t.Name); err != nil {
		return APIToken{}, err
	}
	if t.ProviderID == "" || len(t.TokenHash) != 64 {
		return APIToken{}, fmt.Errorf("%w: a token needs a provider and a sha256 hash", ErrInvalidArgument)
	}
	if t.ID == "" {
		t.ID = NewID()
	}
	t.CreatedAt, t.LastUsedAt, t.RevokedAt = s.now(), nil, nil
	err := s.inTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if t.CreatedBy != "" {
			ok, err := tx.NewSelect().Model((*User)(nil)).Where("id = ? AND provider_id = ?", t.CreatedBy, t.ProviderID).Exists(ctx)
			if err != nil {
				return fmt.Errorf("store: check token creator: %w", err)
			}
			if !ok {
				return fmt.Errorf("token creator: %w", ErrNotFound)
			}
		}
		if _, err := tx.NewInsert().Model(&t).Exec(ctx); err != nil {
			return fmt.Errorf("store: insert api token: %w", err)
		}
		return nil
	})
	if err != nil {
		return APIToken{}, err
	}
	return t, nil
}

// APITokens lists a provider's tokens, revoked ones too, newest first.
func (s *Store) APITokens(ctx context.Context, providerID string) ([]APIToken, error) {
	var ts []APIToken
	err := s.db.NewSelect().Model(&ts).
		ColumnExpr("at.*").ColumnExpr("COALESCE(u.name, '') AS creator_name").
		Join("LEFT JOIN users AS u ON u.id = at.created_by").
		Where("at.provider_id = ?", providerID).
		OrderExpr("at.created_at DESC, at.id").Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: list api tokens: %w", err)
	}
	return ts, nil
}

// RevokeAPIToken revokes a provider's token; from this moment APITokenByHash does not find it.
// ErrNotFound for another provider's token or one already revoked.
func (s *Store) RevokeAPIToken(ctx context.Context, providerID, id string) (APIToken, error) {
	var t APIToken
	res, err := s.db.NewUpdate().Model(&t).Set("revoked_at = ?", s.now()).
		Where("id = ? AND provider_id = ? AND revoked_at IS NULL", id, providerID).Returning("*").Exec(ctx)
	if err != nil {
		return APIToken{}, fmt.Errorf("store: revoke api token: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return APIToken{}, fmt.Errorf("api token: %w", ErrNotFound)
	}
	return t, nil
}

// APITokenByHash returns the unrevoked token whose hash is given. Every API request looks its token up
// here, so a revocation holds on every instance at once.
func (s *Store) APITokenByHash(ctx context.Context, tokenHash string) (APIToken, error) {
	var t APIToken
	err := s.db.NewSelect().Model(&t).Where("token_hash = ? AND revoked_at IS NULL", tokenHash).Scan(ctx)
	if err != nil {
		return APIToken{}, notFound(err, "api token")
	}
	return t, nil
}

// TouchAPIToken records that the token was used now; at most one write a minute per token.
func (s *Store) TouchAPIToken(ctx context.Context, id string) error {
	now := s.now()
	_, err := s.db.NewUpdate().Model((*APIToken)(nil)).Set("last_used_at = ?", now).
		Where("id = ? AND (last_used_at IS NULL OR last_used_at < ?)", id, now.Add(-apiTokenTouchEvery)).Exec(ctx)
	if err != nil {
		return fmt.Errorf("store: touch api token: %w", err)
	}
	return nil
}
