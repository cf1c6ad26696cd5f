package cachestore_test

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/passbridge/passbridge/storage"
	"github.com/passbridge/passbridge/storage/cachestore"
	"github.com/passbridge/passbridge/storage/sqlstore"
)

func newClient(appID string) storage.Client {
	now := time.Date(2026, 3, 1, 11, 0, 0, 0, time.UTC)
	return storage.Client{
		ID: "client-" + storage.NewID(), AppID: appID, Name: "web",
		SecretHash: storage.HashSecret("secret"), AuthMethod: storage.AuthMethodBasic,
		RedirectURIs: []string{"https://example.com/cb"}, PostLogoutRedirectURIs: []string{},
		AccessTokenType: "bearer", Scopes: []string{},
		CreatedAt: now, UpdatedAt: now,
	}
}

func mustCreateClient(t *testing.T, s storage.ClientStore, appID string) storage.Client {
	t.Helper()
	c := newClient(appID)
	if err := s.CreateClient(t.Context(), c); err != nil {
		t.Fatal(err)
	}
	return c
}

func mustGetClient(t *testing.T, s storage.ClientStore, id string) storage.Client {
	t.Helper()
	c, err := s.GetClient(t.Context(), id)
	if err != nil {
		t.Fatalf("get client: %v", err)
	}
	return c
}

func wantNoClient(t *testing.T, s storage.ClientStore, id, when string) {
	t.Helper()
	if _, err := s.GetClient(t.Context(), id); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("%s: get client: %v, want ErrNotFound", when, err)
	}
}

func renameClient(name string) func(storage.Client) (storage.Client, error) {
	return func(c storage.Client) (storage.Client, error) { c.Name = name; return c, nil }
}

func TestClientsWithinTTLStayInMemory(t *testing.T) {
	forEachEngine(t, func(t *testing.T, st *sqlstore.Store) {
		ctx := t.Context()
		f := newFixture(t, st, cachestore.Config{})
		app := mustCreate(t, f.cache, "A")
		c := mustCreateClient(t, f.cache, app.ID)
		for range 5 {
			mustGetClient(t, f.cache, c.ID)
			wantNoClient(t, f.cache, "client-nope", "unknown client")
		}
		f.clock.Advance(cachestore.DefaultTTL - time.Millisecond)
		mustGetClient(t, f.cache, c.ID)
		if n := f.count.getClient.Load(); n != 2 {
			t.Fatalf("store reached %d times, want twice (the client and the unknown ID)", n)
		}

		// Changed elsewhere: seen after TTL, and not before.
		if _, err := f.inner.UpdateClient(ctx, c.ID, renameClient("elsewhere")); err != nil {
			t.Fatal(err)
		}
		if got := mustGetClient(t, f.cache, c.ID).Name; got != "web" {
			t.Fatalf("within TTL: name %q, want the remembered web", got)
		}
		f.clock.Advance(time.Millisecond)
		if got := mustGetClient(t, f.cache, c.ID).Name; got != "elsewhere" {
			t.Fatalf("after TTL: name %q, want elsewhere", got)
		}
	})
}

func TestClientWritesThroughTheCacheAreSeenAtOnce(t *testing.T) {
	forEachEngine(t, func(t *testing.T, st *sqlstore.Store) {
		ctx := t.Context()
		f := newFixture(t, st, cachestore.Config{})
		app := mustCreate(t, f.cache, "A")
		c := mustCreateClient(t, f.cache, app.ID)
		mustGetClient(t, f.cache, c.ID)

		if _, err := f.cache.UpdateClient(ctx, c.ID, renameClient("B")); err != nil {
			t.Fatal(err)
		}
		if got := mustGetClient(t, f.cache, c.ID).Name; got != "B" {
			t.Fatalf("after UpdateClient: name %q, want B", got)
		}

		late := newClient(app.ID)
		wantNoClient(t, f.cache, late.ID, "not yet created")
		if err := f.cache.CreateClient(ctx, late); err != nil {
			t.Fatal(err)
		}
		mustGetClient(t, f.cache, late.ID)
		if err := f.cache.DeleteClient(ctx, late.ID); err != nil {
			t.Fatal(err)
		}
		wantNoClient(t, f.cache, late.ID, "after DeleteClient")

		// Inside a transaction: seen once it commits, not when rolled back.
		inTx := newClient(app.ID)
		wantNoClient(t, f.cache, inTx.ID, "not yet created")
		err := f.cache.InTx(ctx, func(tx storage.Store) error {
			if _, err := tx.UpdateClient(ctx, c.ID, renameClient("C")); err != nil {
				return err
			}
			return tx.InTx(ctx, func(tx storage.Store) error { return tx.CreateClient(ctx, inTx) })
		})
		if err != nil {
			t.Fatal(err)
		}
		if got := mustGetClient(t, f.cache, c.ID).Name; got != "C" {
			t.Fatalf("after InTx: name %q, want C", got)
		}
		mustGetClient(t, f.cache, inTx.ID)

		errRollback := errors.New("roll back")
		err = f.cache.InTx(ctx, func(tx storage.Store) error {
			if _, err := tx.UpdateClient(ctx, c.ID, renameClient("D")); err != nil {
				return err
			}
			if err := tx.DeleteClient(ctx, inTx.ID); err != nil {
				return err
			}
			return errRollback
		})
		if !errors.Is(err, errRollback) {
			t.Fatalf("InTx: %v", err)
		}
		if got := mustGetClient(t, f.cache, c.ID).Name; got != "C" {
			t.Fatalf("after a rolled-back InTx: name %q, want C", got)
		}
		mustGetClient(t, f.cache, inTx.ID)

		// Deleting the app takes its clients, here and in a transaction.
		if err := f.cache.DeleteApp(ctx, app.ID); err != nil {
			t.Fatal(err)
		}
		wantNoClient(t, f.cache, c.ID, "after DeleteApp")
		other := mustCreate(t, f.cache, "Other")
		oc := mustCreateClient(t, f.cache, other.ID)
		key := mustCreateKey(t, f.cache, other.ID)
		mustGetClient(t, f.cache, oc.ID)
		mustGetKey(t, f.cache, key.Hash)
		if err := f.cache.InTx(ctx, func(tx storage.Store) error { return tx.DeleteApp(ctx, other.ID) }); err != nil {
			t.Fatal(err)
		}
		wantNoClient(t, f.cache, oc.ID, "after DeleteApp in a transaction")
		wantNoKey(t, f.cache, key.Hash, "after DeleteApp in a transaction")
	})
}

// Concurrent misses of one key, client, or unknown one share one read.
func TestConcurrentKeyAndClientMissesShareOneRead(t *testing.T) {
	forEachEngine(t, func(t *testing.T, st *sqlstore.Store) {
		ctx := t.Context()
		f := newFixture(t, st, cachestore.Config{})
		app := mustCreate(t, st, "A")
		key := mustCreateKey(t, st, app.ID)
		c := mustCreateClient(t, st, app.ID)
		unknownKey, unknownClient := storage.HashSecret(storage.NewID()), "client-"+storage.NewID()
		f.count.gate = make(chan struct{})

		const n = 100
		var wg sync.WaitGroup
		errs := make(chan error, 4*n)
		for range n {
			wg.Go(func() {
				if got, err := f.cache.GetAPIKeyByHash(ctx, key.Hash); err != nil || got.ID != key.ID {
					errs <- fmt.Errorf("GetAPIKeyByHash: %v, %v", got, err)
				}
			})
			wg.Go(func() {
				if _, err := f.cache.GetAPIKeyByHash(ctx, unknownKey); !errors.Is(err, storage.ErrNotFound) {
					errs <- fmt.Errorf("GetAPIKeyByHash of an unknown digest: %v", err)
				}
			})
			wg.Go(func() {
				if got, err := f.cache.GetClient(ctx, c.ID); err != nil || got.ID != c.ID {
					errs <- fmt.Errorf("GetClient: %v, %v", got, err)
				}
			})
			wg.Go(func() {
				if _, err := f.cache.GetClient(ctx, unknownClient); !errors.Is(err, storage.ErrNotFound) {
					errs <- fmt.Errorf("GetClient of an unknown ID: %v", err)
				}
			})
		}
		// Hold the reads until the first of each is waiting, so that the
		// others arrive while it is under way.
		for f.count.getKey.Load() < 2 || f.count.getClient.Load() < 2 {
			time.Sleep(time.Millisecond)
		}
		time.Sleep(20 * time.Millisecond)
		close(f.count.gate)
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		if k, c := f.count.getKey.Load(), f.count.getClient.Load(); k != 2 || c != 2 {
			t.Fatalf("%d concurrent misses of each reached the store %d times for keys, %d for clients; want 2 each", n, k, c)
		}
	})
}

func TestKeyAndClientErrorsAreNotRemembered(t *testing.T) {
	forEachEngine(t, func(t *testing.T, st *sqlstore.Store) {
		ctx := t.Context()
		f := newFixture(t, st, cachestore.Config{})
		app := mustCreate(t, st, "A")
		key := mustCreateKey(t, st, app.ID)
		c := mustCreateClient(t, st, app.ID)
		f.count.down.Store(true)
		for range 2 {
			if _, err := f.cache.GetAPIKeyByHash(ctx, key.Hash); !errors.Is(err, storage.ErrUnavailable) {
				t.Fatalf("GetAPIKeyByHash with the database down: %v, want ErrUnavailable", err)
			}
			if _, err := f.cache.GetClient(ctx, c.ID); !errors.Is(err, storage.ErrUnavailable) {
				t.Fatalf("GetClient with the database down: %v, want ErrUnavailable", err)
			}
		}
		f.count.down.Store(false)
		mustGetKey(t, f.cache, key.Hash)
		mustGetClient(t, f.cache, c.ID)
		if k, c := f.count.getKey.Load(), f.count.getClient.Load(); k != 3 || c != 3 {
			t.Fatalf("store reached %d times for keys, %d for clients; want 3 each", k, c)
		}
	})
}

func TestUnknownClientsAreBounded(t *testing.T) {
	forEachEngine(t, func(t *testing.T, st *sqlstore.Store) {
		f := newFixture(t, st, cachestore.Config{MaxNegative: 50})
		app := mustCreate(t, f.cache, "A")
		c := mustCreateClient(t, f.cache, app.ID)
		mustGetClient(t, f.cache, c.ID)
		for i := range 1000 {
			wantNoClient(t, f.cache, "client-"+storage.NewID(), "made-up client")
			if clients, missing := f.cache.Remembered(storage.ChangeClient); missing > 50 || clients != 1 {
				t.Fatalf("after %d made-up IDs: %d clients and %d unknown IDs remembered; want 1 and at most 50", i+1, clients, missing)
			}
		}
		before := f.count.getClient.Load()
		mustGetClient(t, f.cache, c.ID)
		if f.count.getClient.Load() != before {
			t.Fatal("the known client was forgotten")
		}
	})
}

// What a caller gets is its own copy.
func TestClientCallersGetCopies(t *testing.T) {
	forEachEngine(t, func(t *testing.T, st *sqlstore.Store) {
		f := newFixture(t, st, cachestore.Config{})
		app := mustCreate(t, f.cache, "A")
		c := mustCreateClient(t, f.cache, app.ID)
		got := mustGetClient(t, f.cache, c.ID)
		got.RedirectURIs[0] = "https://evil.example/cb"
		got.SecretHash[0] ^= 0xff
		again := mustGetClient(t, f.cache, c.ID)
		if !slices.Equal(again.RedirectURIs, c.RedirectURIs) || !slices.Equal(again.SecretHash, c.SecretHash) {
			t.Fatalf("a caller changed the remembered client: %v, %x", again.RedirectURIs, again.SecretHash)
		}
	})
}

// TestAnyImplicitClientInMemory: discovery's question is answered from
// memory within TTL, and a client written through this Store, or seen
// changed after TTL, changes the answer.
func TestAnyImplicitClientInMemory(t *testing.T) {
	forEachEngine(t, func(t *testing.T, st *sqlstore.Store) {
		ctx := t.Context()
		f := newFixture(t, st, cachestore.Config{})
		want := func(v bool, reads int64, when string) {
			t.Helper()
			got, err := f.cache.AnyImplicitClient(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if got != v || f.count.anyImplicit.Load() != reads {
				t.Fatalf("%s: %v after %d reads, want %v after %d", when, got, f.count.anyImplicit.Load(), v, reads)
			}
		}
		app := mustCreate(t, f.cache, "A")
		c := mustCreateClient(t, f.cache, app.ID)
		want(false, 1, "first")
		want(false, 1, "again within TTL")
		implicit := func(c storage.Client) (storage.Client, error) { c.Implicit = true; return c, nil }
		if _, err := f.cache.UpdateClient(ctx, c.ID, implicit); err != nil {
			t.Fatal(err)
		}
		want(true, 2, "after an update through the cache")
		other := mustCreateClient(t, f.inner, app.ID)
		if _, err := f.inner.UpdateClient(ctx, other.ID, func(c storage.Client) (storage.Client, error) { return c, nil }); err != nil {
			t.Fatal(err)
		}
		if _, err := f.inner.UpdateClient(ctx, c.ID, func(c storage.Client) (storage.Client, error) { c.Implicit = false; return c, nil }); err != nil {
			t.Fatal(err)
		}
		want(true, 2, "changed elsewhere, within TTL")
		f.clock.Advance(cachestore.DefaultTTL)
		want(false, 3, "changed elsewhere, after TTL")
	})
}
