package signing_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/passbridge/passbridge/provider/signing"
	"github.com/passbridge/passbridge/storage"
)

func TestRotate(t *testing.T) {
	forEachStore(t, func(t *testing.T, st storage.Store) {
		ctx := context.Background()
		clk := newClock()
		m := newManager(t, st, clk, storage.RandomBytes(32), signing.Config{RetireAfter: 2 * time.Hour})

		// On an empty store Rotate creates the keys, then refuses: the next
		// key was published a moment ago.
		_, err := m.Rotate(ctx, false)
		if !errors.Is(err, signing.ErrRotateTooSoon) {
			t.Fatalf("rotate on an empty store: %v", err)
		}
		active, next := onlyKey(t, st, storage.KeyActive), onlyKey(t, st, storage.KeyNext)
		clk.Advance(59 * time.Minute)
		_, err = m.Rotate(ctx, false)
		if !errors.Is(err, signing.ErrRotateTooSoon) || !strings.Contains(err.Error(), next.ID) ||
			!strings.Contains(err.Error(), "published 59m0s ago") || !strings.Contains(err.Error(), "1h0m0s after publication") {
			t.Fatalf("too soon: %v", err)
		}
		if a, n := onlyKey(t, st, storage.KeyActive), onlyKey(t, st, storage.KeyNext); a.ID != active.ID || n.ID != next.ID {
			t.Fatal("a refused rotation changed the keys")
		}

		clk.Advance(time.Minute)
		r, err := m.Rotate(ctx, false)
		if err != nil {
			t.Fatal(err)
		}
		now := clk.Now()
		if r.Active != next.ID || r.Retired != active.ID || r.Next == "" || r.Next == next.ID {
			t.Fatalf("rotation %+v; active was %s, next %s", r, active.ID, next.ID)
		}
		newActive, newNext := onlyKey(t, st, storage.KeyActive), onlyKey(t, st, storage.KeyNext)
		retired := onlyKey(t, st, storage.KeyRetired)
		if newActive.ID != next.ID || !newActive.ActivatedAt.Equal(now) || !newActive.CreatedAt.Equal(start) {
			t.Errorf("active %+v", newActive)
		}
		if retired.ID != active.ID || !retired.RetiredAt.Equal(now) || !retired.ExpiresAt.Equal(now.Add(2*time.Hour)) ||
			!retired.ActivatedAt.Equal(start) {
			t.Errorf("retired %+v", retired)
		}
		if newNext.ID != r.Next || !newNext.CreatedAt.Equal(now) || !newNext.ActivatedAt.IsZero() {
			t.Errorf("next %+v", newNext)
		}
		if sk, err := m.SigningKey(ctx); err != nil || sk.ID() != next.ID {
			t.Fatalf("signs with %v (%v) after its own rotation, want %s", sk, err, next.ID)
		}

		// Forced, a rotation does not wait; the fresh next key becomes active.
		r2, err := m.Rotate(ctx, true)
		if err != nil || r2.Active != r.Next || r2.Retired != r.Active {
			t.Fatalf("forced rotation %+v: %v", r2, err)
		}
		if n := len(keysByState(t, st)[storage.KeyRetired]); n != 2 {
			t.Fatalf("%d retired keys, want 2", n)
		}
	})
}

// A changed algorithm reaches new keys through rotations: the first one's
// new next key has it, the second one activates it.
func TestRotateChangesAlgorithm(t *testing.T) {
	forEachStore(t, func(t *testing.T, st storage.Store) {
		ctx := context.Background()
		clk := newClock()
		mk := storage.RandomBytes(32)
		if err := newManager(t, st, clk, mk, signing.Config{Algorithm: signing.ES256}).Ensure(ctx); err != nil {
			t.Fatal(err)
		}
		m := newManager(t, st, clk, mk, signing.Config{Algorithm: signing.EdDSA})
		if _, err := m.Rotate(ctx, true); err != nil {
			t.Fatal(err)
		}
		if a, n := onlyKey(t, st, storage.KeyActive), onlyKey(t, st, storage.KeyNext); a.Algorithm != signing.ES256 || n.Algorithm != signing.EdDSA {
			t.Fatalf("after one rotation: active %s, next %s", a.Algorithm, n.Algorithm)
		}
		algs, err := m.SignatureAlgorithms(ctx)
		if err != nil || len(algs) != 2 || algs[0] != "ES256" || algs[1] != "EdDSA" {
			t.Fatalf("algorithms %v, %v", algs, err)
		}
		if _, err := m.Rotate(ctx, true); err != nil {
			t.Fatal(err)
		}
		if sk, err := m.SigningKey(ctx); err != nil || sk.SignatureAlgorithm() != "EdDSA" {
			t.Fatalf("after two rotations: %v, %v", sk, err)
		}
	})
}

// The callback of RotateWith runs in the rotation's transaction: its error
// undoes the rotation.
func TestRotateWith(t *testing.T) {
	forEachStore(t, func(t *testing.T, st storage.Store) {
		ctx := context.Background()
		clk := newClock()
		m := newManager(t, st, clk, storage.RandomBytes(32), signing.Config{})
		if err := m.Ensure(ctx); err != nil {
			t.Fatal(err)
		}
		active := onlyKey(t, st, storage.KeyActive)
		boom := errors.New("boom")
		_, err := m.RotateWith(ctx, true, func(ctx context.Context, tx storage.Store, r signing.Rotation) error {
			if k, err := tx.GetSigningKey(ctx, r.Active); err != nil || k.State != storage.KeyActive {
				t.Errorf("inside the transaction: %+v, %v", k, err)
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("RotateWith: %v", err)
		}
		if ks := keysByState(t, st); len(ks[storage.KeyRetired]) != 0 || ks[storage.KeyActive][0].ID != active.ID || len(ks[storage.KeyNext]) != 1 {
			t.Fatalf("rolled back rotation left %+v", ks)
		}

		var seen signing.Rotation
		r, err := m.RotateWith(ctx, true, func(_ context.Context, _ storage.Store, r signing.Rotation) error {
			seen = r
			return nil
		})
		if err != nil || seen != r {
			t.Fatalf("RotateWith: %+v, %v; callback saw %+v", r, err, seen)
		}
	})
}

// Rotations racing on one store leave one active and one next key, and
// every key they retired is published.
func TestRotateConcurrent(t *testing.T) {
	forEachStore(t, func(t *testing.T, st storage.Store) {
		ctx := context.Background()
		clk := newClock()
		mk := storage.RandomBytes(32)
		if err := newManager(t, st, clk, mk, signing.Config{}).Ensure(ctx); err != nil {
			t.Fatal(err)
		}
		const n = 6
		var (
			wg  sync.WaitGroup
			mu  sync.Mutex
			won int
		)
		for range n {
			m := newManager(t, st, clk, mk, signing.Config{})
			wg.Go(func() {
				if _, err := m.Rotate(ctx, true); err == nil {
					mu.Lock()
					won++
					mu.Unlock()
				} else if !strings.Contains(err.Error(), "try again") {
					t.Errorf("rotate: %v", err)
				}
			})
		}
		wg.Wait()
		onlyKey(t, st, storage.KeyActive)
		onlyKey(t, st, storage.KeyNext)
		if got := len(keysByState(t, st)[storage.KeyRetired]); won == 0 || got != won {
			t.Fatalf("%d rotations succeeded, %d keys retired", won, got)
		}
	})
}
