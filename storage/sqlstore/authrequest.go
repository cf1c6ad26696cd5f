package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/passbridge/passbridge/storage"
)

const authRequestColumns = `id, app_id, client_id, redirect_uri, scopes, state, nonce, response_type,
	response_mode, code_challenge, code_challenge_method, prompt, max_age, login_hint, acr_values, ui_locales,
	hint_subject, enroll, browser_binding, done, user_id, subject, device_id, session_id, auth_time, amr, acr,
	created_at, expires_at`

const (
	qAuthRequestInsert = `INSERT INTO auth_requests (` + authRequestColumns + `)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`
	// The code is stored only where the request was: none for a taken ID.
	qAuthRequestInsertAnswered = `WITH ar AS (` + qAuthRequestInsert + ` RETURNING id)
	INSERT INTO auth_codes (` + authCodeColumns + `) SELECT ?, id, ?, ? FROM ar`
	qAuthRequestGet    = `SELECT ` + authRequestColumns + ` FROM auth_requests WHERE id = ? AND expires_at > ?`
	qAuthRequestGetAny = `SELECT ` + authRequestColumns + ` FROM auth_requests WHERE id = ?`
	qAuthRequestDelete = `DELETE FROM auth_requests WHERE id = ?`
	qAuthRequestUpdate = `UPDATE auth_requests SET redirect_uri = ?, scopes = ?, state = ?, nonce = ?,
	response_type = ?, response_mode = ?, code_challenge = ?, code_challenge_method = ?, prompt = ?, max_age = ?,
	login_hint = ?, acr_values = ?, ui_locales = ?, hint_subject = ?, enroll = ?, browser_binding = ?, done = ?,
	user_id = ?, subject = ?, device_id = ?, session_id = ?, auth_time = ?, amr = ?, acr = ?, expires_at = ?
	WHERE id = ?`
	// Only what the sign-in decided is written, and only while the request
	// is pending: of two completions one wins.
	qAuthRequestComplete = `UPDATE auth_requests SET done = ?, user_id = ?, subject = ?, device_id = ?,
	session_id = ?, auth_time = ?, amr = ?, acr = ? WHERE id = ? AND NOT done`
	qAuthRequestDone = `SELECT done FROM auth_requests WHERE id = ?`
)

type authRequestRow struct {
	ID                  string        `db:"id"`
	AppID               string        `db:"app_id"`
	ClientID            string        `db:"client_id"`
	RedirectURI         string        `db:"redirect_uri"`
	Scopes              string        `db:"scopes"`
	State               string        `db:"state"`
	Nonce               string        `db:"nonce"`
	ResponseType        string        `db:"response_type"`
	ResponseMode        string        `db:"response_mode"`
	CodeChallenge       string        `db:"code_challenge"`
	CodeChallengeMethod string        `db:"code_challenge_method"`
	Prompt              string        `db:"prompt"`
	MaxAge              sql.NullInt64 `db:"max_age"`
	LoginHint           string        `db:"login_hint"`
	ACRValues           string        `db:"acr_values"`
	UILocales           string        `db:"ui_locales"`
	HintSubject         string        `db:"hint_subject"`
	Enroll              bool          `db:"enroll"`
	BrowserBinding      []byte        `db:"browser_binding"`
	Done                bool          `db:"done"`
	UserID              string        `db:"user_id"`
	Subject             string        `db:"subject"`
	DeviceID            string        `db:"device_id"`
	SessionID           string        `db:"session_id"`
	AuthTime            nullTime      `db:"auth_time"`
	AMR                 string        `db:"amr"`
	ACR                 string        `db:"acr"`
	CreatedAt           nullTime      `db:"created_at"`
	ExpiresAt           nullTime      `db:"expires_at"`
}

func (r *authRequestRow) authRequest() (storage.AuthRequest, error) {
	var lists [5][]string
	for i, c := range []struct{ name, text string }{
		{"scopes", r.Scopes}, {"prompt", r.Prompt}, {"acr_values", r.ACRValues},
		{"ui_locales", r.UILocales}, {"amr", r.AMR},
	} {
		l, err := decodeList(c.name, c.text)
		if err != nil {
			return storage.AuthRequest{}, err
		}
		lists[i] = l
	}
	var maxAge *int64
	if r.MaxAge.Valid {
		maxAge = &r.MaxAge.Int64
	}
	return storage.AuthRequest{
		ID: r.ID, AppID: r.AppID, ClientID: r.ClientID, RedirectURI: r.RedirectURI, Scopes: lists[0],
		State: r.State, Nonce: r.Nonce, ResponseType: r.ResponseType, ResponseMode: r.ResponseMode,
		CodeChallenge: r.CodeChallenge, CodeChallengeMethod: r.CodeChallengeMethod, Prompt: lists[1],
		MaxAge: maxAge, LoginHint: r.LoginHint, ACRValues: lists[2], UILocales: lists[3],
		HintSubject: r.HintSubject, Enroll: r.Enroll, BrowserBinding: bytesOut(r.BrowserBinding),
		Done: r.Done, UserID: r.UserID, Subject: r.Subject, DeviceID: r.DeviceID, SessionID: r.SessionID,
		AuthTime: r.AuthTime.t, AMR: lists[4], ACR: r.ACR, CreatedAt: r.CreatedAt.t, ExpiresAt: r.ExpiresAt.t,
	}, nil
}

// maxAgeArg is MaxAge as a query argument: NULL when not asked.
func maxAgeArg(v *int64) any {
	if v == nil {
		return nil
	}
	return *v
}

// CreateAuthRequest stores a new auth request of an existing client.
func (s *Store) CreateAuthRequest(ctx context.Context, r storage.AuthRequest) error {
	if err := s.insert(ctx, qAuthRequestInsert, authRequestArgs(r)...); err != nil {
		return fmt.Errorf("create auth request: %w", err)
	}
	return nil
}

// authRequestArgs are qAuthRequestInsert's arguments.
func authRequestArgs(r storage.AuthRequest) []any {
	return []any{r.ID, r.AppID, r.ClientID, r.RedirectURI, jsonText(r.Scopes),
		r.State, r.Nonce, r.ResponseType, r.ResponseMode, r.CodeChallenge, r.CodeChallengeMethod,
		jsonText(r.Prompt), maxAgeArg(r.MaxAge), r.LoginHint, jsonText(r.ACRValues), jsonText(r.UILocales),
		r.HintSubject, r.Enroll, bytesArg(r.BrowserBinding), r.Done, r.UserID, r.Subject, r.DeviceID,
		r.SessionID, timeArg(r.AuthTime), jsonText(r.AMR), r.ACR, timeArg(r.CreatedAt), timeArg(r.ExpiresAt)}
}

// CreateAnsweredAuthRequest stores an auth request done already with the
// code that answers it; see storage.OIDCStore. PostgreSQL writes both in
// one statement, the code only where the request was stored; SQLite in a
// transaction.
func (s *Store) CreateAnsweredAuthRequest(ctx context.Context, r storage.AuthRequest, c storage.AuthCode) error {
	var err error
	if s.dialect == DialectPostgres {
		err = s.insert(ctx, qAuthRequestInsertAnswered, append(authRequestArgs(r), bytesArg(c.Hash),
			timeArg(c.CreatedAt), timeArg(c.ExpiresAt))...)
	} else if err = s.warm(ctx, qAuthRequestInsert, qAuthCodeInsert); err == nil {
		err = s.inTx(ctx, func(tx *Store) error {
			if err := tx.insert(ctx, qAuthRequestInsert, authRequestArgs(r)...); err != nil {
				return err
			}
			return tx.insert(ctx, qAuthCodeInsert, authCodeArgs(r.ID, c)...)
		})
	}
	if err != nil {
		return fmt.Errorf("create answered auth request: %w", err)
	}
	return nil
}

// GetAuthRequest returns an auth request that expires after now.
func (s *Store) GetAuthRequest(ctx context.Context, id string, now time.Time) (storage.AuthRequest, error) {
	r, err := s.getAuthRequest(ctx, qAuthRequestGet, id, timeArg(now))
	if err != nil {
		return storage.AuthRequest{}, fmt.Errorf("get auth request: %w", err)
	}
	return r, nil
}

func (s *Store) getAuthRequest(ctx context.Context, query string, args ...any) (storage.AuthRequest, error) {
	var r authRequestRow
	if err := s.get(ctx, &r, query, args...); err != nil {
		return storage.AuthRequest{}, err
	}
	return r.authRequest()
}

// UpdateAuthRequest changes an auth request through fn, with the row
// locked. ID, AppID, ClientID and CreatedAt cannot change.
func (s *Store) UpdateAuthRequest(ctx context.Context, id string, fn func(storage.AuthRequest) (storage.AuthRequest, error)) (storage.AuthRequest, error) {
	read := func(tx *Store, lock string) (storage.AuthRequest, error) { return tx.getAuthRequest(ctx, lock, id) }
	write := func(tx *Store, cur, n storage.AuthRequest) (storage.AuthRequest, error) {
		n.ID, n.AppID, n.ClientID, n.CreatedAt = cur.ID, cur.AppID, cur.ClientID, cur.CreatedAt
		n.BrowserBinding = bytesOut(n.BrowserBinding)
		n.AuthTime, n.ExpiresAt = utc(n.AuthTime), utc(n.ExpiresAt)
		_, err := tx.exec(ctx, qAuthRequestUpdate, n.RedirectURI, jsonText(n.Scopes), n.State, n.Nonce,
			n.ResponseType, n.ResponseMode, n.CodeChallenge, n.CodeChallengeMethod, jsonText(n.Prompt),
			maxAgeArg(n.MaxAge), n.LoginHint, jsonText(n.ACRValues), jsonText(n.UILocales), n.HintSubject,
			n.Enroll, bytesArg(n.BrowserBinding), n.Done, n.UserID, n.Subject, n.DeviceID, n.SessionID,
			timeArg(n.AuthTime), jsonText(n.AMR), n.ACR, timeArg(n.ExpiresAt), id)
		return n, err
	}
	return updateRow(ctx, s, "update auth request", false, qAuthRequestGetAny, qAuthRequestUpdate, read, fn, write)
}

// CompleteAuthRequest marks a pending auth request done by session se.
func (s *Store) CompleteAuthRequest(ctx context.Context, id string, se storage.Session) error {
	n, err := s.exec(ctx, qAuthRequestComplete, completionArgs(id, se)...)
	if err == nil && n == 0 {
		// Only a refused completion pays for the second look.
		var done bool
		if err = s.get(ctx, &done, qAuthRequestDone, id); err == nil {
			err = storage.ErrConflict
		}
	}
	if err != nil {
		return fmt.Errorf("complete auth request: %w", err)
	}
	return nil
}

// completionArgs are qAuthRequestComplete's arguments: auth request id
// done by session se.
func completionArgs(id string, se storage.Session) []any {
	return []any{true, se.UserID, se.Subject, se.DeviceID, se.ID, timeArg(se.AuthTime), jsonText(se.AMR), se.ACR, id}
}

// DeleteAuthRequest deletes an auth request and its codes.
func (s *Store) DeleteAuthRequest(ctx context.Context, id string) error {
	if err := s.execOne(ctx, qAuthRequestDelete, id); err != nil {
		return fmt.Errorf("delete auth request: %w", err)
	}
	return nil
}
