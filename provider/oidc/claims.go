package oidc

import (
	"context"
	"slices"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/passbridge/passbridge/storage"
)

// Claim names beyond what op's types carry.
const (
	claimSID = "sid"
	claimACR = "acr"
	claimAMR = "amr"
)

// SetUserinfoFromScopes is op's older hook; everything is done by
// SetUserinfoFromRequest, which has the request.
func (s *opStorage) SetUserinfoFromScopes(context.Context, *oidc.UserInfo, string, string, []string) error {
	return nil
}

// SetUserinfoFromRequest fills the ID token's user claims: sub (op takes
// the ID token's sub from here: left empty, the token would have none), sid,
// the profile claims with scope profile, and, for an ID token issued from a
// refresh token, the original sign-in's acr, which op only reads from auth
// requests.
func (s *opStorage) SetUserinfoFromRequest(ctx context.Context, ui *oidc.UserInfo, req op.IDTokenRequest, scopes []string) error {
	ui.Subject = req.GetSubject()
	var appID, userID, sessionID string
	switch r := req.(type) {
	case *authRequest:
		appID, userID, sessionID = r.AppID, r.UserID, r.SessionID
	case *refreshRequest:
		appID, userID, sessionID = r.AppID, r.UserID, r.SessionID
		ui.AppendClaims(claimACR, r.ACR)
	}
	if sessionID != "" {
		ui.AppendClaims(claimSID, sessionID)
	}
	if slices.Contains(scopes, oidc.ScopeProfile) && userID != "" {
		return s.setProfile(ctx, ui, appID, userID)
	}
	return nil
}

// setProfile sets name and preferred_username from the user's display name.
func (s *opStorage) setProfile(ctx context.Context, ui *oidc.UserInfo, appID, userID string) error {
	u, err := s.store.GetUser(ctx, appID, userID)
	if err != nil {
		return s.translate(ctx, "profile claims", err, revokedGrant)
	}
	if u.DisplayName != "" {
		ui.Name = u.DisplayName
		ui.PreferredUsername = u.DisplayName
	}
	return nil
}

// SetUserinfoFromToken answers userinfo for an access token: sub, and the
// profile claims when the token has scope profile.
func (s *opStorage) SetUserinfoFromToken(ctx context.Context, ui *oidc.UserInfo, tokenID, subject, _ string) error {
	t, err := s.liveAccessToken(ctx, tokenID, subject)
	if err != nil {
		return err
	}
	ui.Subject = t.Subject
	if slices.Contains(t.Scopes, oidc.ScopeProfile) && t.UserID != "" {
		return s.setProfile(ctx, ui, t.AppID, t.UserID)
	}
	return nil
}

// liveAccessToken returns an unexpired, unrevoked access token of subject.
func (s *opStorage) liveAccessToken(ctx context.Context, id, subject string) (storage.AccessToken, error) {
	if !plausible(id, 256) {
		return storage.AccessToken{}, oidc.ErrInvalidRequest().WithDescription("the access token is invalid or expired")
	}
	t, err := s.store.GetAccessToken(ctx, id, s.clock())
	if err == nil && subject != "" && t.Subject != subject {
		err = storage.ErrNotFound
	}
	if err != nil {
		return storage.AccessToken{}, s.translate(ctx, "access token", err, func() *oidc.Error {
			return oidc.ErrInvalidRequest().WithDescription("the access token is invalid or expired")
		})
	}
	return t, nil
}

// SetIntrospectionFromToken answers introspection (RFC 7662) for an access
// token: active with its scope, client, subject, times and audience, and the
// profile claims it grants; a token that is unknown, revoked or expired is
// inactive (op answers {"active": false} on an error).
func (s *opStorage) SetIntrospectionFromToken(ctx context.Context, resp *oidc.IntrospectionResponse, tokenID, subject, clientID string) error {
	t, err := s.liveAccessToken(ctx, tokenID, subject)
	if err != nil {
		return err
	}
	// RFC 7662 §4: a resource server may only learn about tokens meant for
	// it; here the introspecting client must be the token's audience.
	if !slices.Contains(t.Audience, clientID) {
		return oidc.ErrInvalidRequest().WithDescription("the token is not for this client")
	}
	resp.Active = true
	resp.Scope = t.Scopes
	resp.ClientID = t.ClientID
	resp.TokenType = oidc.BearerToken
	resp.Subject = t.Subject
	resp.Audience = t.Audience
	resp.Expiration = oidc.FromTime(t.ExpiresAt)
	resp.IssuedAt = oidc.FromTime(t.CreatedAt)
	resp.NotBefore = oidc.FromTime(t.CreatedAt)
	resp.JWTID = t.ID
	if slices.Contains(t.Scopes, oidc.ScopeProfile) && t.UserID != "" {
		ui := new(oidc.UserInfo)
		if err := s.setProfile(ctx, ui, t.AppID, t.UserID); err != nil {
			return err
		}
		resp.SetUserInfo(ui)
		resp.Subject = t.Subject
	}
	return nil
}

// GetPrivateClaimsFromScopes is op's older hook for JWT access tokens;
// GetPrivateClaimsFromRequest, which has the request, is used instead.
func (s *opStorage) GetPrivateClaimsFromScopes(context.Context, string, string, []string) (map[string]any, error) {
	return nil, nil
}

// GetPrivateClaimsFromRequest adds to a JWT access token (RFC 9068 §2.2)
// the authentication claims of its sign-in: auth_time, acr, amr, and sid.
func (s *opStorage) GetPrivateClaimsFromRequest(_ context.Context, req op.TokenRequest, _ []string) (map[string]any, error) {
	g, ok := grantOf(req)
	if !ok {
		return nil, nil
	}
	claims := map[string]any{claimACR: g.acr, claimAMR: g.amr}
	if !g.authTime.IsZero() {
		claims["auth_time"] = g.authTime.Unix()
	}
	if g.sessionID != "" {
		claims[claimSID] = g.sessionID
	}
	if len(g.scopes) > 0 {
		claims["scope"] = oidc.SpaceDelimitedArray(g.scopes).String()
	}
	return claims, nil
}
