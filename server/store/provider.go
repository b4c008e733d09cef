package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/uptrace/bun"
)

// Provider is a company giving support: the tenant every other row belongs to.
type Provider struct {
	bun.BaseModel `bun:"table:providers,alias:p"`

	ID        string    `bun:"id,pk"`
	Name      string    `bun:"name,notnull"`
	Slug      string    `bun:"slug,notnull"` // unique; the future subdomain
	CreatedAt time.Time `bun:"created_at,notnull"`
	Policy    `bun:"embed:"`
}

// HasProvider reports whether setup has run, i.e. any provider exists.
func (s *Store) HasProvider(ctx context.Context) (bool, error) {
	ok, err := s.db.NewSelect().Model((*Provider)(nil)).Exists(ctx)
	if err != nil {
		return false, fmt.Errorf("store: has provider: %w", err)
	}
	return ok, nil
}

// ProviderByID returns one provider.
func (s *Store) ProviderByID(ctx context.Context, id string) (Provider, error) {
	var p Provider
	if err := s.db.NewSelect().Model(&p).Where("id = ?", id).Scan(ctx); err != nil {
		return Provider{}, notFound(err, "provider by id")
	}
	return p, nil
}

// SetUp is the one-time setup: in one transaction it marks the installation as set up and creates the
// first provider with its owner (see CreateProviderWithOwner). It succeeds once per database, however many
// requests race to it (from any number of instances); the others get ErrAlreadySetUp and change nothing.
func (s *Store) SetUp(ctx context.Context, providerName, ownerName, email, passwordHash string) (Provider, User, error) {
	return s.createProvider(ctx, true, providerName, ownerName, email, passwordHash)
}

// CreateProviderWithOwner creates, in one transaction, a provider (slug derived from its name and made
// unique), its owner, the default desk "Support" and the owner's membership of it. The email is stored
// trimmed and lowercased; ErrEmailTaken if a user already has it.
func (s *Store) CreateProviderWithOwner(ctx context.Context, providerName, ownerName, email, passwordHash string) (Provider, User, error) {
	return s.createProvider(ctx, false, providerName, ownerName, email, passwordHash)
}

func (s *Store) createProvider(ctx context.Context, setup bool, providerName, ownerName, email, passwordHash string) (Provider, User, error) {
	providerName = strings.TrimSpace(providerName)
	if providerName == "" {
		return Provider{}, User{}, fmt.Errorf("%w: empty provider name", ErrInvalidArgument)
	}
	now := s.now()
	p := Provider{ID: NewID(), Name: providerName, CreatedAt: now, Policy: DefaultPolicy()}
	u := User{
		ProviderID:   p.ID,
		Email:        email,
		Name:         ownerName,
		PasswordHash: passwordHash,
		Role:         RoleOwner,
	}
	desk := Desk{ID: NewID(), ProviderID: p.ID, Name: "Support", IsDefault: true, CreatedAt: now}
	err := s.inTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		// The installation row's primary key is what makes setup happen once: a second setup's insert
		// conflicts and rolls its whole transaction back. Other providers only make sure the row exists.
		ins := "INSERT INTO installation (id, set_up_at) VALUES (1, ?)"
		if !setup {
			ins += " ON CONFLICT (id) DO NOTHING"
		}
		if _, err := tx.NewRaw(ins, now).Exec(ctx); err != nil {
			if setup && uniqueViolation(err, "installation_pkey", "installation.id") {
				return ErrAlreadySetUp
			}
			return fmt.Errorf("store: mark installation set up: %w", err)
		}
		slug, err := uniqueSlug(ctx, tx, slugify(providerName))
		if err != nil {
			return err
		}
		p.Slug = slug
		if _, err := tx.NewInsert().Model(&p).Exec(ctx); err != nil {
			return fmt.Errorf("store: insert provider: %w", err)
		}
		if _, err := tx.NewInsert().Model(&desk).Exec(ctx); err != nil {
			return fmt.Errorf("store: insert default desk: %w", err)
		}
		u, err = s.insertUser(ctx, tx, u, desk.ID)
		return err
	})
	if err != nil {
		return Provider{}, User{}, err
	}
	return p, u, nil
}

// slugify keeps ASCII letters and digits, lowercased, joined by single dashes, at most 40 characters: a
// valid DNS label.
func slugify(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		if b.Len() >= 40 {
			break
		}
		switch {
		case r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
		default:
			dash = true
		}
	}
	slug := strings.Trim(b.String(), "-")
	if slug == "" {
		return "provider"
	}
	return slug
}

func uniqueSlug(ctx context.Context, tx bun.Tx, base string) (string, error) {
	for i := 1; i < 1000; i++ {
		slug := base
		if i > 1 {
			slug = base + "-" + strconv.Itoa(i)
		}
		taken, err := tx.NewSelect().Model((*Provider)(nil)).Where("slug = ?", slug).Exists(ctx)
		if err != nil {
			return "", fmt.Errorf("store: check slug: %w", err)
		}
		if !taken {
			return slug, nil
		}
	}
	return "", fmt.Errorf("%w: no free slug for %q", ErrInvalidArgument, base)
}
