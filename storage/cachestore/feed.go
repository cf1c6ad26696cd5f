package cachestore

import (
	"context"
	"errors"
	"fmt"

	"github.com/passbridge/passbridge/storage"
)

// Start makes s follow the inner store's change feed (storage.ChangeFeed),
// if it offers one: each change anyone commits to an app, API key or
// client is forgotten here as soon as it is reported, and when the feed
// may have missed changes (its connection lost, or back) everything is
// forgotten. Start returns once the feed is listening, having forgotten
// what was remembered before. Without a feed (SQLite, or an inner store
// that offers none) Start does nothing and s relies on its TTL.
//
// The feed runs until ctx ends or Close; either way s falls back to its
// TTL. Start may be called once.
func (s *Store) Start(ctx context.Context) error {
	feed, ok := s.Store.(storage.ChangeFeed)
	if !ok {
		return nil
	}
	s.feedMu.Lock()
	defer s.feedMu.Unlock()
	if s.feedStop != nil {
		return errors.New("cache: already started")
	}
	ctx, stop := context.WithCancel(ctx)
	changes, err := feed.Changes(ctx)
	if errors.Is(err, errors.ErrUnsupported) {
		stop()
		return nil
	}
	if err != nil {
		stop()
		return fmt.Errorf("cache: %w", err)
	}
	done := make(chan struct{})
	s.feedStop, s.feedDone = stop, done
	// Rows changed before the feed listened were not reported.
	s.forgetAll()
	go func() {
		defer close(done)
		for c := range changes {
			s.apply(c)
		}
	}()
	return nil
}

// Close stops the change feed, waits for it to end, and closes the inner
// store.
func (s *Store) Close() error {
	s.feedMu.Lock()
	stop, done := s.feedStop, s.feedDone
	s.feedMu.Unlock()
	if stop != nil {
		stop()
		<-done
	}
	return s.Store.Close()
}

// apply forgets what a change names.
func (s *Store) apply(c storage.Change) {
	switch c.Kind {
	case "":
		s.forgetAll()
	case storage.ChangeApp:
		s.forgetApp(c.ID)
	case storage.ChangeAPIKey:
		s.mu.Lock()
		if len(c.Hash) > 0 {
			s.keys.forget(string(c.Hash))
		} else {
			s.keys.reset()
		}
		s.mu.Unlock()
	case storage.ChangeClient:
		s.mu.Lock()
		if c.ID != "" {
			s.clients.forget(c.ID)
		} else {
			s.clients.reset()
		}
		s.mu.Unlock()
	}
}
