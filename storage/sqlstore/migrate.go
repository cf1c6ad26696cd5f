package sqlstore

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

//go:embed migrations
var migrationFiles embed.FS

// versionTable is goose's default table of applied migrations.
const versionTable = goose.DefaultTablename

// ErrSchemaTooNew means the database was migrated by a newer passbridge than
// this one: running on it could misread or damage data.
var ErrSchemaTooNew = errors.New("database schema is newer than this passbridge")

// schemaTooNewError says which versions disagree; it matches ErrSchemaTooNew.
type schemaTooNewError struct{ current, latest int64 }

func (e *schemaTooNewError) Error() string {
	return fmt.Sprintf("database schema is at version %d but this passbridge knows only up to %d; upgrade passbridge",
		e.current, e.latest)
}

func (e *schemaTooNewError) Unwrap() error { return ErrSchemaTooNew }

// Migrate applies the embedded migrations the database lacks and reports how
// many it applied. It refuses (ErrSchemaTooNew) a database whose schema is
// newer than the newest migration it knows. On PostgreSQL, concurrent
// Migrate calls on one schema (several instances starting) take turns.
func (s *Store) Migrate(ctx context.Context) (applied int, err error) {
	current, latest, err := s.SchemaVersion(ctx)
	if err != nil {
		return 0, err
	}
	if current > latest {
		return 0, &schemaTooNewError{current: current, latest: latest}
	}
	p, err := s.migrations(ctx, true)
	if err != nil {
		return 0, err
	}
	results, err := p.Up(ctx)
	if err != nil {
		return len(results), fmt.Errorf("migrate: %w", mapError(err))
	}
	return len(results), nil
}

// SchemaVersion reports the database's schema version (0 when never
// migrated) and the newest version this build can migrate to. It changes
// nothing in the database.
func (s *Store) SchemaVersion(ctx context.Context) (current, latest int64, err error) {
	p, err := s.migrations(ctx, false)
	if err != nil {
		return 0, 0, err
	}
	sources := p.ListSources()
	latest = sources[len(sources)-1].Version

	exists := `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '` + versionTable + `'`
	if s.dialect == DialectPostgres {
		exists = `SELECT COUNT(*) FROM pg_tables WHERE schemaname = current_schema() AND tablename = '` + versionTable + `'`
	}
	var n int
	if err := s.db.GetContext(ctx, &n, exists); err != nil {
		return 0, latest, fmt.Errorf("schema version: %w", mapError(err))
	}
	if n == 0 {
		return 0, latest, nil
	}
	if err := s.db.GetContext(ctx, &current, `SELECT COALESCE(MAX(version_id), 0) FROM `+versionTable); err != nil {
		return 0, latest, fmt.Errorf("schema version: %w", mapError(err))
	}
	return current, latest, nil
}

// migrations returns a goose provider over this dialect's embedded files.
// With locked set on PostgreSQL, it holds an advisory lock while it
// migrates; the lock's id comes from the schema name, so that databases in
// different schemas (parallel test runs) do not wait for each other.
func (s *Store) migrations(ctx context.Context, locked bool) (*goose.Provider, error) {
	dir, err := fs.Sub(migrationFiles, "migrations/"+s.dialect)
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	dialect := goose.DialectSQLite3
	opts := []goose.ProviderOption{goose.WithDisableGlobalRegistry(true)}
	if s.dialect == DialectPostgres {
		dialect = goose.DialectPostgres
		if locked {
			var schema string
			if err := s.db.GetContext(ctx, &schema, `SELECT current_schema()`); err != nil {
				return nil, fmt.Errorf("migrations: %w", mapError(err))
			}
			h := fnv.New64a()
			_, _ = h.Write([]byte("passbridge:" + schema))
			locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(int64(h.Sum64() >> 1)))
			if err != nil {
				return nil, fmt.Errorf("migrations: %w", err)
			}
			opts = append(opts, goose.WithSessionLocker(locker))
		}
	}
	p, err := goose.NewProvider(dialect, s.db.DB, dir, opts...)
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	return p, nil
}
