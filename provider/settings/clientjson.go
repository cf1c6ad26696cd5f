package settings

import (
	"encoding/json"
	"time"

	"github.com/passbridge/passbridge/provider/oidc"
	"github.com/passbridge/passbridge/storage"
)

// ClientJSON is an OIDC client as the command line and the admin API show
// it. The secret exists only in the answer that issued it: the store keeps
// its digest and a sealed copy, which are never shown.
type ClientJSON struct {
	ClientID                    string          `json:"client_id"`
	ClientSecret                string          `json:"client_secret,omitempty"`
	AppID                       string          `json:"app_id"`
	Name                        string          `json:"name"`
	AuthMethod                  string          `json:"auth_method"`
	RedirectURIs                []string        `json:"redirect_uris"`
	PostLogoutRedirectURIs      []string        `json:"post_logout_redirect_uris"`
	JWKS                        json.RawMessage `json:"jwks"` // null: none registered
	JWKSURI                     string          `json:"jwks_uri"`
	AccessTokenType             string          `json:"access_token_type"` // AccessTokenOpaque | AccessTokenJWT
	Scopes                      []string        `json:"scopes"`
	IDTokenLifetimeSeconds      int64           `json:"id_token_lifetime_seconds"` // 0: the provider's default
	AccessTokenLifetimeSeconds  int64           `json:"access_token_lifetime_seconds"`
	RefreshTokenLifetimeSeconds int64           `json:"refresh_token_lifetime_seconds"`
	RequireACR                  string          `json:"require_acr"`
	RequireUV                   bool            `json:"require_uv"`
	Implicit                    bool            `json:"implicit"`
	HintIssuer                  string          `json:"hint_issuer"`
	HintJWKSURI                 string          `json:"hint_jwks_uri"`
	HintJWKS                    json.RawMessage `json:"hint_jwks"` // null: none
	HintAudience                string          `json:"hint_audience"`
	HintTenant                  string          `json:"hint_tenant"`
	HintUserClaim               string          `json:"hint_user_claim"` // "" on an implicit client: oid
	HintEnrol                   bool            `json:"hint_enrol"`
	CreatedAt                   time.Time       `json:"created_at"`
	UpdatedAt                   time.Time       `json:"updated_at"`
}

// NewClientJSON renders a stored client, with the secret just issued ("" for
// none).
func NewClientJSON(cl storage.Client, secret string) ClientJSON {
	out := ClientJSON{
		ClientID: cl.ID, ClientSecret: secret, AppID: cl.AppID, Name: cl.Name, AuthMethod: cl.AuthMethod,
		RedirectURIs: nonNil(cl.RedirectURIs), PostLogoutRedirectURIs: nonNil(cl.PostLogoutRedirectURIs),
		JWKSURI: cl.JWKSURI, AccessTokenType: AccessTokenOpaque, Scopes: nonNil(cl.Scopes),
		IDTokenLifetimeSeconds:      int64(cl.IDTokenLifetime / time.Second),
		AccessTokenLifetimeSeconds:  int64(cl.AccessTokenLifetime / time.Second),
		RefreshTokenLifetimeSeconds: int64(cl.RefreshTokenLifetime / time.Second),
		RequireACR:                  cl.RequireACR, RequireUV: cl.RequireUV,
		Implicit: cl.Implicit, HintIssuer: cl.HintIssuer, HintJWKSURI: cl.HintJWKSURI, HintAudience: cl.HintAudience,
		HintTenant: cl.HintTenant, HintUserClaim: cl.HintUserClaim, HintEnrol: cl.HintEnrol,
		CreatedAt: cl.CreatedAt, UpdatedAt: cl.UpdatedAt,
	}
	if len(cl.JWKS) > 0 {
		out.JWKS = json.RawMessage(cl.JWKS)
	}
	if len(cl.HintJWKS) > 0 {
		out.HintJWKS = json.RawMessage(cl.HintJWKS)
	}
	if cl.Implicit && out.HintUserClaim == "" {
		out.HintUserClaim = storage.HintUserClaimDefault
	}
	if cl.AccessTokenType == oidc.AccessTokenJWT {
		out.AccessTokenType = AccessTokenJWT
	}
	return out
}

// nonNil makes a nil list show as [] in JSON, as an empty one does.
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
