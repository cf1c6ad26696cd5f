package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/passbridge/passbridge/storage"
)

const sessionColumns = `id, app_id, user_id, subject, hash, device_id, auth_time, amr, acr, created_at,
	last_seen_at, expires_at`

const (
	qSessionInsert = `INSERT INTO sessions (` + sessionColumns + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`
	qSessionByHash = `SELECT ` + sessionColumns + ` FROM sessions WHERE hash = ? AND expires_at > ?`
	qSessionGet    = `SELECT ` + sessionColumns + ` FROM sessions WHERE id = ?`
	qSessionList   = `SELECT ` + sessionColumns + ` FROM sessions WHERE app_id = ? AND user_id = ?
	ORDER BY created_at, id`
	qSessionUpdate = `UPDATE sessions SET subject = ?, hash = ?, device_id = ?, auth_time = ?, amr = ?, acr = ?,
	last_seen_at = ?, expires_at = ? WHERE id = ?`
	qSessionDelete     = `DELETE FROM sessions WHERE id = ?`
	qSessionUserDelete = `DELETE FROM sessions WHERE app_id = ? AND user_id = ?`
)

type sessionRow struct {
	ID         string         `db:"id"`
	AppID      string         `db:"app_id"`
	UserID     string         `db:"user_id"`
	Subject    string         `db:"subject"`
	Hash       []byte         `db:"hash"`
	DeviceID   sql.NullString `db:"device_id"`
	AuthTime   nullTime       `db:"auth_time"`
	AMR        string         `db:"amr"`
	ACR        string         `db:"acr"`
	CreatedAt  nullTime       `db:"created_at"`
	LastSeenAt nullTime       `db:"last_seen_at"`
	ExpiresAt  nullTime       `db:"expires_at"`
}

func (r *sessionRow) session() (storage.Session, error) {
	amr, err := decodeList("amr", r.AMR)
	if err != nil {
		return storage.Session{}, err
	}
	return storage.Session{
		ID: r.ID, AppID: r.AppID, UserID: r.UserID, Subject: r.Subject, Hash: bytesOut(r.Hash),
		DeviceID: r.DeviceID.String, AuthTime: r.AuthTime.t, AMR: amr, ACR: r.ACR,
		CreatedAt: r.CreatedAt.t, LastSeenAt: r.LastSeenAt.t, ExpiresAt: r.ExpiresAt.t,
	}, nil
}

// CreateSession stores a new browser session of an existing user (and
// device, when set); ErrNotFound otherwise.
func (s *Store) CreateSession(ctx context.Context, se storage.Session) error {
	err := s.insert(ctx, qSessionInsert, sessionArgs(se)...)
	if err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	return nil
}

// sessionArgs are a session's values in the order of sessionColumns.
func sessionArgs(se storage.Session) []any {
	return []any{se.ID, se.AppID, se.UserID, se.Subject, bytesArg(se.Hash), strArg(se.DeviceID),
		timeArg(se.AuthTime), jsonText(se.AMR), se.ACR, timeArg(se.CreatedAt), timeArg(se.LastSeenAt),
		timeArg(se.ExpiresAt)}
}

// GetSessionByHash returns a session that expires after now by its cookie
// digest.
func (s *Store) GetSessionByHash(ctx context.Context, hash []byte, now time.Time) (storage.Session, error) {
	se, err := s.getSession(ctx, qSessionByHash, hash, timeArg(now))
	if err != nil {
		return storage.Session{}, fmt.Errorf("get session by hash: %w", err)
	}
	return se, nil
}

// GetSession returns a session by id, whatever its expiry.
func (s *Store) GetSession(ctx context.Context, id string) (storage.Session, error) {
	se, err := s.getSession(ctx, qSessionGet, id)
	if err != nil {
		return storage.Session{}, fmt.Errorf("get session: %w", err)
	}
	return se, nil
}

func (s *Store) getSession(ctx context.Context, query string, args ...any) (storage.Session, error) {
	var r sessionRow
	if err := s.get(ctx, &r, query, args...); err != nil {
		return storage.Session{}, err
	}
	return r.session()
}

// ListSessions returns a user's sessions, ordered by CreatedAt, then ID.
func (s *Store) ListSessions(ctx context.Context, appID, userID string) ([]storage.Session, error) {
	var rows []sessionRow
	if err := s.list(ctx, &rows, qSessionList, appID, userID); err != nil {
		return nil, fmt.Errorf("list sessions: %w", err)
	}
	sessions := make([]storage.Session, len(rows))
	for i := range rows {
		se, err := rows[i].session()
		if err != nil {
			return nil, fmt.Errorf("list sessions: %w", err)
		}
		sessions[i] = se
	}
	return sessions, nil
}

// UpdateSession changes a session through fn, with the row locked. ID,
// AppID, UserID and CreatedAt cannot change.
func (s *Store) UpdateSession(ctx context.Context, id string, fn func(storage.Session) (storage.Session, error)) (storage.Session, error) {
	read := func(tx *Store, lock string) (storage.Session, error) { return tx.getSession(ctx, lock, id) }
	write := func(tx *Store, cur, next storage.Session) (storage.Session, error) {
		next.ID, next.AppID, next.UserID, next.CreatedAt = cur.ID, cur.AppID, cur.UserID, cur.CreatedAt
		next.Hash = bytesOut(next.Hash)
		next.AuthTime, next.LastSeenAt, next.ExpiresAt = utc(next.AuthTime), utc(next.LastSeenAt), utc(next.ExpiresAt)
		_, err := tx.exec(ctx, qSessionUpdate, next.Subject, bytesArg(next.Hash), strArg(next.DeviceID),
			timeArg(next.AuthTime), jsonText(next.AMR), next.ACR, timeArg(next.LastSeenAt),
			timeArg(next.ExpiresAt), id)
		return next, err
	}
	return updateRow(ctx, s, "update session", true, qSessionGet, qSessionUpdate, read, fn, write)
}

// DeleteSession ends a session.
func (s *Store) DeleteSession(ctx context.Context, id string) error {
	if err := s.execOne(ctx, qSessionDelete, id); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// DeleteUserSessions ends every session of a user and reports how many
// there were.
func (s *Store) DeleteUserSessions(ctx context.Context, appID, userID string) (int, error) {
	n, err := s.exec(ctx, qSessionUserDelete, appID, userID)
	if err != nil {
		return 0, fmt.Errorf("delete user sessions: %w", err)
	}
	return int(n), nil
}
