package signing_test

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/passbridge/passbridge/provider/internal/apitest"
	"github.com/passbridge/passbridge/provider/signing"
	"github.com/passbridge/passbridge/storage"
	"github.com/passbridge/passbridge/storage/sqlstore"
	"github.com/passbridge/passbridge/storage/sqlstore/sqlstoretest"
)

// forEachStore runs fn with a fresh, empty store of every engine.
func forEachStore(t *testing.T, fn func(t *testing.T, st storage.Store)) {
	sqlstoretest.ForEach(t, func(t *testing.T, open func(testing.TB) *sqlstore.Store) {
		fn(t, open(t))
	})
}

// start is the test clocks' starting time.
var start = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func newClock() *apitest.Clock { return apitest.NewClockAt(start) }

// newManager returns a Manager on st with the test clock and cfg's other
// settings (an ES256 key is fast to generate; RS256 tests ask for it).
func newManager(t testing.TB, st storage.Store, clk *apitest.Clock, masterKey []byte, cfg signing.Config) *signing.Manager {
	t.Helper()
	cfg.Store, cfg.MasterKey, cfg.Now = st, masterKey, clk.Now
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Algorithm == "" {
		cfg.Algorithm = signing.ES256
	}
	m, err := signing.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// keysByState lists the stored keys and groups them by state.
func keysByState(t testing.TB, st storage.Store) map[string][]storage.SigningKey {
	t.Helper()
	keys, err := st.ListSigningKeys(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]storage.SigningKey{}
	for _, k := range keys {
		out[k.State] = append(out[k.State], k)
	}
	return out
}

// onlyKey returns the one key in state, failing unless there is exactly one.
func onlyKey(t testing.TB, st storage.Store, state string) storage.SigningKey {
	t.Helper()
	ks := keysByState(t, st)[state]
	if len(ks) != 1 {
		t.Fatalf("%d %s keys, want 1: %+v", len(ks), state, ks)
	}
	return ks[0]
}

// flakyStore is a store whose signing-key listing fails while down is set.
type flakyStore struct {
	storage.Store
	down atomic.Bool
}

var errDown = errors.New("database down")

func (s *flakyStore) ListSigningKeys(ctx context.Context) ([]storage.SigningKey, error) {
	if s.down.Load() {
		return nil, errDown
	}
	return s.Store.ListSigningKeys(ctx)
}
