package oidc

import (
	"context"
	"errors"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/passbridge/passbridge/storage"
)

// refreshPrefix marks passbridge refresh tokens for secret scanners.
const refreshPrefix = "pbr_"

// refreshRequest is a stored refresh token as op sees it when it issues
// tokens from it. It carries the original sign-in's auth_time, amr, acr and
// session, which a refreshed ID token keeps (OIDC Core §12.2).
type refreshRequest struct {
	storage.RefreshToken
	scopes []string // narrowed by the refresh request, if it asked
}

var _ op.RefreshTokenRequest = (*refreshRequest)(nil)

func (r *refreshRequest) GetAMR() []string            { return r.AMR }
func (r *refreshRequest) GetAudience() []string       { return r.Audience }
func (r *refreshRequest) GetAuthTime() time.Time      { return r.AuthTime }
func (r *refreshRequest) GetClientID() string         { return r.ClientID }
func (r *refreshRequest) GetScopes() []string         { return r.scopes }
func (r *refreshRequest) GetSubject() string          { return r.Subject }
func (r *refreshRequest) SetCurrentScopes(s []string) { r.scopes = s }

// grant is what tokens are issued from: a completed auth request or a
// refresh token.
type grant struct {
	appID, clientID, userID, subject, sessionID, deviceID, grantID string
	scopes, audience, amr                                          []string
	authTime                                                       time.Time
	acr                                                            string
}

func grantOf(req op.TokenRequest) (grant, bool) {
	switch r := req.(type) {
	case *authRequest:
		return grant{appID: r.AppID, clientID: r.ClientID, userID: r.UserID, subject: r.Subject,
			sessionID: r.SessionID, deviceID: r.DeviceID, grantID: r.ID, scopes: r.Scopes,
			audience: r.GetAudience(), amr: r.AMR, authTime: r.AuthTime, acr: r.ACR}, true
	case *refreshRequest:
		return grant{appID: r.AppID, clientID: r.ClientID, userID: r.UserID, subject: r.Subject,
			sessionID: r.SessionID, deviceID: r.DeviceID, grantID: r.GrantID, scopes: r.scopes,
			audience: r.Audience, amr: r.AMR, authTime: r.AuthTime, acr: r.ACR}, true
	}
	return grant{}, false
}

// lifetimes are a client's token lifetimes, its own or the provider's.
func (s *opStorage) accessLifetime(ctx context.Context, clientID string) time.Duration {
	if c, err := s.client(ctx, clientID); err == nil && c.AccessTokenLifetime > 0 {
		return c.AccessTokenLifetime
	}
	return s.cfg.AccessTokenTTL
}

func (s *opStorage) refreshLifetime(c storage.Client) time.Duration {
	if c.RefreshTokenLifetime > 0 {
		return c.RefreshTokenLifetime
	}
	return s.cfg.RefreshTokenTTL
}

// accessToken is the record of an access token of grant g.
func (s *opStorage) accessToken(g grant, refreshID string, now time.Time, ttl time.Duration) storage.AccessToken {
	return storage.AccessToken{
		ID: storage.NewID(), AppID: g.appID, ClientID: g.clientID, UserID: g.userID, Subject: g.subject,
		Scopes: g.scopes, Audience: g.audience, SessionID: g.sessionID, DeviceID: g.deviceID,
		RefreshTokenID: refreshID, GrantID: g.grantID, CreatedAt: now, ExpiresAt: now.Add(ttl),
	}
}

// CreateAccessToken records an access token without a refresh token.
func (s *opStorage) CreateAccessToken(ctx context.Context, req op.TokenRequest) (string, time.Time, error) {
	g, ok := grantOf(req)
	if !ok {
		return "", time.Time{}, oidc.ErrUnsupportedGrantType()
	}
	now := s.clock()
	t := s.accessToken(g, "", now, s.accessLifetime(ctx, g.clientID))
	if err := s.issue(ctx, req, storage.TokenIssue{Access: t, Now: now}); err != nil {
		return "", time.Time{}, err
	}
	return t.ID, t.ExpiresAt, nil
}

// issue stores tokens of grant req in one store write (IssueTokens),
// which checks that their user is active, and holds the user until it is
// done: a user deactivated after signing in gets nothing from a code of
// before, and a deactivation cannot land halfway through it. In a code
// exchange whose code AuthRequestByCode accepted, the same write redeems
// the code: a code redeemed before is a replay, which revokes what its
// first redemption issued.
func (s *opStorage) issue(ctx context.Context, req op.TokenRequest, t storage.TokenIssue) error {
	if x, ok := ctx.Value(exchangeKey{}).(*exchange); ok && x.codeHash != nil {
		if r, ok := req.(*authRequest); ok && r.ID == x.req.ID {
			t.CodeHash, t.AuthRequestID, x.codeHash = x.codeHash, r.ID, nil
		}
	}
	err := s.store.IssueTokens(ctx, t)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, storage.ErrUserInactive):
		return errUserInactive()
	case t.CodeHash != nil && errors.Is(err, storage.ErrReused):
		s.revokeReplayedCode(ctx, t.AuthRequestID)
		return oidc.ErrInvalidGrant().WithDescription("the code was already used")
	case t.CodeHash != nil:
		return s.translate(ctx, "issue tokens", err, invalidCode)
	}
	return s.translate(ctx, "issue tokens", err, revokedGrant)
}

// revokeReplayedCode ends every token issued from auth request id, whose
// code was presented again (RFC 9700 §4.5): either the client or an
// attacker holds a stolen copy.
func (s *opStorage) revokeReplayedCode(ctx context.Context, id string) {
	if err := s.store.DeleteGrant(ctx, id); err != nil {
		s.log.ErrorContext(ctx, "revoke the tokens of a replayed code", "err", err)
	}
	s.log.WarnContext(ctx, "authorization code replayed: its tokens are revoked", "auth_request_id", id)
}

// lockActiveUser holds the user tokens are about to be issued to through
// the store transaction tx of a refresh token's rotation (see
// storage.UserStore.LockUser) and checks that the user is active. A user
// deactivated after signing in gets nothing from a refresh token of
// before; and a deactivation cannot land between this check and the
// commit, so it ends whatever this transaction writes. It must come first
// in tx, before any row the deactivation deletes is touched.
func lockActiveUser(ctx context.Context, tx storage.Store, appID, userID string) error {
	if userID == "" {
		return nil
	}
	u, err := tx.LockUser(ctx, appID, userID)
	if err != nil {
		return err
	}
	if u.Status != storage.UserActive {
		return ErrUserInactive
	}
	return nil
}

// errUserInactive is the token endpoint's answer for a user deactivated
// (or deleted) since signing in.
func errUserInactive() *oidc.Error {
	return oidc.ErrInvalidGrant().WithDescription("the user is inactive")
}

// revokedGrant: what the tokens would be issued for is gone (a revoked
// device, a deleted user or client).
func revokedGrant() *oidc.Error {
	return oidc.ErrInvalidGrant().WithDescription("the sign-in was revoked")
}

// CreateAccessAndRefreshTokens issues an access token and a refresh token.
// Given the refresh token in use, it rotates it in the same transaction: of
// two rotations of one token, one wins and the other is a replay, which
// revokes the whole grant (RFC 9700 §4.14.2). Without one (a code
// exchange) the tokens are one write, as CreateAccessToken's are.
func (s *opStorage) CreateAccessAndRefreshTokens(ctx context.Context, req op.TokenRequest, current string) (string, string, time.Time, error) {
	g, ok := grantOf(req)
	if !ok {
		return "", "", time.Time{}, oidc.ErrUnsupportedGrantType()
	}
	client, err := s.client(ctx, g.clientID)
	if err != nil {
		return "", "", time.Time{}, s.translate(ctx, "issue tokens: client", err, oidc.ErrInvalidClient)
	}
	now := s.clock()
	plain, _ := storage.NewSecret(refreshPrefix)
	refresh := storage.RefreshToken{
		ID: storage.NewID(), Hash: storage.HashSecret(plain), AppID: g.appID, ClientID: g.clientID,
		UserID: g.userID, Subject: g.subject, Scopes: g.scopes, Audience: g.audience, SessionID: g.sessionID,
		DeviceID: g.deviceID, AuthTime: g.authTime, AMR: g.amr, ACR: g.acr, GrantID: g.grantID,
		CreatedAt: now, ExpiresAt: now.Add(s.refreshLifetime(client)),
	}
	ttl := s.cfg.AccessTokenTTL
	if client.AccessTokenLifetime > 0 {
		ttl = client.AccessTokenLifetime
	}
	access := s.accessToken(g, refresh.ID, now, ttl)
	if current == "" {
		if err := s.issue(ctx, req, storage.TokenIssue{Access: access, Refresh: &refresh, Now: now}); err != nil {
			return "", "", time.Time{}, err
		}
		return access.ID, plain, access.ExpiresAt, nil
	}
	var replayed storage.RefreshToken
	err = s.store.InTx(ctx, func(tx storage.Store) error {
		if err := lockActiveUser(ctx, tx, g.appID, g.userID); err != nil {
			return err
		}
		old, err := tx.ConsumeRefreshToken(ctx, storage.HashSecret(current), now)
		if errors.Is(err, storage.ErrReused) {
			replayed = old
			return err
		}
		if err != nil {
			return err
		}
		// A rotated token keeps its absolute end: rotation is no way to
		// keep a grant forever.
		refresh.ExpiresAt = old.ExpiresAt
		if err := tx.CreateRefreshToken(ctx, refresh); err != nil {
			return err
		}
		return tx.CreateAccessToken(ctx, access)
	})
	if errors.Is(err, ErrUserInactive) {
		return "", "", time.Time{}, errUserInactive()
	}
	if errors.Is(err, storage.ErrReused) {
		s.revokeReplayedGrant(ctx, replayed)
		return "", "", time.Time{}, oidc.ErrInvalidGrant().WithDescription("the refresh token was already used")
	}
	if err != nil {
		return "", "", time.Time{}, s.translate(ctx, "issue tokens", err, revokedGrant)
	}
	return access.ID, plain, access.ExpiresAt, nil
}

// revokeReplayedGrant ends every token of the grant a replayed refresh
// token belongs to: either the client or an attacker holds a stolen copy,
// and the server cannot tell which.
func (s *opStorage) revokeReplayedGrant(ctx context.Context, t storage.RefreshToken) {
	if err := s.store.DeleteGrant(ctx, t.GrantID); err != nil {
		s.log.ErrorContext(ctx, "revoke the grant of a replayed refresh token", "err", err)
	}
	s.log.WarnContext(ctx, "refresh token replayed: its grant is revoked", "client_id", t.ClientID, "grant_id", t.GrantID)
}

// TokenRequestByRefreshToken looks a refresh token up (op then checks the
// client and issues tokens, rotating it). A replay revokes the grant.
func (s *opStorage) TokenRequestByRefreshToken(ctx context.Context, token string) (op.RefreshTokenRequest, error) {
	t, err := s.store.GetRefreshTokenByHash(ctx, storage.HashSecret(token), s.clock())
	if errors.Is(err, storage.ErrReused) {
		s.revokeReplayedGrant(ctx, t)
		return nil, oidc.ErrInvalidGrant().WithDescription("the refresh token was already used")
	}
	if err != nil {
		return nil, s.translate(ctx, "refresh token", err, func() *oidc.Error {
			return oidc.ErrInvalidGrant().WithDescription("invalid or expired refresh token")
		})
	}
	return &refreshRequest{RefreshToken: t, scopes: t.Scopes}, nil
}

// GetRefreshTokenInfo tells op's revocation whether token is a refresh
// token of clientID; op then revokes it by the ID returned, which the
// request remembers (see RevokeToken).
func (s *opStorage) GetRefreshTokenInfo(ctx context.Context, clientID, token string) (string, string, error) {
	if !plausible(token, 4096) {
		return "", "", op.ErrInvalidRefreshToken
	}
	t, err := s.store.GetRefreshTokenByHash(ctx, storage.HashSecret(token), s.clock())
	if errors.Is(err, storage.ErrNotFound) || errors.Is(err, storage.ErrReused) || (err == nil && t.ClientID != clientID) {
		return "", "", op.ErrInvalidRefreshToken
	}
	if err != nil {
		return "", "", s.translate(ctx, "refresh token info", err, nil)
	}
	if o, ok := ctx.Value(outageKey{}).(*outage); ok {
		o.mu.Lock()
		o.refreshID = t.ID
		o.mu.Unlock()
	}
	return t.Subject, t.ID, nil
}

// RevokeToken revokes (RFC 7009) what tokenOrID names for clientID: an
// access token by its ID; a refresh token by the ID GetRefreshTokenInfo
// found in this request, or presented as itself (op passes it on as it is
// when the client hinted access_token; §2.1: the server tries the other
// types too), with the access tokens issued from it. A token that is
// unknown, expired or another client's is not an error (§2.2).
func (s *opStorage) RevokeToken(ctx context.Context, tokenOrID, _, clientID string) *oidc.Error {
	checkedID, presented := "", tokenOrID
	if o, ok := ctx.Value(outageKey{}).(*outage); ok {
		o.mu.Lock()
		checkedID = o.refreshID
		if o.revoked != "" {
			presented = o.revoked
		}
		o.mu.Unlock()
	}
	// What op made of the token may be garbage (see outage.revoked): it is
	// looked up only when it could be an ID, the token as presented always.
	if !plausible(presented, 4096) {
		return nil
	}
	asID := plausible(tokenOrID, 4096)
	err := s.store.InTx(ctx, func(tx storage.Store) error {
		if asID {
			a, err := tx.GetAccessToken(ctx, tokenOrID, s.clock())
			switch {
			case err == nil && a.ClientID != clientID:
				return nil
			case err == nil:
				return tx.DeleteAccessToken(ctx, a.ID)
			case !errors.Is(err, storage.ErrNotFound):
				return err
			}
		}
		if checkedID != "" && tokenOrID == checkedID {
			return tx.DeleteRefreshToken(ctx, checkedID)
		}
		t, err := tx.GetRefreshTokenByHash(ctx, storage.HashSecret(presented), s.clock())
		if (err == nil || errors.Is(err, storage.ErrReused)) && t.ClientID == clientID {
			return tx.DeleteRefreshToken(ctx, t.ID)
		}
		if err != nil && !errors.Is(err, storage.ErrReused) {
			return err
		}
		return nil
	})
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		var e *oidc.Error
		if errors.As(s.translate(ctx, "revoke token", err, nil), &e) {
			return e
		}
	}
	return nil
}
