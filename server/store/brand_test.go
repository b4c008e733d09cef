package store

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestValidColor(t *testing.T) {
	for c, want := range map[string]bool{
		"": true, "#2457d6": true, "#000000": true, "#abcdef": true,
		"#ABCDEF": false, "2457d6": false, "#2457d": false, "#2457d6f": false, "#24g7d6": false,
		"red": false, "#fff": false, "#2457d6;}body{x": false, "rgb(1,2,3)": false,
	} {
		if got := ValidColor(c); got != want {
			t.Errorf("ValidColor(%q) = %v, want %v", c, got, want)
		}
	}
}

func TestBrandValidate(t *testing.T) {
	ok := Brand{PrimaryColor: "#112233", AccentColor: "#445566", Contact: "+1 555 0100 · help@acme.test · 9–17",
		BannerText: "New: weekend support", BannerLink: "https://acme.test/news", Welcome: "Hello!\nWe are here to help."}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		b    func(b *Brand)
		want string
	}{
		"bad primary":         {func(b *Brand) { b.PrimaryColor = "#12345" }, "primary colour"},
		"bad accent":          {func(b *Brand) { b.AccentColor = "blue" }, "accent colour"},
		"long contact":        {func(b *Brand) { b.Contact = strings.Repeat("x", MaxBrandContact+1) }, "at most 120"},
		"long banner":         {func(b *Brand) { b.BannerText = strings.Repeat("x", MaxBannerText+1) }, "at most 140"},
		"long welcome":        {func(b *Brand) { b.Welcome = strings.Repeat("é", MaxWelcome+1) }, "at most 400"},
		"control in contact":  {func(b *Brand) { b.Contact = "a\nb" }, "control characters"},
		"http link":           {func(b *Brand) { b.BannerLink = "http://acme.test/" }, "https://"},
		"javascript link":     {func(b *Brand) { b.BannerLink = "javascript:alert(1)" }, "https://"},
		"link with a user":    {func(b *Brand) { b.BannerLink = "https://user:pw@acme.test/" }, "https://"},
		"link without a host": {func(b *Brand) { b.BannerLink = "https:///x" }, "https://"},
		"link without a text": {func(b *Brand) { b.BannerText = "" }, "needs a banner text"},
	} {
		t.Run(name, func(t *testing.T) {
			b := ok
			tc.b(&b)
			err := b.Validate()
			if !errors.Is(err, ErrInvalidArgument) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Validate() = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestSetBrand(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		other, _, err := e.s.CreateProviderWithOwner(ctx, "Globex", "Gil", "gil@globex.test", "h")
		if err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(time.Minute)
		b := Brand{LogoKey: "brand/x/logo.png", IconKey: "brand/x/icon.ico", PrimaryColor: "#112233", AccentColor: "#445566",
			Contact: "help@acme.test", BannerText: "Hi", BannerLink: "https://acme.test/", Welcome: "Welcome", PatchIcon: true}
		p, err := e.s.SetBrand(ctx, e.p.ID, BrandChange{Name: "  Acme  ", Slug: " ACME ", Brand: b})
		if err != nil {
			t.Fatal(err)
		}
		if p.Name != "Acme" || p.Slug != "acme" || p.UpdatedAt == nil || !p.UpdatedAt.Equal(e.clock.Now()) {
			t.Fatalf("provider %+v", p)
		}
		got, err := e.s.ProviderBySlug(ctx, "acme")
		b.UpdatedAt = got.UpdatedAt
		if err != nil || got.ID != e.p.ID || got.Brand != b || got.Policy != e.p.Policy {
			t.Fatalf("ProviderBySlug = %+v, %v", got, err)
		}
		// The old subdomain is free again.
		if _, err := e.s.ProviderBySlug(ctx, e.p.Slug); !errors.Is(err, ErrNotFound) {
			t.Fatalf("old slug: %v", err)
		}
		for name, tc := range map[string]struct {
			ch   BrandChange
			want error
			msg  string
		}{
			"taken":          {BrandChange{Name: "Acme", Slug: other.Slug}, ErrSubdomainTaken, "is taken"},
			"reserved":       {BrandChange{Name: "Acme", Slug: "admin"}, ErrInvalidArgument, "reserved"},
			"too short":      {BrandChange{Name: "Acme", Slug: "ac"}, ErrInvalidArgument, "3 to 25"},
			"bad characters": {BrandChange{Name: "Acme", Slug: "acme_it"}, ErrInvalidArgument, "Latin letters"},
			"no name":        {BrandChange{Name: "  ", Slug: "acme"}, ErrInvalidArgument, "display name"},
			"long name":      {BrandChange{Name: strings.Repeat("n", MaxProviderName+1), Slug: "acme"}, ErrInvalidArgument, "display name"},
			"bad colour":     {BrandChange{Name: "Acme", Slug: "acme", Brand: Brand{PrimaryColor: "#zzzzzz"}}, ErrInvalidArgument, "colour"},
		} {
			t.Run(name, func(t *testing.T) {
				_, err := e.s.SetBrand(ctx, e.p.ID, tc.ch)
				if !errors.Is(err, tc.want) || !errors.Is(err, ErrInvalidArgument) || !strings.Contains(err.Error(), tc.msg) {
					t.Fatalf("SetBrand = %v, want %v %q", err, tc.want, tc.msg)
				}
				// Nothing was saved.
				now, _ := e.s.ProviderByID(ctx, e.p.ID)
				saved := got.Brand
				saved.UpdatedAt = now.UpdatedAt
				if now.Slug != "acme" || now.Brand != saved || now.Name != "Acme" || !now.UpdatedAt.Equal(*got.UpdatedAt) {
					t.Fatalf("changed by a refused save: %+v", now)
				}
			})
		}
		if _, err := e.s.SetBrand(ctx, "nope", BrandChange{Name: "X", Slug: "xyz"}); !errors.Is(err, ErrNotFound) {
			t.Fatalf("unknown provider: %v", err)
		}
	})
}
