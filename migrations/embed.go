// Package migrations holds Tether's database schema as timestamped SQL files, embedded into the binary and
// run by bun/migrate (https://bun.uptrace.dev/guide/migrations.html).
//
// The same files run on SQLite and PostgreSQL, so they stick to portable SQL: TEXT primary keys generated
// in Go, TIMESTAMP columns holding UTC, BIGINT, BOOLEAN and partial unique indexes. Files named
// "*.tx.up.sql" / "*.tx.down.sql" run inside one transaction (both engines have transactional DDL), so a
// failed migration leaves nothing half applied.
package migrations

import (
	"embed"
	"fmt"

	"github.com/uptrace/bun/migrate"
)

// FS holds every migration file.
//
//go:embed *.sql
var FS embed.FS

// New returns the embedded migrations, ready for migrate.NewMigrator. It builds a fresh set on every call
// because bun/migrate records run state on the Migrations value.
func New() (*migrate.Migrations, error) {
	m := migrate.NewMigrations()
	if err := m.Discover(FS); err != nil {
		return nil, fmt.Errorf("migrations: discover: %w", err)
	}
	m.Add(waitingRequests)
	return m, nil
}
