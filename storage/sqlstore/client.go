package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/passbridge/passbridge/storage"
)

const clientColumns = `id, app_id, name, secret_hash, secret_sealed, auth_method, redirect_uris, post_logout_redirect_uris,
	jwks, jwks_uri, access_token_type, scopes, id_token_lifetime_ns, access_token_lifetime_ns,
	refresh_token_lifetime_ns, require_acr, require_uv, implicit, hint_issuer, hint_jwks_uri, hint_jwks, hint_audience,
	hint_tenant, hint_user_claim, hint_enrol, created_at, updated_at`

const (
	qClientInsert = `INSERT INTO clients (` + clientColumns + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`
	qClientGet    = `SELECT ` + clientColumns + ` FROM clients WHERE id = ?`
	qClientList   = `SELECT ` + clientColumns + ` FROM clients WHERE app_id = ? ORDER BY created_at, id`
	qClientUpdate = `UPDATE clients SET name = ?, secret_hash = ?, secret_sealed = ?, auth_method = ?, redirect_uris = ?,
	post_logout_redirect_uris = ?, jwks = ?, jwks_uri = ?, access_token_type = ?, scopes = ?,
	id_token_lifetime_ns = ?, access_token_lifetime_ns = ?, refresh_token_lifetime_ns = ?, require_acr = ?,
	require_uv = ?, implicit = ?, hint_issuer = ?, hint_jwks_uri = ?, hint_jwks = ?, hint_audience = ?, hint_tenant = ?,
	hint_user_claim = ?, hint_enrol = ?, updated_at = ? WHERE id = ?`
	qClientDelete = `DELETE FROM clients WHERE id = ?`
	// Discovery asks it; the cachestore keeps the answer.
	qClientAnyImplicit = `SELECT EXISTS (SELECT 1 FROM clients WHERE implicit)`
)

type clientRow struct {
	ID                     string   `db:"id"`
	AppID                  string   `db:"app_id"`
	Name                   string   `db:"name"`
	SecretHash             []byte   `db:"secret_hash"`
	SecretSealed           []byte   `db:"secret_sealed"`
	AuthMethod             string   `db:"auth_method"`
	RedirectURIs           string   `db:"redirect_uris"`
	PostLogoutRedirectURIs string   `db:"post_logout_redirect_uris"`
	JWKS                   []byte   `db:"jwks"`
	JWKSURI                string   `db:"jwks_uri"`
	AccessTokenType        string   `db:"access_token_type"`
	Scopes                 string   `db:"scopes"`
	IDTokenLifetime        int64    `db:"id_token_lifetime_ns"`
	AccessTokenLifetime    int64    `db:"access_token_lifetime_ns"`
	RefreshTokenLifetime   int64    `db:"refresh_token_lifetime_ns"`
	RequireACR             string   `db:"require_acr"`
	RequireUV              bool     `db:"require_uv"`
	Implicit               bool     `db:"implicit"`
	HintIssuer             string   `db:"hint_issuer"`
	HintJWKSURI            string   `db:"hint_jwks_uri"`
	HintJWKS               []byte   `db:"hint_jwks"`
	HintAudience           string   `db:"hint_audience"`
	HintTenant             string   `db:"hint_tenant"`
	HintUserClaim          string   `db:"hint_user_claim"`
	HintEnrol              bool     `db:"hint_enrol"`
	CreatedAt              nullTime `db:"created_at"`
	UpdatedAt              nullTime `db:"updated_at"`
}

func (r *clientRow) client() (storage.Client, error) {
	redirects, err := decodeList("redirect_uris", r.RedirectURIs)
	if err != nil {
		return storage.Client{}, err
	}
	logouts, err := decodeList("post_logout_redirect_uris", r.PostLogoutRedirectURIs)
	if err != nil {
		return storage.Client{}, err
	}
	scopes, err := decodeList("scopes", r.Scopes)
	if err != nil {
		return storage.Client{}, err
	}
	return storage.Client{
		ID: r.ID, AppID: r.AppID, Name: r.Name, SecretHash: bytesOut(r.SecretHash), SecretSealed: bytesOut(r.SecretSealed), AuthMethod: r.AuthMethod,
		RedirectURIs: redirects, PostLogoutRedirectURIs: logouts, JWKS: bytesOut(r.JWKS),
		JWKSURI: r.JWKSURI, AccessTokenType: r.AccessTokenType, Scopes: scopes,
		IDTokenLifetime:      time.Duration(r.IDTokenLifetime),
		AccessTokenLifetime:  time.Duration(r.AccessTokenLifetime),
		RefreshTokenLifetime: time.Duration(r.RefreshTokenLifetime),
		RequireACR:           r.RequireACR, RequireUV: r.RequireUV,
		Implicit: r.Implicit, HintIssuer: r.HintIssuer, HintJWKSURI: r.HintJWKSURI, HintJWKS: bytesOut(r.HintJWKS),
		HintAudience: r.HintAudience, HintTenant: r.HintTenant, HintUserClaim: r.HintUserClaim, HintEnrol: r.HintEnrol,
		CreatedAt: r.CreatedAt.t, UpdatedAt: r.UpdatedAt.t,
	}, nil
}

// CreateClient stores a new OIDC client of an existing app.
func (s *Store) CreateClient(ctx context.Context, c storage.Client) error {
	err := s.insert(ctx, qClientInsert, c.ID, c.AppID, c.Name, bytesArg(c.SecretHash), bytesArg(c.SecretSealed), c.AuthMethod,
		jsonText(c.RedirectURIs), jsonText(c.PostLogoutRedirectURIs), bytesArg(c.JWKS), c.JWKSURI, c.AccessTokenType,
		jsonText(c.Scopes), int64(c.IDTokenLifetime), int64(c.AccessTokenLifetime), int64(c.RefreshTokenLifetime),
		c.RequireACR, c.RequireUV, c.Implicit, c.HintIssuer, c.HintJWKSURI, bytesArg(c.HintJWKS), c.HintAudience,
		c.HintTenant, c.HintUserClaim, c.HintEnrol, timeArg(c.CreatedAt), timeArg(c.UpdatedAt))
	if err != nil {
		return fmt.Errorf("create client: %w", err)
	}
	return nil
}

// GetClient returns a client by client_id.
func (s *Store) GetClient(ctx context.Context, id string) (storage.Client, error) {
	c, err := s.getClient(ctx, qClientGet, id)
	if err != nil {
		return storage.Client{}, fmt.Errorf("get client: %w", err)
	}
	return c, nil
}

func (s *Store) getClient(ctx context.Context, query string, args ...any) (storage.Client, error) {
	var r clientRow
	if err := s.get(ctx, &r, query, args...); err != nil {
		return storage.Client{}, err
	}
	return r.client()
}

// ListClients returns an app's clients, ordered by CreatedAt, then ID.
func (s *Store) ListClients(ctx context.Context, appID string) ([]storage.Client, error) {
	var rows []clientRow
	if err := s.list(ctx, &rows, qClientList, appID); err != nil {
		return nil, fmt.Errorf("list clients: %w", err)
	}
	clients := make([]storage.Client, len(rows))
	for i := range rows {
		c, err := rows[i].client()
		if err != nil {
			return nil, fmt.Errorf("list clients: %w", err)
		}
		clients[i] = c
	}
	return clients, nil
}

// UpdateClient changes a client through fn, with the row locked. ID, AppID
// and CreatedAt cannot change.
func (s *Store) UpdateClient(ctx context.Context, id string, fn func(storage.Client) (storage.Client, error)) (storage.Client, error) {
	read := func(tx *Store, lock string) (storage.Client, error) { return tx.getClient(ctx, lock, id) }
	write := func(tx *Store, cur, next storage.Client) (storage.Client, error) {
		next.ID, next.AppID, next.CreatedAt = cur.ID, cur.AppID, cur.CreatedAt
		next.SecretHash, next.SecretSealed, next.JWKS = bytesOut(next.SecretHash), bytesOut(next.SecretSealed), bytesOut(next.JWKS)
		next.HintJWKS = bytesOut(next.HintJWKS)
		next.UpdatedAt = utc(next.UpdatedAt)
		_, err := tx.exec(ctx, qClientUpdate, next.Name, bytesArg(next.SecretHash), bytesArg(next.SecretSealed), next.AuthMethod,
			jsonText(next.RedirectURIs), jsonText(next.PostLogoutRedirectURIs), bytesArg(next.JWKS), next.JWKSURI,
			next.AccessTokenType, jsonText(next.Scopes), int64(next.IDTokenLifetime), int64(next.AccessTokenLifetime),
			int64(next.RefreshTokenLifetime), next.RequireACR, next.RequireUV, next.Implicit, next.HintIssuer,
			next.HintJWKSURI, bytesArg(next.HintJWKS), next.HintAudience, next.HintTenant, next.HintUserClaim,
			next.HintEnrol, timeArg(next.UpdatedAt), id)
		return next, err
	}
	return updateRow(ctx, s, "update client", false, qClientGet, qClientUpdate, read, fn, write)
}

// DeleteClient deletes a client with its auth requests and tokens.
func (s *Store) DeleteClient(ctx context.Context, id string) error {
	if err := s.execOne(ctx, qClientDelete, id); err != nil {
		return fmt.Errorf("delete client: %w", err)
	}
	return nil
}

// AnyImplicitClient reports whether some client has the implicit profile.
func (s *Store) AnyImplicitClient(ctx context.Context) (bool, error) {
	var found bool
	if err := s.get(ctx, &found, qClientAnyImplicit); err != nil {
		return false, fmt.Errorf("any implicit client: %w", err)
	}
	return found, nil
}
