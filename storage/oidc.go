package storage

import (
	"context"
	"time"
)

// OAuth client authentication methods (RFC 7591 names).
const (
	AuthMethodBasic         = "client_secret_basic"
	AuthMethodPost          = "client_secret_post"
	AuthMethodPrivateKeyJWT = "private_key_jwt"
	AuthMethodNone          = "none"
)

// Client is an OpenID Connect relying party registered with one app.
type Client struct {
	ID         string // client_id; unique
	AppID      string
	Name       string
	SecretHash []byte // SHA-256 of the secret; nil for public and private_key_jwt clients
	// SecretSealed is the secret encrypted with the master key (the client
	// ID authenticated with it), to verify what the client signs with it
	// (HS256 request objects); nil where there is no secret.
	SecretSealed           []byte
	AuthMethod             string // AuthMethod*
	RedirectURIs           []string
	PostLogoutRedirectURIs []string
	JWKS                   []byte // public keys for private_key_jwt (JSON Web Key Set)
	JWKSURI                string // where to fetch them instead, for private_key_jwt
	AccessTokenType        string // "bearer" (opaque) | "jwt"
	// Scopes are the scopes beyond "openid" the client may ask for; empty
	// means the standard ones the provider serves.
	Scopes []string
	// Lifetimes of what the client is issued; zero means the provider's default.
	IDTokenLifetime      time.Duration
	AccessTokenLifetime  time.Duration
	RefreshTokenLifetime time.Duration
	// RequireACR is the least acr every sign-in of the client must reach
	// ("" | "phr" | "phrh"), enforced like acr_values.
	RequireACR string
	// RequireUV demands user verification in every sign-in of the client.
	RequireUV bool
	// Implicit: the client signs in with response_type=id_token and
	// response_mode=form_post only (OIDC Core §3.2), and nothing else: no
	// code, no access or refresh token. It is the profile of an external
	// authentication method (Microsoft Entra ID's EAM), which also names
	// its user with an id_token_hint of its own issuer (Hint*).
	Implicit bool
	// Hint* describe the external issuer whose id_token_hint names the user
	// of an implicit client's request. HintIssuer is its exact iss;
	// HintJWKSURI or HintJWKS its keys; HintAudience the aud it must carry;
	// HintTenant the tid it must carry ("" when the issuer pins it);
	// HintUserClaim the claim whose value is the user's external ID ("" is
	// "oid"). HintEnrol lets a named user with no passkey register one on
	// first use; without it such a request is refused.
	HintIssuer    string
	HintJWKSURI   string
	HintJWKS      []byte
	HintAudience  string
	HintTenant    string
	HintUserClaim string
	HintEnrol     bool
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// HintUserClaimDefault is the claim of an external hint that names the
// user when a client names none: Entra's oid, the user's immutable object
// ID in the tenant.
const HintUserClaimDefault = "oid"

// ExternalHint reports whether the client takes id_token_hints of an
// external issuer.
func (c Client) ExternalHint() bool { return c.HintIssuer != "" }

// ClientStore persists OIDC clients.
type ClientStore interface {
	CreateClient(ctx context.Context, c Client) error
	GetClient(ctx context.Context, id string) (Client, error)
	ListClients(ctx context.Context, appID string) ([]Client, error) // ordered by CreatedAt, then ID
	UpdateClient(ctx context.Context, id string, fn func(Client) (Client, error)) (Client, error)
	DeleteClient(ctx context.Context, id string) error
	// AnyImplicitClient reports whether some client of any app has the
	// implicit profile (discovery advertises it only then).
	AnyImplicitClient(ctx context.Context) (bool, error)
}

// AuthRequest is one OIDC authorization request, from /authorize until its
// code is redeemed.
type AuthRequest struct {
	ID                  string
	AppID               string
	ClientID            string
	RedirectURI         string
	Scopes              []string
	State               string
	Nonce               string
	ResponseType        string
	ResponseMode        string
	CodeChallenge       string
	CodeChallengeMethod string
	Prompt              []string
	MaxAge              *int64 // seconds; nil: not asked
	LoginHint           string
	ACRValues           []string
	UILocales           []string
	HintSubject         string // subject of a verified id_token_hint
	Enroll              bool   // prompt=create permitted for the hinted user by a signed request
	BrowserBinding      []byte // SHA-256 of the cookie that binds the request to one browser
	// Filled in when the user has authenticated.
	Done      bool
	UserID    string
	Subject   string // external ID
	DeviceID  string
	SessionID string
	AuthTime  time.Time
	AMR       []string
	ACR       string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// AuthRequestHint is what a verified id_token_hint of an external issuer
// (see Client.HintIssuer) adds to an auth request: the subject the ID token
// answers with (the issuer's own sub for the user, pairwise in Entra, not
// the external ID), the authentication methods the request's claims
// parameter accepts, and for the audit trail the hint's tenant and the
// caller's request ID (Entra's client-request-id). It lives and goes with
// its auth request.
type AuthRequestHint struct {
	AuthRequestID   string
	Subject         string
	AMRValues       []string
	Tenant          string
	ClientRequestID string
}

// AuthCode maps an issued authorization code (by digest) to its request.
// An auth request has at most one code.
type AuthCode struct {
	Hash          []byte // SHA-256 of the code; unique
	AuthRequestID string
	CreatedAt     time.Time
	ExpiresAt     time.Time
}

// AccessToken is an issued access token's server-side record.
type AccessToken struct {
	ID             string
	AppID          string
	ClientID       string
	UserID         string
	Subject        string
	Scopes         []string
	Audience       []string
	SessionID      string
	DeviceID       string
	RefreshTokenID string
	GrantID        string // the sign-in (auth request) the token descends from
	CreatedAt      time.Time
	ExpiresAt      time.Time
}

// TokenIssue is what IssueTokens stores.
type TokenIssue struct {
	Access AccessToken
	// Refresh, when set, is issued beside Access (which names it in
	// RefreshTokenID).
	Refresh *RefreshToken
	// CodeHash, when set, is the digest of the authorization code the
	// tokens are issued for, a code of auth request AuthRequestID,
	// redeemed at Now.
	CodeHash      []byte
	AuthRequestID string
	Now           time.Time
}

// RefreshToken is an issued refresh token. It is rotated on use.
type RefreshToken struct {
	ID        string
	Hash      []byte // SHA-256 of the token; unique
	AppID     string
	ClientID  string
	UserID    string
	Subject   string
	Scopes    []string
	Audience  []string
	SessionID string
	DeviceID  string
	AuthTime  time.Time
	AMR       []string
	ACR       string
	GrantID   string // the sign-in (auth request) the token descends from; kept across rotations
	CreatedAt time.Time
	ExpiresAt time.Time
}

// OIDCStore persists auth requests, codes and tokens.
type OIDCStore interface {
	CreateAuthRequest(ctx context.Context, r AuthRequest) error
	// CreateAnsweredAuthRequest stores auth request r, done already (the
	// browser's session satisfied it), with c, the code that answers it
	// (its AuthRequestID is r's): both or neither (one statement on
	// PostgreSQL). A taken ID is ErrAlreadyExists.
	CreateAnsweredAuthRequest(ctx context.Context, r AuthRequest, c AuthCode) error
	// GetAuthRequest returns an unexpired auth request.
	GetAuthRequest(ctx context.Context, id string, now time.Time) (AuthRequest, error)
	UpdateAuthRequest(ctx context.Context, id string, fn func(AuthRequest) (AuthRequest, error)) (AuthRequest, error)
	// CompleteAuthRequest marks an auth request done by session s: its
	// UserID, Subject, DeviceID, SessionID (s.ID), AuthTime, AMR and ACR
	// become the request's. It is one conditional statement: a request done
	// already is left as it is, with ErrConflict; an unknown one is
	// ErrNotFound.
	CompleteAuthRequest(ctx context.Context, id string, s Session) error
	DeleteAuthRequest(ctx context.Context, id string) error
	// CreateHintedAuthRequest stores an auth request with what its external
	// hint adds, in one transaction.
	CreateHintedAuthRequest(ctx context.Context, r AuthRequest, h AuthRequestHint) error
	// GetAuthRequestHint returns what an external hint added to auth
	// request id; ErrNotFound for a request without one (or gone).
	GetAuthRequestHint(ctx context.Context, id string) (AuthRequestHint, error)

	// CreateAuthCode stores a code; a second code of one auth request is
	// ErrAlreadyExists.
	CreateAuthCode(ctx context.Context, c AuthCode) error
	// ConsumeAuthCode marks an unused, unexpired code used and returns it.
	// A code used before comes back with ErrReused (until it expires);
	// an unknown or expired one is ErrNotFound.
	ConsumeAuthCode(ctx context.Context, hash []byte, now time.Time) (AuthCode, error)

	CreateAccessToken(ctx context.Context, t AccessToken) error
	// IssueTokens stores the tokens of a grant, all at once or not at all
	// (one statement on PostgreSQL). It holds the tokens' user (when set) as
	// LockUser does, so that a deactivation lands wholly before or after
	// it, and stores tokens only for an active user: ErrUserInactive when
	// the user is inactive or gone. With t.CodeHash it redeems that code in
	// the same step, as ConsumeAuthCode does, whatever the user: a code used
	// before is ErrReused, an unknown or expired one (or one of another
	// auth request) ErrNotFound, and either way nothing is stored. Of
	// concurrent redemptions of one code exactly one stores tokens.
	IssueTokens(ctx context.Context, t TokenIssue) error
	// GetAccessToken returns an unexpired access token.
	GetAccessToken(ctx context.Context, id string, now time.Time) (AccessToken, error)
	DeleteAccessToken(ctx context.Context, id string) error

	CreateRefreshToken(ctx context.Context, t RefreshToken) error
	// GetRefreshTokenByHash returns an unexpired refresh token without
	// consuming it; one used before comes back with ErrReused.
	GetRefreshTokenByHash(ctx context.Context, hash []byte, now time.Time) (RefreshToken, error)
	// ConsumeRefreshToken marks an unused, unexpired refresh token used,
	// deletes the access tokens issued from it, and returns it. One used
	// before comes back with ErrReused; an unknown or expired one is
	// ErrNotFound.
	ConsumeRefreshToken(ctx context.Context, hash []byte, now time.Time) (RefreshToken, error)
	DeleteRefreshToken(ctx context.Context, id string) error
	// DeleteTokensOfUser deletes a user's access and refresh tokens issued to
	// the client (all clients when clientID is empty).
	DeleteTokensOfUser(ctx context.Context, appID, userID, clientID string) error
	// DeleteGrant deletes every access and refresh token of one grant (see
	// RefreshToken.GrantID). Having none is not an error.
	DeleteGrant(ctx context.Context, grantID string) error

	// UseRequestObject records the digest of a signed request object's jti
	// until expiresAt; one recorded before and unexpired at now is
	// ErrAlreadyExists, so of concurrent uses exactly one succeeds.
	UseRequestObject(ctx context.Context, hash []byte, now, expiresAt time.Time) error
}
