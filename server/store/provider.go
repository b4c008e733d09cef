package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/uptrace/bun"
)

// Provider is a company giving support: the tenant every other row belongs to.
type Provider struct {
	bun.BaseModel `bun:"table:providers,alias:p"`

	ID string `bun:"id,pk"`
	// Name is the display name customers see (at most MaxProviderName characters).
	Name string `bun:"name,notnull"`
	// Slug is the provider's subdomain ({slug}.{base domain}, or /p/{slug}/ on one address): unique,
	// see ValidSubdomain.
	Slug      string    `bun:"slug,notnull"`
	CreatedAt time.Time `bun:"created_at,notnull"`
	// DisabledAt: the operator disabled the provider; its pages say so and nobody of it signs in.
	DisabledAt *time.Time `bun:"disabled_at"`
	// DefaultLanguage is the static/locales tag customers get when their browser asks for no language
	// Tether speaks; "" is English.
	DefaultLanguage string `bun:"default_language,notnull"`
	// Require2FA: everyone of the provider signs in with a second factor; those without one enrol first.
	Require2FA bool `bun:"require_2fa,notnull"`
	Policy     `bun:"embed:"`
	Brand      `bun:"embed:"`
	Quotas     `bun:"embed:"`
	Widget     `bun:"embed:"`
}

// Disabled reports whether the operator disabled the provider.
func (p Provider) Disabled() bool { return p.DisabledAt != nil }

// MaxProviderName bounds a provider's display name, in characters.
const MaxProviderName = 30

// Brand is everything the customer sees of a provider besides its name. Logo and icon are keys in the
// blob store ("" until uploaded); colours are "#rrggbb" ("" for Tether's own).
type Brand struct {
	LogoKey      string `bun:"logo_key,notnull"`
	IconKey      string `bun:"icon_key,notnull"`
	PrimaryColor string `bun:"primary_color,notnull"`
	AccentColor  string `bun:"accent_color,notnull"`
	// Contact is one line: phone, email, hours.
	Contact    string `bun:"contact,notnull"`
	BannerText string `bun:"banner_text,notnull"`
	BannerLink string `bun:"banner_link,notnull"`
	// Welcome is a short message on the invitation page.
	Welcome string `bun:"welcome,notnull"`
	// PatchIcon puts the icon into the downloaded Windows agent, which breaks its code signature.
	PatchIcon bool `bun:"patch_icon,notnull"`
	// UpdatedAt versions the brand's URLs (logo, icon, theme) so that caches see a change at once.
	UpdatedAt *time.Time `bun:"brand_updated_at"`
}

// Quotas are the operator's limits on a provider; 0 is no limit.
type Quotas struct {
	MaxEngineers int `bun:"max_engineers,notnull"` // active users of any role
	MaxSessions  int `bun:"max_sessions,notnull"`  // sessions not yet ended, waiting requests included
	MaxDesks     int `bun:"max_desks,notnull"`
}

// QuotaError says which quota a provider reached. errors.Is(err, ErrOverQuota) holds for it.
type QuotaError struct {
	What  string // "engineers", "concurrent sessions", "desks"
	Limit int
}

func (e *QuotaError) Error() string {
	return fmt.Sprintf("store: over quota: at most %d %s", e.Limit, e.What)
}

// Is makes errors.Is(err, ErrOverQuota) true.
func (e *QuotaError) Is(target error) bool { return target == ErrOverQuota }

// Message says the limit in words for the provider's people.
func (e *QuotaError) Message() string {
	return fmt.Sprintf("Your plan allows at most %d %s. Ask the operator of this server to raise the limit.", e.Limit, e.What)
}

// checkQuota returns a *QuotaError when the provider has limit or more of what the query counts.
func checkQuota(ctx context.Context, q *bun.SelectQuery, limit int, what string) error {
	if limit <= 0 {
		return nil
	}
	n, err := q.Count(ctx)
	if err != nil {
		return fmt.Errorf("store: count %s: %w", what, err)
	}
	if n >= int64(limit) {
		return &QuotaError{What: what, Limit: limit}
	}
	return nil
}

// providerQuotas reads a provider's quotas inside tx; ErrNotFound if it does not exist, ErrProviderDisabled
// if the operator disabled it.
func providerQuotas(ctx context.Context, tx bun.IDB, providerID string) (Quotas, error) {
	var p Provider
	if err := tx.NewSelect().Model(&p).Column("id", "disabled_at", "max_engineers", "max_sessions", "max_desks").
		Where("id = ?", providerID).Scan(ctx); err != nil {
		return Quotas{}, notFound(err, "provider")
	}
	if p.Disabled() {
		return Quotas{}, ErrProviderDisabled
	}
	return p.Quotas, nil
}

// ProviderBySlug returns the provider with this subdomain.
func (s *Store) ProviderBySlug(ctx context.Context, slug string) (Provider, error) {
	var p Provider
	if err := s.db.NewSelect().Model(&p).Where("slug = ?", strings.ToLower(slug)).Scan(ctx); err != nil {
		return Provider{}, notFound(err, "provider by slug")
	}
	return p, nil
}

// Subdomain bounds (ValidSubdomain).
const (
	MinSubdomain = 3
	MaxSubdomain = 25
)

// reservedSubdomains are names the server keeps for itself or that would mislead customers.
var reservedSubdomains = map[string]bool{
	"www": true, "admin": true, "api": true, "static": true, "app": true, "mail": true, "smtp": true,
	"ftp": true, "console": true, "login": true, "signup": true, "setup": true, "operator": true,
	"support": true, "help": true, "status": true, "docs": true, "blog": true, "cdn": true, "assets": true,
	"ws": true, "turn": true, "stun": true, "relay": true, "tether": true, "root": true, "system": true,
	"security": true, "billing": true, "auth": true, "sso": true, "dashboard": true, "portal": true,
	"metrics": true, "healthz": true, "readyz": true, "localhost": true, "test": true, "example": true,
}

// ValidSubdomain checks a subdomain as typed (already lowercased): 3 to 25 Latin letters, digits and
// inner hyphens, not reserved. The error says why, for the admin page.
func ValidSubdomain(sub string) error {
	if n := len(sub); n < MinSubdomain || n > MaxSubdomain {
		return fmt.Errorf("%w: the subdomain must have %d to %d characters", ErrInvalidArgument, MinSubdomain, MaxSubdomain)
	}
	for i := 0; i < len(sub); i++ {
		c := sub[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case c == '-' && i > 0 && i < len(sub)-1:
		case c == '-':
			return fmt.Errorf("%w: the subdomain cannot start or end with a hyphen", ErrInvalidArgument)
		default:
			return fmt.Errorf("%w: the subdomain may only have Latin letters, digits and hyphens", ErrInvalidArgument)
		}
	}
	if reservedSubdomains[sub] {
		return fmt.Errorf("%w: %q is reserved; choose another subdomain", ErrInvalidArgument, sub)
	}
	return nil
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
	var p Provider
	var u User
	err := s.inTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		p, u, err = s.insertProvider(ctx, tx, setup, providerName, ownerName, email, passwordHash)
		return err
	})
	if err != nil {
		return Provider{}, User{}, err
	}
	return p, u, nil
}

// insertProvider is createProvider inside the caller's transaction.
func (s *Store) insertProvider(ctx context.Context, tx bun.Tx, setup bool, providerName, ownerName, email, passwordHash string) (Provider, User, error) {
	providerName = strings.TrimSpace(providerName)
	if providerName == "" || utf8.RuneCountInString(providerName) > MaxProviderName {
		return Provider{}, User{}, fmt.Errorf("%w: the company name must have 1 to %d characters", ErrInvalidArgument, MaxProviderName)
	}
	now := s.now()
	p := Provider{ID: NewID(), Name: providerName, CreatedAt: now, Policy: DefaultPolicy()}
	u := User{
		ProviderID:   p.ID,
		Email:        email,
		Name:         ownerName,
		PasswordHash: passwordHash,
		Role:         RoleOwner,
		Operator:     setup,
	}
	desk := Desk{ID: NewID(), ProviderID: p.ID, Name: "Support", IsDefault: true, CreatedAt: now}
	// The installation row's primary key is what makes setup happen once: a second setup's insert
	// conflicts and rolls its whole transaction back. Other providers only make sure the row exists.
	ins := "INSERT INTO installation (id, set_up_at) VALUES (1, ?)"
	if !setup {
		ins += " ON CONFLICT (id) DO NOTHING"
	}
	if _, err := tx.NewRaw(ins, now).Exec(ctx); err != nil {
		if setup && uniqueViolation(err, "installation_pkey", "installation.id") {
			return Provider{}, User{}, ErrAlreadySetUp
		}
		return Provider{}, User{}, fmt.Errorf("store: mark installation set up: %w", err)
	}
	slug, err := uniqueSlug(ctx, tx, slugify(providerName))
	if err != nil {
		return Provider{}, User{}, err
	}
	p.Slug = slug
	// A new provider's subdomain is nobody's former one any more.
	if err := forgetFormerSubdomain(ctx, tx, slug); err != nil {
		return Provider{}, User{}, err
	}
	if _, err := tx.NewInsert().Model(&p).Exec(ctx); err != nil {
		return Provider{}, User{}, fmt.Errorf("store: insert provider: %w", err)
	}
	if _, err := tx.NewInsert().Model(&desk).Exec(ctx); err != nil {
		return Provider{}, User{}, fmt.Errorf("store: insert default desk: %w", err)
	}
	if u, err = s.insertUser(ctx, tx, u, desk.ID); err != nil {
		return Provider{}, User{}, err
	}
	return p, u, nil
}

// slugify keeps ASCII letters and digits, lowercased, joined by single dashes: a valid subdomain
// (ValidSubdomain) once uniqueSlug has made it unique and not reserved.
func slugify(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		if b.Len() >= MaxSubdomain-3 {
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
	switch {
	case slug == "":
		return "provider"
	case len(slug) < MinSubdomain:
		return slug + "-support"
	}
	return slug
}

func uniqueSlug(ctx context.Context, tx bun.Tx, base string) (string, error) {
	for i := 1; i < 1000; i++ {
		slug := base
		if i > 1 {
			slug = base + "-" + strconv.Itoa(i)
		}
		if ValidSubdomain(slug) != nil {
			continue
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

// SetProviderDisabled disables a provider (its portal says so, nobody of it signs in, its live sessions
// are to be ended by the caller) or enables it again.
func (s *Store) SetProviderDisabled(ctx context.Context, id string, disabled bool) error {
	var at *time.Time
	if disabled {
		now := s.now()
		at = &now
	}
	res, err := s.db.NewUpdate().Model((*Provider)(nil)).Set("disabled_at = ?", at).Where("id = ?", id).Exec(ctx)
	if err != nil {
		return fmt.Errorf("store: disable provider: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("store: disable provider: %w", err)
	} else if n == 0 {
		return fmt.Errorf("provider %q: %w", id, ErrNotFound)
	}
	return nil
}
