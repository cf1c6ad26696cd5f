package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/passbridge/passbridge/storage"
)

const authCodeColumns = `hash, auth_request_id, created_at, expires_at`

const (
	qAuthCodeInsert = `INSERT INTO auth_codes (` + authCodeColumns + `) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`
	// One conditional statement: a code is redeemed once.
	qAuthCodeConsume = `DELETE FROM auth_codes WHERE hash = ? AND expires_at > ? RETURNING ` + authCodeColumns
)

type authCodeRow struct {
	Hash          []byte   `db:"hash"`
	AuthRequestID string   `db:"auth_request_id"`
	CreatedAt     nullTime `db:"created_at"`
	ExpiresAt     nullTime `db:"expires_at"`
}

// CreateAuthCode stores a new code's digest for an existing auth request.
func (s *Store) CreateAuthCode(ctx context.Context, c storage.AuthCode) error {
	err := s.insert(ctx, qAuthCodeInsert, bytesArg(c.Hash), c.AuthRequestID, timeArg(c.CreatedAt), timeArg(c.ExpiresAt))
	if err != nil {
		return fmt.Errorf("create auth code: %w", err)
	}
	return nil
}

// ConsumeAuthCode deletes a code that expires after now and returns it.
func (s *Store) ConsumeAuthCode(ctx context.Context, hash []byte, now time.Time) (storage.AuthCode, error) {
	var r authCodeRow
	if err := s.get(ctx, &r, qAuthCodeConsume, hash, timeArg(now)); err != nil {
		return storage.AuthCode{}, fmt.Errorf("consume auth code: %w", err)
	}
	return storage.AuthCode{
		Hash: bytesOut(r.Hash), AuthRequestID: r.AuthRequestID, CreatedAt: r.CreatedAt.t, ExpiresAt: r.ExpiresAt.t,
	}, nil
}
