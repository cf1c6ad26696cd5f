package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/passbridge/passbridge/storage"
)

const handshakeColumns = `id, app_id, flow, kind, transaction_id, user_id, challenge, session, attachment,
	created_at, expires_at`

const (
	qHandshakeInsert = `INSERT INTO handshakes (` + handshakeColumns + `)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`
	qHandshakeGet = `SELECT ` + handshakeColumns + ` FROM handshakes
	WHERE app_id = ? AND id = ? AND expires_at > ?`
	qHandshakeByChallenge = `SELECT ` + handshakeColumns + ` FROM handshakes
	WHERE app_id = ? AND challenge = ? AND expires_at > ?`
	// One conditional statement: of concurrent consumers exactly one gets
	// the row; an expired row stays for DeleteExpired.
	qHandshakeConsume = `DELETE FROM handshakes WHERE app_id = ? AND id = ? AND expires_at > ?
	RETURNING ` + handshakeColumns
)

type handshakeRow struct {
	ID            string         `db:"id"`
	AppID         string         `db:"app_id"`
	Flow          string         `db:"flow"`
	Kind          string         `db:"kind"`
	TransactionID sql.NullString `db:"transaction_id"`
	UserID        sql.NullString `db:"user_id"`
	Challenge     string         `db:"challenge"`
	Session       []byte         `db:"session"`
	Attachment    string         `db:"attachment"`
	CreatedAt     nullTime       `db:"created_at"`
	ExpiresAt     nullTime       `db:"expires_at"`
}

func (r *handshakeRow) handshake() storage.Handshake {
	return storage.Handshake{
		ID: r.ID, AppID: r.AppID, Flow: r.Flow, Kind: r.Kind, TransactionID: r.TransactionID.String,
		UserID: r.UserID.String, Challenge: r.Challenge, Session: bytesOut(r.Session),
		Attachment: r.Attachment, CreatedAt: r.CreatedAt.t, ExpiresAt: r.ExpiresAt.t,
	}
}

// CreateHandshake stores a new handshake; its challenge is unique per app.
// A UserID that names no user of the app is ErrNotFound.
func (s *Store) CreateHandshake(ctx context.Context, h storage.Handshake) error {
	err := s.insert(ctx, qHandshakeInsert, h.ID, h.AppID, h.Flow, h.Kind, strArg(h.TransactionID),
		strArg(h.UserID), h.Challenge, bytesArg(h.Session), h.Attachment, timeArg(h.CreatedAt),
		timeArg(h.ExpiresAt))
	if err != nil {
		return fmt.Errorf("create handshake: %w", err)
	}
	return nil
}

// GetHandshake returns a handshake that expires after now, without
// consuming it.
func (s *Store) GetHandshake(ctx context.Context, appID, id string, now time.Time) (storage.Handshake, error) {
	return s.getHandshake(ctx, "get handshake", qHandshakeGet, appID, id, timeArg(now))
}

// GetHandshakeByChallenge returns a handshake that expires after now by its
// challenge.
func (s *Store) GetHandshakeByChallenge(ctx context.Context, appID, challenge string, now time.Time) (storage.Handshake, error) {
	return s.getHandshake(ctx, "get handshake by challenge", qHandshakeByChallenge, appID, challenge, timeArg(now))
}

// ConsumeHandshake deletes a handshake that expires after now and returns it.
func (s *Store) ConsumeHandshake(ctx context.Context, appID, id string, now time.Time) (storage.Handshake, error) {
	return s.getHandshake(ctx, "consume handshake", qHandshakeConsume, appID, id, timeArg(now))
}

func (s *Store) getHandshake(ctx context.Context, op, query string, args ...any) (storage.Handshake, error) {
	var r handshakeRow
	if err := s.get(ctx, &r, query, args...); err != nil {
		return storage.Handshake{}, fmt.Errorf("%s: %w", op, err)
	}
	return r.handshake(), nil
}

// The handshake of an authentication's finish, by ID or by challenge,
// with the asserted credential's device and user when the app has one
// (their columns empty otherwise), in one read. Two outer joins, not one
// with a parenthesised inner join: SQLite materialises that one, reading
// every device of every app.
var (
	qAssertionHandshake            = assertionHandshakeQuery(`h.id = ?`)
	qAssertionHandshakeByChallenge = assertionHandshakeQuery(`h.challenge = ?`)
)

func assertionHandshakeQuery(key string) string {
	return `SELECT ` + aliased("h", handshakeColumns) + `, ` + joinedOptionalUserColumns + `, ` + joinedDeviceColumns + `
	FROM handshakes h LEFT JOIN devices d ON d.app_id = h.app_id AND d.credential_id = ?
	LEFT JOIN users u ON u.app_id = d.app_id AND u.id = d.user_id
	WHERE h.app_id = ? AND ` + key + ` AND h.expires_at > ?`
}

// joinedOptionalUserColumns is joinedUserColumns for a user that may be
// missing from the row (an outer join): empty values in place of NULL.
const joinedOptionalUserColumns = `COALESCE(u.id, '') AS "u.id", COALESCE(u.app_id, '') AS "u.app_id",
	COALESCE(u.external_id, '') AS "u.external_id", u.handle AS "u.handle",
	COALESCE(u.display_name, '') AS "u.display_name", COALESCE(u.status, '') AS "u.status",
	COALESCE(u.login_count, 0) AS "u.login_count", u.created_at AS "u.created_at",
	u.updated_at AS "u.updated_at", u.last_login_at AS "u.last_login_at"`

type assertionHandshakeRow struct {
	H handshakeRow `db:"h"`
	commitRow
}

// GetAssertionHandshake returns a handshake that expires after now, by ID
// or challenge, with the device of credentialID and its user, in one read.
func (s *Store) GetAssertionHandshake(ctx context.Context, appID string, key storage.HandshakeKey, credentialID []byte, now time.Time) (storage.Handshake, *storage.Credential, error) {
	query, k := qAssertionHandshake, key.ID
	if key.ID == "" {
		query, k = qAssertionHandshakeByChallenge, key.Challenge
	}
	var r assertionHandshakeRow
	if err := s.get(ctx, &r, query, bytesArg(credentialID), appID, k, timeArg(now)); err != nil {
		return storage.Handshake{}, nil, fmt.Errorf("get assertion handshake: %w", err)
	}
	if r.D.ID == "" {
		return r.H.handshake(), nil, nil
	}
	d, err := r.D.device()
	if err != nil {
		return storage.Handshake{}, nil, fmt.Errorf("get assertion handshake: %w", err)
	}
	return r.H.handshake(), &storage.Credential{Device: d, User: r.U.user()}, nil
}
