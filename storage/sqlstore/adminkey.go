package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/passbridge/passbridge/storage"
)

const adminKeyColumns = `id, name, prefix, hash, created_at, last_used_at, revoked_at`

const (
	qAdminKeyInsert = `INSERT INTO admin_keys (` + adminKeyColumns + `) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`
	qAdminKeyByHash = `SELECT ` + adminKeyColumns + ` FROM admin_keys WHERE hash = ? AND revoked_at IS NULL`
	qAdminKeyList   = `SELECT ` + adminKeyColumns + ` FROM admin_keys ORDER BY created_at, id`
	// Only ever forward, as for API keys.
	qAdminKeyTouch  = `UPDATE admin_keys SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)`
	qAdminKeyExists = `SELECT COUNT(*) FROM admin_keys WHERE id = ?`
	// One statement: the first revocation's time stays, and the row comes
	// back either way.
	qAdminKeyRevoke = `UPDATE admin_keys SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ? RETURNING ` + adminKeyColumns
)

type adminKeyRow struct {
	ID         string   `db:"id"`
	Name       string   `db:"name"`
	Prefix     string   `db:"prefix"`
	Hash       []byte   `db:"hash"`
	CreatedAt  nullTime `db:"created_at"`
	LastUsedAt nullTime `db:"last_used_at"`
	RevokedAt  nullTime `db:"revoked_at"`
}

func (r *adminKeyRow) adminKey() storage.AdminKey {
	return storage.AdminKey{
		ID: r.ID, Name: r.Name, Prefix: r.Prefix, Hash: bytesOut(r.Hash),
		CreatedAt: r.CreatedAt.t, LastUsedAt: r.LastUsedAt.t, RevokedAt: r.RevokedAt.t,
	}
}

// CreateAdminKey stores a new admin key (its digest, never the key).
func (s *Store) CreateAdminKey(ctx context.Context, k storage.AdminKey) error {
	err := s.insert(ctx, qAdminKeyInsert, k.ID, k.Name, k.Prefix, bytesArg(k.Hash),
		timeArg(k.CreatedAt), timeArg(k.LastUsedAt), timeArg(k.RevokedAt))
	if err != nil {
		return fmt.Errorf("create admin key: %w", err)
	}
	return nil
}

// GetAdminKeyByHash returns the admin key in force with a digest.
func (s *Store) GetAdminKeyByHash(ctx context.Context, hash []byte) (storage.AdminKey, error) {
	var r adminKeyRow
	if err := s.get(ctx, &r, qAdminKeyByHash, hash); err != nil {
		return storage.AdminKey{}, fmt.Errorf("get admin key: %w", err)
	}
	return r.adminKey(), nil
}

// ListAdminKeys returns every admin key, ordered by CreatedAt, then ID.
func (s *Store) ListAdminKeys(ctx context.Context) ([]storage.AdminKey, error) {
	var rows []adminKeyRow
	if err := s.list(ctx, &rows, qAdminKeyList); err != nil {
		return nil, fmt.Errorf("list admin keys: %w", err)
	}
	keys := make([]storage.AdminKey, len(rows))
	for i := range rows {
		keys[i] = rows[i].adminKey()
	}
	return keys, nil
}

// TouchAdminKey moves a key's LastUsedAt forward to at in one statement.
func (s *Store) TouchAdminKey(ctx context.Context, id string, at time.Time) error {
	n, err := s.exec(ctx, qAdminKeyTouch, timeArg(at), id, timeArg(at))
	if err != nil {
		return fmt.Errorf("touch admin key: %w", err)
	}
	if n > 0 {
		return nil
	}
	var count int
	if err := s.get(ctx, &count, qAdminKeyExists, id); err != nil {
		return fmt.Errorf("touch admin key: %w", err)
	}
	if count == 0 {
		return fmt.Errorf("touch admin key: %w", storage.ErrNotFound)
	}
	return nil
}

// RevokeAdminKey revokes a key at at, unless it was revoked before.
func (s *Store) RevokeAdminKey(ctx context.Context, id string, at time.Time) (storage.AdminKey, error) {
	var r adminKeyRow
	if err := s.get(ctx, &r, qAdminKeyRevoke, timeArg(at), id); err != nil {
		return storage.AdminKey{}, fmt.Errorf("revoke admin key: %w", err)
	}
	return r.adminKey(), nil
}
