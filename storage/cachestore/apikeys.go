package cachestore

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/passbridge/passbridge/storage"
)

// GetAPIKeyByHash returns the API key with a digest, from memory if it was
// read less than TTL ago. An unknown digest is remembered too: digests of
// made-up keys are what a client guessing keys sends.
func (s *Store) GetAPIKeyByHash(ctx context.Context, hash []byte) (storage.APIKey, error) {
	// The read may outlive a caller that gives up, and the caller may reuse
	// its slice.
	hash = slices.Clone(hash)
	return lookup(ctx, s, &s.keys, "get api key", string(hash), func(ctx context.Context) (storage.APIKey, error) {
		return s.Store.GetAPIKeyByHash(ctx, hash)
	}, cloneAPIKey)
}

// CreateAPIKey creates the key and forgets what this Store remembers of
// its digest, so that a digest remembered as unknown is found at once.
func (s *Store) CreateAPIKey(ctx context.Context, k storage.APIKey) error {
	hash := string(k.Hash)
	defer s.forgetKey(hash)
	return s.Store.CreateAPIKey(ctx, k)
}

// DeleteAPIKey revokes the key and forgets it.
func (s *Store) DeleteAPIKey(ctx context.Context, appID, id string) error {
	defer s.forgetKeyID(id)
	return s.Store.DeleteAPIKey(ctx, appID, id)
}

// TouchAPIKey records the key's use in the inner store, then moves the
// remembered key's LastUsedAt forward as the store did, so that a caller
// that touches a key when its LastUsedAt is old does not touch it on every
// request until the key is read again. A key the store no longer has is
// forgotten.
func (s *Store) TouchAPIKey(ctx context.Context, id string, at time.Time) error {
	err := s.Store.TouchAPIKey(ctx, id, at)
	switch {
	case err == nil:
		s.touched(id, at)
	case errors.Is(err, storage.ErrNotFound):
		s.forgetKeyID(id)
	}
	return err
}

// forgetKey forgets the key with a digest, found or unknown.
func (s *Store) forgetKey(hash string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys.forget(hash)
}

// forgetKeyID forgets the key with an ID.
func (s *Store) forgetKeyID(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys.forgetIf(func(k storage.APIKey) bool { return k.ID == id })
}

// touched moves the LastUsedAt of the remembered key with id to at, if at
// is later. A touch writes no new generation: a read under way that keeps
// the older time costs one more touch at most.
func (s *Store) touched(id string, at time.Time) {
	// Stored times are UTC, rounded to the microsecond (see storage).
	at = at.UTC().Round(time.Microsecond)
	s.mu.Lock()
	defer s.mu.Unlock()
	for hash, e := range s.keys.found {
		if e.val.ID == id && at.After(e.val.LastUsedAt) {
			e.val.LastUsedAt = at
			s.keys.found[hash] = e
		}
	}
}

// cloneAPIKey copies k's digest, so that no caller can change what is
// remembered or what another caller got.
func cloneAPIKey(k storage.APIKey) storage.APIKey {
	k.Hash = slices.Clone(k.Hash)
	return k
}
