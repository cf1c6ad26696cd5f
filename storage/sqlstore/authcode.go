package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/passbridge/passbridge/storage"
)

const authCodeColumns = `hash, auth_request_id, created_at, expires_at`

const (
	qAuthCodeInsert = `INSERT INTO auth_codes (` + authCodeColumns + `) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`
	// One conditional statement: a code is redeemed once. The used row
	// stays until it expires, so a replay is recognised.
	qAuthCodeConsume = `UPDATE auth_codes SET used_at = ? WHERE hash = ? AND used_at IS NULL AND expires_at > ?
	RETURNING ` + authCodeColumns
	qAuthCodeUsed = `SELECT ` + authCodeColumns + ` FROM auth_codes WHERE hash = ? AND used_at IS NOT NULL AND expires_at > ?`
)

type authCodeRow struct {
	Hash          []byte   `db:"hash"`
	AuthRequestID string   `db:"auth_request_id"`
	CreatedAt     nullTime `db:"created_at"`
	ExpiresAt     nullTime `db:"expires_at"`
}

// CreateAuthCode stores a new code's digest for an existing auth request.
func (s *Store) CreateAuthCode(ctx context.Context, c storage.AuthCode) error {
	if err := s.insert(ctx, qAuthCodeInsert, authCodeArgs(c.AuthRequestID, c)...); err != nil {
		return fmt.Errorf("create auth code: %w", err)
	}
	return nil
}

// authCodeArgs are qAuthCodeInsert's arguments: code c of auth request id.
func authCodeArgs(id string, c storage.AuthCode) []any {
	return []any{bytesArg(c.Hash), id, timeArg(c.CreatedAt), timeArg(c.ExpiresAt)}
}

// ConsumeAuthCode marks a code that expires after now used and returns it;
// a code used before comes back with storage.ErrReused.
func (s *Store) ConsumeAuthCode(ctx context.Context, hash []byte, now time.Time) (storage.AuthCode, error) {
	var r authCodeRow
	err := s.get(ctx, &r, qAuthCodeConsume, timeArg(now), hash, timeArg(now))
	if errors.Is(err, storage.ErrNotFound) {
		// Only a failed redemption pays for the second look.
		if s.get(ctx, &r, qAuthCodeUsed, hash, timeArg(now)) == nil {
			return r.authCode(), fmt.Errorf("consume auth code: %w", storage.ErrReused)
		}
	}
	if err != nil {
		return storage.AuthCode{}, fmt.Errorf("consume auth code: %w", err)
	}
	return r.authCode(), nil
}

func (r *authCodeRow) authCode() storage.AuthCode {
	return storage.AuthCode{
		Hash: bytesOut(r.Hash), AuthRequestID: r.AuthRequestID, CreatedAt: r.CreatedAt.t, ExpiresAt: r.ExpiresAt.t,
	}
}
