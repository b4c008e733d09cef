package store

import (
	"tether/server/protocol"
	"time"

	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/uptrace/bun"
)

// Bounds of a provider's brand texts, in characters.
const (
	MaxBrandContact = 120
	MaxBannerText   = 140
	MaxBannerLink   = 500
	MaxWelcome      = 400
)

// ErrSubdomainTaken: another provider has the subdomain.
var ErrSubdomainTaken = errors.New("store: subdomain taken")

// ValidColor checks a brand colour: "" (Tether's own) or "#rrggbb" in lowercase hexadecimal, which is how
// the branding page's colour inputs send it. Only such colours ever reach a style sheet.
func ValidColor(c string) bool {
	return c == "" || protocol.ValidColor(c)
}

// Validate says what of the brand is not acceptable, in words for the branding page.
func (b Brand) Validate() error {
	for _, c := range []struct{ label, v string }{{"primary colour", b.PrimaryColor}, {"accent colour", b.AccentColor}} {
		if !ValidColor(c.v) {
			return fmt.Errorf("%w: the %s must be a colour written #rrggbb, like #2457d6", ErrInvalidArgument, c.label)
		}
	}
	for _, t := range []struct {
		label, v string
		max      int
		lines    bool
	}{
		{"contact line", b.Contact, MaxBrandContact, false},
		{"banner text", b.BannerText, MaxBannerText, false},
		{"welcome message", b.Welcome, MaxWelcome, true},
	} {
		if n := utf8.RuneCountInString(t.v); n > t.max {
			return fmt.Errorf("%w: the %s has %d characters; at most %d are allowed", ErrInvalidArgument, t.label, n, t.max)
		}
		if !utf8.ValidString(t.v) || strings.IndexFunc(t.v, func(r rune) bool { return unicode.IsControl(r) && !(t.lines && (r == '\n' || r == '\r')) }) >= 0 {
			return fmt.Errorf("%w: the %s has control characters", ErrInvalidArgument, t.label)
		}
	}
	if b.BannerLink != "" {
		if len(b.BannerLink) > MaxBannerLink {
			return fmt.Errorf("%w: the banner link is longer than %d characters", ErrInvalidArgument, MaxBannerLink)
		}
		u, err := url.Parse(b.BannerLink)
		if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || strings.ContainsAny(b.BannerLink, " \t\r\n") {
			return fmt.Errorf("%w: the banner link must be a web address starting with https://", ErrInvalidArgument)
		}
		if b.BannerText == "" {
			return fmt.Errorf("%w: a banner link needs a banner text to show", ErrInvalidArgument)
		}
	}
	return nil
}

// BrandChange is what the branding page saves: the display name, the subdomain and the brand.
type BrandChange struct {
	Name  string
	Slug  string
	Brand Brand
}

// SetBrand saves a provider's display name, subdomain and brand at once, and versions the brand anew
// (Brand.UpdatedAt), so that every cached logo, icon and theme is asked for again. The name is trimmed, the
// subdomain trimmed and lowercased; ErrInvalidArgument says what is wrong, ErrSubdomainTaken (which is
// also ErrInvalidArgument) that another provider has the subdomain. Nothing is saved on an error.
func (s *Store) SetBrand(ctx context.Context, providerID string, ch BrandChange) (Provider, error) {
	ch.Name = strings.TrimSpace(ch.Name)
	ch.Slug = strings.ToLower(strings.TrimSpace(ch.Slug))
	if ch.Name == "" || utf8.RuneCountInString(ch.Name) > MaxProviderName {
		return Provider{}, fmt.Errorf("%w: the display name must have 1 to %d characters", ErrInvalidArgument, MaxProviderName)
	}
	if strings.IndexFunc(ch.Name, unicode.IsControl) >= 0 {
		return Provider{}, fmt.Errorf("%w: the display name has control characters", ErrInvalidArgument)
	}
	if err := ValidSubdomain(ch.Slug); err != nil {
		return Provider{}, err
	}
	if err := ch.Brand.Validate(); err != nil {
		return Provider{}, err
	}
	now := s.now()
	ch.Brand.UpdatedAt = &now
	taken := fmt.Errorf("%w: %w: the subdomain %q is taken by another provider; choose another", ErrInvalidArgument, ErrSubdomainTaken, ch.Slug)
	var p Provider
	err := s.inTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		other, err := tx.NewSelect().Model((*Provider)(nil)).Where("slug = ? AND id <> ?", ch.Slug, providerID).Exists(ctx)
		if err != nil {
			return fmt.Errorf("store: check subdomain: %w", err)
		}
		if other {
			return taken
		}
		var old string
		if err := tx.NewSelect().Model((*Provider)(nil)).Column("slug").Where("id = ?", providerID).Scan(ctx, &old); err != nil {
			return notFound(err, "provider")
		}
		if old != ch.Slug {
			if err := renameSubdomain(ctx, tx, providerID, old, ch.Slug, now); err != nil {
				return err
			}
		}
		p = Provider{ID: providerID, Name: ch.Name, Slug: ch.Slug, Brand: ch.Brand}
		res, err := tx.NewUpdate().Model(&p).
			Column("name", "slug", "logo_key", "icon_key", "primary_color", "accent_color", "contact", "banner_text",
				"banner_link", "welcome", "patch_icon", "brand_updated_at").
			WherePK().Exec(ctx)
		if uniqueViolation(err, "providers_slug_uidx", "providers.slug") {
			return taken
		}
		if err != nil {
			return fmt.Errorf("store: save brand: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("store: save brand: %w", err)
		} else if n == 0 {
			return fmt.Errorf("provider %q: %w", providerID, ErrNotFound)
		}
		return tx.NewSelect().Model(&p).WherePK().Scan(ctx)
	})
	if err != nil {
		return Provider{}, err
	}
	return p, nil
}

// FormerSubdomain is a subdomain a provider had before a rename.
type FormerSubdomain struct {
	bun.BaseModel `bun:"table:former_subdomains,alias:fs"`

	Slug       string    `bun:"slug,pk"`
	ProviderID string    `bun:"provider_id,notnull"`
	RenamedAt  time.Time `bun:"renamed_at,notnull"`
}

// renameSubdomain remembers old as the provider's former subdomain, so that links made with it still lead
// to the provider, and forgets new as anyone's former one: a current subdomain always wins.
func renameSubdomain(ctx context.Context, tx bun.Tx, providerID, old, new string, at time.Time) error {
	if err := forgetFormerSubdomain(ctx, tx, new); err != nil {
		return err
	}
	f := FormerSubdomain{Slug: old, ProviderID: providerID, RenamedAt: at}
	if _, err := tx.NewInsert().Model(&f).On("CONFLICT (slug) DO UPDATE").
		Set("provider_id = EXCLUDED.provider_id, renamed_at = EXCLUDED.renamed_at").Exec(ctx); err != nil {
		return fmt.Errorf("store: remember former subdomain: %w", err)
	}
	return nil
}

func forgetFormerSubdomain(ctx context.Context, tx bun.IDB, slug string) error {
	if _, err := tx.NewDelete().Model((*FormerSubdomain)(nil)).Where("slug = ?", slug).Exec(ctx); err != nil {
		return fmt.Errorf("store: forget former subdomain: %w", err)
	}
	return nil
}

// ProviderByFormerSlug returns the provider that had this subdomain before renaming, if no provider has
// it now.
func (s *Store) ProviderByFormerSlug(ctx context.Context, slug string) (Provider, error) {
	var p Provider
	err := s.db.NewSelect().Model(&p).
		Join("JOIN former_subdomains AS fs ON fs.provider_id = p.id").
		Where("fs.slug = ?", strings.ToLower(slug)).Scan(ctx)
	if err != nil {
		return Provider{}, notFound(err, "provider by former subdomain")
	}
	return p, nil
}
