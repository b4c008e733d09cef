package migrations

import (
	"context"
	"io/fs"
	"strings"
	"testing"

	"github.com/uptrace/bun/migrate"
)

// TestTourCountsAsSeenForPeopleWhoSignedInBefore runs the verify migration's data step over users of an
// upgraded server: whoever signed in before the tour existed does not get it; a user who never signed
// in still does.
func TestTourCountsAsSeenForPeopleWhoSignedInBefore(t *testing.T) {
	ctx := context.Background()
	db := memoryDB(t)
	all, err := New()
	if err != nil {
		t.Fatal(err)
	}
	mg := migrate.NewMigrator(db, all, migrate.WithMarkAppliedOnSuccess(true))
	if err := mg.Init(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := mg.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`INSERT INTO providers (id, name, slug, created_at) VALUES ('p', 'Acme', 'acme', '2026-11-01 10:00:00')`,
		`INSERT INTO users (id, provider_id, email, name, password_hash, role, created_at, last_sign_in_at) VALUES ('old', 'p', 'o@acme.test', 'Old', 'h', 'owner', '2026-11-01 10:00:00', '2026-11-20 08:00:00')`,
		`INSERT INTO users (id, provider_id, email, name, password_hash, role, created_at) VALUES ('new', 'p', 'n@acme.test', 'New', 'h', 'engineer', '2026-11-01 10:00:00')`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	up, err := fs.ReadFile(FS, "20261126000400_verify.tx.up.sql")
	if err != nil {
		t.Fatal(err)
	}
	ran := 0
	for _, stmt := range strings.Split(string(up), "--bun:split") {
		if strings.Contains(stmt, "UPDATE users") {
			if _, err := db.ExecContext(ctx, stmt); err != nil {
				t.Fatal(err)
			}
			ran++
		}
	}
	if ran != 1 {
		t.Fatalf("%d data steps in the migration, want 1", ran)
	}
	for id, want := range map[string]bool{"old": true, "new": false} {
		var dismissed bool
		if err := db.QueryRowContext(ctx, "SELECT tour_dismissed_at IS NOT NULL FROM users WHERE id = ?", id).Scan(&dismissed); err != nil || dismissed != want {
			t.Errorf("%s: tour dismissed %v, %v; want %v", id, dismissed, err, want)
		}
	}
}
