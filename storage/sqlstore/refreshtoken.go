package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/passbridge/passbridge/storage"
)

const refreshTokenColumns = `id, hash, app_id, client_id, user_id, subject, scopes, audience, session_id,
	device_id, auth_time, amr, acr, grant_id, created_at, expires_at, used_at`

const (
	qRefreshTokenInsert = `INSERT INTO refresh_tokens (` + refreshTokenColumns + `)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`
	qRefreshTokenByHash = `SELECT ` + refreshTokenColumns + ` FROM refresh_tokens WHERE hash = ? AND expires_at > ?`
	// One conditional statement: a refresh token rotates once. The used
	// row stays until it expires, so a replay is recognised.
	qRefreshTokenConsume = `UPDATE refresh_tokens SET used_at = ? WHERE hash = ? AND used_at IS NULL AND expires_at > ?
	RETURNING ` + refreshTokenColumns
	qRefreshTokenAccessDelete = `DELETE FROM access_tokens WHERE refresh_token_id = ?`
	qRefreshTokenDelete       = `DELETE FROM refresh_tokens WHERE id = ?`

	qGrantRefreshTokensDelete = `DELETE FROM refresh_tokens WHERE grant_id = ?`
	qGrantAccessTokensDelete  = `DELETE FROM access_tokens WHERE grant_id = ?`

	qUserRefreshTokensDelete       = `DELETE FROM refresh_tokens WHERE app_id = ? AND user_id = ?`
	qUserClientRefreshTokensDelete = `DELETE FROM refresh_tokens WHERE app_id = ? AND user_id = ? AND client_id = ?`
	qUserAccessTokensDelete        = `DELETE FROM access_tokens WHERE app_id = ? AND user_id = ?`
	qUserClientAccessTokensDelete  = `DELETE FROM access_tokens WHERE app_id = ? AND user_id = ? AND client_id = ?`
)

type refreshTokenRow struct {
	ID        string         `db:"id"`
	Hash      []byte         `db:"hash"`
	AppID     string         `db:"app_id"`
	ClientID  string         `db:"client_id"`
	UserID    sql.NullString `db:"user_id"`
	Subject   string         `db:"subject"`
	Scopes    string         `db:"scopes"`
	Audience  string         `db:"audience"`
	SessionID string         `db:"session_id"`
	DeviceID  sql.NullString `db:"device_id"`
	AuthTime  nullTime       `db:"auth_time"`
	AMR       string         `db:"amr"`
	ACR       string         `db:"acr"`
	GrantID   string         `db:"grant_id"`
	CreatedAt nullTime       `db:"created_at"`
	ExpiresAt nullTime       `db:"expires_at"`
	UsedAt    nullTime       `db:"used_at"`
}

func (r *refreshTokenRow) refreshToken() (storage.RefreshToken, error) {
	scopes, err := decodeList("scopes", r.Scopes)
	if err != nil {
		return storage.RefreshToken{}, err
	}
	audience, err := decodeList("audience", r.Audience)
	if err != nil {
		return storage.RefreshToken{}, err
	}
	amr, err := decodeList("amr", r.AMR)
	if err != nil {
		return storage.RefreshToken{}, err
	}
	return storage.RefreshToken{
		ID: r.ID, Hash: bytesOut(r.Hash), AppID: r.AppID, ClientID: r.ClientID, UserID: r.UserID.String,
		Subject: r.Subject, Scopes: scopes, Audience: audience, SessionID: r.SessionID,
		DeviceID: r.DeviceID.String, AuthTime: r.AuthTime.t, AMR: amr, ACR: r.ACR, GrantID: r.GrantID,
		CreatedAt: r.CreatedAt.t, ExpiresAt: r.ExpiresAt.t,
	}, nil
}

// CreateRefreshToken stores an issued refresh token's digest. Its client,
// and its user and device when set, must exist (ErrNotFound otherwise).
func (s *Store) CreateRefreshToken(ctx context.Context, t storage.RefreshToken) error {
	err := s.insert(ctx, qRefreshTokenInsert, refreshTokenArgs(t)...)
	if err != nil {
		return fmt.Errorf("create refresh token: %w", err)
	}
	return nil
}

// refreshTokenArgs are a new (unused) refresh token's values in the order
// of refreshTokenColumns.
func refreshTokenArgs(t storage.RefreshToken) []any {
	return []any{t.ID, bytesArg(t.Hash), t.AppID, t.ClientID, strArg(t.UserID), t.Subject, jsonText(t.Scopes),
		jsonText(t.Audience), t.SessionID, strArg(t.DeviceID), timeArg(t.AuthTime), jsonText(t.AMR), t.ACR,
		t.GrantID, timeArg(t.CreatedAt), timeArg(t.ExpiresAt), nil}
}

// GetRefreshTokenByHash returns a refresh token that expires after now,
// without consuming it; one used before comes back with storage.ErrReused.
func (s *Store) GetRefreshTokenByHash(ctx context.Context, hash []byte, now time.Time) (storage.RefreshToken, error) {
	t, used, err := s.getRefreshToken(ctx, qRefreshTokenByHash, hash, timeArg(now))
	if err == nil && used {
		err = storage.ErrReused
	}
	if err != nil {
		return t, fmt.Errorf("get refresh token: %w", err)
	}
	return t, nil
}

// ConsumeRefreshToken marks a refresh token that expires after now used,
// deletes the access tokens issued from it, and returns it; one used before
// comes back with storage.ErrReused.
func (s *Store) ConsumeRefreshToken(ctx context.Context, hash []byte, now time.Time) (storage.RefreshToken, error) {
	var t storage.RefreshToken
	err := s.inTx(ctx, func(tx *Store) error {
		var err error
		t, _, err = tx.getRefreshToken(ctx, qRefreshTokenConsume, timeArg(now), hash, timeArg(now))
		if errors.Is(err, storage.ErrNotFound) {
			// Only a failed rotation pays for the second look.
			if old, used, lookErr := tx.getRefreshToken(ctx, qRefreshTokenByHash, hash, timeArg(now)); lookErr == nil && used {
				t = old
				return storage.ErrReused
			}
		}
		if err != nil {
			return err
		}
		_, err = tx.exec(ctx, qRefreshTokenAccessDelete, t.ID)
		return err
	})
	if err != nil {
		if !errors.Is(err, storage.ErrReused) {
			t = storage.RefreshToken{}
		}
		return t, fmt.Errorf("consume refresh token: %w", err)
	}
	return t, nil
}

// getRefreshToken reads one refresh token and whether it was used.
func (s *Store) getRefreshToken(ctx context.Context, query string, args ...any) (storage.RefreshToken, bool, error) {
	var r refreshTokenRow
	if err := s.get(ctx, &r, query, args...); err != nil {
		return storage.RefreshToken{}, false, err
	}
	t, err := r.refreshToken()
	if err != nil {
		return storage.RefreshToken{}, false, err
	}
	return t, !r.UsedAt.t.IsZero(), nil
}

// DeleteGrant deletes every access and refresh token of one grant.
func (s *Store) DeleteGrant(ctx context.Context, grantID string) error {
	if grantID == "" { // tokens issued outside any grant share no family
		return nil
	}
	err := s.inTx(ctx, func(tx *Store) error {
		if _, err := tx.exec(ctx, qGrantAccessTokensDelete, grantID); err != nil {
			return err
		}
		_, err := tx.exec(ctx, qGrantRefreshTokensDelete, grantID)
		return err
	})
	if err != nil {
		return fmt.Errorf("delete grant: %w", err)
	}
	return nil
}

// DeleteRefreshToken revokes a refresh token and the access tokens issued
// from it.
func (s *Store) DeleteRefreshToken(ctx context.Context, id string) error {
	if err := s.execOne(ctx, qRefreshTokenDelete, id); err != nil {
		return fmt.Errorf("delete refresh token: %w", err)
	}
	return nil
}

// DeleteTokensOfUser deletes a user's access and refresh tokens issued to a
// client, or to every client when clientID is empty. Having none is not an
// error.
func (s *Store) DeleteTokensOfUser(ctx context.Context, appID, userID, clientID string) error {
	refresh, access, args := qUserRefreshTokensDelete, qUserAccessTokensDelete, []any{appID, userID}
	if clientID != "" {
		refresh, access, args = qUserClientRefreshTokensDelete, qUserClientAccessTokensDelete, append(args, clientID)
	}
	if err := s.warm(ctx, refresh, access); err != nil {
		return fmt.Errorf("delete tokens of user: %w", err)
	}
	err := s.inTx(ctx, func(tx *Store) error {
		if _, err := tx.exec(ctx, refresh, args...); err != nil {
			return err
		}
		_, err := tx.exec(ctx, access, args...)
		return err
	})
	if err != nil {
		return fmt.Errorf("delete tokens of user: %w", err)
	}
	return nil
}
