package migrations

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"
	"github.com/uptrace/bun/migrate"
)

// waitingRequests lets a support session exist without an engineer: a customer's request from the
// provider's portal waits in a desk's queue until an engineer accepts it. It also drops the CHECK on
// source, whose values protocol now defines (link, code, widget). PostgreSQL alters the columns;
// SQLite cannot, so it rebuilds the table the way https://www.sqlite.org/lang_altertable.html#otheralter
// describes. This is the one migration written in Go for that reason.
var waitingRequests = migrate.Migration{
	Name:    "20261125000100",
	Comment: "waiting_requests",
	Up: func(ctx context.Context, m *migrate.Migrator, _ *migrate.Migration) error {
		return alterSessions(ctx, m.DB(), []string{
			"ALTER TABLE support_sessions ALTER COLUMN engineer_id DROP NOT NULL",
			"ALTER TABLE support_sessions DROP CONSTRAINT IF EXISTS support_sessions_source_check",
		}, func(ddl string) (string, error) {
			ddl, err := replaceOnce(ddl, "engineer_id     TEXT NOT NULL REFERENCES users (id)", "engineer_id     TEXT NULL REFERENCES users (id)")
			if err != nil {
				return "", err
			}
			return replaceOnce(ddl, " CHECK (source IN ('', 'link', 'code'))", "")
		})
	},
	Down: func(ctx context.Context, m *migrate.Migrator, _ *migrate.Migration) error {
		db := m.DB()
		// Requests nobody accepted have no engineer to go back to.
		if _, err := db.ExecContext(ctx, "DELETE FROM support_sessions WHERE engineer_id IS NULL"); err != nil {
			return fmt.Errorf("delete unaccepted requests: %w", err)
		}
		if _, err := db.ExecContext(ctx, "UPDATE support_sessions SET source = '' WHERE source NOT IN ('', 'link', 'code')"); err != nil {
			return fmt.Errorf("forget new sources: %w", err)
		}
		return alterSessions(ctx, db, []string{
			"ALTER TABLE support_sessions ALTER COLUMN engineer_id SET NOT NULL",
			"ALTER TABLE support_sessions ADD CONSTRAINT support_sessions_source_check CHECK (source IN ('', 'link', 'code'))",
		}, func(ddl string) (string, error) {
			ddl, err := replaceOnce(ddl, "engineer_id     TEXT NULL REFERENCES users (id)", "engineer_id     TEXT NOT NULL REFERENCES users (id)")
			if err != nil {
				return "", err
			}
			return replaceOnce(ddl, "source          TEXT NOT NULL DEFAULT ''", "source          TEXT NOT NULL DEFAULT '' CHECK (source IN ('', 'link', 'code'))")
		})
	},
}

func replaceOnce(s, old, new string) (string, error) {
	if n := strings.Count(s, old); n != 1 {
		return "", fmt.Errorf("support_sessions has %d of %q, want 1", n, old)
	}
	return strings.Replace(s, old, new, 1), nil
}

// alterSessions runs pg on PostgreSQL, in one transaction. On SQLite it rebuilds support_sessions from
// its own CREATE TABLE text changed by edit, with foreign keys off so that dropping the old table
// cascades to nothing, and checks every foreign key before committing.
func alterSessions(ctx context.Context, db *bun.DB, pg []string, edit func(string) (string, error)) error {
	if db.Dialect().Name() != dialect.SQLite {
		return db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			for _, q := range pg {
				if _, err := tx.ExecContext(ctx, q); err != nil {
					return fmt.Errorf("%s: %w", q, err)
				}
			}
			return nil
		})
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "PRAGMA foreign_keys = OFF"); err != nil {
		return err
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), "PRAGMA foreign_keys = ON")
	return conn.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		var ddl string
		if err := tx.QueryRowContext(ctx, "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'support_sessions'").Scan(&ddl); err != nil {
			return fmt.Errorf("read support_sessions: %w", err)
		}
		var indexes []string
		rows, err := tx.QueryContext(ctx, "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'support_sessions' AND sql IS NOT NULL")
		if err != nil {
			return err
		}
		for rows.Next() {
			var q string
			if err := rows.Scan(&q); err != nil {
				rows.Close()
				return err
			}
			indexes = append(indexes, q)
		}
		if err := rows.Close(); err != nil {
			return err
		}
		ddl, err = edit(ddl)
		if err != nil {
			return err
		}
		// After a rebuild SQLite keeps the name as the RENAME wrote it ("support_sessions" in quotes).
		open := strings.Index(ddl, "(")
		if open < 0 {
			return fmt.Errorf("support_sessions: no column list in %q", ddl)
		}
		newDDL := "CREATE TABLE support_sessions_new " + ddl[open:]
		steps := []string{newDDL, "INSERT INTO support_sessions_new SELECT * FROM support_sessions", "DROP TABLE support_sessions",
			"ALTER TABLE support_sessions_new RENAME TO support_sessions"}
		for _, q := range append(steps, indexes...) {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("rebuild support_sessions: %s: %w", strings.SplitN(q, "(", 2)[0], err)
			}
		}
		var problems sql.NullString
		err = tx.QueryRowContext(ctx, "SELECT \"table\" FROM pragma_foreign_key_check LIMIT 1").Scan(&problems)
		if err == nil {
			return fmt.Errorf("rebuild support_sessions: foreign key broken in %s", problems.String)
		}
		if err != sql.ErrNoRows {
			return err
		}
		return nil
	})
}
