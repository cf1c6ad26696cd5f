package cachestore_test

import (
	"errors"
	"testing"
	"time"

	"github.com/passbridge/passbridge/storage"
	"github.com/passbridge/passbridge/storage/cachestore"
	"github.com/passbridge/passbridge/storage/sqlstore"
)

func newKey(appID string) storage.APIKey {
	secret, prefix := storage.NewSecret(storage.PrefixAPIKey)
	return storage.APIKey{
		ID: storage.NewID(), AppID: appID, Name: "deploy", Prefix: prefix, Hash: storage.HashSecret(secret),
		CreatedAt: time.Date(2026, 3, 1, 11, 0, 0, 0, time.UTC),
	}
}

func mustCreateKey(t *testing.T, s storage.APIKeyStore, appID string) storage.APIKey {
	t.Helper()
	k := newKey(appID)
	if err := s.CreateAPIKey(t.Context(), k); err != nil {
		t.Fatal(err)
	}
	return k
}

func mustGetKey(t *testing.T, s storage.APIKeyStore, hash []byte) storage.APIKey {
	t.Helper()
	k, err := s.GetAPIKeyByHash(t.Context(), hash)
	if err != nil {
		t.Fatalf("get api key: %v", err)
	}
	return k
}

func wantNoKey(t *testing.T, s storage.APIKeyStore, hash []byte, when string) {
	t.Helper()
	if _, err := s.GetAPIKeyByHash(t.Context(), hash); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("%s: get api key: %v, want ErrNotFound", when, err)
	}
}

func TestKeysWithinTTLStayInMemory(t *testing.T) {
	forEachEngine(t, func(t *testing.T, st *sqlstore.Store) {
		f := newFixture(t, st, cachestore.Config{})
		app := mustCreate(t, f.cache, "A")
		key := mustCreateKey(t, f.cache, app.ID)
		unknown := newKey(app.ID)
		for range 5 {
			mustGetKey(t, f.cache, key.Hash)
			wantNoKey(t, f.cache, unknown.Hash, "unknown key")
		}
		f.clock.Advance(cachestore.DefaultTTL - time.Millisecond)
		mustGetKey(t, f.cache, key.Hash)
		wantNoKey(t, f.cache, unknown.Hash, "unknown key")
		if n := f.count.getKey.Load(); n != 2 {
			t.Fatalf("store reached %d times, want twice (the key and the unknown digest)", n)
		}

		// Past TTL, both are read again, once.
		f.clock.Advance(time.Millisecond)
		for range 3 {
			mustGetKey(t, f.cache, key.Hash)
			wantNoKey(t, f.cache, unknown.Hash, "unknown key")
		}
		if n := f.count.getKey.Load(); n != 4 {
			t.Fatalf("after TTL: store reached %d times, want 4", n)
		}
	})
}

func TestKeyWritesThroughTheCacheAreSeenAtOnce(t *testing.T) {
	forEachEngine(t, func(t *testing.T, st *sqlstore.Store) {
		ctx := t.Context()
		f := newFixture(t, st, cachestore.Config{})
		app := mustCreate(t, f.cache, "A")
		key := mustCreateKey(t, f.cache, app.ID)
		mustGetKey(t, f.cache, key.Hash)

		// A revoked key is refused at once.
		if err := f.cache.DeleteAPIKey(ctx, app.ID, key.ID); err != nil {
			t.Fatal(err)
		}
		wantNoKey(t, f.cache, key.Hash, "after DeleteAPIKey")

		// A digest remembered as unknown is found once a key has it.
		late := newKey(app.ID)
		wantNoKey(t, f.cache, late.Hash, "not yet created")
		if err := f.cache.CreateAPIKey(ctx, late); err != nil {
			t.Fatal(err)
		}
		mustGetKey(t, f.cache, late.Hash)

		// Inside a transaction: the cache sees the writes once it commits,
		// and not those rolled back.
		inTx := newKey(app.ID)
		wantNoKey(t, f.cache, inTx.Hash, "not yet created")
		err := f.cache.InTx(ctx, func(tx storage.Store) error {
			if err := tx.DeleteAPIKey(ctx, app.ID, late.ID); err != nil {
				return err
			}
			return tx.InTx(ctx, func(tx storage.Store) error { return tx.CreateAPIKey(ctx, inTx) })
		})
		if err != nil {
			t.Fatal(err)
		}
		wantNoKey(t, f.cache, late.Hash, "deleted in a committed transaction")
		mustGetKey(t, f.cache, inTx.Hash)

		rolledBack := newKey(app.ID)
		wantNoKey(t, f.cache, rolledBack.Hash, "not yet created")
		errRollback := errors.New("roll back")
		err = f.cache.InTx(ctx, func(tx storage.Store) error {
			if err := tx.DeleteAPIKey(ctx, app.ID, inTx.ID); err != nil {
				return err
			}
			if err := tx.CreateAPIKey(ctx, rolledBack); err != nil {
				return err
			}
			return errRollback
		})
		if !errors.Is(err, errRollback) {
			t.Fatalf("InTx: %v", err)
		}
		mustGetKey(t, f.cache, inTx.Hash)
		wantNoKey(t, f.cache, rolledBack.Hash, "created in a rolled-back transaction")

		// Deleting the app takes its keys, remembered or not.
		if err := f.cache.DeleteApp(ctx, app.ID); err != nil {
			t.Fatal(err)
		}
		wantNoKey(t, f.cache, inTx.Hash, "after DeleteApp")
	})
}

// Without a change feed, a key revoked another way (the CLI, another
// instance) is refused after TTL, and not before.
func TestKeysRevokedElsewhereAreRefusedAfterTTL(t *testing.T) {
	forEachEngine(t, func(t *testing.T, st *sqlstore.Store) {
		ctx := t.Context()
		f := newFixture(t, st, cachestore.Config{TTL: 3 * time.Second})
		app := mustCreate(t, f.cache, "A")
		key := mustCreateKey(t, f.cache, app.ID)
		mustGetKey(t, f.cache, key.Hash)
		if err := f.inner.DeleteAPIKey(ctx, app.ID, key.ID); err != nil {
			t.Fatal(err)
		}
		f.clock.Advance(3*time.Second - time.Millisecond)
		mustGetKey(t, f.cache, key.Hash)
		f.clock.Advance(time.Millisecond)
		wantNoKey(t, f.cache, key.Hash, "after TTL")
	})
}

// A touch reaches the store, and the remembered key's LastUsedAt moves with
// it, so that the next request sees a fresh LastUsedAt and writes nothing.
func TestTouchMovesTheRememberedLastUse(t *testing.T) {
	forEachEngine(t, func(t *testing.T, st *sqlstore.Store) {
		ctx := t.Context()
		f := newFixture(t, st, cachestore.Config{})
		app := mustCreate(t, f.cache, "A")
		key := mustCreateKey(t, f.cache, app.ID)
		if got := mustGetKey(t, f.cache, key.Hash).LastUsedAt; !got.IsZero() {
			t.Fatalf("LastUsedAt of a new key: %v", got)
		}
		used := time.Date(2026, 3, 1, 12, 0, 0, 123456789, time.FixedZone("X", 3600))
		stored := used.UTC().Round(time.Microsecond)
		if err := f.cache.TouchAPIKey(ctx, key.ID, used); err != nil {
			t.Fatal(err)
		}
		if got := mustGetKey(t, f.cache, key.Hash).LastUsedAt; !got.Equal(stored) || got.Location() != time.UTC {
			t.Fatalf("remembered LastUsedAt after a touch: %v, want %v", got, stored)
		}
		// An earlier touch moves nothing, here as in the store.
		if err := f.cache.TouchAPIKey(ctx, key.ID, used.Add(-time.Minute)); err != nil {
			t.Fatal(err)
		}
		if got := mustGetKey(t, f.cache, key.Hash).LastUsedAt; !got.Equal(stored) {
			t.Fatalf("remembered LastUsedAt after an earlier touch: %v, want %v", got, stored)
		}
		if n := f.count.getKey.Load(); n != 1 {
			t.Fatalf("store read %d times, want once", n)
		}
		if got := mustGetKey(t, f.inner, key.Hash).LastUsedAt; !got.Equal(stored) {
			t.Fatalf("stored LastUsedAt: %v, want %v", got, stored)
		}

		// A key the store lost (revoked elsewhere) is forgotten when a touch
		// finds it gone.
		if err := f.inner.DeleteAPIKey(ctx, app.ID, key.ID); err != nil {
			t.Fatal(err)
		}
		if err := f.cache.TouchAPIKey(ctx, key.ID, used.Add(time.Minute)); !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("touch of a deleted key: %v, want ErrNotFound", err)
		}
		wantNoKey(t, f.cache, key.Hash, "after a touch found the key gone")
	})
}

// However many made-up digests a client sends, the set remembering them
// stays within its bound; a digest remembered is forgotten when a key with
// it is created, whatever the set holds.
func TestUnknownKeysAreBounded(t *testing.T) {
	forEachEngine(t, func(t *testing.T, st *sqlstore.Store) {
		ctx := t.Context()
		f := newFixture(t, st, cachestore.Config{MaxNegative: 50})
		app := mustCreate(t, f.cache, "A")
		key := mustCreateKey(t, f.cache, app.ID)
		mustGetKey(t, f.cache, key.Hash)
		for i := range 1000 {
			wantNoKey(t, f.cache, storage.HashSecret(storage.NewID()), "made-up key")
			if keys, missing := f.cache.Remembered(storage.ChangeAPIKey); missing > 50 || keys != 1 {
				t.Fatalf("after %d made-up keys: %d keys and %d unknown digests remembered; want 1 and at most 50", i+1, keys, missing)
			}
		}
		before := f.count.getKey.Load()
		mustGetKey(t, f.cache, key.Hash)
		if f.count.getKey.Load() != before {
			t.Fatal("the known key was forgotten")
		}

		late := newKey(app.ID)
		wantNoKey(t, f.cache, late.Hash, "not yet created")
		if _, missing := f.cache.Remembered(storage.ChangeAPIKey); missing == 0 {
			t.Fatal("the unknown digest was not remembered")
		}
		if err := f.cache.CreateAPIKey(ctx, late); err != nil {
			t.Fatal(err)
		}
		mustGetKey(t, f.cache, late.Hash)
	})
}

// What a caller gets is its own copy.
func TestKeyCallersGetCopies(t *testing.T) {
	forEachEngine(t, func(t *testing.T, st *sqlstore.Store) {
		f := newFixture(t, st, cachestore.Config{})
		app := mustCreate(t, f.cache, "A")
		key := mustCreateKey(t, f.cache, app.ID)
		hash := append([]byte(nil), key.Hash...)
		got := mustGetKey(t, f.cache, hash)
		got.Hash[0] ^= 0xff
		hash[0] ^= 0xff // the caller's slice, reused
		if again := mustGetKey(t, f.cache, key.Hash); string(again.Hash) != string(key.Hash) {
			t.Fatalf("a caller changed the remembered key: %x", again.Hash)
		}
	})
}
