package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/passbridge/passbridge/storage"
)

const enrolmentLinkColumns = `id, app_id, user_id, hash, device_id, created_at, expires_at, used_at`

const (
	qEnrolmentLinkInsert = `INSERT INTO enrolment_links (` + enrolmentLinkColumns + `)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`
	qEnrolmentLinkGet    = `SELECT ` + enrolmentLinkColumns + ` FROM enrolment_links WHERE app_id = ? AND id = ?`
	qEnrolmentLinkByHash = `SELECT ` + enrolmentLinkColumns + ` FROM enrolment_links WHERE hash = ?`
	// qEnrolmentLinkUserUnused withdraws a user's unused links.
	qEnrolmentLinkUserUnused = `DELETE FROM enrolment_links WHERE app_id = ? AND user_id = ? AND used_at IS NULL`
	// One conditional statement: of concurrent consumers exactly one
	// matches an unused row; an expired row stays for DeleteExpired.
	qEnrolmentLinkConsume = `UPDATE enrolment_links SET used_at = ?, device_id = ?
	WHERE app_id = ? AND id = ? AND used_at IS NULL AND expires_at > ? RETURNING ` + enrolmentLinkColumns
)

type enrolmentLinkRow struct {
	ID        string         `db:"id"`
	AppID     string         `db:"app_id"`
	UserID    string         `db:"user_id"`
	Hash      []byte         `db:"hash"`
	DeviceID  sql.NullString `db:"device_id"`
	CreatedAt nullTime       `db:"created_at"`
	ExpiresAt nullTime       `db:"expires_at"`
	UsedAt    nullTime       `db:"used_at"`
}

func (r *enrolmentLinkRow) link() storage.EnrolmentLink {
	return storage.EnrolmentLink{
		ID: r.ID, AppID: r.AppID, UserID: r.UserID, Hash: bytesOut(r.Hash), DeviceID: r.DeviceID.String,
		CreatedAt: r.CreatedAt.t, ExpiresAt: r.ExpiresAt.t, UsedAt: r.UsedAt.t,
	}
}

// CreateEnrolmentLink stores a new link of an existing user of the app
// (ErrNotFound otherwise); a duplicate ID or digest is ErrAlreadyExists.
func (s *Store) CreateEnrolmentLink(ctx context.Context, l storage.EnrolmentLink) error {
	err := s.insert(ctx, qEnrolmentLinkInsert, l.ID, l.AppID, l.UserID, bytesArg(l.Hash), strArg(l.DeviceID),
		timeArg(l.CreatedAt), timeArg(l.ExpiresAt), timeArg(l.UsedAt))
	if err != nil {
		return fmt.Errorf("create enrolment link: %w", err)
	}
	return nil
}

// GetEnrolmentLink returns a link of the app, whatever its state.
func (s *Store) GetEnrolmentLink(ctx context.Context, appID, id string) (storage.EnrolmentLink, error) {
	var r enrolmentLinkRow
	if err := s.get(ctx, &r, qEnrolmentLinkGet, appID, id); err != nil {
		return storage.EnrolmentLink{}, fmt.Errorf("get enrolment link: %w", err)
	}
	return r.link(), nil
}

// GetEnrolmentLinkByHash returns a link by its token's digest, whatever its
// state.
func (s *Store) GetEnrolmentLinkByHash(ctx context.Context, hash []byte) (storage.EnrolmentLink, error) {
	var r enrolmentLinkRow
	if err := s.get(ctx, &r, qEnrolmentLinkByHash, hash); err != nil {
		return storage.EnrolmentLink{}, fmt.Errorf("get enrolment link by hash: %w", err)
	}
	return r.link(), nil
}

// ConsumeEnrolmentLink marks an unused link that expires after now used by
// device deviceID, in one statement, and returns it; anything else is
// ErrNotFound.
func (s *Store) ConsumeEnrolmentLink(ctx context.Context, appID, id, deviceID string, now time.Time) (storage.EnrolmentLink, error) {
	var r enrolmentLinkRow
	err := s.get(ctx, &r, qEnrolmentLinkConsume, timeArg(now), strArg(deviceID), appID, id, timeArg(now))
	if err != nil {
		return storage.EnrolmentLink{}, fmt.Errorf("consume enrolment link: %w", err)
	}
	return r.link(), nil
}

// DeleteUnusedEnrolmentLinks deletes the user's unused links.
func (s *Store) DeleteUnusedEnrolmentLinks(ctx context.Context, appID, userID string) (int, error) {
	n, err := s.exec(ctx, qEnrolmentLinkUserUnused, appID, userID)
	if err != nil {
		return 0, fmt.Errorf("delete unused enrolment links: %w", err)
	}
	return int(n), nil
}
