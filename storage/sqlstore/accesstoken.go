package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/passbridge/passbridge/storage"
)

const accessTokenColumns = `id, app_id, client_id, user_id, subject, scopes, audience, session_id, device_id,
	refresh_token_id, grant_id, created_at, expires_at`

const (
	qAccessTokenInsert = `INSERT INTO access_tokens (` + accessTokenColumns + `)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`
	qAccessTokenGet    = `SELECT ` + accessTokenColumns + ` FROM access_tokens WHERE id = ? AND expires_at > ?`
	qAccessTokenDelete = `DELETE FROM access_tokens WHERE id = ?`
)

type accessTokenRow struct {
	ID             string         `db:"id"`
	AppID          string         `db:"app_id"`
	ClientID       string         `db:"client_id"`
	UserID         sql.NullString `db:"user_id"`
	Subject        string         `db:"subject"`
	Scopes         string         `db:"scopes"`
	Audience       string         `db:"audience"`
	SessionID      string         `db:"session_id"`
	DeviceID       sql.NullString `db:"device_id"`
	RefreshTokenID sql.NullString `db:"refresh_token_id"`
	GrantID        string         `db:"grant_id"`
	CreatedAt      nullTime       `db:"created_at"`
	ExpiresAt      nullTime       `db:"expires_at"`
}

// CreateAccessToken stores an issued access token. Its client, and its
// user, device and refresh token when set, must exist (ErrNotFound
// otherwise); deleting any of them deletes the token.
func (s *Store) CreateAccessToken(ctx context.Context, t storage.AccessToken) error {
	err := s.insert(ctx, qAccessTokenInsert, accessTokenArgs(t)...)
	if err != nil {
		return fmt.Errorf("create access token: %w", err)
	}
	return nil
}

// accessTokenArgs are an access token's values in the order of
// accessTokenColumns.
func accessTokenArgs(t storage.AccessToken) []any {
	return []any{t.ID, t.AppID, t.ClientID, strArg(t.UserID), t.Subject, jsonText(t.Scopes),
		jsonText(t.Audience), t.SessionID, strArg(t.DeviceID), strArg(t.RefreshTokenID), t.GrantID,
		timeArg(t.CreatedAt), timeArg(t.ExpiresAt)}
}

// GetAccessToken returns an access token that expires after now.
func (s *Store) GetAccessToken(ctx context.Context, id string, now time.Time) (storage.AccessToken, error) {
	var r accessTokenRow
	if err := s.get(ctx, &r, qAccessTokenGet, id, timeArg(now)); err != nil {
		return storage.AccessToken{}, fmt.Errorf("get access token: %w", err)
	}
	scopes, err := decodeList("scopes", r.Scopes)
	if err != nil {
		return storage.AccessToken{}, fmt.Errorf("get access token: %w", err)
	}
	audience, err := decodeList("audience", r.Audience)
	if err != nil {
		return storage.AccessToken{}, fmt.Errorf("get access token: %w", err)
	}
	return storage.AccessToken{
		ID: r.ID, AppID: r.AppID, ClientID: r.ClientID, UserID: r.UserID.String, Subject: r.Subject,
		Scopes: scopes, Audience: audience, SessionID: r.SessionID, DeviceID: r.DeviceID.String,
		RefreshTokenID: r.RefreshTokenID.String, GrantID: r.GrantID, CreatedAt: r.CreatedAt.t, ExpiresAt: r.ExpiresAt.t,
	}, nil
}

// DeleteAccessToken revokes an access token.
func (s *Store) DeleteAccessToken(ctx context.Context, id string) error {
	if err := s.execOne(ctx, qAccessTokenDelete, id); err != nil {
		return fmt.Errorf("delete access token: %w", err)
	}
	return nil
}
