package store

import (
	"context"
	"errors"
	"testing"
)

func TestCreateProviderWithOwner(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		if ok, err := e.s.HasProvider(ctx); err != nil || !ok {
			t.Fatalf("HasProvider() = %v, %v; want true", ok, err)
		}
		if e.p.Slug != "acme-support" || e.p.Name != "Acme Support" || !e.p.CreatedAt.Equal(e.clock.Now()) {
			t.Errorf("provider = %+v", e.p)
		}
		if e.owner.Role != RoleOwner || e.owner.ProviderID != e.p.ID || e.owner.Email != "ada@acme.test" {
			t.Errorf("owner = %+v", e.owner)
		}
		if e.desk.Name != "Support" || !e.desk.IsDefault || e.desk.ProviderID != e.p.ID {
			t.Errorf("default desk = %+v", e.desk)
		}
		got, err := e.s.ProviderByID(ctx, e.p.ID)
		if err != nil || got.ID != e.p.ID || got.Slug != e.p.Slug || !got.CreatedAt.Equal(e.p.CreatedAt) {
			t.Errorf("ProviderByID() = %+v, %v; want %+v", got, err, e.p)
		}
		var members int64
		members, err = e.s.db.NewSelect().Model((*DeskMember)(nil)).
			Where("desk_id = ? AND user_id = ?", e.desk.ID, e.owner.ID).Count(ctx)
		if err != nil || members != 1 {
			t.Errorf("owner membership of default desk: count %d, %v; want 1", members, err)
		}

		tests := []struct {
			name, provider, email string
			wantSlug              string
			wantErr               error
		}{
			{name: "same name gets a new slug", provider: "Acme Support", email: "bob@acme2.test", wantSlug: "acme-support-2"},
			{name: "and again", provider: "ACME support!", email: "cy@acme3.test", wantSlug: "acme-support-3"},
			// A person who works for two providers has an account with each.
			{name: "an email of another provider", provider: "Dup", email: " ADA@Acme.Test ", wantSlug: "dup"},
			{name: "name too long", provider: "A company name far longer than thirty", email: "z@long.test", wantErr: ErrInvalidArgument},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				p, _, err := e.s.CreateProviderWithOwner(ctx, tt.provider, "Someone", tt.email, "h")
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("CreateProviderWithOwner error = %v, want %v", err, tt.wantErr)
				}
				if p.Slug != tt.wantSlug {
					t.Errorf("slug = %q, want %q", p.Slug, tt.wantSlug)
				}
			})
		}
		if n, err := e.s.db.NewSelect().Model((*User)(nil)).Where("email = ?", "ada@acme.test").Count(ctx); err != nil || n != 2 {
			t.Errorf("accounts of ada@acme.test = %d, %v; want 2, one per provider", n, err)
		}
		if _, err := e.s.ProviderByID(ctx, "nope"); !errors.Is(err, ErrNotFound) {
			t.Errorf("ProviderByID(nope) error = %v, want ErrNotFound", err)
		}
	})
}

func TestDefaultDeskIsUnique(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		second := Desk{ID: NewID(), ProviderID: e.p.ID, Name: "Second", IsDefault: true, CreatedAt: e.clock.Now()}
		if _, err := e.s.db.NewInsert().Model(&second).Exec(ctx); err == nil {
			t.Fatal("inserting a second default desk succeeded, want a unique violation")
		}
		other := Desk{ID: NewID(), ProviderID: e.p.ID, Name: "Billing", CreatedAt: e.clock.Now()}
		if _, err := e.s.db.NewInsert().Model(&other).Exec(ctx); err != nil {
			t.Fatalf("inserting a non-default desk: %v", err)
		}
		if _, err := e.s.DefaultDesk(ctx, "nope"); !errors.Is(err, ErrNotFound) {
			t.Errorf("DefaultDesk(nope) error = %v, want ErrNotFound", err)
		}
	})
}
