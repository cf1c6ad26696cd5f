package cachestore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/passbridge/passbridge/storage"
)

// Defaults of Config.
const (
	// DefaultTTL is how long a read app is served from memory: how late a
	// change made by the CLI or another instance may be seen.
	DefaultTTL = 5 * time.Second
	// DefaultMaxNegative bounds the unknown app IDs remembered. An entry
	// costs about a hundred bytes, so the set stays around a megabyte.
	DefaultMaxNegative = 10_000
)

// Config configures a Store.
type Config struct {
	// TTL is how long an app (or its absence, or the list of apps) read from
	// the inner store is served from memory; 0 or less means DefaultTTL.
	TTL time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// MaxNegative bounds the unknown app IDs remembered; 0 or less means
	// DefaultMaxNegative.
	MaxNegative int
}

// Store is a storage.Store that answers GetApp and ListApps from memory.
// The embedded inner store serves every method Store does not define.
type Store struct {
	storage.Store

	ttl         time.Duration
	now         func() time.Time
	maxNegative int
	flights     singleflight.Group

	mu sync.Mutex
	// gen counts invalidations. A read begun in an older generation may have
	// seen the old rows, so its result is not kept.
	gen     uint64
	apps    map[string]cached[storage.App]
	missing map[string]time.Time // unknown app ID → when it was looked up
	list    *cached[[]storage.App]
}

var _ storage.Store = (*Store)(nil)

// cached is a value read from the inner store at a time.
type cached[T any] struct {
	val T
	at  time.Time
}

// New returns a Store in front of inner.
func New(inner storage.Store, cfg Config) *Store {
	s := &Store{
		Store:       inner,
		ttl:         cfg.TTL,
		now:         cfg.Now,
		maxNegative: cfg.MaxNegative,
		apps:        make(map[string]cached[storage.App]),
		missing:     make(map[string]time.Time),
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

// GetApp returns the app with id, from memory if it was read less than TTL
// ago.
func (s *Store) GetApp(ctx context.Context, id string) (storage.App, error) {
	app, found, hit, gen := s.cachedApp(id)
	if !hit {
		v, err := s.share(ctx, "app:"+strconv.FormatUint(gen, 10)+":"+id, func(ctx context.Context) (any, error) {
			// A flight that ended just before this one began may have
			// filled the cache.
			if app, found, hit, _ := s.cachedApp(id); hit {
				return lookup{app, found}, nil
			}
			at := s.now()
			app, err := s.Store.GetApp(ctx, id)
			switch {
			case err == nil:
				s.keepApp(gen, id, app, at)
				return lookup{app, true}, nil
			case errors.Is(err, storage.ErrNotFound):
				s.keepMissing(gen, id, at)
				return lookup{}, nil
			}
			return nil, err
		})
		if err != nil {
			return storage.App{}, err
		}
		l := v.(lookup)
		app, found = l.app, l.found
	}
	if !found {
		return storage.App{}, fmt.Errorf("get app: %w", storage.ErrNotFound)
	}
	return cloneApp(app), nil
}

// lookup is what one GetApp flight found.
type lookup struct {
	app   storage.App
	found bool
}

// ListApps returns every app, from memory if the list was read less than
// TTL ago.
func (s *Store) ListApps(ctx context.Context) ([]storage.App, error) {
	apps, hit, gen := s.cachedList()
	if !hit {
		v, err := s.share(ctx, "list:"+strconv.FormatUint(gen, 10), func(ctx context.Context) (any, error) {
			if apps, hit, _ := s.cachedList(); hit {
				return apps, nil
			}
			at := s.now()
			apps, err := s.Store.ListApps(ctx)
			if err != nil {
				return nil, err
			}
			s.keepList(gen, apps, at)
			return apps, nil
		})
		if err != nil {
			return nil, err
		}
		apps = v.([]storage.App)
	}
	if apps == nil {
		return nil, nil
	}
	out := make([]storage.App, len(apps))
	for i, a := range apps {
		out[i] = cloneApp(a)
	}
	return out, nil
}

// share runs fn once for all callers asking for key at the same time. fn's
// context is not cancelled with the caller's, since other callers may be
// waiting for its answer; a caller whose own context ends stops waiting.
func (s *Store) share(ctx context.Context, key string, fn func(context.Context) (any, error)) (any, error) {
	ch := s.flights.DoChan(key, func() (any, error) { return fn(context.WithoutCancel(ctx)) })
	select {
	case r := <-ch:
		return r.Val, r.Err
	case <-ctx.Done():
		return nil, fmt.Errorf("app cache: %w", ctx.Err())
	}
}

// CreateApp creates the app and forgets what this Store remembers of apps.
func (s *Store) CreateApp(ctx context.Context, a storage.App) error {
	defer s.invalidate()
	return s.Store.CreateApp(ctx, a)
}

// UpdateApp updates the app and forgets what this Store remembers of apps.
func (s *Store) UpdateApp(ctx context.Context, id string, fn func(storage.App) (storage.App, error)) (storage.App, error) {
	defer s.invalidate()
	return s.Store.UpdateApp(ctx, id, fn)
}

// DeleteApp deletes the app and forgets what this Store remembers of apps.
func (s *Store) DeleteApp(ctx context.Context, id string) error {
	defer s.invalidate()
	return s.Store.DeleteApp(ctx, id)
}

// InTx runs fn in a transaction of the inner store. fn's Store reads apps
// from the transaction, not from memory, so it sees its own writes; if it
// writes apps, this Store forgets what it remembers of apps once the
// transaction has ended (committed or not).
func (s *Store) InTx(ctx context.Context, fn func(tx storage.Store) error) error {
	wrote := new(atomic.Bool)
	defer func() {
		if wrote.Load() {
			s.invalidate()
		}
	}()
	return s.Store.InTx(ctx, func(tx storage.Store) error {
		return fn(&txStore{Store: tx, wrote: wrote})
	})
}

// txStore is the Store handed to an InTx callback: the inner transaction,
// noting whether apps were written.
type txStore struct {
	storage.Store
	wrote *atomic.Bool // shared by nested InTx calls of one transaction
}

func (t *txStore) CreateApp(ctx context.Context, a storage.App) error {
	t.wrote.Store(true)
	return t.Store.CreateApp(ctx, a)
}

func (t *txStore) UpdateApp(ctx context.Context, id string, fn func(storage.App) (storage.App, error)) (storage.App, error) {
	t.wrote.Store(true)
	return t.Store.UpdateApp(ctx, id, fn)
}

func (t *txStore) DeleteApp(ctx context.Context, id string) error {
	t.wrote.Store(true)
	return t.Store.DeleteApp(ctx, id)
}

// InTx runs fn in the same transaction, with the same bookkeeping.
func (t *txStore) InTx(ctx context.Context, fn func(tx storage.Store) error) error {
	return t.Store.InTx(ctx, func(tx storage.Store) error {
		return fn(&txStore{Store: tx, wrote: t.wrote})
	})
}

// cachedApp looks id up in memory: hit reports whether memory answers, and
// found whether the app exists. gen is the current generation.
func (s *Store) cachedApp(id string) (app storage.App, found, hit bool, gen uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if e, ok := s.apps[id]; ok && s.fresh(e.at, now) {
		return e.val, true, true, s.gen
	}
	if at, ok := s.missing[id]; ok && s.fresh(at, now) {
		return storage.App{}, false, true, s.gen
	}
	return storage.App{}, false, false, s.gen
}

// cachedList returns the remembered list of apps, if any is fresh.
func (s *Store) cachedList() (apps []storage.App, hit bool, gen uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.list != nil && s.fresh(s.list.at, s.now()) {
		return s.list.val, true, s.gen
	}
	return nil, false, s.gen
}

// fresh reports whether a value read at at may still be served at now.
func (s *Store) fresh(at, now time.Time) bool {
	return now.Sub(at) < s.ttl
}

// keepApp remembers app, read at at, unless apps were written since the
// read began in generation gen.
func (s *Store) keepApp(gen uint64, id string, app storage.App, at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if gen != s.gen {
		return
	}
	delete(s.missing, id)
	s.apps[id] = cached[storage.App]{val: cloneApp(app), at: at}
}

// keepMissing remembers that no app has id. When the set is full it is
// emptied: a client spraying made-up IDs costs one query per ID either way,
// and memory stays bounded whatever it sends.
func (s *Store) keepMissing(gen uint64, id string, at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if gen != s.gen {
		return
	}
	delete(s.apps, id)
	if len(s.missing) >= s.maxNegative {
		s.missing = make(map[string]time.Time)
	}
	s.missing[id] = at
}

// keepList remembers the list of apps, as keepApp does an app.
func (s *Store) keepList(gen uint64, apps []storage.App, at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if gen != s.gen {
		return
	}
	kept := slices.Clone(apps)
	for i := range kept {
		kept[i] = cloneApp(kept[i])
	}
	s.list = &cached[[]storage.App]{val: kept, at: at}
}

// invalidate forgets every app, absence and list remembered, and starts a
// new generation so that reads already under way keep nothing.
func (s *Store) invalidate() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gen++
	s.apps = make(map[string]cached[storage.App])
	s.missing = make(map[string]time.Time)
	s.list = nil
}

// cloneApp copies a's slices, so that no caller can change what is
// remembered or what another caller got.
func cloneApp(a storage.App) storage.App {
	a.Origins = slices.Clone(a.Origins)
	return a
}
