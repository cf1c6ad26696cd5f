package signing

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/passbridge/passbridge/storage"
)

// Ensure makes sure the store holds exactly one active key and one next key,
// creating what is missing with the configured algorithm, and loads them.
// Call it at start, after CheckMasterKey.
//
// Several instances may call it at once on one store. Each change is one
// transaction, but on PostgreSQL two instances that both find no key may both
// create one; the loop then reads the keys again and settles on one: the
// active key activated first (ties: created first, then the smaller ID) and
// the next key created first. Surplus active keys are retired and stay
// published for RetireAfter, since their instance may have signed with them;
// surplus next keys never signed and are retired already expired. Every
// instance applies the same rule to the same rows, so all agree.
func (m *Manager) Ensure(ctx context.Context) error {
	for range ensureAttempts {
		keys, err := m.store.ListSigningKeys(ctx)
		if err != nil {
			return fmt.Errorf("ensure signing keys: %w", err)
		}
		ks := byState(keys)
		switch {
		case len(ks.active) == 1 && len(ks.next) == 1:
			if _, err := m.reload(ctx); err != nil {
				return fmt.Errorf("ensure signing keys: %w", err)
			}
			return nil
		case len(ks.active) > 1 || len(ks.next) > 1:
			err = m.settle(ctx, ks)
		default:
			err = m.fill(ctx, ks)
		}
		if err != nil && !errors.Is(err, errChanged) {
			return fmt.Errorf("ensure signing keys: %w", err)
		}
	}
	return errors.New("ensure signing keys: the keys kept changing while being set up; try again")
}

// fill adds the keys that ks lacks, in one transaction. Keys are generated
// before the transaction (an RSA key takes tens of milliseconds); the
// transaction reads the keys again and adds only what is still missing. A
// missing active key is, where a next key exists, that next key promoted:
// it has been published already.
func (m *Manager) fill(ctx context.Context, ks keySet) error {
	now := m.clock()
	need := 1
	if len(ks.active) == 0 && len(ks.next) == 0 {
		need = 2
	}
	var pool []storage.SigningKey
	for range need {
		k, err := newKey(m.masterKey, m.alg, storage.KeyNext, now)
		if err != nil {
			return err
		}
		pool = append(pool, k)
	}
	// taken counts the keys this run of the transaction took: the store
	// may run it again (a serialization failure), and a run again starts
	// with the whole pool, since nothing of the failed run was stored.
	var taken int
	take := func() (storage.SigningKey, error) {
		if taken == len(pool) {
			return storage.SigningKey{}, errChanged // more went missing meanwhile: read again
		}
		taken++
		return pool[taken-1], nil
	}
	return m.store.InTx(ctx, func(tx storage.Store) error {
		taken = 0
		keys, err := tx.ListSigningKeys(ctx)
		if err != nil {
			return err
		}
		cur := byState(keys)
		if len(cur.active) == 0 {
			if len(cur.next) > 0 {
				err = transition(ctx, tx, cur.next[0].ID, storage.KeyNext, func(k *storage.SigningKey) {
					k.State, k.ActivatedAt = storage.KeyActive, now
				})
				cur.next = cur.next[1:]
			} else {
				var k storage.SigningKey
				if k, err = take(); err == nil {
					k.State, k.ActivatedAt = storage.KeyActive, now
					err = tx.CreateSigningKey(ctx, k)
				}
			}
			if err != nil {
				return err
			}
		}
		if len(cur.next) == 0 {
			k, err := take()
			if err != nil {
				return err
			}
			if err := tx.CreateSigningKey(ctx, k); err != nil {
				return err
			}
		}
		return nil
	})
}

// settle retires every active and next key but the first of each (see
// Ensure). Each retirement is its own locked update that first checks the
// key's state, so instances settling at once retire each key once.
func (m *Manager) settle(ctx context.Context, ks keySet) error {
	now := m.clock()
	retire := func(k storage.SigningKey, expiresAt time.Time) error {
		err := transition(ctx, m.store, k.ID, k.State, func(k *storage.SigningKey) {
			k.State, k.RetiredAt, k.ExpiresAt = storage.KeyRetired, now, expiresAt
		})
		switch {
		case errors.Is(err, errChanged):
			return nil
		case err != nil:
			return err
		}
		m.log.Info("retired a surplus signing key left by instances starting at once", "kid", k.ID, "state", k.State)
		return nil
	}
	for _, k := range ks.active[min(1, len(ks.active)):] {
		if err := retire(k, now.Add(m.retireAfter)); err != nil {
			return err
		}
	}
	for _, k := range ks.next[min(1, len(ks.next)):] {
		if err := retire(k, now); err != nil {
			return err
		}
	}
	return nil
}
