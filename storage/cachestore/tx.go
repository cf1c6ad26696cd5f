package cachestore

import (
	"context"
	"sync/atomic"

	"github.com/passbridge/passbridge/storage"
)

// written notes the kinds a transaction wrote. It is shared by the nested
// InTx calls of one transaction.
type written struct {
	apps, keys, clients atomic.Bool
}

// InTx runs fn in a transaction of the inner store. fn's Store reads from
// the transaction, not from memory, so it sees its own writes; for each
// kind fn writes (apps, API keys, clients) this Store forgets what it
// remembers of that kind once the transaction has ended (committed or not).
func (s *Store) InTx(ctx context.Context, fn func(tx storage.Store) error) error {
	w := new(written)
	defer s.forgetWritten(w)
	return s.Store.InTx(ctx, func(tx storage.Store) error {
		return fn(&txStore{Store: tx, w: w})
	})
}

// forgetWritten forgets the kinds a transaction wrote.
func (s *Store) forgetWritten(w *written) {
	apps, keys, clients := w.apps.Load(), w.keys.Load(), w.clients.Load()
	if !apps && !keys && !clients {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if apps {
		s.apps.reset()
		s.appList = nil
	}
	if keys {
		s.keys.reset()
	}
	if clients {
		s.clients.reset()
	}
}

// txStore is the Store handed to an InTx callback: the inner transaction,
// noting which kinds were written.
type txStore struct {
	storage.Store
	w *written
}

func (t *txStore) CreateApp(ctx context.Context, a storage.App) error {
	t.w.apps.Store(true)
	return t.Store.CreateApp(ctx, a)
}

func (t *txStore) UpdateApp(ctx context.Context, id string, fn func(storage.App) (storage.App, error)) (storage.App, error) {
	t.w.apps.Store(true)
	return t.Store.UpdateApp(ctx, id, fn)
}

// DeleteApp takes the app's API keys and clients with it.
func (t *txStore) DeleteApp(ctx context.Context, id string) error {
	t.w.apps.Store(true)
	t.w.keys.Store(true)
	t.w.clients.Store(true)
	return t.Store.DeleteApp(ctx, id)
}

func (t *txStore) CreateAPIKey(ctx context.Context, k storage.APIKey) error {
	t.w.keys.Store(true)
	return t.Store.CreateAPIKey(ctx, k)
}

func (t *txStore) DeleteAPIKey(ctx context.Context, appID, id string) error {
	t.w.keys.Store(true)
	return t.Store.DeleteAPIKey(ctx, appID, id)
}

func (t *txStore) CreateClient(ctx context.Context, c storage.Client) error {
	t.w.clients.Store(true)
	return t.Store.CreateClient(ctx, c)
}

func (t *txStore) UpdateClient(ctx context.Context, id string, fn func(storage.Client) (storage.Client, error)) (storage.Client, error) {
	t.w.clients.Store(true)
	return t.Store.UpdateClient(ctx, id, fn)
}

func (t *txStore) DeleteClient(ctx context.Context, id string) error {
	t.w.clients.Store(true)
	return t.Store.DeleteClient(ctx, id)
}

// InTx runs fn in the same transaction, with the same bookkeeping.
func (t *txStore) InTx(ctx context.Context, fn func(tx storage.Store) error) error {
	return t.Store.InTx(ctx, func(tx storage.Store) error {
		return fn(&txStore{Store: tx, w: t.w})
	})
}
