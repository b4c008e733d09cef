package store

import (
	"context"
	"errors"
	"testing"
)

// TestSetDefaultLanguage: a provider's default customer language is stored, read back with the provider,
// touches no other provider, and an unknown provider is ErrNotFound.
func TestSetDefaultLanguage(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		if e.p.DefaultLanguage != "" {
			t.Fatalf("a new provider's default language is %q, want English (\"\")", e.p.DefaultLanguage)
		}
		other, _, err := e.s.CreateProviderWithOwner(ctx, "Other Co", "Olga", "olga@other.test", "hash")
		if err != nil {
			t.Fatal(err)
		}
		if err := e.s.SetDefaultLanguage(ctx, e.p.ID, "zh-Hans"); err != nil {
			t.Fatal(err)
		}
		if p, err := e.s.ProviderByID(ctx, e.p.ID); err != nil || p.DefaultLanguage != "zh-Hans" {
			t.Errorf("after setting zh-Hans: %q, %v", p.DefaultLanguage, err)
		}
		if p, err := e.s.ProviderBySlug(ctx, e.p.Slug); err != nil || p.DefaultLanguage != "zh-Hans" {
			t.Errorf("by slug: %q, %v", p.DefaultLanguage, err)
		}
		if p, err := e.s.ProviderByID(ctx, other.ID); err != nil || p.DefaultLanguage != "" {
			t.Errorf("the other provider's language changed: %q, %v", p.DefaultLanguage, err)
		}
		if err := e.s.SetDefaultLanguage(ctx, e.p.ID, ""); err != nil {
			t.Fatal(err)
		}
		if p, _ := e.s.ProviderByID(ctx, e.p.ID); p.DefaultLanguage != "" {
			t.Errorf("back to English: %q", p.DefaultLanguage)
		}
		if err := e.s.SetDefaultLanguage(ctx, "no-such-provider", "de"); !errors.Is(err, ErrNotFound) {
			t.Errorf("unknown provider: %v, want ErrNotFound", err)
		}
	})
}
