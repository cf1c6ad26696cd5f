package importsrc

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	_ "github.com/lib/pq"  // the "postgres" driver
	_ "modernc.org/sqlite" // the "sqlite" driver
)

// Dialects of the databases the readers open.
const (
	dialectPostgres = "postgres"
	dialectSQLite   = "sqlite"
)

// sourceDB is another server's database, open read-only, read inside one
// read-only transaction so that its tables are read as of one moment.
type sourceDB struct {
	db      *sql.DB
	tx      *sql.Tx
	dialect string
}

// openSource opens the database databaseURL names: postgres:// or
// postgresql:// (PostgreSQL, through lib/pq, with the URL's parameters),
// or sqlite://PATH (an SQLite file, opened read-only; it must exist).
func openSource(ctx context.Context, name, databaseURL string) (*sourceDB, error) {
	var driver, dsn, dialect string
	switch u, err := url.Parse(databaseURL); {
	case err != nil:
		return nil, errorf(name, "the source database URL does not parse: %v", err)
	case u.Scheme == "postgres" || u.Scheme == "postgresql":
		driver, dsn, dialect = "postgres", databaseURL, dialectPostgres
	case u.Scheme == "sqlite":
		path := strings.TrimPrefix(databaseURL, "sqlite://")
		if path == "" || strings.ContainsAny(path, "?#") {
			return nil, errorf(name, "sqlite://PATH: the path %q is empty or holds ? or #", path)
		}
		if _, err := os.Stat(path); err != nil {
			return nil, errorf(name, "the source database: %v", err)
		}
		// SQLite's own URI parameters work only on file: URIs.
		driver, dsn, dialect = "sqlite", "file:"+path+"?mode=ro&_pragma=busy_timeout(5000)&_pragma=query_only(1)", dialectSQLite
	default:
		return nil, errorf(name, "the source database URL must start with postgres://, postgresql:// or sqlite://")
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		return nil, errorf(name, "open the source database: %v", err)
	}
	opts := &sql.TxOptions{ReadOnly: true, Isolation: sql.LevelRepeatableRead}
	if dialect == dialectSQLite {
		opts = nil // a read transaction of SQLite sees one snapshot already
	}
	tx, err := db.BeginTx(ctx, opts)
	if err != nil {
		_ = db.Close()
		return nil, errorf(name, "open the source database: %v", err)
	}
	return &sourceDB{db: db, tx: tx, dialect: dialect}, nil
}

// Close ends the read transaction and closes the database.
func (s *sourceDB) Close() error {
	return errors.Join(s.tx.Rollback(), s.db.Close())
}

// query runs a query written with ? placeholders.
func (s *sourceDB) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if s.dialect == dialectPostgres {
		q = sqlx.Rebind(sqlx.DOLLAR, q)
	}
	return s.tx.QueryContext(ctx, q, args...)
}

// columns lists the columns of table, to read what the schema version at
// hand has.
func (s *sourceDB) columns(ctx context.Context, table string) (map[string]bool, error) {
	q := `SELECT column_name FROM information_schema.columns WHERE table_name = ? AND table_schema = current_schema()`
	if s.dialect == dialectSQLite {
		q = `SELECT name FROM pragma_table_info(?)`
	}
	rows, err := s.query(ctx, q, table)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols := make(map[string]bool)
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return nil, err
		}
		cols[c] = true
	}
	return cols, rows.Err()
}

// requireColumns checks that a table has the columns a reader needs.
func requireColumns(source, table string, have map[string]bool, need ...string) error {
	if len(have) == 0 {
		return errorf(source, "the source database has no table %q: is it a %s database?", table, source)
	}
	var missing []string
	for _, c := range need {
		if !have[c] {
			missing = append(missing, c)
		}
	}
	if len(missing) > 0 {
		return errorf(source, "table %q lacks column(s) %s: a schema this reader does not know", table, strings.Join(missing, ", "))
	}
	return nil
}

// Conversions of the values the drivers hand back, which differ between
// PostgreSQL and SQLite, and between the schema versions of one project.

// toBytes reads a BLOB, BYTEA or TEXT value.
func toBytes(v any) []byte {
	switch v := v.(type) {
	case []byte:
		return v
	case string:
		return []byte(v)
	}
	return nil
}

// toString reads a text value; NULL is "".
func toString(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case []byte:
		return string(v)
	case nil:
		return ""
	}
	return fmt.Sprint(v)
}

// toBool reads a BOOLEAN, or SQLite's 0/1 and "true"/"false".
func toBool(v any) bool {
	switch v := v.(type) {
	case bool:
		return v
	case int64:
		return v != 0
	case string, []byte:
		b, _ := strconv.ParseBool(toString(v))
		return b
	}
	return false
}

// toTime reads a timestamp: a time, Unix seconds (as Pocket ID writes
// them to SQLite) or text; anything else is the zero time.
func toTime(v any) time.Time {
	switch v := v.(type) {
	case time.Time:
		return v.UTC()
	case int64:
		return time.Unix(v, 0).UTC()
	case float64:
		return time.Unix(int64(v), 0).UTC()
	case string, []byte:
		s := toString(v)
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return time.Unix(n, 0).UTC()
		}
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999-07:00", "2006-01-02 15:04:05.999999999"} {
			if t, err := time.Parse(layout, s); err == nil {
				return t.UTC()
			}
		}
	}
	return time.Time{}
}

// toStrings reads a JSON array of strings (JSON, JSONB, or text holding
// JSON); anything else is none.
func toStrings(v any) []string {
	var out []string
	if b := toBytes(v); len(b) > 0 {
		_ = json.Unmarshal(b, &out)
	}
	return out
}
