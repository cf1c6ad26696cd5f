package oidc

import (
	"context"
	"slices"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/passbridge/passbridge/storage"
)

// Access token types of storage.Client.AccessTokenType.
const (
	AccessTokenOpaque = "bearer"
	AccessTokenJWT    = "jwt"
)

// client is a stored client as op sees it.
type client struct {
	storage.Client
	loginURL   func(authRequestID string) string
	idTokenTTL time.Duration
}

var _ op.Client = (*client)(nil)

func (c *client) GetID() string                    { return c.ID }
func (c *client) RedirectURIs() []string           { return c.Client.RedirectURIs }
func (c *client) PostLogoutRedirectURIs() []string { return c.Client.PostLogoutRedirectURIs }

// ApplicationType: a public client is a browser app or a native one. op
// uses it to decide which http:// redirect URIs it admits (see DevMode)
// and lets native apps' loopback redirects take any port, which exact
// matching forbids: no client is native here.
func (c *client) ApplicationType() op.ApplicationType {
	if c.Client.AuthMethod == storage.AuthMethodNone {
		return op.ApplicationTypeUserAgent
	}
	return op.ApplicationTypeWeb
}

func (c *client) AuthMethod() oidc.AuthMethod { return oidc.AuthMethod(c.Client.AuthMethod) }

// ResponseTypes: the authorization code flow only, or for an implicit
// client the ID token alone (an external authentication method).
func (c *client) ResponseTypes() []oidc.ResponseType {
	if c.Implicit {
		return []oidc.ResponseType{oidc.ResponseTypeIDTokenOnly}
	}
	return []oidc.ResponseType{oidc.ResponseTypeCode}
}

// GrantTypes: the code, and refresh tokens for those that ask for
// offline_access; an implicit client's ID token comes from /authorize.
func (c *client) GrantTypes() []oidc.GrantType {
	if c.Implicit {
		return []oidc.GrantType{oidc.GrantTypeImplicit}
	}
	return []oidc.GrantType{oidc.GrantTypeCode, oidc.GrantTypeRefreshToken}
}

func (c *client) LoginURL(id string) string { return c.loginURL(id) }

func (c *client) AccessTokenType() op.AccessTokenType {
	if c.Client.AccessTokenType == AccessTokenJWT {
		return op.AccessTokenTypeJWT
	}
	return op.AccessTokenTypeBearer
}

func (c *client) IDTokenLifetime() time.Duration {
	if c.Client.IDTokenLifetime > 0 {
		return c.Client.IDTokenLifetime
	}
	return c.idTokenTTL
}

// DevMode, in op, only admits an http:// redirect URI that matched a
// registered one exactly; registration admits http:// only on loopback
// hosts (localhost, 127.0.0.1, [::1]), for development and native apps.
// Without it op refuses a public client's http://localhost redirect URI
// that it registered.
func (c *client) DevMode() bool { return true }

func (c *client) RestrictAdditionalIdTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}

func (c *client) RestrictAdditionalAccessTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}

// IsScopeAllowed admits the scopes op does not know itself: those the
// client was registered with.
func (c *client) IsScopeAllowed(scope string) bool {
	return slices.Contains(c.Scopes, scope)
}

// IDTokenUserinfoClaimsAssertion keeps profile claims in the ID token even
// when an access token is issued too, so a relying party reads the name
// without a userinfo call.
func (c *client) IDTokenUserinfoClaimsAssertion() bool { return true }

func (c *client) ClockSkew() time.Duration { return 0 }

// GetClientByClientID returns a client for op.
func (s *opStorage) GetClientByClientID(ctx context.Context, id string) (op.Client, error) {
	c, err := s.getClient(ctx, id)
	if err != nil {
		return nil, err
	}
	return c, nil
}

func (s *opStorage) getClient(ctx context.Context, id string) (*client, error) {
	if !plausible(id, 256) {
		return nil, oidc.ErrInvalidClient().WithDescription("unknown client")
	}
	c, err := s.client(ctx, id)
	if err != nil {
		return nil, s.translate(ctx, "get client", err, func() *oidc.Error {
			return oidc.ErrInvalidClient().WithDescription("unknown client")
		})
	}
	return &client{Client: c, loginURL: s.loginURLFor(ctx), idTokenTTL: s.cfg.IDTokenTTL}, nil
}

// AuthorizeClientIDSecret checks a client secret (client_secret_basic or
// _post) against its stored digest, in constant time.
func (s *opStorage) AuthorizeClientIDSecret(ctx context.Context, id, secret string) error {
	c, err := s.getClient(ctx, id)
	if err != nil {
		return err
	}
	if len(c.SecretHash) == 0 || !storage.SecretMatches(secret, c.SecretHash) {
		return oidc.ErrInvalidClient().WithDescription("invalid client credentials")
	}
	return nil
}

// GetKeyByIDAndClientID finds a public key of a client's registered JWKS,
// for private_key_jwt client assertions and signed request objects.
func (s *opStorage) GetKeyByIDAndClientID(ctx context.Context, keyID, clientID string) (*jose.JSONWebKey, error) {
	c, err := s.getClient(ctx, clientID)
	if err != nil {
		return nil, err
	}
	set, err := s.clientKeys(ctx, c.Client, keyID)
	if err != nil {
		s.log.WarnContext(ctx, "client keys", "client_id", c.ID, "err", err)
		return nil, oidc.ErrInvalidClient().WithDescription("the client's registered keys could not be read")
	}
	for _, k := range set.Keys {
		if k.KeyID == keyID && k.Valid() && k.IsPublic() {
			return &k, nil
		}
	}
	return nil, oidc.ErrInvalidClient().WithDescription("no registered key of the client has this key id")
}

// ValidateJWTProfileScopes refuses the JWT bearer grant (RFC 7523), which
// this provider does not serve: users sign in with passkeys.
func (s *opStorage) ValidateJWTProfileScopes(context.Context, string, []string) ([]string, error) {
	return nil, oidc.ErrUnauthorizedClient().WithDescription("the JWT bearer grant is not available")
}
