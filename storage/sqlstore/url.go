package sqlstore

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"modernc.org/sqlite"
)

// Dialect names, as Dialect reports them.
const (
	DialectSQLite   = "sqlite"
	DialectPostgres = "postgres"
)

// sqlitePragmas make every SQLite connection enforce foreign keys, wait for
// a lock held by another process instead of failing at once, use the
// write-ahead log, write times in a fixed UTC text form that sorts in time
// order, and take the write lock when a transaction begins (so two
// transactions never deadlock upgrading a read lock).
const sqlitePragmas = "_pragma=foreign_keys(1)&_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)" +
	"&_time_format=sqlite&_txlock=immediate"

// target is what a database URL selects.
type target struct {
	dialect string
	driver  string // database/sql driver name
	dsn     string // what the driver opens
	dir     string // SQLite only: the directory to create, "" if none
	file    string // SQLite only: the database file, "" in memory
}

// SQLiteFile returns the database file an sqlite:// URL names, or "" for an
// in-memory database or a URL of another engine. It lets a caller see
// whether the database exists without Open creating it.
func SQLiteFile(databaseURL string) string {
	t, err := parseURL(databaseURL)
	if err != nil {
		return ""
	}
	return t.file
}

// connector returns the driver's connector for the target's DSN. A
// PostgreSQL connection's calls end when their context does, even if the
// network stalls (see interrupt.go).
func (t target) connector() (driver.Connector, error) {
	if t.dialect == DialectPostgres {
		return newPostgresConnector(t.dsn)
	}
	return dsnConnector{driver: &sqlite.Driver{}, dsn: t.dsn}, nil
}

// dsnConnector is the connector database/sql builds for a driver without
// one of its own.
type dsnConnector struct {
	driver driver.Driver
	dsn    string
}

func (c dsnConnector) Connect(context.Context) (driver.Conn, error) { return c.driver.Open(c.dsn) }
func (c dsnConnector) Driver() driver.Driver                        { return c.driver }

// parseURL turns a database URL into a driver and its DSN:
// sqlite://<path> (sqlite://./data/x.db, sqlite:///var/lib/x.db,
// sqlite://:memory:) or postgres:// / postgresql:// (passed to lib/pq as is).
func parseURL(databaseURL string) (target, error) {
	scheme, rest, ok := strings.Cut(databaseURL, "://")
	if !ok || scheme == "" {
		return target{}, errors.New("database url has no scheme: want sqlite://<path> or postgres://…")
	}
	switch strings.ToLower(scheme) {
	case "sqlite":
		return sqliteTarget(rest)
	case "postgres", "postgresql":
		return target{dialect: DialectPostgres, driver: "postgres", dsn: databaseURL}, nil
	default:
		return target{}, fmt.Errorf("unsupported database url scheme %q: want sqlite:// or postgres://", scheme)
	}
}

// sqliteTarget builds the modernc DSN for a path, keeping any query
// parameters the URL adds after the engine's own.
func sqliteTarget(rest string) (target, error) {
	path, query, _ := strings.Cut(rest, "?")
	if path == "" {
		return target{}, errors.New("sqlite database url has no path: want sqlite://./data/passbridge.db or sqlite:///abs/path.db")
	}
	dsn := path + "?" + sqlitePragmas
	if query != "" {
		dsn += "&" + query
	}
	t := target{dialect: DialectSQLite, driver: "sqlite", dsn: dsn}
	if path != ":memory:" {
		t.dir = filepath.Dir(path)
		t.file = path
	}
	return t, nil
}
