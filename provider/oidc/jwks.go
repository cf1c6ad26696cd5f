package oidc

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/passbridge/passbridge/storage"
)

// Keys a client registered by URL (jwks_uri) are fetched and kept for
// jwksTTL, so that a client's key rotation reaches the provider within it;
// a key ID the cached set lacks triggers one early fetch, at most every
// jwksRefetch.
const (
	jwksTTL      = 5 * time.Minute
	jwksRefetch  = 30 * time.Second
	jwksMaxBytes = 64 << 10
)

// remoteKeys fetches and caches the key sets of jwks_uri clients.
type remoteKeys struct {
	http *http.Client
	now  func() time.Time

	mu  sync.Mutex
	set map[string]cachedKeys // by URI
}

type cachedKeys struct {
	keys    jose.JSONWebKeySet
	fetched time.Time
}

// clientKeys are the public keys client c registered: its inline JWKS, or
// the set at its jwks_uri. kid, when set, is a key ID the caller looks for:
// missing from a cached set, it is worth one early fetch.
func (s *opStorage) clientKeys(ctx context.Context, c storage.Client, kid string) (jose.JSONWebKeySet, error) {
	var set jose.JSONWebKeySet
	if len(c.JWKS) > 0 {
		if err := json.Unmarshal(c.JWKS, &set); err != nil {
			return set, fmt.Errorf("client %s: registered JWKS: %w", c.ID, err)
		}
		return set, nil
	}
	if c.JWKSURI == "" {
		return set, nil
	}
	return s.remote.get(ctx, c.JWKSURI, kid)
}

func (r *remoteKeys) get(ctx context.Context, uri, kid string) (jose.JSONWebKeySet, error) {
	r.mu.Lock()
	cached, ok := r.set[uri]
	r.mu.Unlock()
	age := r.now().Sub(cached.fetched)
	if ok && age < jwksTTL && (kid == "" || len(cached.keys.Key(kid)) > 0 || age < jwksRefetch) {
		return cached.keys, nil
	}
	keys, err := r.fetch(ctx, uri)
	if err != nil {
		if ok {
			return cached.keys, nil // the last good set, until the client's keys answer again
		}
		return keys, err
	}
	r.mu.Lock()
	r.set[uri] = cachedKeys{keys: keys, fetched: r.now()}
	r.mu.Unlock()
	return keys, nil
}

func (r *remoteKeys) fetch(ctx context.Context, uri string) (jose.JSONWebKeySet, error) {
	var set jose.JSONWebKeySet
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, uri, nil)
	if err != nil {
		return set, err
	}
	req.Header.Set("Accept", "application/json")
	res, err := r.http.Do(req)
	if err != nil {
		return set, fmt.Errorf("fetch jwks_uri: %w", err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return set, fmt.Errorf("fetch jwks_uri: status %d", res.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(res.Body, jwksMaxBytes+1))
	if err != nil || len(body) > jwksMaxBytes {
		return set, fmt.Errorf("fetch jwks_uri: unreadable or over %d bytes", jwksMaxBytes)
	}
	if err := json.Unmarshal(body, &set); err != nil {
		return set, fmt.Errorf("fetch jwks_uri: %w", err)
	}
	return set, nil
}
