package chaos

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"slices"
)

// appTables are the tables that hold an app's rows (column app_id).
var appTables = []string{"api_keys", "users", "devices", "transactions", "handshakes", "nonces", "clients", "auth_requests",
	"refresh_tokens", "access_tokens", "sessions", "audit_events", "enrolment_links"}

// Snapshot is, per table, the count of an app's rows and a digest of
// their contents; "apps" covers the app's own row and the count of all
// apps, "signing_keys" every key.
type Snapshot map[string]string

// TakeSnapshot reads every row of app in the store. A key's last use is
// left out: it is touched (once a minute at most) by any call that
// presents the key, which is not a change the corpus makes.
func TakeSnapshot(ctx context.Context, db *sql.DB, dialect, app string) (Snapshot, error) {
	ph := "?"
	if dialect == "postgres" {
		ph = "$1"
	}
	s := Snapshot{}
	for _, table := range appTables {
		d, err := digest(ctx, db, "SELECT * FROM "+table+" WHERE app_id = "+ph, app)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", table, err)
		}
		s[table] = d
	}
	var err error
	if s["apps"], err = digest(ctx, db, "SELECT *, (SELECT count(*) FROM apps) FROM apps WHERE id = "+ph, app); err != nil {
		return nil, err
	}
	if s["signing_keys"], err = digest(ctx, db, "SELECT id, state FROM signing_keys"); err != nil {
		return nil, err
	}
	return s, nil
}

// digest is "n rows, sha256 …" of a query's rows, in a stable order.
func digest(ctx context.Context, db *sql.DB, q string, args ...any) (string, error) {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return "", err
	}
	var lines []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return "", err
		}
		line := ""
		for i, c := range cols {
			if c == "last_used_at" {
				continue
			}
			line += fmt.Sprintf("%s=%v;", c, vals[i])
		}
		lines = append(lines, line)
	}
	if err := rows.Err(); err != nil {
		return "", err
	}
	slices.Sort(lines)
	h := sha256.New()
	for _, l := range lines {
		h.Write([]byte(l))
		h.Write([]byte{0})
	}
	return fmt.Sprintf("%d rows, sha256 %s", len(lines), hex.EncodeToString(h.Sum(nil))[:16]), nil
}
