package sqlstore_test

import (
	"context"
	"errors"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/passbridge/passbridge/storage"
	"github.com/passbridge/passbridge/storage/sqlstore"
	"github.com/passbridge/passbridge/storage/sqlstore/sqlstoretest"
)

// TestPostgresStallBoundedByContext: when the network to PostgreSQL stops
// moving bytes, a call whose context ends is answered ErrUnavailable then,
// not when the bytes flow again (lib/pq alone keeps reading the stalled
// connection); the connections it used are discarded, not reused
// half-read, and the store works as soon as the network does.
func TestPostgresStallBoundedByContext(t *testing.T) {
	if os.Getenv(sqlstoretest.EnvPostgresDSN) == "" {
		t.Skip(sqlstoretest.EnvPostgresDSN + " not set: PostgreSQL tests skipped")
	}
	const (
		timeout = time.Second
		// bound only detects a call that waited for the stall's end
		// (stallFor); it is no benchmark.
		bound    = 5 * time.Second
		stallFor = 8 * time.Second
	)
	ctx := t.Context()
	u, err := url.Parse(sqlstoretest.URL(t, sqlstoretest.Postgres))
	if err != nil {
		t.Fatal(err)
	}
	p := sqlstoretest.NewNetProxy(t, u.Host)
	u.Host = p.Addr
	// lib/pq sets connect_timeout's deadline on every connection it dials,
	// cancel requests included: it must not undo the bounds.
	q := u.Query()
	q.Set("connect_timeout", "10")
	u.RawQuery = q.Encode()
	s, err := sqlstore.Open(ctx, u.String())
	if err != nil {
		t.Fatalf("open through the proxy: %v", err)
	}
	defer s.Close()
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	app := createApp(t, s)
	rename := func(ctx context.Context, name string) error {
		_, err := s.UpdateApp(ctx, app.ID, func(a storage.App) (storage.App, error) {
			a.Name = name
			return a, nil
		})
		return err
	}

	getApp := func(ctx context.Context) error {
		_, err := s.GetApp(ctx, app.ID)
		return err
	}
	tests := []struct {
		name string
		// call runs with the network stalled; idle is how many connections
		// the pool holds then.
		call func(ctx context.Context, idle int) error
	}{
		{"query on an idle connection", func(ctx context.Context, _ int) error { return getApp(ctx) }},
		{"transaction", func(ctx context.Context, _ int) error { return rename(ctx, "Stalled") }},
		{"queries on new connections", func(ctx context.Context, idle int) error {
			// More at once than the pool holds: the others connect
			// through the stalled network.
			n := idle + 4
			errs := make([]error, n)
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() { errs[i] = getApp(ctx) })
			}
			wg.Wait()
			for _, err := range errs {
				if !errors.Is(err, storage.ErrUnavailable) {
					return err
				}
			}
			return errs[0]
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Warm up: statements prepared and cached, every connection
			// back in the pool.
			if err := getApp(ctx); err != nil {
				t.Fatalf("before the stall: %v", err)
			}
			if err := rename(ctx, "Before"); err != nil {
				t.Fatalf("before the stall: %v", err)
			}
			before := idleOnly(t, s)

			p.Stall(stallFor)
			callCtx, cancel := context.WithTimeout(ctx, timeout)
			start := time.Now()
			err := tt.call(callCtx, before)
			took := time.Since(start)
			cancel()
			t.Logf("with the network stalled: %v after %s", err, took.Round(time.Millisecond))
			if !errors.Is(err, storage.ErrUnavailable) {
				t.Errorf("with the network stalled = %v; want ErrUnavailable", err)
			}
			if took > bound {
				t.Errorf("with the network stalled the call returned after %s; want about its %s timeout", took, timeout)
			}
			// The connections the call used are closed, not pooled. Checked
			// before the stall ends, so that none is replaced meanwhile.
			if open := s.Stats().OpenConnections; open >= before {
				t.Errorf("%d connections open after the stalled call, %d before; want the interrupted ones closed", open, before)
			}
			p.Heal()

			for i := range 3 {
				name := "After " + tt.name + string(rune('0'+i))
				if err := rename(ctx, name); err != nil {
					t.Fatalf("rename after the stall: %v", err)
				}
				got, err := s.GetApp(ctx, app.ID)
				if err != nil || got.Name != name {
					t.Fatalf("GetApp after the stall = %q, %v; want %q", got.Name, err, name)
				}
			}
		})
	}
}

// idleOnly waits until no connection of s is in use (a statement prepared
// in the background, say) and returns how many are open.
func idleOnly(t *testing.T, s *sqlstore.Store) int {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		st := s.Stats()
		if st.InUse == 0 && st.OpenConnections > 0 {
			return st.OpenConnections
		}
		if time.Now().After(deadline) {
			t.Fatalf("connections still in use: %+v", st)
		}
	}
}
