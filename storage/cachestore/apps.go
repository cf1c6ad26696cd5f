package cachestore

import (
	"context"
	"slices"
	"strconv"
	"time"

	"github.com/passbridge/passbridge/storage"
)

// GetApp returns the app with id, from memory if it was read less than TTL
// ago.
func (s *Store) GetApp(ctx context.Context, id string) (storage.App, error) {
	return lookup(ctx, s, &s.apps, "get app", id, func(ctx context.Context) (storage.App, error) {
		return s.Store.GetApp(ctx, id)
	}, cloneApp)
}

// ListApps returns every app, from memory if the list was read less than
// TTL ago.
func (s *Store) ListApps(ctx context.Context) ([]storage.App, error) {
	apps, hit, gen := s.cachedList()
	if !hit {
		v, err := s.share(ctx, "list apps", "list:"+strconv.FormatUint(gen, 10), func(ctx context.Context) (any, error) {
			if apps, hit, _ := s.cachedList(); hit {
				return apps, nil
			}
			at := s.now()
			apps, err := s.Store.ListApps(ctx)
			if err != nil {
				return nil, err
			}
			kept := cloneApps(apps)
			s.keepList(gen, kept, at)
			return kept, nil
		})
		if err != nil {
			return nil, err
		}
		apps = v.([]storage.App)
	}
	return cloneApps(apps), nil
}

// CreateApp creates the app and forgets what this Store remembers of it.
func (s *Store) CreateApp(ctx context.Context, a storage.App) error {
	defer s.forgetApp(a.ID)
	return s.Store.CreateApp(ctx, a)
}

// UpdateApp updates the app and forgets what this Store remembers of it.
func (s *Store) UpdateApp(ctx context.Context, id string, fn func(storage.App) (storage.App, error)) (storage.App, error) {
	defer s.forgetApp(id)
	return s.Store.UpdateApp(ctx, id, fn)
}

// DeleteApp deletes the app and forgets what this Store remembers of it,
// of its API keys and of its clients, which went with it.
func (s *Store) DeleteApp(ctx context.Context, id string) error {
	defer s.forgetAppAndItsRows(id)
	return s.Store.DeleteApp(ctx, id)
}

// cachedList returns the remembered list of apps, if any is fresh; gen is
// the current generation of apps.
func (s *Store) cachedList() (apps []storage.App, hit bool, gen uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.appList != nil && s.now().Sub(s.appList.at) < s.ttl {
		return s.appList.val, true, s.apps.gen
	}
	return nil, false, s.apps.gen
}

// keepList remembers the list of apps, read at at, unless apps were
// written since the read began in generation gen.
func (s *Store) keepList(gen uint64, apps []storage.App, at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if gen != s.apps.gen {
		return
	}
	s.appList = &cached[[]storage.App]{val: apps, at: at}
}

// cloneApp copies a's slices, so that no caller can change what is
// remembered or what another caller got.
func cloneApp(a storage.App) storage.App {
	a.Origins = slices.Clone(a.Origins)
	return a
}

// cloneApps copies apps and each app; nil stays nil.
func cloneApps(apps []storage.App) []storage.App {
	if apps == nil {
		return nil
	}
	out := make([]storage.App, len(apps))
	for i, a := range apps {
		out[i] = cloneApp(a)
	}
	return out
}
