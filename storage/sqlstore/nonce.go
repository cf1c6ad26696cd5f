package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/passbridge/passbridge/storage"
)

const nonceColumns = `hash, app_id, user_id, external_id, device_id, kind, user_verified, backup_eligible,
	backed_up, created_at, expires_at`

const (
	qNonceInsert = `INSERT INTO nonces (` + nonceColumns + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`
	// One conditional statement: of concurrent consumers exactly one gets
	// the row; an expired row stays for DeleteExpired.
	qNonceConsume    = `DELETE FROM nonces WHERE app_id = ? AND hash = ? AND expires_at > ? RETURNING ` + nonceColumns
	qNonceUserDelete = `DELETE FROM nonces WHERE app_id = ? AND user_id = ?`
)

type nonceRow struct {
	Hash           []byte         `db:"hash"`
	AppID          string         `db:"app_id"`
	UserID         sql.NullString `db:"user_id"`
	ExternalID     string         `db:"external_id"`
	DeviceID       sql.NullString `db:"device_id"`
	Kind           string         `db:"kind"`
	UserVerified   bool           `db:"user_verified"`
	BackupEligible bool           `db:"backup_eligible"`
	BackedUp       bool           `db:"backed_up"`
	CreatedAt      nullTime       `db:"created_at"`
	ExpiresAt      nullTime       `db:"expires_at"`
}

// CreateNonce stores a new nonce's digest. Its user and device must exist
// in the app (ErrNotFound otherwise); deleting either deletes the nonce.
func (s *Store) CreateNonce(ctx context.Context, n storage.Nonce) error {
	err := s.insert(ctx, qNonceInsert, bytesArg(n.Hash), n.AppID, strArg(n.UserID), n.ExternalID,
		strArg(n.DeviceID), n.Kind, n.UserVerified, n.BackupEligible, n.BackedUp, timeArg(n.CreatedAt), timeArg(n.ExpiresAt))
	if err != nil {
		return fmt.Errorf("create nonce: %w", err)
	}
	return nil
}

// ConsumeNonce deletes an app's nonce that expires after now and returns it.
func (s *Store) ConsumeNonce(ctx context.Context, appID string, hash []byte, now time.Time) (storage.Nonce, error) {
	var r nonceRow
	if err := s.get(ctx, &r, qNonceConsume, appID, hash, timeArg(now)); err != nil {
		return storage.Nonce{}, fmt.Errorf("consume nonce: %w", err)
	}
	return storage.Nonce{
		Hash: bytesOut(r.Hash), AppID: r.AppID, UserID: r.UserID.String, ExternalID: r.ExternalID,
		DeviceID: r.DeviceID.String, Kind: r.Kind, UserVerified: r.UserVerified,
		BackupEligible: r.BackupEligible, BackedUp: r.BackedUp, CreatedAt: r.CreatedAt.t, ExpiresAt: r.ExpiresAt.t,
	}, nil
}

// DeleteUserNonces deletes every unredeemed nonce of a user and reports how
// many there were.
func (s *Store) DeleteUserNonces(ctx context.Context, appID, userID string) (int, error) {
	n, err := s.exec(ctx, qNonceUserDelete, appID, userID)
	if err != nil {
		return 0, fmt.Errorf("delete user nonces: %w", err)
	}
	return int(n), nil
}
