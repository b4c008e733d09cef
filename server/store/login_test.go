package store

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestLogins(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		now := e.clock.Now()
		if err := e.s.CreateLogin(ctx, "live", e.owner.ID, now.Add(time.Hour)); err != nil {
			t.Fatalf("CreateLogin: %v", err)
		}
		if err := e.s.CreateLogin(ctx, "soon", e.owner.ID, now.Add(time.Minute)); err != nil {
			t.Fatalf("CreateLogin: %v", err)
		}
		if err := e.s.CreateLogin(ctx, "x", "no-such-user", now.Add(time.Hour)); err == nil {
			t.Error("CreateLogin for an unknown user succeeded, want a foreign key error")
		}
		e.clock.Advance(time.Minute) // "soon" expires exactly now

		tests := []struct {
			token   string
			wantErr error
		}{
			{"live", nil},
			{"soon", ErrNotFound},
			{"missing", ErrNotFound},
		}
		for _, tt := range tests {
			t.Run(tt.token, func(t *testing.T) {
				u, _, err := e.s.LoginUser(ctx, tt.token)
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("LoginUser(%q) error = %v, want %v", tt.token, err, tt.wantErr)
				}
				if err == nil && u.ID != e.owner.ID {
					t.Errorf("LoginUser(%q) = %s, want %s", tt.token, u.ID, e.owner.ID)
				}
			})
		}

		if n, err := e.s.PurgeExpiredLogins(ctx); err != nil || n != 1 {
			t.Errorf("PurgeExpiredLogins() = %d, %v; want 1", n, err)
		}
		if err := e.s.DeleteLogin(ctx, "live"); err != nil {
			t.Fatalf("DeleteLogin: %v", err)
		}
		if err := e.s.DeleteLogin(ctx, "live"); err != nil {
			t.Errorf("DeleteLogin twice: %v, want nil", err)
		}
		if _, _, err := e.s.LoginUser(ctx, "live"); !errors.Is(err, ErrNotFound) {
			t.Errorf("LoginUser after DeleteLogin error = %v, want ErrNotFound", err)
		}
	})
}
