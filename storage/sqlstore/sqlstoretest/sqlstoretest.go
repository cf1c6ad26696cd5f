// Package sqlstoretest gives tests real, fresh, migrated sqlstore engines:
// an SQLite file in the test's temporary directory always, and PostgreSQL
// when PASSBRIDGE_TEST_POSTGRES_DSN names a server. Each PostgreSQL store
// lives in a schema of its own, so parallel tests and test runs never see
// each other's rows.
package sqlstoretest

import (
	"context"
	"database/sql"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	_ "github.com/lib/pq" // the "postgres" driver, for creating and dropping schemas

	"github.com/passbridge/passbridge/storage"
	"github.com/passbridge/passbridge/storage/sqlstore"
)

// EnvPostgresDSN names the environment variable that enables PostgreSQL
// tests: a postgres:// URL of a database the tests may create schemas in.
const EnvPostgresDSN = "PASSBRIDGE_TEST_POSTGRES_DSN"

// Engine names.
const (
	SQLite   = "sqlite"
	Postgres = "postgres"
)

const skipReason = EnvPostgresDSN + " not set: PostgreSQL tests skipped " +
	"(e.g. postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable)"

// EnvOnlyPostgres names the environment variable that, set to 1, leaves
// the SQLite cases out (visibly): for a second run of the PostgreSQL tests
// under other settings (make test-serializable), where SQLite would only
// repeat itself.
const EnvOnlyPostgres = "PASSBRIDGE_TEST_ONLY_POSTGRES"

const onlyPostgresReason = EnvOnlyPostgres + "=1: SQLite cases skipped"

func onlyPostgres() bool { return os.Getenv(EnvOnlyPostgres) == "1" }

// Engines returns the engines to test: SQLite (unless EnvOnlyPostgres
// says otherwise), and PostgreSQL when configured. It logs a visible line
// for each engine left out.
func Engines(t testing.TB) []string {
	t.Helper()
	var engines []string
	if onlyPostgres() {
		t.Log(onlyPostgresReason)
	} else {
		engines = append(engines, SQLite)
	}
	if os.Getenv(EnvPostgresDSN) == "" {
		t.Log(skipReason)
		return engines
	}
	return append(engines, Postgres)
}

// ForEach runs fn as subtest "sqlite" and as subtest "postgres"; the latter
// skips, visibly, when PostgreSQL is not configured. open returns a fresh
// store of the subtest's engine each time it is called.
func ForEach(t *testing.T, fn func(t *testing.T, open func(t testing.TB) *sqlstore.Store)) {
	t.Helper()
	for _, engine := range []string{SQLite, Postgres} {
		t.Run(engine, func(t *testing.T) {
			if engine == Postgres && os.Getenv(EnvPostgresDSN) == "" {
				t.Skip(skipReason)
			}
			if engine == SQLite && onlyPostgres() {
				t.Skip(onlyPostgresReason)
			}
			fn(t, func(t testing.TB) *sqlstore.Store { return Open(t, engine) })
		})
	}
}

// URL returns the database URL of a fresh, empty, unmigrated database of
// engine, for tests that open it themselves (a CLI's --database-url, say):
// an SQLite file in t.TempDir(), or a PostgreSQL schema dropped when the
// test ends.
func URL(t testing.TB, engine string) string {
	t.Helper()
	switch engine {
	case SQLite:
		return "sqlite://" + filepath.Join(t.TempDir(), "passbridge.db")
	case Postgres:
		return postgresSchema(t)
	}
	t.Fatalf("sqlstoretest: unknown engine %q", engine)
	return ""
}

// Open returns a fresh, migrated, empty store of engine, closed (and, for
// PostgreSQL, its schema dropped) when the test ends.
func Open(t testing.TB, engine string) *sqlstore.Store {
	t.Helper()
	s, err := sqlstore.Open(context.Background(), URL(t, engine))
	if err != nil {
		t.Fatalf("sqlstoretest: open %s: %v", engine, err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("sqlstoretest: close %s: %v", engine, err)
		}
	})
	if _, err := s.Migrate(context.Background()); err != nil {
		t.Fatalf("sqlstoretest: migrate %s: %v", engine, err)
	}
	return s
}

// postgresSchema creates an empty schema, registers its removal, and returns
// the configured URL with search_path set to it (lib/pq sends parameters it
// does not know to the server as run-time parameters).
func postgresSchema(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv(EnvPostgresDSN)
	if dsn == "" {
		t.Skip(skipReason)
	}
	u, err := url.Parse(dsn)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		t.Fatalf("sqlstoretest: %s must be a postgres:// URL", EnvPostgresDSN)
	}
	admin, err := sql.Open("postgres", dsn)
	if err != nil {
		t.Fatalf("sqlstoretest: %v", err)
	}
	schema := "pbt_" + storage.NewID()
	if _, err := admin.ExecContext(context.Background(), "CREATE SCHEMA "+schema); err != nil {
		_ = admin.Close()
		t.Fatalf("sqlstoretest: create schema: %v", err)
	}
	// Registered before the store's Close, so it runs after it.
	t.Cleanup(func() {
		defer admin.Close()
		if _, err := admin.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("sqlstoretest: drop schema %s: %v", schema, err)
		}
	})
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
