package cachestore_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/passbridge/passbridge/storage"
	"github.com/passbridge/passbridge/storage/cachestore"
	"github.com/passbridge/passbridge/storage/sqlstore"
	"github.com/passbridge/passbridge/storage/sqlstore/sqlstoretest"
)

// counting is a real store that counts the reads of apps, API keys and
// clients reaching it, and can hold them (gate) or fail them as an
// unreachable database would. It passes the real store's change feed on.
type counting struct {
	storage.Store
	getApp, listApps, getKey, getClient atomic.Int64
	anyImplicit                         atomic.Int64
	gate                                chan struct{} // when set, reads wait for it to close
	down                                atomic.Bool   // reads answer ErrUnavailable
}

func (s *counting) GetAPIKeyByHash(ctx context.Context, hash []byte) (storage.APIKey, error) {
	s.getKey.Add(1)
	if err := s.wait(); err != nil {
		return storage.APIKey{}, err
	}
	return s.Store.GetAPIKeyByHash(ctx, hash)
}

func (s *counting) GetClient(ctx context.Context, id string) (storage.Client, error) {
	s.getClient.Add(1)
	if err := s.wait(); err != nil {
		return storage.Client{}, err
	}
	return s.Store.GetClient(ctx, id)
}

func (s *counting) AnyImplicitClient(ctx context.Context) (bool, error) {
	s.anyImplicit.Add(1)
	if err := s.wait(); err != nil {
		return false, err
	}
	return s.Store.AnyImplicitClient(ctx)
}

func (s *counting) Changes(ctx context.Context) (<-chan storage.Change, error) {
	if f, ok := s.Store.(storage.ChangeFeed); ok {
		return f.Changes(ctx)
	}
	return nil, errors.ErrUnsupported
}

func (s *counting) GetApp(ctx context.Context, id string) (storage.App, error) {
	s.getApp.Add(1)
	if err := s.wait(); err != nil {
		return storage.App{}, err
	}
	return s.Store.GetApp(ctx, id)
}

func (s *counting) ListApps(ctx context.Context) ([]storage.App, error) {
	s.listApps.Add(1)
	if err := s.wait(); err != nil {
		return nil, err
	}
	return s.Store.ListApps(ctx)
}

func (s *counting) wait() error {
	if s.gate != nil {
		<-s.gate
	}
	if s.down.Load() {
		return fmt.Errorf("read: %w", storage.ErrUnavailable)
	}
	return nil
}

// clock is a test clock moved by hand.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// fixture is a cache over a counting real store, with a clock.
type fixture struct {
	inner *sqlstore.Store
	count *counting
	cache *cachestore.Store
	clock *clock
}

func newFixture(t *testing.T, st *sqlstore.Store, cfg cachestore.Config) *fixture {
	t.Helper()
	f := &fixture{inner: st, count: &counting{Store: st}, clock: &clock{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}}
	cfg.Now = f.clock.Now
	f.cache = cachestore.New(f.count, cfg)
	return f
}

func forEachEngine(t *testing.T, fn func(t *testing.T, st *sqlstore.Store)) {
	sqlstoretest.ForEach(t, func(t *testing.T, open func(testing.TB) *sqlstore.Store) {
		fn(t, open(t))
	})
}

func newApp(name string) storage.App {
	now := time.Date(2026, 3, 1, 11, 0, 0, 0, time.UTC)
	return storage.App{
		ID: storage.NewID(), Name: name, RPID: "example.com", RPName: name,
		Origins:          []string{"https://example.com"},
		UserVerification: storage.RequirementRequired, ResidentKey: storage.RequirementRequired,
		Attestation: "none", SignCountPolicy: storage.SignCountReject,
		TransactionTTL: 5 * time.Minute, CeremonyTimeout: 2 * time.Minute, NonceTTL: 5 * time.Minute,
		CreatedAt: now, UpdatedAt: now,
	}
}

func mustCreate(t *testing.T, s storage.AppStore, name string) storage.App {
	t.Helper()
	a := newApp(name)
	if err := s.CreateApp(t.Context(), a); err != nil {
		t.Fatal(err)
	}
	return a
}

func mustGet(t *testing.T, s storage.AppStore, id string) storage.App {
	t.Helper()
	a, err := s.GetApp(t.Context(), id)
	if err != nil {
		t.Fatalf("get app: %v", err)
	}
	return a
}

func rename(name string) func(storage.App) (storage.App, error) {
	return func(a storage.App) (storage.App, error) { a.Name = name; return a, nil }
}
