package cachestore

import (
	"context"
	"slices"
	"strconv"

	"github.com/passbridge/passbridge/storage"
)

// GetClient returns the client with id, from memory if it was read less
// than TTL ago.
func (s *Store) GetClient(ctx context.Context, id string) (storage.Client, error) {
	return lookup(ctx, s, &s.clients, "get client", id, func(ctx context.Context) (storage.Client, error) {
		return s.Store.GetClient(ctx, id)
	}, cloneClient)
}

// CreateClient creates the client and forgets what this Store remembers of
// its ID, so that an ID remembered as unknown is found at once.
func (s *Store) CreateClient(ctx context.Context, c storage.Client) error {
	defer s.forgetClient(c.ID)
	return s.Store.CreateClient(ctx, c)
}

// UpdateClient updates the client and forgets it.
func (s *Store) UpdateClient(ctx context.Context, id string, fn func(storage.Client) (storage.Client, error)) (storage.Client, error) {
	defer s.forgetClient(id)
	return s.Store.UpdateClient(ctx, id, fn)
}

// DeleteClient deletes the client and forgets it.
func (s *Store) DeleteClient(ctx context.Context, id string) error {
	defer s.forgetClient(id)
	return s.Store.DeleteClient(ctx, id)
}

// AnyImplicitClient answers from memory if it was asked less than TTL ago
// and no client changed since: discovery asks it on every request.
func (s *Store) AnyImplicitClient(ctx context.Context) (bool, error) {
	s.mu.Lock()
	gen := s.clients.gen
	if c := s.implicit; c != nil && s.implicitGen == gen && s.now().Sub(c.at) < s.ttl {
		s.mu.Unlock()
		return c.val, nil
	}
	s.mu.Unlock()
	v, err := s.share(ctx, "any implicit client", "implicit:"+strconv.FormatUint(gen, 10), func(ctx context.Context) (any, error) {
		at := s.now()
		found, err := s.Store.AnyImplicitClient(ctx)
		if err != nil {
			return nil, err
		}
		s.mu.Lock()
		if gen == s.clients.gen {
			s.implicit, s.implicitGen = &cached[bool]{val: found, at: at}, gen
		}
		s.mu.Unlock()
		return found, nil
	})
	if err != nil {
		return false, err
	}
	return v.(bool), nil
}

// forgetClient forgets the client with id, found or unknown.
func (s *Store) forgetClient(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clients.forget(id)
}

// cloneClient copies c's slices, so that no caller can change what is
// remembered or what another caller got.
func cloneClient(c storage.Client) storage.Client {
	c.SecretHash = slices.Clone(c.SecretHash)
	c.SecretSealed = slices.Clone(c.SecretSealed)
	c.RedirectURIs = slices.Clone(c.RedirectURIs)
	c.PostLogoutRedirectURIs = slices.Clone(c.PostLogoutRedirectURIs)
	c.JWKS = slices.Clone(c.JWKS)
	c.Scopes = slices.Clone(c.Scopes)
	c.HintJWKS = slices.Clone(c.HintJWKS)
	return c
}
