package cachestore_test

import (
	"context"
	"database/sql"
	"errors"
	"net/url"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/passbridge/passbridge/storage"
	"github.com/passbridge/passbridge/storage/cachestore"
	"github.com/passbridge/passbridge/storage/sqlstore"
	"github.com/passbridge/passbridge/storage/sqlstore/sqlstoretest"
)

// notifyWait bounds the wait for a change to reach another instance: a
// notification takes milliseconds, a reconnection under a second.
const notifyWait = 10 * time.Second

// instance is one server's view of a shared PostgreSQL schema: its own
// sqlstore.Store, counted, behind its own cache following the change
// feed. The cache's TTL is an hour and its clock never moves, so only a
// notification (or a reconnection) can make it see a change made
// elsewhere.
type instance struct {
	count *counting
	cache *cachestore.Store
}

func requirePostgres(t *testing.T) {
	t.Helper()
	if os.Getenv(sqlstoretest.EnvPostgresDSN) == "" {
		t.Skip(sqlstoretest.EnvPostgresDSN + " not set: PostgreSQL tests skipped")
	}
}

// sharedSchema returns the URL of a fresh, migrated PostgreSQL schema.
func sharedSchema(t *testing.T) string {
	t.Helper()
	u := sqlstoretest.URL(t, sqlstoretest.Postgres)
	st, err := sqlstore.Open(t.Context(), u)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	return u
}

// withName returns the URL with application_name set, so that a test can
// find the connections of one instance in pg_stat_activity.
func withName(t *testing.T, databaseURL, name string) string {
	t.Helper()
	u, err := url.Parse(databaseURL)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("application_name", name)
	u.RawQuery = q.Encode()
	return u.String()
}

func startInstance(t *testing.T, databaseURL string) *instance {
	t.Helper()
	st, err := sqlstore.Open(t.Context(), databaseURL)
	if err != nil {
		t.Fatal(err)
	}
	frozen := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	in := &instance{count: &counting{Store: st}}
	in.cache = cachestore.New(in.count, cachestore.Config{TTL: time.Hour, Now: func() time.Time { return frozen }})
	t.Cleanup(func() {
		if err := in.cache.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	if err := in.cache.Start(t.Context()); err != nil {
		t.Fatalf("start: %v", err)
	}
	return in
}

// rawSQL is a connection of the kind the CLI or an operator's psql has:
// no cache, no store.
func rawSQL(t *testing.T, databaseURL string) *sql.DB {
	t.Helper()
	db, err := sql.Open("postgres", databaseURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// settle waits until every instance has applied every notification sent
// so far: a notification forgets what an instance has just read, so a test
// that counts reads or checks what is remembered waits for the
// notifications of its own setup first. Notifications arrive in commit
// order, so once an instance has seen an app created after them (which it
// remembered as unknown, so that only the notification makes it found),
// it has applied them.
func settle(t *testing.T, databaseURL string, ins ...*instance) {
	t.Helper()
	writer, err := sqlstore.Open(t.Context(), databaseURL)
	if err != nil {
		t.Fatal(err)
	}
	defer writer.Close()
	marker := newApp("marker")
	for _, in := range ins {
		if _, err := in.cache.GetApp(t.Context(), marker.ID); !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("marker app before its creation: %v", err)
		}
	}
	if err := writer.CreateApp(t.Context(), marker); err != nil {
		t.Fatal(err)
	}
	for _, in := range ins {
		eventually(t, "the marker app", func() error {
			_, err := in.cache.GetApp(context.Background(), marker.ID)
			return err
		})
	}
}

func exec(t *testing.T, db *sql.DB, query string, args ...any) {
	t.Helper()
	if _, err := db.ExecContext(t.Context(), query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

// eventually polls check until it returns nil, failing the test with its
// last error if that takes longer than notifyWait.
func eventually(t *testing.T, what string, check func() error) {
	t.Helper()
	deadline := time.Now().Add(notifyWait)
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not seen within %v: %v", what, notifyWait, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func gone(err error) error {
	if errors.Is(err, storage.ErrNotFound) {
		return nil
	}
	if err == nil {
		return errors.New("still there")
	}
	return err
}

func keyGone(s storage.Store, hash []byte) func() error {
	return func() error {
		_, err := s.GetAPIKeyByHash(context.Background(), hash)
		return gone(err)
	}
}

func clientNamed(s storage.Store, id, name string) func() error {
	return func() error {
		c, err := s.GetClient(context.Background(), id)
		if err == nil && c.Name != name {
			return errors.New("name " + c.Name + ", want " + name)
		}
		return err
	}
}

// feedGoroutines counts the goroutines of change feeds and their listeners.
func feedGoroutines() int {
	buf := make([]byte, 1<<20)
	n := 0
	for _, g := range strings.Split(string(buf[:runtime.Stack(buf, true)]), "\n\n") {
		if strings.Contains(g, "lib/pq.(*Listener") || strings.Contains(g, "sqlstore.(*Store).Changes") ||
			strings.Contains(g, "cachestore.(*Store).Start") {
			n++
		}
	}
	return n
}
