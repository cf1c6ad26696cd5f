package signing

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/passbridge/passbridge/storage"
)

// ErrRotateTooSoon reports a rotation refused because the next key has not
// been published for Config.MinPublished yet.
var ErrRotateTooSoon = errors.New("the next signing key has not been published long enough")

// Rotation names the keys a rotation left: the new active key (the former
// next key), the new next key, and the retired former active key.
type Rotation struct {
	Active  string
	Next    string
	Retired string
}

// Rotate makes the next key active, retires the active key (published until
// now + RetireAfter) and creates a new next key with the configured
// algorithm, in one transaction. Unless force, it refuses with
// ErrRotateTooSoon while the next key has been published for less than
// MinPublished: a relying party that cached the key set before the next key
// appeared would reject tokens signed with it. It calls Ensure first, so on
// a store without keys it creates them (and, unless force, then refuses).
func (m *Manager) Rotate(ctx context.Context, force bool) (Rotation, error) {
	return m.RotateWith(ctx, force, nil)
}

// RotateWith is Rotate that also runs fn inside the rotation's transaction,
// after the keys changed (to record an audit event, say). An error from fn
// rolls the rotation back and is returned.
func (m *Manager) RotateWith(ctx context.Context, force bool, fn func(ctx context.Context, tx storage.Store, r Rotation) error) (Rotation, error) {
	return m.RotateAs(ctx, m.alg, force, fn)
}

// RotateAs is RotateWith whose new next key signs with alg rather than the
// Manager's algorithm: a rotation an operator asks a running server for
// keeps the algorithm the deployment chose so far (see NextAlgorithm), or
// changes it.
func (m *Manager) RotateAs(ctx context.Context, alg string, force bool, fn func(ctx context.Context, tx storage.Store, r Rotation) error) (Rotation, error) {
	if !ValidAlgorithm(alg) {
		return Rotation{}, fmt.Errorf("rotate signing keys: algorithm %q: want %s, %s or %s", alg, RS256, ES256, EdDSA)
	}
	if err := m.Ensure(ctx); err != nil {
		return Rotation{}, err
	}
	now := m.clock()
	fresh, err := newKey(m.masterKey, alg, storage.KeyNext, now)
	if err != nil {
		return Rotation{}, fmt.Errorf("rotate signing keys: %w", err)
	}
	var r Rotation
	err = m.store.InTx(ctx, func(tx storage.Store) error {
		keys, err := tx.ListSigningKeys(ctx)
		if err != nil {
			return err
		}
		ks := byState(keys)
		if len(ks.active) != 1 || len(ks.next) != 1 {
			return errChanged
		}
		active, next := ks.active[0], ks.next[0]
		if published := now.Sub(next.CreatedAt); !force && published < m.minPublished {
			return fmt.Errorf("%w: next key %s was published %s ago, and a rotation may activate it %s after "+
				"publication (from %s), once relying parties that cache the key set have seen it",
				ErrRotateTooSoon, next.ID, published.Round(time.Second), m.minPublished,
				next.CreatedAt.Add(m.minPublished).Format(time.RFC3339))
		}
		// The key must sign before it is made the one that does.
		pub, err := parsePublic(next)
		if err != nil {
			return err
		}
		if _, err := parsePrivate(m.masterKey, next, pub); err != nil {
			return err
		}
		if err := transition(ctx, tx, next.ID, storage.KeyNext, func(k *storage.SigningKey) {
			k.State, k.ActivatedAt = storage.KeyActive, now
		}); err != nil {
			return err
		}
		if err := transition(ctx, tx, active.ID, storage.KeyActive, func(k *storage.SigningKey) {
			k.State, k.RetiredAt, k.ExpiresAt = storage.KeyRetired, now, now.Add(m.retireAfter)
		}); err != nil {
			return err
		}
		if err := tx.CreateSigningKey(ctx, fresh); err != nil {
			return err
		}
		r = Rotation{Active: next.ID, Next: fresh.ID, Retired: active.ID}
		if fn != nil {
			return fn(ctx, tx, r)
		}
		return nil
	})
	if errors.Is(err, errChanged) {
		return Rotation{}, errors.New("rotate signing keys: the keys changed meanwhile (another rotation?); list them and try again")
	}
	if err != nil {
		return Rotation{}, fmt.Errorf("rotate signing keys: %w", err)
	}
	if _, err := m.reload(ctx); err != nil {
		// The rotation stands; the next read of the keys tries again.
		m.log.Error("reload signing keys after rotation", "err", err)
	}
	return r, nil
}

// NextAlgorithm is the algorithm of the current next key: what a rotation
// that names no algorithm gives the key it creates, the deployment's choice
// so far. A store without a valid next key gets DefaultAlgorithm.
func NextAlgorithm(ctx context.Context, st storage.SigningKeyStore) (string, error) {
	keys, err := st.ListSigningKeys(ctx)
	if err != nil {
		return "", fmt.Errorf("list signing keys: %w", err)
	}
	alg := DefaultAlgorithm
	for _, k := range keys {
		if k.State == storage.KeyNext && ValidAlgorithm(k.Algorithm) {
			alg = k.Algorithm
		}
	}
	return alg, nil
}
