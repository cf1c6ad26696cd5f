package cachestore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/passbridge/passbridge/storage"
)

// cached is a value read from the inner store at a time.
type cached[T any] struct {
	val T
	at  time.Time
}

// memo remembers the values of one kind read from the inner store, by
// key, and the keys that named nothing. Its fields and methods are used
// with Store.mu held.
type memo[V any] struct {
	// gen counts invalidations. A read begun in an older generation may
	// have seen the old rows, so its result is not kept.
	gen     uint64
	found   map[string]cached[V]
	missing map[string]time.Time // key that named nothing → when it was looked up
}

func newMemo[V any]() memo[V] {
	return memo[V]{found: make(map[string]cached[V]), missing: make(map[string]time.Time)}
}

// recall looks key up: hit reports whether memory answers, and found
// whether a value exists. Entries read ttl or longer before now are stale.
func (m *memo[V]) recall(key string, now time.Time, ttl time.Duration) (v V, found, hit bool) {
	if e, ok := m.found[key]; ok && now.Sub(e.at) < ttl {
		return e.val, true, true
	}
	if at, ok := m.missing[key]; ok && now.Sub(at) < ttl {
		return v, false, true
	}
	return v, false, false
}

// keep remembers v, read at at, unless the kind was invalidated since the
// read began in generation gen.
func (m *memo[V]) keep(gen uint64, key string, v V, at time.Time) {
	if gen != m.gen {
		return
	}
	delete(m.missing, key)
	m.found[key] = cached[V]{val: v, at: at}
}

// keepMissing remembers that key names nothing, as keep does a value. When
// the set holds max keys it is emptied: a client spraying made-up keys
// costs one query per key either way, and memory stays bounded whatever it
// sends.
func (m *memo[V]) keepMissing(gen uint64, key string, at time.Time, max int) {
	if gen != m.gen {
		return
	}
	delete(m.found, key)
	if len(m.missing) >= max {
		m.missing = make(map[string]time.Time)
	}
	m.missing[key] = at
}

// forget forgets key, found or missing, and starts a new generation.
func (m *memo[V]) forget(key string) {
	m.gen++
	delete(m.found, key)
	delete(m.missing, key)
}

// forgetIf forgets the values drop selects, and starts a new generation.
func (m *memo[V]) forgetIf(drop func(V) bool) {
	m.gen++
	for k, e := range m.found {
		if drop(e.val) {
			delete(m.found, k)
		}
	}
}

// reset forgets everything and starts a new generation.
func (m *memo[V]) reset() {
	m.gen++
	m.found = make(map[string]cached[V])
	m.missing = make(map[string]time.Time)
}

// result is what one read of a key found.
type result[V any] struct {
	val   V
	found bool
}

// lookup reads key of the kind m holds: from memory if it was read less
// than TTL ago, else through load, one load for all callers missing the
// same key at once. A key that names nothing is ErrNotFound wrapped in
// what; clone copies a value, so that no caller shares what is remembered.
func lookup[V any](ctx context.Context, s *Store, m *memo[V], what, key string,
	load func(context.Context) (V, error), clone func(V) V) (V, error) {
	var zero V
	v, found, hit, gen := recall(s, m, key)
	if !hit {
		r, err := s.share(ctx, what, what+":"+strconv.FormatUint(gen, 10)+":"+key, func(ctx context.Context) (any, error) {
			// A flight that ended just before this one began may have
			// filled the cache.
			if v, found, hit, _ := recall(s, m, key); hit {
				return result[V]{v, found}, nil
			}
			at := s.now()
			v, err := load(ctx)
			switch {
			case err == nil:
				kept := clone(v)
				s.mu.Lock()
				m.keep(gen, key, kept, at)
				s.mu.Unlock()
				return result[V]{kept, true}, nil
			case errors.Is(err, storage.ErrNotFound):
				s.mu.Lock()
				m.keepMissing(gen, key, at, s.maxNegative)
				s.mu.Unlock()
				return result[V]{}, nil
			}
			return nil, err
		})
		if err != nil {
			return zero, err
		}
		res := r.(result[V])
		v, found = res.val, res.found
	}
	if !found {
		return zero, fmt.Errorf("%s: %w", what, storage.ErrNotFound)
	}
	return clone(v), nil
}

// recall looks key up in m under s's lock; gen is m's current generation.
func recall[V any](s *Store, m *memo[V], key string) (v V, found, hit bool, gen uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, found, hit = m.recall(key, s.now(), s.ttl)
	return v, found, hit, m.gen
}
