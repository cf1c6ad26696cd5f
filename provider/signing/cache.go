package signing

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/passbridge/passbridge/storage"
)

// ErrNoActiveKey reports a store without an active key: Ensure was not run,
// or the keys were deleted.
var ErrNoActiveKey = errors.New("no active signing key")

// snapshot is one reading of the keys. It is never changed once published.
type snapshot struct {
	active    *PrivateKey
	published []*PublicKey // active, next, then retired newest first; expired ones included
	loadedAt  time.Time
}

// SigningKey returns the active key, decrypted: the one key that signs.
func (m *Manager) SigningKey(ctx context.Context) (*PrivateKey, error) {
	s, err := m.current(ctx)
	if err != nil {
		return nil, err
	}
	return s.active, nil
}

// PublicKeys returns the keys to publish in the JWKS: the active key, the
// next key, and the retired keys whose ExpiresAt has not passed, in that
// order.
func (m *Manager) PublicKeys(ctx context.Context) ([]*PublicKey, error) {
	s, err := m.current(ctx)
	if err != nil {
		return nil, err
	}
	now := m.clock()
	out := make([]*PublicKey, 0, len(s.published))
	for _, k := range s.published {
		if k.state == storage.KeyRetired && !k.expiresAt.IsZero() && !now.Before(k.expiresAt) {
			continue
		}
		out = append(out, k)
	}
	return out, nil
}

// SignatureAlgorithms returns the algorithms of the active and the next key,
// the active one's first: what the provider signs with now and after the
// next rotation.
func (m *Manager) SignatureAlgorithms(ctx context.Context) ([]jose.SignatureAlgorithm, error) {
	s, err := m.current(ctx)
	if err != nil {
		return nil, err
	}
	algs := []jose.SignatureAlgorithm{s.active.SignatureAlgorithm()}
	for _, k := range s.published {
		if k.state == storage.KeyNext && k.Algorithm() != algs[0] {
			algs = append(algs, k.Algorithm())
		}
	}
	return algs, nil
}

// current returns the cached keys, reading the store first when they are
// older than RefreshEvery. While one caller reads the store, the others are
// served the keys at hand; only a Manager that has none waits. A failed read
// keeps the cached keys (logged) until the next interval.
func (m *Manager) current(ctx context.Context) (*snapshot, error) {
	s := m.snap.Load()
	if s != nil && m.fresh(s) {
		return s, nil
	}
	if s != nil {
		if !m.refreshMu.TryLock() {
			return s, nil
		}
	} else {
		m.refreshMu.Lock()
	}
	defer m.refreshMu.Unlock()
	if s = m.snap.Load(); s != nil && m.fresh(s) {
		return s, nil
	}
	ns, err := m.load(ctx, s)
	if err == nil {
		m.snap.Store(ns)
		return ns, nil
	}
	if s == nil {
		return nil, err
	}
	m.log.Error("refresh signing keys; serving the cached ones", "err", err, "cached_kid", s.active.id)
	kept := *s
	kept.loadedAt = m.clock()
	m.snap.Store(&kept)
	return &kept, nil
}

// reload reads the store now, whatever the cache's age. On failure the
// cache is marked stale, so the next caller reads again.
func (m *Manager) reload(ctx context.Context) (*snapshot, error) {
	m.refreshMu.Lock()
	defer m.refreshMu.Unlock()
	old := m.snap.Load()
	ns, err := m.load(ctx, old)
	if err != nil {
		if old != nil {
			stale := *old
			stale.loadedAt = time.Time{}
			m.snap.Store(&stale)
		}
		return nil, err
	}
	m.snap.Store(ns)
	return ns, nil
}

// fresh reports whether s was read less than RefreshEvery ago (by a clock
// that has not gone back since).
func (m *Manager) fresh(s *snapshot) bool {
	age := m.clock().Sub(s.loadedAt)
	return age >= 0 && age < m.refreshEvery
}

// load reads the keys from the store. The active key is decrypted unless
// old holds it already.
func (m *Manager) load(ctx context.Context, old *snapshot) (*snapshot, error) {
	now := m.clock()
	keys, err := m.store.ListSigningKeys(ctx)
	if err != nil {
		return nil, fmt.Errorf("load signing keys: %w", err)
	}
	ks := byState(keys)
	if len(ks.active) == 0 {
		return nil, ErrNoActiveKey
	}
	s := &snapshot{loadedAt: now}
	// Retired keys newest first: the likeliest to be asked for.
	retired := slices.Clone(ks.retired)
	slices.Reverse(retired)
	// Every active key is published: surplus ones (instances racing at
	// start, see Ensure) may have signed before they are retired.
	for i, k := range slices.Concat(ks.active, ks.next, retired) {
		pub, err := parsePublic(k)
		if err != nil {
			return nil, err
		}
		if pub.cert, err = m.certificate(k, pub, old); err != nil {
			return nil, err
		}
		s.published = append(s.published, pub)
		if i > 0 {
			continue
		}
		if old != nil && old.active.id == k.ID {
			s.active = old.active
		} else if s.active, err = parsePrivate(m.masterKey, k, pub); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// certificate is key k's certificate: the one old holds for it, else made
// now (once per key and instance: it needs the private key).
func (m *Manager) certificate(k storage.SigningKey, pub *PublicKey, old *snapshot) (*x509.Certificate, error) {
	if old != nil {
		for _, o := range old.published {
			if o.id == k.ID && o.cert != nil {
				return o.cert, nil
			}
		}
	}
	priv, err := parsePrivate(m.masterKey, k, pub)
	if err != nil {
		return nil, err
	}
	return selfCertificate(k, priv.key)
}
