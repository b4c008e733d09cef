package store

import (
	"context"
	"database/sql"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/uptrace/bun/driver/pgdriver"

	"tether/server/protocol"
)

// postgresEnv names the variable holding an admin DSN for the PostgreSQL variant of every test.
const postgresEnv = "TETHER_TEST_POSTGRES"

// testClock is a fixed clock that tests move by hand.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func newTestClock() *testClock {
	return &testClock{t: time.Date(2026, 3, 14, 9, 26, 53, 589793000, time.UTC)}
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// engine opens a fresh, empty (unmigrated) database for one test.
type engine struct {
	name string
	open func(t *testing.T, clock func() time.Time) *Store
}

func engines() []engine {
	return []engine{
		{name: "sqlite", open: openSQLite},
		{name: "postgres", open: openPostgres},
	}
}

func openSQLite(t *testing.T, clock func() time.Time) *Store {
	t.Helper()
	dsn := "sqlite://" + filepath.Join(t.TempDir(), "tether.db")
	s, err := Open(context.Background(), dsn, clock)
	if err != nil {
		t.Fatalf("Open(%q): %v", dsn, err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// openPostgres creates a database of its own for the test and drops it at cleanup.
func openPostgres(t *testing.T, clock func() time.Time) *Store {
	t.Helper()
	admin := os.Getenv(postgresEnv)
	if admin == "" {
		t.Skipf("PostgreSQL variant skipped: set %s to an admin DSN, e.g. postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable", postgresEnv)
	}
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatalf("parse %s: %v", postgresEnv, err)
	}
	name := "test_" + NewID()
	adminDB := sql.OpenDB(pgdriver.NewConnector(pgdriver.WithDSN(admin)))
	t.Cleanup(func() { _ = adminDB.Close() })
	if _, err := adminDB.Exec("CREATE DATABASE " + name); err != nil {
		t.Fatalf("create database: %v", err)
	}
	u.Path = "/" + name
	s, err := Open(context.Background(), u.String(), clock)
	if err != nil {
		t.Fatalf("Open postgres: %v", err)
	}
	t.Cleanup(func() {
		_ = s.Close()
		if _, err := adminDB.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)"); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
	})
	return s
}

// env is one test's migrated store, clock and a provider with its owner and default desk.
type env struct {
	s     *Store
	clock *testClock
	p     Provider
	owner User
	desk  Desk
}

// forEachEngine runs fn as a subtest against every engine, each with a fresh migrated database.
func forEachEngine(t *testing.T, fn func(t *testing.T, e *env)) {
	t.Helper()
	for _, eng := range engines() {
		t.Run(eng.name, func(t *testing.T) {
			t.Parallel()
			clock := newTestClock()
			s := eng.open(t, clock.Now)
			ctx := context.Background()
			if err := s.Migrate(ctx); err != nil {
				t.Fatalf("Migrate: %v", err)
			}
			p, owner, err := s.CreateProviderWithOwner(ctx, "Acme Support", "Ada Owner", "ada@acme.test", "hash")
			if err != nil {
				t.Fatalf("CreateProviderWithOwner: %v", err)
			}
			desk, err := s.DefaultDesk(ctx, p.ID)
			if err != nil {
				t.Fatalf("DefaultDesk: %v", err)
			}
			fn(t, &env{s: s, clock: clock, p: p, owner: owner, desk: desk})
		})
	}
}

// newSession opens a waiting session for the env's owner with the given code, expiring in an hour.
func (e *env) newSession(t *testing.T, code string) Session {
	t.Helper()
	sess, err := e.s.CreateSession(context.Background(), NewSession{
		ProviderID:    e.p.ID,
		DeskID:        e.desk.ID,
		EngineerID:    e.owner.ID,
		CustomerName:  "Carl Customer",
		TokenHash:     "tok-" + NewID(),
		CodeTokenHash: "ctok-" + NewID(),
		Code:          code,
		ExpiresAt:     e.clock.Now().Add(time.Hour),
	})
	if err != nil {
		t.Fatalf("CreateSession(%q): %v", code, err)
	}
	return sess
}

// otherProvider creates a second tenant.
func (e *env) otherProvider(t *testing.T) (Provider, User, Desk) {
	t.Helper()
	ctx := context.Background()
	p, u, err := e.s.CreateProviderWithOwner(ctx, "Other Co", "Olga", "olga@other.test", "hash")
	if err != nil {
		t.Fatalf("CreateProviderWithOwner: %v", err)
	}
	d, err := e.s.DefaultDesk(ctx, p.ID)
	if err != nil {
		t.Fatalf("DefaultDesk: %v", err)
	}
	return p, u, d
}

func TestNewID(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		id := NewID()
		if len(id) != 26 {
			t.Fatalf("NewID() = %q, len %d, want 26", id, len(id))
		}
		for _, r := range id {
			if !(r >= 'a' && r <= 'z' || r >= '2' && r <= '7') {
				t.Fatalf("NewID() = %q has %q outside lowercase base32", id, r)
			}
		}
		if seen[id] {
			t.Fatalf("NewID() repeated %q", id)
		}
		seen[id] = true
	}
}

func TestSQLiteDSN(t *testing.T) {
	tests := []struct {
		dsn, want string
		wantErr   bool
	}{
		{dsn: "sqlite:///var/lib/tether/tether.db", want: "/var/lib/tether/tether.db?_pragma=foreign_keys(1)&_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)"},
		{dsn: "sqlite://data/tether.db", want: "data/tether.db?_pragma=foreign_keys(1)&_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)"},
		{dsn: "sqlite://:memory:", want: "file::memory:?_pragma=foreign_keys(1)&_pragma=busy_timeout(5000)"},
		{dsn: "file:tether.db?mode=rwc", want: "file:tether.db?mode=rwc&_pragma=foreign_keys(1)&_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)"},
		{dsn: "sqlite://", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.dsn, func(t *testing.T) {
			got, err := sqliteDSN(tt.dsn)
			if (err != nil) != tt.wantErr {
				t.Fatalf("sqliteDSN(%q) error = %v, wantErr %v", tt.dsn, err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("sqliteDSN(%q) = %q, want %q", tt.dsn, got, tt.want)
			}
		})
	}
}

func TestOpenMemory(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, "sqlite://:memory:", newTestClock().Now)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer s.Close()
	if got := s.Dialect(); got != "sqlite" {
		t.Errorf("Dialect() = %q, want sqlite", got)
	}
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	if _, _, err := s.CreateProviderWithOwner(ctx, "Mem", "M", "m@mem.test", "h"); err != nil {
		t.Fatalf("CreateProviderWithOwner: %v", err)
	}
	if ok, err := s.HasProvider(ctx); err != nil || !ok {
		t.Errorf("HasProvider() = %v, %v; want true (one in-memory database across calls)", ok, err)
	}
}

func TestSQLitePragmas(t *testing.T) {
	s := openSQLite(t, newTestClock().Now)
	ctx := context.Background()
	tests := []struct{ pragma, want string }{
		{"journal_mode", "wal"},
		{"foreign_keys", "1"},
		{"busy_timeout", "5000"},
	}
	for _, tt := range tests {
		t.Run(tt.pragma, func(t *testing.T) {
			var got string
			if err := s.db.QueryRowContext(ctx, "PRAGMA "+tt.pragma).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("PRAGMA %s = %q, want %q", tt.pragma, got, tt.want)
			}
		})
	}
}

func TestOpenUnknownScheme(t *testing.T) {
	if _, err := Open(context.Background(), "mysql://x", nil); err == nil {
		t.Fatal("Open(mysql://) succeeded, want error")
	}
}

func TestMigrate(t *testing.T) {
	for _, eng := range engines() {
		t.Run(eng.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			s := eng.open(t, newTestClock().Now)
			wantDialect := map[string]string{"sqlite": "sqlite", "postgres": "pg"}[eng.name]
			if got := s.Dialect(); got != wantDialect {
				t.Errorf("Dialect() = %q, want %q", got, wantDialect)
			}
			for i := range 2 {
				if err := s.Migrate(ctx); err != nil {
					t.Fatalf("Migrate #%d: %v", i+1, err)
				}
			}
			if ok, err := s.HasProvider(ctx); err != nil || ok {
				t.Fatalf("HasProvider() on a fresh database = %v, %v; want false, nil", ok, err)
			}
			if err := s.Rollback(ctx); err != nil {
				t.Fatalf("Rollback: %v", err)
			}
			if _, err := s.HasProvider(ctx); err == nil {
				t.Fatal("HasProvider() after Rollback succeeded, want an error (table dropped)")
			}
			if err := s.Migrate(ctx); err != nil {
				t.Fatalf("Migrate after Rollback: %v", err)
			}
			if _, _, err := s.CreateProviderWithOwner(ctx, "Back", "B", "b@back.test", "h"); err != nil {
				t.Fatalf("CreateProviderWithOwner after re-migrate: %v", err)
			}
		})
	}
}

func TestMigrateConcurrent(t *testing.T) {
	for _, eng := range engines() {
		t.Run(eng.name, func(t *testing.T) {
			t.Parallel()
			s := eng.open(t, newTestClock().Now)
			var wg sync.WaitGroup
			errs := make(chan error, 3)
			for range 3 {
				wg.Go(func() { errs <- s.Migrate(context.Background()) })
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Errorf("concurrent Migrate: %v", err)
				}
			}
		})
	}
}

func TestValidSubdomain(t *testing.T) {
	for _, tt := range []struct {
		in string
		ok bool
	}{
		{"acme", true}, {"acme-it-2", true}, {"abc", true}, {"a23456789012345678901234x", true},
		{"ab", false}, {"a234567890123456789012345x", false}, {"-acme", false}, {"acme-", false},
		{"ac_me", false}, {"acmé", false}, {"Acme", false}, {"www", false}, {"admin", false}, {"api", false}, {"static", false},
	} {
		if err := ValidSubdomain(tt.in); (err == nil) != tt.ok || (err != nil && !errors.Is(err, ErrInvalidArgument)) {
			t.Errorf("ValidSubdomain(%q) = %v, want ok %v", tt.in, err, tt.ok)
		}
	}
}

func TestSlugify(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Acme Support", "acme-support"},
		{"  ACME -- GmbH & Co. KG ", "acme-gmbh-co-kg"},
		{"Müller IT", "m-ller-it"},
		{"!!!", "provider"},
		{"X", "x-support"},
		{"a123456789b123456789c123456789d123456789e12345", "a123456789b123456789c1"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := slugify(tt.in); got != tt.want {
				t.Errorf("slugify(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// viewControl is what "full control" grants.
const viewControl = protocol.GrantView | protocol.GrantControl
