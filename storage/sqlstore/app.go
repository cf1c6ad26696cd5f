package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/passbridge/passbridge/storage"
)

const appColumns = `id, name, rp_id, rp_name, origins, user_verification, attestation, resident_key,
	allow_signup, sign_count_policy, transaction_ttl_ns, ceremony_timeout_ns, nonce_ttl_ns, logo_url, accent_color,
	created_at, updated_at`

const (
	qAppInsert = `INSERT INTO apps (` + appColumns + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`
	qAppGet    = `SELECT ` + appColumns + ` FROM apps WHERE id = ?`
	qAppList   = `SELECT ` + appColumns + ` FROM apps ORDER BY created_at, id`
	qAppUpdate = `UPDATE apps SET name = ?, rp_id = ?, rp_name = ?, origins = ?, user_verification = ?,
	attestation = ?, resident_key = ?, allow_signup = ?, sign_count_policy = ?, transaction_ttl_ns = ?,
	ceremony_timeout_ns = ?, nonce_ttl_ns = ?, logo_url = ?, accent_color = ?, updated_at = ? WHERE id = ?`
	qAppDelete = `DELETE FROM apps WHERE id = ?`
)

type appRow struct {
	ID               string   `db:"id"`
	Name             string   `db:"name"`
	RPID             string   `db:"rp_id"`
	RPName           string   `db:"rp_name"`
	Origins          string   `db:"origins"`
	UserVerification string   `db:"user_verification"`
	Attestation      string   `db:"attestation"`
	ResidentKey      string   `db:"resident_key"`
	AllowSignup      bool     `db:"allow_signup"`
	SignCountPolicy  string   `db:"sign_count_policy"`
	TransactionTTL   int64    `db:"transaction_ttl_ns"`
	CeremonyTimeout  int64    `db:"ceremony_timeout_ns"`
	NonceTTL         int64    `db:"nonce_ttl_ns"`
	LogoURL          string   `db:"logo_url"`
	AccentColor      string   `db:"accent_color"`
	CreatedAt        nullTime `db:"created_at"`
	UpdatedAt        nullTime `db:"updated_at"`
}

func (r *appRow) app() (storage.App, error) {
	origins, err := decodeList("origins", r.Origins)
	if err != nil {
		return storage.App{}, err
	}
	return storage.App{
		ID: r.ID, Name: r.Name, RPID: r.RPID, RPName: r.RPName, Origins: origins,
		UserVerification: r.UserVerification, Attestation: r.Attestation, ResidentKey: r.ResidentKey,
		AllowSignup: r.AllowSignup, SignCountPolicy: r.SignCountPolicy,
		TransactionTTL:  time.Duration(r.TransactionTTL),
		CeremonyTimeout: time.Duration(r.CeremonyTimeout),
		NonceTTL:        time.Duration(r.NonceTTL),
		LogoURL:         r.LogoURL, AccentColor: r.AccentColor,
		CreatedAt: r.CreatedAt.t, UpdatedAt: r.UpdatedAt.t,
	}, nil
}

// CreateApp stores a new app.
func (s *Store) CreateApp(ctx context.Context, a storage.App) error {
	err := s.insert(ctx, qAppInsert, a.ID, a.Name, a.RPID, a.RPName, jsonText(a.Origins),
		a.UserVerification, a.Attestation, a.ResidentKey, a.AllowSignup, a.SignCountPolicy,
		int64(a.TransactionTTL), int64(a.CeremonyTimeout), int64(a.NonceTTL), a.LogoURL, a.AccentColor,
		timeArg(a.CreatedAt), timeArg(a.UpdatedAt))
	if err != nil {
		return fmt.Errorf("create app: %w", err)
	}
	return nil
}

// GetApp returns an app by id.
func (s *Store) GetApp(ctx context.Context, id string) (storage.App, error) {
	a, err := s.getApp(ctx, qAppGet, id)
	if err != nil {
		return storage.App{}, fmt.Errorf("get app: %w", err)
	}
	return a, nil
}

func (s *Store) getApp(ctx context.Context, query string, args ...any) (storage.App, error) {
	var r appRow
	if err := s.get(ctx, &r, query, args...); err != nil {
		return storage.App{}, err
	}
	return r.app()
}

// ListApps returns every app, ordered by CreatedAt, then ID.
func (s *Store) ListApps(ctx context.Context) ([]storage.App, error) {
	var rows []appRow
	if err := s.list(ctx, &rows, qAppList); err != nil {
		return nil, fmt.Errorf("list apps: %w", err)
	}
	apps := make([]storage.App, 0, len(rows))
	for i := range rows {
		a, err := rows[i].app()
		if err != nil {
			return nil, fmt.Errorf("list apps: %w", err)
		}
		apps = append(apps, a)
	}
	return apps, nil
}

// UpdateApp changes an app through fn, with the row locked. ID and CreatedAt
// cannot change.
func (s *Store) UpdateApp(ctx context.Context, id string, fn func(storage.App) (storage.App, error)) (storage.App, error) {
	read := func(tx *Store, lock string) (storage.App, error) { return tx.getApp(ctx, lock, id) }
	write := func(tx *Store, cur, next storage.App) (storage.App, error) {
		next.ID, next.CreatedAt = cur.ID, cur.CreatedAt
		next.UpdatedAt = utc(next.UpdatedAt)
		_, err := tx.exec(ctx, qAppUpdate, next.Name, next.RPID, next.RPName, jsonText(next.Origins),
			next.UserVerification, next.Attestation, next.ResidentKey, next.AllowSignup, next.SignCountPolicy,
			int64(next.TransactionTTL), int64(next.CeremonyTimeout), int64(next.NonceTTL),
			next.LogoURL, next.AccentColor, timeArg(next.UpdatedAt), id)
		return next, err
	}
	return updateRow(ctx, s, "update app", false, qAppGet, qAppUpdate, read, fn, write)
}

// DeleteApp deletes an app and everything that belongs to it.
func (s *Store) DeleteApp(ctx context.Context, id string) error {
	if err := s.execOne(ctx, qAppDelete, id); err != nil {
		return fmt.Errorf("delete app: %w", err)
	}
	return nil
}
