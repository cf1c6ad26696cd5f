package signing_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/passbridge/passbridge/provider/signing"
	"github.com/passbridge/passbridge/storage"
	"github.com/passbridge/passbridge/storage/sqlstore/sqlstoretest"
)

func TestNewConfig(t *testing.T) {
	st := struct{ storage.Store }{}
	for name, tt := range map[string]struct {
		cfg  signing.Config
		want string
	}{
		"no store":          {signing.Config{MasterKey: make([]byte, 32)}, "store is required"},
		"short master key":  {signing.Config{Store: st, MasterKey: make([]byte, 16)}, "master key has 16 bytes, want 32"},
		"unknown algorithm": {signing.Config{Store: st, MasterKey: make([]byte, 32), Algorithm: "HS256"}, `algorithm "HS256"`},
		"negative refresh":  {signing.Config{Store: st, MasterKey: make([]byte, 32), RefreshEvery: -time.Second}, "refresh interval -1s is negative"},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := signing.New(tt.cfg); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("New: %v, want %q", err, tt.want)
			}
		})
	}
	m, err := signing.New(signing.Config{Store: st, MasterKey: make([]byte, 32)})
	if err != nil || m.Algorithm() != signing.RS256 {
		t.Fatalf("defaults: %v, %v", m, err)
	}
	if got := signing.RetireAfterFor(24 * time.Hour); got != signing.DefaultRetireAfter {
		t.Fatalf("RetireAfterFor(24h) = %s, want the default %s", got, signing.DefaultRetireAfter)
	}
}

func TestEnsure(t *testing.T) {
	forEachStore(t, func(t *testing.T, st storage.Store) {
		ctx := context.Background()
		clk := newClock()
		m := newManager(t, st, clk, storage.RandomBytes(32), signing.Config{Algorithm: signing.RS256})
		if err := m.Ensure(ctx); err != nil {
			t.Fatal(err)
		}
		active, next := onlyKey(t, st, storage.KeyActive), onlyKey(t, st, storage.KeyNext)
		for _, k := range []storage.SigningKey{active, next} {
			if k.Algorithm != signing.RS256 || !k.CreatedAt.Equal(start) || !k.ExpiresAt.IsZero() || !k.RetiredAt.IsZero() {
				t.Errorf("key %+v", k)
			}
		}
		if !active.ActivatedAt.Equal(start) || !next.ActivatedAt.IsZero() {
			t.Errorf("activated: active %v, next %v", active.ActivatedAt, next.ActivatedAt)
		}
		sk, err := m.SigningKey(ctx)
		if err != nil || sk.ID() != active.ID || sk.SignatureAlgorithm() != "RS256" {
			t.Fatalf("signing key %v, %v; want %s", sk, err, active.ID)
		}

		// Nothing changes on a store that has its keys.
		clk.Advance(time.Hour)
		if err := m.Ensure(ctx); err != nil {
			t.Fatal(err)
		}
		if a, n := onlyKey(t, st, storage.KeyActive), onlyKey(t, st, storage.KeyNext); a.ID != active.ID || n.ID != next.ID {
			t.Fatalf("second Ensure changed the keys: %s %s", a.ID, n.ID)
		}
	})
}

// A store with a next key but no active one gets the published next key
// activated, and a new next key.
func TestEnsurePromotesNext(t *testing.T) {
	forEachStore(t, func(t *testing.T, st storage.Store) {
		ctx := context.Background()
		clk := newClock()
		m := newManager(t, st, clk, storage.RandomBytes(32), signing.Config{})
		if err := m.Ensure(ctx); err != nil {
			t.Fatal(err)
		}
		active, next := onlyKey(t, st, storage.KeyActive), onlyKey(t, st, storage.KeyNext)
		if err := st.DeleteSigningKey(ctx, active.ID); err != nil {
			t.Fatal(err)
		}
		clk.Advance(time.Minute)
		if err := m.Ensure(ctx); err != nil {
			t.Fatal(err)
		}
		promoted := onlyKey(t, st, storage.KeyActive)
		if promoted.ID != next.ID || !promoted.ActivatedAt.Equal(start.Add(time.Minute)) {
			t.Fatalf("active %+v, want the former next key %s", promoted, next.ID)
		}
		if n := onlyKey(t, st, storage.KeyNext); n.ID == next.ID {
			t.Fatal("no new next key")
		}
	})
}

// Surplus keys (instances that created keys at once) are retired, keeping
// the key activated first and the next key created first.
func TestEnsureSettlesSurplus(t *testing.T) {
	forEachStore(t, func(t *testing.T, st storage.Store) {
		ctx := context.Background()
		clk := newClock()
		mk := storage.RandomBytes(32)
		// Two "instances" each fill an empty store of their own; their keys
		// are then put into one store, as a race on PostgreSQL can leave them.
		var actives, nexts []storage.SigningKey
		for range 2 {
			other := sqlstoretest.Open(t, sqlstoretest.SQLite)
			if err := newManager(t, other, clk, mk, signing.Config{}).Ensure(ctx); err != nil {
				t.Fatal(err)
			}
			actives = append(actives, onlyKey(t, other, storage.KeyActive))
			nexts = append(nexts, onlyKey(t, other, storage.KeyNext))
			clk.Advance(time.Second)
		}
		for _, k := range append(actives, nexts...) {
			if err := st.CreateSigningKey(ctx, k); err != nil {
				t.Fatal(err)
			}
		}
		m := newManager(t, st, clk, mk, signing.Config{})
		if err := m.Ensure(ctx); err != nil {
			t.Fatal(err)
		}
		ks := keysByState(t, st)
		if len(ks[storage.KeyActive]) != 1 || len(ks[storage.KeyNext]) != 1 || len(ks[storage.KeyRetired]) != 2 {
			t.Fatalf("keys: %+v", ks)
		}
		if ks[storage.KeyActive][0].ID != actives[0].ID || ks[storage.KeyNext][0].ID != nexts[0].ID {
			t.Fatalf("kept %s and %s, want the first instance's %s and %s",
				ks[storage.KeyActive][0].ID, ks[storage.KeyNext][0].ID, actives[0].ID, nexts[0].ID)
		}
		now := clk.Now()
		for _, k := range ks[storage.KeyRetired] {
			switch k.ID {
			case actives[1].ID: // it may have signed
				if !k.ExpiresAt.Equal(now.Add(signing.DefaultRetireAfter)) {
					t.Errorf("surplus active key expires %v", k.ExpiresAt)
				}
			case nexts[1].ID: // it signed nothing
				if !k.ExpiresAt.Equal(now) {
					t.Errorf("surplus next key expires %v", k.ExpiresAt)
				}
			default:
				t.Errorf("retired %s", k.ID)
			}
		}
	})
}

// Instances starting at once on one store end with one active and one next
// key, and, once their caches refresh, all sign with that active key.
func TestEnsureConcurrent(t *testing.T) {
	forEachStore(t, func(t *testing.T, st storage.Store) {
		ctx := context.Background()
		clk := newClock()
		mk := storage.RandomBytes(32)
		const n = 10
		managers := make([]*signing.Manager, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range managers {
			managers[i] = newManager(t, st, clk, mk, signing.Config{Algorithm: []string{signing.ES256, signing.EdDSA}[i%2]})
			wg.Go(func() { errs[i] = managers[i].Ensure(ctx) })
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("manager %d: %v", i, err)
			}
		}
		active := onlyKey(t, st, storage.KeyActive)
		onlyKey(t, st, storage.KeyNext)
		for _, k := range keysByState(t, st)[storage.KeyRetired] {
			t.Logf("settled a race: retired %s", k.ID)
		}
		clk.Advance(signing.DefaultRefreshEvery)
		for i, m := range managers {
			sk, err := m.SigningKey(ctx)
			if err != nil || sk.ID() != active.ID {
				t.Fatalf("manager %d signs with %v (%v), want %s", i, sk, err, active.ID)
			}
		}
	})
}
