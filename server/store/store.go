// Package store is Tether's data layer: bun models and queries over SQLite (the embedded default) or
// PostgreSQL, with sentinel errors the web layer maps with errors.Is.
//
// Every lookup by id that a tenant can reach takes the provider id and answers ErrNotFound for another
// provider's rows. Times are UTC from the injected clock, truncated to microseconds (PostgreSQL's
// precision) so that a value written and read back compares equal. Nullable times are *time.Time.
package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base32"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/dialect/sqlitedialect"
	"github.com/uptrace/bun/driver/pgdriver"
	"github.com/uptrace/bun/driver/sqliteshim"
	"github.com/uptrace/bun/migrate"

	"tether/migrations"
)

// Sentinel errors; compare with errors.Is.
var (
	ErrNotFound          = errors.New("store: not found")
	ErrEmailTaken        = errors.New("store: email already in use")
	ErrCodeTaken         = errors.New("store: code already in use by a live session")
	ErrAgentBound        = errors.New("store: another agent already joined this session")
	ErrSessionEnded      = errors.New("store: session has ended")
	ErrInvalidTransition = errors.New("store: invalid session state transition")
	ErrInvalidArgument   = errors.New("store: invalid argument")
	ErrAlreadySetUp      = errors.New("store: this installation is already set up")
	// ErrOverQuota: the provider reached a quota the operator set; the error is a *QuotaError.
	ErrOverQuota = errors.New("store: over quota")
	// ErrProviderDisabled: the operator disabled the provider.
	ErrProviderDisabled = errors.New("store: provider disabled")
)

const (
	dialectSQLite   = "sqlite"
	dialectPostgres = "pg"

	// migrationLockWait bounds how long Migrate waits for another instance holding the migration lock.
	migrationLockWait = 30 * time.Second
)

// Store wraps the database and the clock every timestamp comes from.
type Store struct {
	db      *bun.DB
	dialect string
	clock   func() time.Time
}

// Open connects to the database named by dsn. It does not migrate; call Migrate.
//
// Accepted forms:
//
//	sqlite:///abs/path/tether.db   sqlite://rel/path/tether.db   sqlite://:memory:
//	file:tether.db?mode=rwc        (handed to the SQLite driver as is)
//	postgres://... postgresql://... (pgdriver)
//
// now is the clock; nil means time.Now.
func Open(ctx context.Context, dsn string, now func() time.Time) (*Store, error) {
	if now == nil {
		now = time.Now
	}
	s := &Store{clock: now}
	switch {
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		sqldb := sql.OpenDB(pgdriver.NewConnector(pgdriver.WithDSN(dsn)))
		s.db = bun.NewDB(sqldb, pgdialect.New())
		s.dialect = dialectPostgres
	case strings.HasPrefix(dsn, "sqlite:"), strings.HasPrefix(dsn, "file:"):
		name, err := sqliteDSN(dsn)
		if err != nil {
			return nil, err
		}
		sqldb, err := sql.Open(sqliteshim.ShimName, name)
		if err != nil {
			return nil, fmt.Errorf("store: open sqlite: %w", err)
		}
		// SQLite has one writer at a time. A single connection serialises every transaction in this
		// process, so a read-then-write transaction never fails with SQLITE_BUSY on lock upgrade, and an
		// in-memory database (which lives and dies with its connection) stays one database.
		sqldb.SetMaxOpenConns(1)
		sqldb.SetMaxIdleConns(1)
		sqldb.SetConnMaxLifetime(0)
		sqldb.SetConnMaxIdleTime(0)
		s.db = bun.NewDB(sqldb, sqlitedialect.New())
		s.dialect = dialectSQLite
	default:
		return nil, fmt.Errorf("%w: unsupported database dsn scheme (want sqlite://, file: or postgres://)", ErrInvalidArgument)
	}
	if err := s.db.PingContext(ctx); err != nil {
		_ = s.db.Close()
		return nil, fmt.Errorf("store: ping %s: %w", s.dialect, err)
	}
	return s, nil
}

// sqliteDSN turns a sqlite:// or file: dsn into a modernc.org/sqlite name with the pragmas every
// connection needs: WAL, foreign keys (off by default in SQLite) and a busy timeout for other processes.
func sqliteDSN(dsn string) (string, error) {
	name := dsn
	if rest, ok := strings.CutPrefix(dsn, "sqlite:"); ok {
		name = strings.TrimPrefix(rest, "//")
	}
	if name == "" {
		return "", fmt.Errorf("%w: empty sqlite path", ErrInvalidArgument)
	}
	memory := name == ":memory:" || strings.Contains(name, ":memory:") || strings.Contains(name, "mode=memory")
	pragmas := "_pragma=foreign_keys(1)&_pragma=busy_timeout(5000)"
	if !memory {
		pragmas += "&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)"
	}
	if name == ":memory:" {
		name = "file::memory:"
	}
	sep := "?"
	if strings.Contains(name, "?") {
		sep = "&"
	}
	return name + sep + pragmas, nil
}

// Close closes the database.
func (s *Store) Close() error {
	return s.db.Close()
}

// Dialect reports "sqlite" or "pg".
func (s *Store) Dialect() string {
	return s.dialect
}

func (s *Store) migrator() (*migrate.Migrator, error) {
	ms, err := migrations.New()
	if err != nil {
		return nil, err
	}
	// Mark a migration applied only after it ran: with the default, a failing migration would be
	// recorded as applied and never retried.
	return migrate.NewMigrator(s.db, ms, migrate.WithMarkAppliedOnSuccess(true)), nil
}

// Migrate applies every pending migration. It is idempotent and takes bun's migration lock, waiting for
// another instance that holds it.
func (s *Store) Migrate(ctx context.Context) error {
	return s.withMigrationLock(ctx, func(m *migrate.Migrator) error {
		if _, err := m.Migrate(ctx); err != nil {
			return fmt.Errorf("store: migrate: %w", err)
		}
		return nil
	})
}

// Rollback undoes the last group of applied migrations (one Migrate call). Meant for operators and tests.
func (s *Store) Rollback(ctx context.Context) error {
	return s.withMigrationLock(ctx, func(m *migrate.Migrator) error {
		if _, err := m.Rollback(ctx); err != nil {
			return fmt.Errorf("store: rollback: %w", err)
		}
		return nil
	})
}

func (s *Store) withMigrationLock(ctx context.Context, fn func(*migrate.Migrator) error) (err error) {
	m, err := s.migrator()
	if err != nil {
		return err
	}
	if s.dialect == dialectPostgres {
		// Instances starting together would race on CREATE TABLE IF NOT EXISTS (PostgreSQL does not make
		// it atomic) before bun's lock table even exists. A session advisory lock serialises them and,
		// unlike the lock row, goes away by itself if the process dies.
		unlock, lockErr := s.pgAdvisoryLock(ctx)
		if lockErr != nil {
			return lockErr
		}
		defer func() { err = errors.Join(err, unlock()) }()
	}
	if err := m.Init(ctx); err != nil {
		return fmt.Errorf("store: migrate init: %w", err)
	}
	deadline := time.Now().Add(migrationLockWait)
	for {
		lockErr := m.Lock(ctx)
		if lockErr == nil {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("store: %w; if no other instance is migrating, delete the row in bun_migration_locks", lockErr)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("store: waiting for migration lock: %w", ctx.Err())
		case <-time.After(250 * time.Millisecond):
		}
	}
	defer func() {
		// The lock must go even when ctx is cancelled, or the next start waits for nothing.
		unlockCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if uerr := m.Unlock(unlockCtx); uerr != nil {
			err = errors.Join(err, fmt.Errorf("store: migrate unlock: %w", uerr))
		}
	}()
	return fn(m)
}

// migrationAdvisoryKey is an arbitrary constant identifying Tether's migration advisory lock.
const migrationAdvisoryKey = 0x7e74_6865_72 // "tether"

func (s *Store) pgAdvisoryLock(ctx context.Context) (unlock func() error, err error) {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: migration lock conn: %w", err)
	}
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock(?)", int64(migrationAdvisoryKey)); err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("store: migration advisory lock: %w", err)
	}
	return func() error {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		_, err := conn.ExecContext(ctx, "SELECT pg_advisory_unlock(?)", int64(migrationAdvisoryKey))
		if err != nil {
			err = fmt.Errorf("store: migration advisory unlock: %w", err)
		}
		return errors.Join(err, conn.Close())
	}, nil
}

// NewID returns a 128-bit random id, lowercase base32 without padding (26 characters).
func NewID() string {
	var b [16]byte
	// crypto/rand.Read never returns an error (Go 1.24+); it crashes the program instead.
	_, _ = rand.Read(b[:])
	return strings.ToLower(idEncoding.EncodeToString(b[:]))
}

var idEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// now is the store's clock in UTC at PostgreSQL's microsecond precision.
func (s *Store) now() time.Time {
	return utc(s.clock())
}

func utc(t time.Time) time.Time {
	return t.UTC().Truncate(time.Microsecond)
}

// notFound turns sql.ErrNoRows into ErrNotFound and wraps anything else with what was being done.
func notFound(err error, what string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%s: %w", what, ErrNotFound)
	}
	return fmt.Errorf("store: %s: %w", what, err)
}

// uniqueViolation reports whether err is a unique constraint failure on the index (PostgreSQL names the
// index) or the column list (SQLite names "table.column") given.
func uniqueViolation(err error, pgIndex, sqliteColumns string) bool {
	if err == nil {
		return false
	}
	var pgErr pgdriver.Error
	if errors.As(err, &pgErr) {
		return pgErr.Field('C') == "23505" && pgErr.Field('n') == pgIndex
	}
	// SQLite: "UNIQUE constraint failed: support_sessions.code" or "...: users.provider_id, users.email"
	// (modernc appends " (2067)"). The columns must end there: "support_sessions.code" must not match
	// "support_sessions.code_token_hash".
	_, cols, ok := strings.Cut(err.Error(), "UNIQUE constraint failed: ")
	if !ok {
		return false
	}
	if end := strings.IndexAny(cols, "(\n"); end >= 0 {
		cols = cols[:end]
	}
	return strings.TrimSpace(cols) == sqliteColumns
}

// inTx runs fn in a transaction; every query inside must use tx, never s.db (SQLite has one connection).
func (s *Store) inTx(ctx context.Context, fn func(ctx context.Context, tx bun.Tx) error) error {
	return s.db.RunInTx(ctx, nil, fn)
}
