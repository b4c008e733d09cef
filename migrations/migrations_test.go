package migrations

import (
	"context"
	"database/sql"
	"io/fs"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/sqlitedialect"
	"github.com/uptrace/bun/driver/sqliteshim"
	"github.com/uptrace/bun/migrate"
)

// fileRE is the naming rule: a 14-digit UTC timestamp, a snake_case name, optionally ".tx", then the
// direction.
var fileRE = regexp.MustCompile(`^\d{14}_[a-z0-9_]+(\.tx)?\.(up|down)\.sql$`)

func TestFiles(t *testing.T) {
	names, err := fs.Glob(FS, "*.sql")
	if err != nil {
		t.Fatal(err)
	}
	if len(names) == 0 {
		t.Fatal("no migrations embedded")
	}
	have := map[string]bool{}
	for _, name := range names {
		have[name] = true
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			if !fileRE.MatchString(name) {
				t.Errorf("%s does not match %s", name, fileRE)
			}
			pair := strings.Replace(name, ".up.sql", ".down.sql", 1)
			if strings.HasSuffix(name, ".down.sql") {
				pair = strings.Replace(name, ".down.sql", ".up.sql", 1)
			}
			if !have[pair] {
				t.Errorf("%s has no %s", name, pair)
			}
			b, err := fs.ReadFile(FS, name)
			if err != nil {
				t.Fatal(err)
			}
			// Portability: the same file runs on SQLite and PostgreSQL.
			for _, bad := range []string{"AUTOINCREMENT", "SERIAL", "DATETIME", "JSONB", "NOW()"} {
				if strings.Contains(strings.ToUpper(string(b)), bad) {
					t.Errorf("%s uses %s, which is not portable between SQLite and PostgreSQL", name, bad)
				}
			}
		})
	}
}

func TestNew(t *testing.T) {
	m, err := New()
	if err != nil {
		t.Fatal(err)
	}
	for _, mig := range m.Sorted() {
		if mig.Up == nil || mig.Down == nil {
			t.Errorf("migration %s_%s lacks an up or a down", mig.Name, mig.Comment)
		}
	}
}

// TestUpDownUp runs the migrations on SQLite; server/store runs them on both engines through its API.
func TestUpDownUp(t *testing.T) {
	ctx := context.Background()
	db := memoryDB(t)

	ms, err := New()
	if err != nil {
		t.Fatal(err)
	}
	mg := migrate.NewMigrator(db, ms, migrate.WithMarkAppliedOnSuccess(true))
	if err := mg.Init(ctx); err != nil {
		t.Fatal(err)
	}
	tables := func() int {
		var n int
		err := db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'bun%' AND name NOT LIKE 'sqlite%'`).Scan(&n)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	steps := []struct {
		name       string
		run        func() error
		wantTables int
	}{
		{"up", func() error { _, err := mg.Migrate(ctx); return err }, 21},
		{"up again is a no-op", func() error { _, err := mg.Migrate(ctx); return err }, 21},
		{"down", func() error { _, err := mg.Rollback(ctx); return err }, 0},
		{"up after down", func() error { _, err := mg.Migrate(ctx); return err }, 21},
	}
	for _, st := range steps {
		if err := st.run(); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if got := tables(); got != st.wantTables {
			t.Fatalf("%s: %d tables, want %d", st.name, got, st.wantTables)
		}
	}
}

// TestConsentLevelsBecomeGrants upgrades a database made by the first migration, with sessions in it, and
// checks their consent levels became grants and the installation counts as set up.
func TestConsentLevelsBecomeGrants(t *testing.T) {
	ctx := context.Background()
	db := memoryDB(t)

	first := fstest.MapFS{}
	for _, name := range []string{"20261121000000_init.tx.up.sql", "20261121000000_init.tx.down.sql"} {
		b, err := fs.ReadFile(FS, name)
		if err != nil {
			t.Fatal(err)
		}
		first[name] = &fstest.MapFile{Data: b}
	}
	old := migrate.NewMigrations()
	if err := old.Discover(first); err != nil {
		t.Fatal(err)
	}
	mg := migrate.NewMigrator(db, old, migrate.WithMarkAppliedOnSuccess(true))
	if err := mg.Init(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := mg.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`INSERT INTO providers VALUES ('p', 'Acme', 'acme', '2026-11-01 10:00:00')`,
		`INSERT INTO users VALUES ('u', 'p', 'a@acme.test', 'Ann', 'h', 'owner', '2026-11-01 10:00:00')`,
		`INSERT INTO desks VALUES ('d', 'p', 'Support', TRUE, '2026-11-01 10:00:00')`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	for id, level := range map[string]string{"s-none": "", "s-view": "view", "s-control": "control"} {
		_, err := db.ExecContext(ctx, `INSERT INTO support_sessions (id, provider_id, desk_id, engineer_id, token_hash, code, state, consent_level, created_at, expires_at)
			VALUES (?, 'p', 'd', 'u', ?, ?, 'active', ?, '2026-11-01 10:00:00', '2026-11-02 10:00:00')`, id, id, id, level)
		if err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO session_events VALUES ('e', 's-view', 'p', 1, '2026-11-01 10:00:00', 'created', '', '')`); err != nil {
		t.Fatal(err)
	}
	all, err := New()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := migrate.NewMigrator(db, all, migrate.WithMarkAppliedOnSuccess(true)).Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]string{"s-none": "", "s-view": "view", "s-control": "view,control"} {
		var got string
		if err := db.QueryRowContext(ctx, "SELECT grants FROM support_sessions WHERE id = ?", id).Scan(&got); err != nil || got != want {
			t.Errorf("%s: grants %q, %v; want %q", id, got, err, want)
		}
	}
	// Rebuilding support_sessions (waitingRequests) kept its events: the drop cascaded to nothing.
	var events int
	if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM session_events WHERE session_id = 's-view'").Scan(&events); err != nil || events != 1 {
		t.Errorf("events of s-view after the rebuild = %d, %v; want 1", events, err)
	}
	// A waiting request has a desk and no engineer.
	if _, err := db.ExecContext(ctx, `INSERT INTO support_sessions (id, provider_id, desk_id, token_hash, code, state, source, created_at, expires_at)
		VALUES ('req', 'p', 'd', 'req', 'REQ', 'waiting', 'widget', '2026-11-01 10:00:00', '2026-11-02 10:00:00')`); err != nil {
		t.Errorf("a session without an engineer: %v", err)
	}
	var operator bool
	if err := db.QueryRowContext(ctx, "SELECT operator FROM users WHERE id = 'u'").Scan(&operator); err != nil || !operator {
		t.Errorf("the first provider's owner is operator = %v, %v; want true", operator, err)
	}
	var setUp int
	if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM installation").Scan(&setUp); err != nil || setUp != 1 {
		t.Errorf("installation rows = %d, %v; want 1", setUp, err)
	}
}

// memoryDB is an empty in-memory SQLite database, closed after the test.
func memoryDB(t *testing.T) *bun.DB {
	t.Helper()
	sqldb, err := sql.Open(sqliteshim.ShimName, "file::memory:?_pragma=foreign_keys(1)")
	if err != nil {
		t.Fatal(err)
	}
	sqldb.SetMaxOpenConns(1)
	db := bun.NewDB(sqldb, sqlitedialect.New())
	t.Cleanup(func() { db.Close() })
	return db
}
