package cachestore

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/passbridge/passbridge/storage"
)

// Defaults of Config.
const (
	// DefaultTTL is how long a value read is served from memory: without a
	// change feed, how late a change made by the CLI or another instance
	// may be seen; with one, the bound while the feed is down.
	DefaultTTL = 5 * time.Second
	// DefaultMaxNegative bounds the unknown app IDs, key digests and client
	// IDs remembered, each kind on its own. An entry costs about a hundred
	// bytes, so each set stays around a megabyte.
	DefaultMaxNegative = 10_000
)

// Config configures a Store.
type Config struct {
	// TTL is how long an app, API key or client (or its absence, or the
	// list of apps) read from the inner store is served from memory; 0 or
	// less means DefaultTTL.
	TTL time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// MaxNegative bounds the unknown keys remembered of each kind; 0 or
	// less means DefaultMaxNegative.
	MaxNegative int
}

// Store is a storage.Store that answers GetApp, ListApps, GetAPIKeyByHash
// and GetClient from memory. The embedded inner store serves every method
// Store does not define.
type Store struct {
	storage.Store

	ttl         time.Duration
	now         func() time.Time
	maxNegative int
	flights     singleflight.Group

	mu      sync.Mutex
	apps    memo[storage.App]
	appList *cached[[]storage.App] // read in the generation of apps
	keys    memo[storage.APIKey]   // by digest
	clients memo[storage.Client]
	// implicit is AnyImplicitClient's answer, read in generation
	// implicitGen of clients: any change to a client starts a new one.
	implicit    *cached[bool]
	implicitGen uint64

	feedMu   sync.Mutex
	feedStop context.CancelFunc // set by Start
	feedDone chan struct{}      // closed when the feed's goroutine has ended
}

var _ storage.Store = (*Store)(nil)

// New returns a Store in front of inner. It follows no change feed until
// Start.
func New(inner storage.Store, cfg Config) *Store {
	s := &Store{
		Store:       inner,
		ttl:         cfg.TTL,
		now:         cfg.Now,
		maxNegative: cfg.MaxNegative,
		apps:        newMemo[storage.App](),
		keys:        newMemo[storage.APIKey](),
		clients:     newMemo[storage.Client](),
	}
	if s.ttl <= 0 {
		s.ttl = DefaultTTL
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.maxNegative <= 0 {
		s.maxNegative = DefaultMaxNegative
	}
	return s
}

// share runs fn once for all callers asking for key at the same time. fn's
// context is not cancelled with the caller's, since other callers may be
// waiting for its answer; a caller whose own context ends stops waiting.
func (s *Store) share(ctx context.Context, what, key string, fn func(context.Context) (any, error)) (any, error) {
	ch := s.flights.DoChan(key, func() (any, error) { return fn(context.WithoutCancel(ctx)) })
	select {
	case r := <-ch:
		return r.Val, r.Err
	case <-ctx.Done():
		if err := ctx.Err(); errors.Is(err, context.DeadlineExceeded) {
			// A deadline that passes before the database answered is
			// ErrUnavailable (storage's convention): a 503, not a 500.
			return nil, fmt.Errorf("%s: %w: %w", what, storage.ErrUnavailable, err)
		}
		return nil, fmt.Errorf("%s: %w", what, ctx.Err())
	}
}

// forgetApp forgets the app with id and the list of apps; an empty id
// forgets every app.
func (s *Store) forgetApp(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if id == "" {
		s.apps.reset()
	} else {
		s.apps.forget(id)
	}
	s.appList = nil
}

// forgetAppAndItsRows forgets the app with id, with the API keys and
// clients that went with it.
func (s *Store) forgetAppAndItsRows(id string) {
	s.forgetApp(id)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys.forgetIf(func(k storage.APIKey) bool { return k.AppID == id })
	s.clients.forgetIf(func(c storage.Client) bool { return c.AppID == id })
}

// forgetAll forgets everything remembered.
func (s *Store) forgetAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.apps.reset()
	s.appList = nil
	s.keys.reset()
	s.clients.reset()
}
