package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/passbridge/passbridge/storage"
)

// The writes that sign a user in (a session, tokens) hold the user's row
// and check its status in the same step, so that a deactivation, which
// updates the row first, lands wholly before or after them. PostgreSQL
// runs each as one WITH statement whose writes are chained through the
// rows they return, the user's lock first: nothing is written for an
// inactive user, and no row a deactivation deletes is touched before the
// user is held. SQLite runs the same steps in a transaction, which holds
// the database's write lock from its start.

const (
	qSignInUser     = `SELECT status FROM users WHERE app_id = ? AND id = ?`
	qSessionReplace = `DELETE FROM sessions WHERE app_id = ? AND hash = ?`
	// A code is redeemed for the auth request it was issued for only.
	qCodeRedeem = `UPDATE auth_codes SET used_at = ? WHERE hash = ? AND auth_request_id = ? AND used_at IS NULL
	AND expires_at > ? RETURNING hash`
	qCodeUsed = `SELECT hash FROM auth_codes WHERE hash = ? AND auth_request_id = ? AND used_at IS NOT NULL
	AND expires_at > ?`
)

// StartSession stores a fresh sign-in's session; see
// storage.SessionStore.
func (s *Store) StartSession(ctx context.Context, st storage.SessionStart) error {
	var err error
	if s.dialect == DialectPostgres {
		err = s.startSessionStatement(ctx, st)
	} else if err = s.warm(ctx, qSignInUser, qAuthRequestComplete, qSessionReplace, qSessionInsert, qAuthCodeInsert); err == nil {
		err = s.inTx(ctx, func(tx *Store) error { return tx.startSessionSteps(ctx, st) })
	}
	if err != nil {
		return fmt.Errorf("start session: %w", err)
	}
	return nil
}

// startSessionStatement is StartSession in one PostgreSQL statement: the
// user held, then the auth request completed, then the old session
// deleted and the new one stored, each only if the one before found its
// row.
func (s *Store) startSessionStatement(ctx context.Context, st storage.SessionStart) error {
	se := st.Session
	var b strings.Builder
	b.WriteString(`WITH u AS (` + qSignInUser + ` FOR SHARE), ok AS (SELECT 1 FROM u WHERE status = ?)`)
	args := []any{se.AppID, se.UserID, storage.UserActive}
	gate := "ok"
	if st.AuthRequestID != "" {
		b.WriteString(`, ar AS (` + qAuthRequestComplete + ` AND EXISTS (SELECT 1 FROM ok) RETURNING id)`)
		args = append(args, completionArgs(st.AuthRequestID, se)...)
		gate = "ar"
	}
	if st.Replaces != nil {
		b.WriteString(`, prev AS (` + qSessionReplace + ` AND EXISTS (SELECT 1 FROM ` + gate + `))`)
		args = append(args, se.AppID, bytesArg(st.Replaces))
	}
	// No ON CONFLICT: a taken ID or digest fails the whole statement, so
	// the request is not completed by a session that was not stored.
	values := sessionArgs(se)
	b.WriteString(`, s AS (INSERT INTO sessions (` + sessionColumns + `) SELECT ` + marks(len(values)) +
		` FROM ` + gate + ` RETURNING id)`)
	args = append(args, values...)
	if st.Code != nil && st.AuthRequestID != "" {
		b.WriteString(`, c AS (INSERT INTO auth_codes (` + authCodeColumns + `) SELECT ?, ?, ?, ? FROM ar)`)
		args = append(args, authCodeArgs(st.AuthRequestID, *st.Code)...)
	}
	b.WriteString(` SELECT (SELECT status FROM u) AS status, (SELECT count(*) FROM s) AS written`)
	var r struct {
		Status  sql.NullString `db:"status"`
		Written int64          `db:"written"`
	}
	if err := s.get(ctx, &r, b.String(), args...); err != nil {
		return err
	}
	switch {
	case r.Status.String != storage.UserActive:
		return storage.ErrUserInactive
	case r.Written == 0:
		return storage.ErrConflict
	}
	return nil
}

// startSessionSteps is StartSession on a Store bound to a transaction.
func (s *Store) startSessionSteps(ctx context.Context, st storage.SessionStart) error {
	se := st.Session
	if err := s.activeUser(ctx, se.AppID, se.UserID); err != nil {
		return err
	}
	if st.AuthRequestID != "" {
		n, err := s.exec(ctx, qAuthRequestComplete, completionArgs(st.AuthRequestID, se)...)
		if err != nil {
			return err
		}
		if n == 0 {
			return storage.ErrConflict
		}
	}
	if st.Replaces != nil {
		if _, err := s.exec(ctx, qSessionReplace, se.AppID, bytesArg(st.Replaces)); err != nil {
			return err
		}
	}
	if err := s.insert(ctx, qSessionInsert, sessionArgs(se)...); err != nil || st.Code == nil || st.AuthRequestID == "" {
		return err
	}
	return s.insert(ctx, qAuthCodeInsert, authCodeArgs(st.AuthRequestID, *st.Code)...)
}

// activeUser checks, inside a transaction, that an app's user exists and
// is active.
func (s *Store) activeUser(ctx context.Context, appID, userID string) error {
	var status string
	err := s.get(ctx, &status, qSignInUser, appID, userID)
	if errors.Is(err, storage.ErrNotFound) || (err == nil && status != storage.UserActive) {
		return storage.ErrUserInactive
	}
	return err
}

// IssueTokens stores the tokens of a grant, redeeming its code; see
// storage.OIDCStore.
func (s *Store) IssueTokens(ctx context.Context, t storage.TokenIssue) error {
	var err error
	if s.dialect == DialectPostgres {
		err = s.issueStatement(ctx, t)
	} else if err = s.warm(ctx, qSignInUser, qCodeRedeem, qRefreshTokenInsert, qAccessTokenInsert); err == nil {
		var refused error
		err = s.inTx(ctx, func(tx *Store) (err error) {
			refused, err = tx.issueSteps(ctx, t)
			return err
		})
		if err == nil {
			err = refused
		}
	}
	if err != nil {
		return fmt.Errorf("issue tokens: %w", err)
	}
	return nil
}

// issueStatement is IssueTokens in one PostgreSQL statement: the user
// held and the code redeemed, then the tokens stored only if both went
// well. The code is redeemed whatever the user: a code of a sign-in whose
// user was deactivated meanwhile must not wait for a reactivation.
func (s *Store) issueStatement(ctx context.Context, t storage.TokenIssue) error {
	user, code := t.Access.UserID != "", t.CodeHash != nil
	var (
		ctes, from []string
		args       []any
		where      string
	)
	status, redeemed := `NULL`, `1`
	if user {
		ctes = append(ctes, `u AS (`+qSignInUser+` FOR SHARE)`)
		args = append(args, t.Access.AppID, t.Access.UserID)
		from, where, status = append(from, "u"), ` WHERE u.status = ?`, `(SELECT status FROM u)`
	}
	if code {
		now := timeArg(t.Now)
		ctes = append(ctes, `c AS (`+qCodeRedeem+`)`)
		args = append(args, now, t.CodeHash, t.AuthRequestID, now)
		from, redeemed = append(from, "c"), `(SELECT count(*) FROM c)`
	}
	ok := `ok AS (SELECT 1`
	if len(from) > 0 {
		ok += ` FROM ` + strings.Join(from, ", ")
	}
	ctes = append(ctes, ok+where+`)`)
	if user {
		args = append(args, storage.UserActive)
	}
	if t.Refresh != nil {
		values := refreshTokenArgs(*t.Refresh)
		ctes = append(ctes, `r AS (INSERT INTO refresh_tokens (`+refreshTokenColumns+`) SELECT `+marks(len(values))+
			` FROM ok RETURNING id)`)
		args = append(args, values...)
	}
	values := accessTokenArgs(t.Access)
	ctes = append(ctes, `a AS (INSERT INTO access_tokens (`+accessTokenColumns+`) SELECT `+marks(len(values))+
		` FROM ok RETURNING id)`)
	args = append(args, values...)
	query := `WITH ` + strings.Join(ctes, ", ") + ` SELECT ` + status + ` AS status, ` + redeemed +
		` AS redeemed, (SELECT count(*) FROM a) AS issued`
	var r struct {
		Status   sql.NullString `db:"status"`
		Redeemed int64          `db:"redeemed"`
		Issued   int64          `db:"issued"`
	}
	if err := s.get(ctx, &r, query, args...); err != nil {
		return err
	}
	switch {
	case r.Redeemed == 0:
		return s.codeRefusal(ctx, t)
	case user && r.Status.String != storage.UserActive:
		return storage.ErrUserInactive
	case r.Issued == 0:
		return errors.New("no token stored")
	}
	return nil
}

// issueSteps is IssueTokens on a Store bound to a transaction. An inactive
// user is reported as refused with a nil error, so that the code's
// redemption commits.
func (s *Store) issueSteps(ctx context.Context, t storage.TokenIssue) (refused, err error) {
	if t.Access.UserID != "" {
		refused = s.activeUser(ctx, t.Access.AppID, t.Access.UserID)
		if !errors.Is(refused, storage.ErrUserInactive) && refused != nil {
			return nil, refused
		}
	}
	if t.CodeHash != nil {
		now := timeArg(t.Now)
		var hash []byte
		err := s.get(ctx, &hash, qCodeRedeem, now, t.CodeHash, t.AuthRequestID, now)
		if errors.Is(err, storage.ErrNotFound) {
			return nil, s.codeRefusal(ctx, t)
		}
		if err != nil {
			return nil, err
		}
	}
	if refused != nil {
		return refused, nil
	}
	if t.Refresh != nil {
		if err := s.insert(ctx, qRefreshTokenInsert, refreshTokenArgs(*t.Refresh)...); err != nil {
			return nil, err
		}
	}
	return nil, s.insert(ctx, qAccessTokenInsert, accessTokenArgs(t.Access)...)
}

// codeRefusal is why a code was not redeemed: used before (ErrReused) or
// unknown or expired (ErrNotFound). Only a refused redemption pays for
// this second look.
func (s *Store) codeRefusal(ctx context.Context, t storage.TokenIssue) error {
	var hash []byte
	err := s.get(ctx, &hash, qCodeUsed, t.CodeHash, t.AuthRequestID, timeArg(t.Now))
	if err == nil {
		return storage.ErrReused
	}
	return err
}

// marks is n comma-separated placeholders.
func marks(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}
