package cachestore_test

import (
	"errors"
	"runtime"
	"testing"
	"time"

	"github.com/passbridge/passbridge/storage"
	"github.com/passbridge/passbridge/storage/cachestore"
	"github.com/passbridge/passbridge/storage/sqlstore"
	"github.com/passbridge/passbridge/storage/sqlstore/sqlstoretest"
)

// A key revoked, a client changed, an app changed or deleted on one
// instance, or by hand in SQL, is seen by every instance within the time
// a notification takes, without waiting for the TTL.
func TestChangesReachEveryInstance(t *testing.T) {
	requirePostgres(t)
	ctx := t.Context()
	u := sharedSchema(t)
	a, b := startInstance(t, u), startInstance(t, u)
	raw := rawSQL(t, u)

	app := mustCreate(t, a.cache, "A")
	revoked := mustCreateKey(t, a.cache, app.ID)
	byHand := mustCreateKey(t, a.cache, app.ID)
	client := mustCreateClient(t, a.cache, app.ID)
	late := newKey(app.ID)
	settle(t, u, a, b)
	for _, in := range []*instance{a, b} {
		mustGet(t, in.cache, app.ID)
		mustGetKey(t, in.cache, revoked.Hash)
		mustGetKey(t, in.cache, byHand.Hash)
		mustGetClient(t, in.cache, client.ID)
		wantNoKey(t, in.cache, late.Hash, "a key not yet created")
	}
	// B answers from memory.
	reads := b.count.getKey.Load() + b.count.getClient.Load() + b.count.getApp.Load()
	mustGet(t, b.cache, app.ID)
	mustGetKey(t, b.cache, revoked.Hash)
	mustGetClient(t, b.cache, client.ID)
	if n := b.count.getKey.Load() + b.count.getClient.Load() + b.count.getApp.Load(); n != reads {
		t.Fatalf("B read the store %d more times; want it to answer from memory", n-reads)
	}

	// Through instance A.
	if err := a.cache.DeleteAPIKey(ctx, app.ID, revoked.ID); err != nil {
		t.Fatal(err)
	}
	wantNoKey(t, a.cache, revoked.Hash, "revoked on A, on A")
	eventually(t, "key revoked on A, on B", keyGone(b.cache, revoked.Hash))

	if _, err := a.cache.UpdateClient(ctx, client.ID, renameClient("renamed")); err != nil {
		t.Fatal(err)
	}
	eventually(t, "client renamed on A, on B", clientNamed(b.cache, client.ID, "renamed"))

	if _, err := a.cache.UpdateApp(ctx, app.ID, rename("B")); err != nil {
		t.Fatal(err)
	}
	eventually(t, "app renamed on A, on B", func() error {
		got, err := b.cache.GetApp(ctx, app.ID)
		if err == nil && got.Name != "B" {
			return errors.New("old name " + got.Name)
		}
		return err
	})

	if err := a.cache.CreateAPIKey(ctx, late); err != nil {
		t.Fatal(err)
	}
	eventually(t, "key created on A, on B, which knew its digest as unknown", func() error {
		_, err := b.cache.GetAPIKeyByHash(ctx, late.Hash)
		return err
	})

	// By hand, as the CLI or an operator would: every instance sees it.
	exec(t, raw, `DELETE FROM api_keys WHERE id = $1`, byHand.ID)
	exec(t, raw, `UPDATE clients SET name = 'by hand' WHERE id = $1`, client.ID)
	for name, in := range map[string]*instance{"A": a, "B": b} {
		eventually(t, "key deleted by hand, on "+name, keyGone(in.cache, byHand.Hash))
		eventually(t, "client renamed by hand, on "+name, clientNamed(in.cache, client.ID, "by hand"))
	}

	// Deleting the app on A: B forgets the app, and the key and client the
	// deletion took with it.
	if err := a.cache.DeleteApp(ctx, app.ID); err != nil {
		t.Fatal(err)
	}
	eventually(t, "app deleted on A, on B", func() error {
		_, err := b.cache.GetApp(ctx, app.ID)
		return gone(err)
	})
	eventually(t, "key of the deleted app, on B", keyGone(b.cache, late.Hash))
	eventually(t, "client of the deleted app, on B", func() error {
		_, err := b.cache.GetClient(ctx, client.ID)
		return gone(err)
	})
}

// Touching a key notifies nobody: the other instance keeps its key in
// memory.
func TestTouchesDoNotEmptyOtherCaches(t *testing.T) {
	requirePostgres(t)
	ctx := t.Context()
	u := sharedSchema(t)
	a, b := startInstance(t, u), startInstance(t, u)
	app := mustCreate(t, a.cache, "A")
	key := mustCreateKey(t, a.cache, app.ID)
	marker := mustCreateClient(t, a.cache, app.ID)
	settle(t, u, b)
	mustGetKey(t, b.cache, key.Hash)
	mustGetClient(t, b.cache, marker.ID)
	reads := b.count.getKey.Load()

	if err := a.cache.TouchAPIKey(ctx, key.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	// A later change that is notified: once B has seen it, it has seen
	// whatever the touch would have sent before it.
	if _, err := a.cache.UpdateClient(ctx, marker.ID, renameClient("after the touch")); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the change after the touch, on B", clientNamed(b.cache, marker.ID, "after the touch"))
	mustGetKey(t, b.cache, key.Hash)
	if n := b.count.getKey.Load(); n != reads {
		t.Fatalf("B read the key %d more times after a touch; want none", n-reads)
	}
}

// When the feed's connection is lost, a change it could not report is
// seen once it is back: a reconnection forgets everything.
func TestReconnectionForgetsEverything(t *testing.T) {
	requirePostgres(t)
	ctx := t.Context()
	u := sharedSchema(t)
	name := "pbt_" + storage.NewID()
	b := startInstance(t, withName(t, u, name))
	raw := rawSQL(t, u)
	app := mustCreate(t, b.cache, "A")
	key := mustCreateKey(t, b.cache, app.ID)
	settle(t, u, b)
	mustGetKey(t, b.cache, key.Hash)

	// A change nobody is told of: its trigger is off while it is made.
	tx, err := raw.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`ALTER TABLE api_keys DISABLE TRIGGER passbridge_cache_insert_delete`,
		`DELETE FROM api_keys WHERE id = '` + key.ID + `'`,
		`ALTER TABLE api_keys ENABLE TRIGGER passbridge_cache_insert_delete`,
	} {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	mustGetKey(t, b.cache, key.Hash) // unreported, so still remembered

	var killed int
	if err := raw.QueryRowContext(ctx, `SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE application_name = $1 AND query LIKE 'LISTEN %'`, name).Scan(&killed); err != nil || killed != 1 {
		t.Fatalf("terminate the listener: %d, %v", killed, err)
	}
	eventually(t, "a key deleted unreported, after the feed's reconnection", keyGone(b.cache, key.Hash))

	// Back, the feed reports changes again.
	eventually(t, "the feed listening again", func() error {
		var n int
		if err := raw.QueryRowContext(ctx, `SELECT COUNT(*) FROM pg_stat_activity
			WHERE application_name = $1 AND query LIKE 'LISTEN %'`, name).Scan(&n); err != nil || n != 1 {
			return errors.New("not listening")
		}
		return nil
	})
	client := mustCreateClient(t, b.cache, app.ID)
	mustGetClient(t, b.cache, client.ID)
	exec(t, raw, `UPDATE clients SET name = 'by hand' WHERE id = $1`, client.ID)
	eventually(t, "client renamed by hand, after the reconnection", clientNamed(b.cache, client.ID, "by hand"))
}

// Close ends the feed: no goroutine of it, or of its listener, is left.
func TestCloseLeavesNoGoroutine(t *testing.T) {
	requirePostgres(t)
	u := sharedSchema(t)
	st, err := sqlstore.Open(t.Context(), u)
	if err != nil {
		t.Fatal(err)
	}
	cache := cachestore.New(st, cachestore.Config{})
	if err := cache.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	if n := feedGoroutines(); n == 0 {
		t.Fatal("no goroutine of the feed found while it runs: the check below would prove nothing")
	}
	if err := cache.Close(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(notifyWait)
	for feedGoroutines() > 0 {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("goroutines of the feed left after Close:\n%s", buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// On SQLite there is no feed: Start does nothing, and the TTL is the bound.
func TestStartWithoutFeed(t *testing.T) {
	st := sqlstoretest.Open(t, sqlstoretest.SQLite)
	f := newFixture(t, st, cachestore.Config{})
	if err := f.cache.Start(t.Context()); err != nil {
		t.Fatalf("start on SQLite: %v", err)
	}
	if n := feedGoroutines(); n != 0 {
		t.Fatalf("%d goroutines of a feed on SQLite", n)
	}
	app := mustCreate(t, f.cache, "A")
	key := mustCreateKey(t, f.cache, app.ID)
	mustGetKey(t, f.cache, key.Hash)
	if err := st.DeleteAPIKey(t.Context(), app.ID, key.ID); err != nil {
		t.Fatal(err)
	}
	mustGetKey(t, f.cache, key.Hash)
	f.clock.Advance(cachestore.DefaultTTL)
	wantNoKey(t, f.cache, key.Hash, "after TTL")
}
