package store

import (
	"context"
	"errors"
	"testing"
)

func TestUsers(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		other, otherOwner, otherDesk := e.otherProvider(t)

		tests := []struct {
			name    string
			user    User
			desks   []string
			wantErr error
		}{
			{name: "engineer in default desk", user: User{ProviderID: e.p.ID, Email: "  Eve@Acme.TEST", Name: "Eve", PasswordHash: "h"}, desks: []string{e.desk.ID}},
			{name: "admin without desk", user: User{ProviderID: e.p.ID, Email: "al@acme.test", Name: "Al", Role: RoleAdmin}},
			{name: "email differs only in case", user: User{ProviderID: e.p.ID, Email: "EVE@acme.test"}, wantErr: ErrEmailTaken},
			{name: "email of another provider's account", user: User{ProviderID: other.ID, Email: "eve@ACME.test", Name: "Eve at Other"}},
			{name: "desk of another provider", user: User{ProviderID: e.p.ID, Email: "x@acme.test"}, desks: []string{otherDesk.ID}, wantErr: ErrNotFound},
			{name: "unknown provider", user: User{ProviderID: "nope", Email: "y@acme.test"}, wantErr: ErrNotFound},
			{name: "bad role", user: User{ProviderID: e.p.ID, Email: "z@acme.test", Role: "root"}, wantErr: ErrInvalidArgument},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				u, err := e.s.CreateUser(ctx, tt.user, tt.desks...)
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("CreateUser error = %v, want %v", err, tt.wantErr)
				}
				if err != nil {
					return
				}
				if len(u.ID) != 26 || u.Email != NormalizeEmail(tt.user.Email) || !u.CreatedAt.Equal(e.clock.Now()) {
					t.Errorf("CreateUser() = %+v", u)
				}
				if tt.user.Role == "" && u.Role != RoleEngineer {
					t.Errorf("role = %q, want engineer by default", u.Role)
				}
				got, err := e.s.UserByEmail(ctx, tt.user.ProviderID, " "+tt.user.Email+" ")
				if err != nil || got.ID != u.ID {
					t.Errorf("UserByEmail() = %+v, %v; want id %s", got, err, u.ID)
				}
				got, err = e.s.UserByID(ctx, tt.user.ProviderID, u.ID)
				if err != nil || got.ID != u.ID || got.Name != tt.user.Name {
					t.Errorf("UserByID() = %+v, %v", got, err)
				}
				n, err := e.s.db.NewSelect().Model((*DeskMember)(nil)).Where("user_id = ?", u.ID).Count(ctx)
				if err != nil || n != int64(len(tt.desks)) {
					t.Errorf("desk memberships = %d, %v; want %d", n, err, len(tt.desks))
				}
			})
		}

		if _, err := e.s.UserByEmail(ctx, e.p.ID, "nobody@acme.test"); !errors.Is(err, ErrNotFound) {
			t.Errorf("UserByEmail(unknown) error = %v, want ErrNotFound", err)
		}
		if _, err := e.s.UserByID(ctx, e.p.ID, otherOwner.ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("UserByID(another provider's user) error = %v, want ErrNotFound", err)
		}
		if n, err := e.s.db.NewSelect().Model((*User)(nil)).Where("email = ?", "x@acme.test").Count(ctx); err != nil || n != 0 {
			t.Errorf("user with a foreign desk was kept: %d, %v", n, err)
		}
	})
}
