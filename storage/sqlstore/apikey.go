package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/passbridge/passbridge/storage"
)

const apiKeyColumns = `id, app_id, name, prefix, hash, created_at, last_used_at`

const (
	qAPIKeyInsert = `INSERT INTO api_keys (` + apiKeyColumns + `) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`
	qAPIKeyByHash = `SELECT ` + apiKeyColumns + ` FROM api_keys WHERE hash = ?`
	qAPIKeyList   = `SELECT ` + apiKeyColumns + ` FROM api_keys WHERE app_id = ? ORDER BY created_at, id`
	// Only ever forward: concurrent requests touching one key in any order
	// leave the latest time.
	qAPIKeyTouch  = `UPDATE api_keys SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)`
	qAPIKeyExists = `SELECT COUNT(*) FROM api_keys WHERE id = ?`
	qAPIKeyDelete = `DELETE FROM api_keys WHERE app_id = ? AND id = ?`
)

type apiKeyRow struct {
	ID         string   `db:"id"`
	AppID      string   `db:"app_id"`
	Name       string   `db:"name"`
	Prefix     string   `db:"prefix"`
	Hash       []byte   `db:"hash"`
	CreatedAt  nullTime `db:"created_at"`
	LastUsedAt nullTime `db:"last_used_at"`
}

func (r *apiKeyRow) apiKey() storage.APIKey {
	return storage.APIKey{
		ID: r.ID, AppID: r.AppID, Name: r.Name, Prefix: r.Prefix, Hash: bytesOut(r.Hash),
		CreatedAt: r.CreatedAt.t, LastUsedAt: r.LastUsedAt.t,
	}
}

// CreateAPIKey stores a new API key (its digest, never the key).
func (s *Store) CreateAPIKey(ctx context.Context, k storage.APIKey) error {
	err := s.insert(ctx, qAPIKeyInsert, k.ID, k.AppID, k.Name, k.Prefix, bytesArg(k.Hash),
		timeArg(k.CreatedAt), timeArg(k.LastUsedAt))
	if err != nil {
		return fmt.Errorf("create api key: %w", err)
	}
	return nil
}

// GetAPIKeyByHash returns the API key with a digest.
func (s *Store) GetAPIKeyByHash(ctx context.Context, hash []byte) (storage.APIKey, error) {
	var r apiKeyRow
	if err := s.get(ctx, &r, qAPIKeyByHash, hash); err != nil {
		return storage.APIKey{}, fmt.Errorf("get api key: %w", err)
	}
	return r.apiKey(), nil
}

// ListAPIKeys returns an app's API keys, ordered by CreatedAt, then ID.
func (s *Store) ListAPIKeys(ctx context.Context, appID string) ([]storage.APIKey, error) {
	var rows []apiKeyRow
	if err := s.list(ctx, &rows, qAPIKeyList, appID); err != nil {
		return nil, fmt.Errorf("list api keys: %w", err)
	}
	keys := make([]storage.APIKey, len(rows))
	for i := range rows {
		keys[i] = rows[i].apiKey()
	}
	return keys, nil
}

// TouchAPIKey moves a key's LastUsedAt forward to at in one statement; an
// earlier or equal at changes nothing. An unknown id is ErrNotFound.
func (s *Store) TouchAPIKey(ctx context.Context, id string, at time.Time) error {
	n, err := s.exec(ctx, qAPIKeyTouch, timeArg(at), id, timeArg(at))
	if err != nil {
		return fmt.Errorf("touch api key: %w", err)
	}
	if n > 0 {
		return nil
	}
	// Nothing moved: rare (a later touch won), so the check costs little.
	var count int
	if err := s.get(ctx, &count, qAPIKeyExists, id); err != nil {
		return fmt.Errorf("touch api key: %w", err)
	}
	if count == 0 {
		return fmt.Errorf("touch api key: %w", storage.ErrNotFound)
	}
	return nil
}

// DeleteAPIKey revokes an app's API key.
func (s *Store) DeleteAPIKey(ctx context.Context, appID, id string) error {
	if err := s.execOne(ctx, qAPIKeyDelete, appID, id); err != nil {
		return fmt.Errorf("delete api key: %w", err)
	}
	return nil
}
