package cli

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"

	_ "github.com/lib/pq"

	"github.com/passbridge/passbridge/storage"
	"github.com/passbridge/passbridge/storage/sqlstore"
	"github.com/passbridge/passbridge/storage/sqlstore/sqlstoretest"
)

// syncBuffer is an output sink safe to read while a command writes to it.
// A tty one stands for a terminal.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
	tty bool
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// result is what one CLI run produced.
type result struct {
	stdout, stderr string
	err            error
}

// run executes the CLI in-process with args and an environment of its own.
func run(t *testing.T, env map[string]string, args ...string) result {
	t.Helper()
	return runContext(context.Background(), t, env, &syncBuffer{}, &syncBuffer{}, args...)
}

func runContext(ctx context.Context, t *testing.T, env map[string]string, stdout, stderr *syncBuffer, args ...string) result {
	t.Helper()
	root := NewRoot(Env{
		Stdout: stdout,
		Stderr: stderr,
		LookupEnv: func(k string) (string, bool) {
			v, ok := env[k]
			return v, ok
		},
		Version: "v9.9.9-test",
		IsTerminal: func(w io.Writer) bool {
			b, ok := w.(*syncBuffer)
			return ok && b.tty
		},
	})
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	return result{stdout: stdout.String(), stderr: stderr.String(), err: err}
}

// mustRun runs the CLI and fails the test when the command fails.
func mustRun(t *testing.T, env map[string]string, args ...string) string {
	t.Helper()
	res := run(t, env, args...)
	if res.err != nil {
		t.Fatalf("passbridge %v: %v\nstderr: %s", args, res.err, res.stderr)
	}
	return res.stdout
}

// mustJSON runs the CLI with --json and decodes its output into v.
func mustJSON(t *testing.T, v any, env map[string]string, args ...string) {
	t.Helper()
	out := mustRun(t, env, append(args, "--json")...)
	if err := json.Unmarshal([]byte(out), v); err != nil {
		t.Fatalf("passbridge %v: output is not JSON: %v\n%s", args, err, out)
	}
}

// forEachEngine runs fn with the database URL of a fresh database of each
// engine; PostgreSQL is skipped, visibly, when it is not configured.
func forEachEngine(t *testing.T, fn func(t *testing.T, databaseURL string)) {
	for _, engine := range []string{sqlstoretest.SQLite, sqlstoretest.Postgres} {
		t.Run(engine, func(t *testing.T) { fn(t, databaseURL(t, engine)) })
	}
}

// databaseURL returns the URL of an empty database: an SQLite file that does
// not exist yet, or a fresh PostgreSQL schema dropped when the test ends.
func databaseURL(t *testing.T, engine string) string {
	t.Helper()
	if engine == sqlstoretest.SQLite {
		return "sqlite://" + filepath.Join(t.TempDir(), "db", "passbridge.db")
	}
	dsn := os.Getenv(sqlstoretest.EnvPostgresDSN)
	if dsn == "" {
		t.Skip(sqlstoretest.EnvPostgresDSN + " not set: PostgreSQL tests skipped")
	}
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	admin, err := sql.Open("postgres", dsn)
	if err != nil {
		t.Fatal(err)
	}
	schema := "pbt_cli_" + storage.NewID()
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		defer admin.Close()
		if _, err := admin.Exec("DROP SCHEMA " + schema + " CASCADE"); err != nil {
			t.Errorf("drop schema: %v", err)
		}
	})
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// openDB opens the database a test's CLI runs wrote to, to check it.
func openDB(t *testing.T, databaseURL string) *sqlstore.Store {
	t.Helper()
	st, err := sqlstore.Open(context.Background(), databaseURL)
	if err != nil {
		t.Fatalf("open %s: %v", databaseURL, err)
	}
	t.Cleanup(func() { _ = st.Close() })
	if _, err := st.Migrate(context.Background()); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return st
}

// auditTypes lists the types of the CLI's audit events, oldest first.
func auditTypes(t *testing.T, st storage.Store) []string {
	t.Helper()
	events, err := st.ListAuditEvents(context.Background(), storage.AuditQuery{Limit: 1000})
	if err != nil {
		t.Fatalf("list audit events: %v", err)
	}
	var types []string
	for i := len(events) - 1; i >= 0; i-- {
		if events[i].Actor != "cli" {
			t.Fatalf("audit event %s by %q, want cli", events[i].Type, events[i].Actor)
		}
		types = append(types, events[i].Type)
	}
	return types
}
