package sqlstore_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/passbridge/passbridge/storage/sqlstore"
	"github.com/passbridge/passbridge/storage/sqlstore/sqlstoretest"
)

func TestMigrate(t *testing.T) {
	for _, engine := range sqlstoretest.Engines(t) {
		t.Run(engine, func(t *testing.T) {
			ctx := t.Context()
			s, err := sqlstore.Open(ctx, sqlstoretest.URL(t, engine))
			if err != nil {
				t.Fatalf("open: %v", err)
			}
			defer s.Close()

			current, latest, err := s.SchemaVersion(ctx)
			if err != nil || current != 0 || latest < 1 {
				t.Fatalf("SchemaVersion of an empty database = %d, %d, %v; want 0, ≥1, nil", current, latest, err)
			}
			// SchemaVersion only reads: the database is still empty.
			if current, _, _ := s.SchemaVersion(ctx); current != 0 {
				t.Fatalf("SchemaVersion changed the database: now at %d", current)
			}

			applied, err := s.Migrate(ctx)
			if err != nil || int64(applied) != latest {
				t.Fatalf("first Migrate = %d, %v; want %d, nil", applied, err, latest)
			}
			if current, _, err := s.SchemaVersion(ctx); err != nil || current != latest {
				t.Fatalf("SchemaVersion after Migrate = %d, %v; want %d", current, err, latest)
			}
			if _, err := s.ListApps(ctx); err != nil {
				t.Fatalf("list apps on the migrated schema: %v", err)
			}

			applied, err = s.Migrate(ctx)
			if err != nil || applied != 0 {
				t.Fatalf("second Migrate = %d, %v; want 0, nil", applied, err)
			}

			// A newer passbridge migrated this database to a version this one
			// does not know.
			newer := latest + 6
			db := s.DBForTest()
			if _, err := db.ExecContext(ctx, db.Rebind(`INSERT INTO goose_db_version (version_id, is_applied) VALUES (?, ?)`),
				newer, true); err != nil {
				t.Fatalf("record a newer version: %v", err)
			}
			applied, err = s.Migrate(ctx)
			if !errors.Is(err, sqlstore.ErrSchemaTooNew) || applied != 0 {
				t.Fatalf("Migrate on a newer schema = %d, %v; want 0, ErrSchemaTooNew", applied, err)
			}
			want := fmt.Sprintf("database schema is at version %d but this passbridge knows only up to %d; upgrade passbridge", newer, latest)
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not say %q", err, want)
			}
			if current, got, err := s.SchemaVersion(ctx); err != nil || current != newer || got != latest {
				t.Errorf("SchemaVersion = %d, %d, %v; want %d, %d", current, got, err, newer, latest)
			}
		})
	}
}
