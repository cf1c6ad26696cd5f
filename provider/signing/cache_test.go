package signing_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/passbridge/passbridge/provider/signing"
	"github.com/passbridge/passbridge/storage"
)

func publishedIDs(t *testing.T, m *signing.Manager) []string {
	t.Helper()
	keys, err := m.PublicKeys(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]string, len(keys))
	for i, k := range keys {
		ids[i] = k.ID()
		if k.Use() != "sig" {
			t.Errorf("key %s: use %q", k.ID(), k.Use())
		}
	}
	return ids
}

func TestPublicKeysRetiredUntilExpiry(t *testing.T) {
	forEachStore(t, func(t *testing.T, st storage.Store) {
		ctx := context.Background()
		clk := newClock()
		m := newManager(t, st, clk, storage.RandomBytes(32), signing.Config{RetireAfter: 3 * time.Hour})
		if err := m.Ensure(ctx); err != nil {
			t.Fatal(err)
		}
		old := onlyKey(t, st, storage.KeyActive)
		clk.Advance(signing.DefaultMinPublished)
		r, err := m.Rotate(ctx, false)
		if err != nil {
			t.Fatal(err)
		}
		want := []string{r.Active, r.Next, old.ID}
		if got := publishedIDs(t, m); !equal(got, want) {
			t.Fatalf("published %v, want active, next, retired %v", got, want)
		}
		keys, _ := m.PublicKeys(ctx)
		for i, state := range []string{storage.KeyActive, storage.KeyNext, storage.KeyRetired} {
			if keys[i].State() != state || keys[i].Algorithm() != "ES256" {
				t.Errorf("key %d: %s %s", i, keys[i].State(), keys[i].Algorithm())
			}
		}

		clk.Advance(3*time.Hour - time.Microsecond)
		if got := publishedIDs(t, m); !equal(got, want) {
			t.Fatalf("just before expiry: %v", got)
		}
		clk.Advance(time.Microsecond)
		if got := publishedIDs(t, m); !equal(got, want[:2]) {
			t.Fatalf("at expiry: %v, want %v", got, want[:2])
		}
		// GC removes it from the store too.
		if _, err := st.DeleteExpired(ctx, clk.Now()); err != nil {
			t.Fatal(err)
		}
		if _, err := st.GetSigningKey(ctx, old.ID); !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("expired retired key after GC: %v", err)
		}
	})
}

// A rotation made by one instance reaches another when its cache is
// RefreshEvery old, not before.
func TestRefreshSeesOtherInstance(t *testing.T) {
	forEachStore(t, func(t *testing.T, st storage.Store) {
		ctx := context.Background()
		clk := newClock()
		mk := storage.RandomBytes(32)
		a := newManager(t, st, clk, mk, signing.Config{})
		b := newManager(t, st, clk, mk, signing.Config{RefreshEvery: time.Minute})
		if err := a.Ensure(ctx); err != nil {
			t.Fatal(err)
		}
		first, err := b.SigningKey(ctx)
		if err != nil {
			t.Fatal(err)
		}
		before := publishedIDs(t, b)

		clk.Advance(30 * time.Second)
		r, err := a.Rotate(ctx, true)
		if err != nil {
			t.Fatal(err)
		}
		clk.Advance(30*time.Second - time.Microsecond)
		if sk, _ := b.SigningKey(ctx); sk.ID() != first.ID() {
			t.Fatalf("b saw the rotation before its refresh interval: %s", sk.ID())
		}
		if got := publishedIDs(t, b); !equal(got, before) {
			t.Fatalf("b's key set changed before its refresh interval: %v", got)
		}
		clk.Advance(time.Microsecond)
		if sk, _ := b.SigningKey(ctx); sk.ID() != r.Active {
			t.Fatalf("b signs with %s after its refresh interval, want %s", sk.ID(), r.Active)
		}
		if got := publishedIDs(t, b); !equal(got, []string{r.Active, r.Next, r.Retired}) {
			t.Fatalf("b publishes %v", got)
		}
	})
}

// While the store cannot be read, the cached keys keep being served; a
// Manager with nothing cached reports the failure.
func TestRefreshFailureKeepsCache(t *testing.T) {
	forEachStore(t, func(t *testing.T, st storage.Store) {
		ctx := context.Background()
		clk := newClock()
		mk := storage.RandomBytes(32)
		flaky := &flakyStore{Store: st}
		m := newManager(t, flaky, clk, mk, signing.Config{})
		if err := m.Ensure(ctx); err != nil {
			t.Fatal(err)
		}
		sk, _ := m.SigningKey(ctx)

		flaky.down.Store(true)
		clk.Advance(time.Hour)
		got, err := m.SigningKey(ctx)
		if err != nil || got.ID() != sk.ID() {
			t.Fatalf("store down, cache held: %v, %v", got, err)
		}
		if ids := publishedIDs(t, m); len(ids) != 2 {
			t.Fatalf("store down: published %v", ids)
		}
		if _, err := newManager(t, flaky, clk, mk, signing.Config{}).SigningKey(ctx); !errors.Is(err, errDown) {
			t.Fatalf("store down, nothing cached: %v", err)
		}

		// Back up, a rotation made meanwhile is picked up.
		flaky.down.Store(false)
		r, err := newManager(t, st, clk, mk, signing.Config{}).Rotate(ctx, true)
		if err != nil {
			t.Fatal(err)
		}
		clk.Advance(signing.DefaultRefreshEvery)
		if got, err := m.SigningKey(ctx); err != nil || got.ID() != r.Active {
			t.Fatalf("store back: %v, %v; want %s", got, err, r.Active)
		}
	})
}

// An empty store has no key to sign with.
func TestNoActiveKey(t *testing.T) {
	forEachStore(t, func(t *testing.T, st storage.Store) {
		m := newManager(t, st, newClock(), storage.RandomBytes(32), signing.Config{})
		if _, err := m.SigningKey(context.Background()); !errors.Is(err, signing.ErrNoActiveKey) {
			t.Fatalf("SigningKey on an empty store: %v", err)
		}
	})
}

// Signers, the key set and rotations may run at once (run with -race).
func TestConcurrentUse(t *testing.T) {
	forEachStore(t, func(t *testing.T, st storage.Store) {
		ctx := context.Background()
		clk := newClock()
		mk := storage.RandomBytes(32)
		m := newManager(t, st, clk, mk, signing.Config{RefreshEvery: time.Second})
		if err := m.Ensure(ctx); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				for range 50 {
					sk, err := m.SigningKey(ctx)
					if err != nil {
						t.Error(err)
						return
					}
					keys, err := m.PublicKeys(ctx)
					if err != nil {
						t.Error(err)
						return
					}
					found := false
					for _, k := range keys {
						found = found || k.ID() == sk.ID()
					}
					if !found {
						t.Errorf("signing key %s is not published in %d keys", sk.ID(), len(keys))
						return
					}
					clk.Advance(100 * time.Millisecond)
				}
			})
		}
		wg.Go(func() {
			other := newManager(t, st, clk, mk, signing.Config{})
			for range 5 {
				if _, err := other.Rotate(ctx, true); err != nil {
					t.Error(err)
				}
			}
		})
		wg.Wait()
	})
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
