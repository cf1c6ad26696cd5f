package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/passbridge/passbridge/storage"
)

const signingKeyColumns = `id, algorithm, private_key, public_key, state, created_at, activated_at,
	retired_at, expires_at`

const (
	qSigningKeyInsert = `INSERT INTO signing_keys (` + signingKeyColumns + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`
	qSigningKeyGet    = `SELECT ` + signingKeyColumns + ` FROM signing_keys WHERE id = ?`
	qSigningKeyList   = `SELECT ` + signingKeyColumns + ` FROM signing_keys ORDER BY created_at, id`
	qSigningKeyUpdate = `UPDATE signing_keys SET algorithm = ?, private_key = ?, public_key = ?, state = ?,
	activated_at = ?, retired_at = ?, expires_at = ? WHERE id = ?`
	qSigningKeyDelete = `DELETE FROM signing_keys WHERE id = ?`
)

type signingKeyRow struct {
	ID          string   `db:"id"`
	Algorithm   string   `db:"algorithm"`
	PrivateKey  []byte   `db:"private_key"`
	PublicKey   []byte   `db:"public_key"`
	State       string   `db:"state"`
	CreatedAt   nullTime `db:"created_at"`
	ActivatedAt nullTime `db:"activated_at"`
	RetiredAt   nullTime `db:"retired_at"`
	ExpiresAt   nullTime `db:"expires_at"`
}

func (r *signingKeyRow) signingKey() storage.SigningKey {
	return storage.SigningKey{
		ID: r.ID, Algorithm: r.Algorithm, PrivateKey: bytesOut(r.PrivateKey), PublicKey: bytesOut(r.PublicKey),
		State: r.State, CreatedAt: r.CreatedAt.t, ActivatedAt: r.ActivatedAt.t, RetiredAt: r.RetiredAt.t,
		ExpiresAt: r.ExpiresAt.t,
	}
}

// CreateSigningKey stores a new signing key (its private key encrypted by
// the caller).
func (s *Store) CreateSigningKey(ctx context.Context, k storage.SigningKey) error {
	err := s.insert(ctx, qSigningKeyInsert, k.ID, k.Algorithm, bytesArg(k.PrivateKey), bytesArg(k.PublicKey),
		k.State, timeArg(k.CreatedAt), timeArg(k.ActivatedAt), timeArg(k.RetiredAt), timeArg(k.ExpiresAt))
	if err != nil {
		return fmt.Errorf("create signing key: %w", err)
	}
	return nil
}

// GetSigningKey returns a signing key by kid.
func (s *Store) GetSigningKey(ctx context.Context, id string) (storage.SigningKey, error) {
	var r signingKeyRow
	if err := s.get(ctx, &r, qSigningKeyGet, id); err != nil {
		return storage.SigningKey{}, fmt.Errorf("get signing key: %w", err)
	}
	return r.signingKey(), nil
}

// ListSigningKeys returns every signing key, ordered by CreatedAt, then ID.
func (s *Store) ListSigningKeys(ctx context.Context) ([]storage.SigningKey, error) {
	var rows []signingKeyRow
	if err := s.list(ctx, &rows, qSigningKeyList); err != nil {
		return nil, fmt.Errorf("list signing keys: %w", err)
	}
	keys := make([]storage.SigningKey, len(rows))
	for i := range rows {
		keys[i] = rows[i].signingKey()
	}
	return keys, nil
}

// UpdateSigningKey changes a signing key through fn, with the row locked.
// ID and CreatedAt cannot change.
func (s *Store) UpdateSigningKey(ctx context.Context, id string, fn func(storage.SigningKey) (storage.SigningKey, error)) (storage.SigningKey, error) {
	read := func(tx *Store, lock string) (storage.SigningKey, error) {
		var r signingKeyRow
		if err := tx.get(ctx, &r, lock, id); err != nil {
			return storage.SigningKey{}, err
		}
		return r.signingKey(), nil
	}
	write := func(tx *Store, cur, next storage.SigningKey) (storage.SigningKey, error) {
		next.ID, next.CreatedAt = cur.ID, cur.CreatedAt
		next.PrivateKey, next.PublicKey = bytesOut(next.PrivateKey), bytesOut(next.PublicKey)
		next.ActivatedAt, next.RetiredAt, next.ExpiresAt = utc(next.ActivatedAt), utc(next.RetiredAt), utc(next.ExpiresAt)
		_, err := tx.exec(ctx, qSigningKeyUpdate, next.Algorithm, bytesArg(next.PrivateKey), bytesArg(next.PublicKey),
			next.State, timeArg(next.ActivatedAt), timeArg(next.RetiredAt), timeArg(next.ExpiresAt), id)
		return next, err
	}
	return updateRow(ctx, s, "update signing key", false, qSigningKeyGet, qSigningKeyUpdate, read, fn, write)
}

// DeleteSigningKey deletes a signing key.
func (s *Store) DeleteSigningKey(ctx context.Context, id string) error {
	if err := s.execOne(ctx, qSigningKeyDelete, id); err != nil {
		return fmt.Errorf("delete signing key: %w", err)
	}
	return nil
}

const (
	// A second start inserts nothing: the first value stays.
	qKeyCheckInsert = `INSERT INTO master_key_check (id, check_value, created_at) VALUES (1, ?, ?) ON CONFLICT DO NOTHING`
	qKeyCheckGet    = `SELECT check_value FROM master_key_check WHERE id = 1`
)

// InitMasterKeyCheck stores check unless a check value is stored already,
// and returns the stored one.
func (s *Store) InitMasterKeyCheck(ctx context.Context, check []byte, now time.Time) ([]byte, error) {
	var stored []byte
	err := s.inTx(ctx, func(tx *Store) error {
		if _, err := tx.exec(ctx, qKeyCheckInsert, bytesArg(check), timeArg(now)); err != nil {
			return err
		}
		return tx.get(ctx, &stored, qKeyCheckGet)
	})
	if err != nil {
		return nil, fmt.Errorf("master key check: %w", err)
	}
	return bytesOut(stored), nil
}

// MasterKeyCheck returns the stored check value, or ErrNotFound when none is.
func (s *Store) MasterKeyCheck(ctx context.Context) ([]byte, error) {
	var stored []byte
	if err := s.get(ctx, &stored, qKeyCheckGet); err != nil {
		return nil, fmt.Errorf("master key check: %w", err)
	}
	return bytesOut(stored), nil
}
