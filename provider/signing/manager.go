// Package signing keeps the OpenID Connect provider's JWT signing keys in the
// store, encrypted with the master key, and serves them to the provider.
//
// A key lives through three states. The next key is published in the JWKS but
// signs nothing, so that relying parties that cache the key set have it before
// it is used. Rotate makes the next key active (the one key that signs), the
// active key retired (still published until its ExpiresAt, so that the tokens
// it signed keep verifying), and creates a new next key, in one transaction.
// Rotate refuses a next key published for less than Config.MinPublished
// unless forced.
//
// Every instance sharing a store must hold the same master key: CheckMasterKey
// tells at start. Each Manager caches the keys in memory and reads the store
// again when its copy is older than Config.RefreshEvery, so a rotation made
// anywhere is seen everywhere within that bound; retired keys stay published
// for far longer than that, so tokens an instance signs with a key retired
// elsewhere a moment ago still verify.
package signing

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/passbridge/passbridge/storage"
)

// Defaults of Config.
const (
	DefaultRefreshEvery = 30 * time.Second
	// DefaultRetireAfter is RetireAfterFor the longest token lifetime a
	// client may be given (24 hours; see `clients create`).
	DefaultRetireAfter = 48 * time.Hour
	// DefaultMinPublished is how long a next key is published before Rotate
	// activates it without force: longer than relying parties commonly
	// cache a JWKS.
	DefaultMinPublished = time.Hour
)

// hintGrace is how long after its expiry an ID token may still come back as
// an id_token_hint: a relying party keeps it for logout and re-authentication.
const hintGrace = 24 * time.Hour

// RetireAfterFor is how long a retired key must stay published when the
// longest-lived token it signs (ID token or JWT access token) lives for
// lifetime: that lifetime, so every token it signed verifies until it
// expires, plus a day, so ID tokens presented as id_token_hint still verify.
func RetireAfterFor(lifetime time.Duration) time.Duration {
	return hintGrace + lifetime
}

// ensureAttempts bounds Ensure's read-fix loop. Instances racing at start
// settle within a few rounds; more means something else keeps changing keys.
const ensureAttempts = 8

// Config configures a Manager.
type Config struct {
	Store     storage.Store
	MasterKey []byte // 32 bytes; encrypts the private keys
	// Algorithm is what the keys this Manager creates sign with: RS256 (the
	// default), ES256 or EdDSA. Existing keys keep theirs; a change reaches
	// the active key through rotations (the next rotation's new next key has
	// it, and the rotation after that activates it).
	Algorithm string
	Now       func() time.Time // nil: time.Now
	// RefreshEvery bounds how old the cached keys may get before the store
	// is read again (default DefaultRefreshEvery).
	RefreshEvery time.Duration
	// RetireAfter is how long a retired key stays published (default
	// DefaultRetireAfter). Set it to RetireAfterFor the longest token
	// lifetime when tokens live longer than an hour.
	RetireAfter time.Duration
	// MinPublished is how long the next key must have been published before
	// Rotate activates it without force (default DefaultMinPublished).
	MinPublished time.Duration
	Logger       *slog.Logger // nil: slog.Default()
}

// Manager keeps the signing keys of a store and caches them for signing and
// for the JWKS. It is safe for concurrent use.
type Manager struct {
	store        storage.Store
	masterKey    []byte
	alg          string
	now          func() time.Time
	refreshEvery time.Duration
	retireAfter  time.Duration
	minPublished time.Duration
	log          *slog.Logger

	snap      atomic.Pointer[snapshot]
	refreshMu sync.Mutex // one store read at a time
}

// New validates cfg and returns a Manager. It does not touch the store:
// call CheckMasterKey and Ensure at start.
func New(cfg Config) (*Manager, error) {
	var problems []error
	if cfg.Store == nil {
		problems = append(problems, errors.New("store is required"))
	}
	if len(cfg.MasterKey) != MasterKeySize {
		problems = append(problems, fmt.Errorf("master key has %d bytes, want %d", len(cfg.MasterKey), MasterKeySize))
	}
	if cfg.Algorithm == "" {
		cfg.Algorithm = DefaultAlgorithm
	} else if !ValidAlgorithm(cfg.Algorithm) {
		problems = append(problems, fmt.Errorf("algorithm %q: want %s, %s or %s", cfg.Algorithm, RS256, ES256, EdDSA))
	}
	for _, d := range []struct {
		name string
		v    *time.Duration
		def  time.Duration
	}{
		{"refresh interval", &cfg.RefreshEvery, DefaultRefreshEvery},
		{"retire-after duration", &cfg.RetireAfter, DefaultRetireAfter},
		{"minimum publication time", &cfg.MinPublished, DefaultMinPublished},
	} {
		switch {
		case *d.v < 0:
			problems = append(problems, fmt.Errorf("%s %s is negative", d.name, *d.v))
		case *d.v == 0:
			*d.v = d.def
		}
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("signing: %w", errors.Join(problems...))
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Manager{
		store:        cfg.Store,
		masterKey:    slices.Clone(cfg.MasterKey),
		alg:          cfg.Algorithm,
		now:          cfg.Now,
		refreshEvery: cfg.RefreshEvery,
		retireAfter:  cfg.RetireAfter,
		minPublished: cfg.MinPublished,
		log:          cfg.Logger,
	}, nil
}

// Algorithm is the algorithm of the keys this Manager creates.
func (m *Manager) Algorithm() string { return m.alg }

// clock is now in the store's precision.
func (m *Manager) clock() time.Time {
	return m.now().UTC().Truncate(time.Microsecond)
}

// keySet is the stored keys by state. active is ordered by ActivatedAt,
// then CreatedAt, then ID; next and retired by CreatedAt, then ID. When
// instances racing at start leave several active or next keys, the first of
// each is the one that stays (see settle).
type keySet struct {
	active, next, retired []storage.SigningKey
}

func byState(keys []storage.SigningKey) keySet {
	var ks keySet
	for _, k := range keys {
		switch k.State {
		case storage.KeyActive:
			ks.active = append(ks.active, k)
		case storage.KeyNext:
			ks.next = append(ks.next, k)
		case storage.KeyRetired:
			ks.retired = append(ks.retired, k)
		}
	}
	slices.SortStableFunc(ks.active, func(a, b storage.SigningKey) int {
		return cmp.Or(a.ActivatedAt.Compare(b.ActivatedAt), a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ID, b.ID))
	})
	oldestFirst := func(a, b storage.SigningKey) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ID, b.ID))
	}
	slices.SortStableFunc(ks.next, oldestFirst)
	slices.SortStableFunc(ks.retired, oldestFirst)
	return ks
}

// errChanged reports a key whose state changed under a caller that read it
// earlier: another instance got there first.
var errChanged = errors.New("signing key changed concurrently")

// transition moves key id from state from to state to through fn, or
// reports errChanged when it is no longer in state from.
func transition(ctx context.Context, st storage.Store, id, from string, fn func(k *storage.SigningKey)) error {
	_, err := st.UpdateSigningKey(ctx, id, func(k storage.SigningKey) (storage.SigningKey, error) {
		if k.State != from {
			return k, errChanged
		}
		fn(&k)
		return k, nil
	})
	if errors.Is(err, storage.ErrNotFound) {
		return errChanged
	}
	return err
}
