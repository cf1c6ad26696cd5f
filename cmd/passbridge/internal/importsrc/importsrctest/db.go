package importsrctest

import (
	"database/sql"
	"embed"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	_ "github.com/lib/pq"  // the "postgres" driver
	_ "modernc.org/sqlite" // the "sqlite" driver

	"github.com/passbridge/passbridge/storage/sqlstore/sqlstoretest"
)

//go:embed schema/*.sql
var schema embed.FS

// AAGUIDs of authenticators the fixtures simulate, as the embedded list
// names them.
var (
	AAGUIDApple    = [16]byte(uuid.MustParse("fbfc3007-154e-4ecc-8c0b-6e020557d7bd"))
	AAGUIDYubiKey5 = [16]byte(uuid.MustParse("cb69481e-8ff7-4039-93ec-0a2729a154a8"))
)

// fixtureDB is an empty database of engine with the tables of a schema
// file, and its URL.
type fixtureDB struct {
	*sql.DB
	URL     string
	dialect string
}

// newDB creates a fresh database of engine (sqlstoretest.SQLite or
// sqlstoretest.Postgres, which skips the test when not configured) holding
// the tables of schema file name.
func newDB(t testing.TB, engine, name string) *fixtureDB {
	t.Helper()
	u := sqlstoretest.URL(t, engine)
	driver, dsn := "postgres", u
	if engine == sqlstoretest.SQLite {
		driver, dsn = "sqlite", strings.TrimPrefix(u, "sqlite://")
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	ddl, err := schema.ReadFile("schema/" + name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(string(ddl)); err != nil {
		t.Fatalf("create the tables of %s: %v", name, err)
	}
	return &fixtureDB{DB: db, URL: u, dialect: driver}
}

// exec runs a statement written with ? placeholders.
func (d *fixtureDB) exec(t testing.TB, q string, args ...any) {
	t.Helper()
	if d.dialect == "postgres" {
		q = sqlx.Rebind(sqlx.DOLLAR, q)
	}
	if _, err := d.Exec(q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}
