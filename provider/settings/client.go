package settings

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/passbridge/passbridge/provider/oidc"
	"github.com/passbridge/passbridge/provider/signing"
	"github.com/passbridge/passbridge/storage"
)

// Access token types as operators name them; the store keeps the provider's
// names (oidc.AccessTokenOpaque, oidc.AccessTokenJWT).
const (
	AccessTokenOpaque = "opaque"
	AccessTokenJWT    = "jwt"
)

// Bounds on client lifetimes: a token outliving a day is a credential to
// revoke, not to wait out; a refresh token shorter than an hour is a session
// that ends mid-task.
const (
	MinTokenLifetime   = time.Minute
	MaxTokenLifetime   = 24 * time.Hour
	MinRefreshLifetime = time.Hour
	MaxRefreshLifetime = 365 * 24 * time.Hour
)

// ClientChange is what an operator sets on a client: a nil field is left as
// it is. Lists replace the client's lists; an empty string in the
// post-logout redirect URIs or the scopes is dropped, so that [""] (a flag
// given as "") clears them.
type ClientChange struct {
	Name                   *string
	RedirectURIs           *[]string
	PostLogoutRedirectURIs *[]string
	Public                 *bool   // true: auth method none; false: a confidential client
	AuthMethod             *string // storage.AuthMethod…
	JWKS                   *KeySet
	JWKSURI                *string // "" removes it
	Scopes                 *[]string
	AccessTokenType        *string // AccessTokenOpaque | AccessTokenJWT
	IDTokenLifetime        *time.Duration
	AccessTokenLifetime    *time.Duration
	RefreshTokenLifetime   *time.Duration
	RequireACR             *string // "", "phr" or "phrh"
	RequireUV              *bool
	RotateSecret           bool
	// Hint is the external hint issuer profile (an external authentication
	// method's client).
	Hint HintChange
}

// KeySet is a client's public keys as given: Doc is what ParseJWKS returned
// (nil removes the keys), unless Refused, when the caller reported what was
// wrong with them already and nothing changes.
type KeySet struct {
	Doc     []byte
	Refused bool
}

// ClientLabels name a client's fields in problems, as the operator knows
// them: "--redirect-uri" on the command line, "redirect_uris" in the admin
// API.
type ClientLabels struct {
	Name, RedirectURI, PostLogoutRedirectURI, Public, AuthMethod, JWKS, JWKSURI, Scope string
	AccessTokenType, IDTokenLifetime, AccessTokenLifetime, RefreshTokenLifetime        string
	RequireACR, RotateSecret                                                           string
	Hint                                                                               HintLabels
}

// authMethods are the client authentication methods the provider serves.
var authMethods = []string{storage.AuthMethodBasic, storage.AuthMethodPost, storage.AuthMethodPrivateKeyJWT, storage.AuthMethodNone}

// ApplyClient makes ch's changes to cl and validates the result. It returns
// every problem, each naming its field (by l) and value.
func ApplyClient(cl storage.Client, ch ClientChange, l ClientLabels) (storage.Client, []string) {
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	if ch.Name != nil {
		cl.Name = strings.TrimSpace(*ch.Name)
		if err := CheckName(l.Name, cl.Name, false); err != nil {
			problems = append(problems, err.Error())
		}
	}
	if ch.RedirectURIs != nil {
		var p []string
		cl.RedirectURIs, p = CheckRedirectURIs(l.RedirectURI, *ch.RedirectURIs)
		problems = append(problems, p...)
	}
	if ch.PostLogoutRedirectURIs != nil {
		var p []string
		cl.PostLogoutRedirectURIs, p = CheckRedirectURIs(l.PostLogoutRedirectURI, WithoutEmpty(*ch.PostLogoutRedirectURIs))
		problems = append(problems, p...)
	}

	switch {
	case ch.AuthMethod != nil && !slices.Contains(authMethods, *ch.AuthMethod):
		add("%s %q: want client_secret_basic, client_secret_post, private_key_jwt or none", l.AuthMethod, *ch.AuthMethod)
	case ch.AuthMethod != nil && ch.Public != nil && *ch.Public != (*ch.AuthMethod == storage.AuthMethodNone):
		add("%s=%t contradicts %s %q", l.Public, *ch.Public, l.AuthMethod, *ch.AuthMethod)
	case ch.AuthMethod != nil:
		cl.AuthMethod = *ch.AuthMethod
	case ch.Public != nil && *ch.Public:
		cl.AuthMethod = storage.AuthMethodNone
	case ch.Public != nil && cl.AuthMethod == storage.AuthMethodNone:
		cl.AuthMethod = storage.AuthMethodBasic // public=false: confidential, as a new client is
	}

	keysGiven := ch.JWKS != nil && (ch.JWKS.Refused || ch.JWKS.Doc != nil)
	uriGiven := ch.JWKSURI != nil && strings.TrimSpace(*ch.JWKSURI) != ""
	switch {
	case keysGiven && uriGiven:
		add("give %s or %s, not both", l.JWKS, l.JWKSURI)
	default:
		if ch.JWKS != nil && !ch.JWKS.Refused {
			cl.JWKS = ch.JWKS.Doc
			if ch.JWKS.Doc != nil {
				cl.JWKSURI = ""
			}
		}
		if ch.JWKSURI != nil {
			cl.JWKSURI = strings.TrimSpace(*ch.JWKSURI)
			if cl.JWKSURI != "" {
				if err := CheckHTTPSURL(cl.JWKSURI); err != nil {
					add("%s %q: %v", l.JWKSURI, cl.JWKSURI, err)
				}
				cl.JWKS = nil
			}
		}
	}

	if ch.Scopes != nil {
		cl.Scopes = nil
		for _, s := range WithoutEmpty(*ch.Scopes) {
			if err := CheckScope(s); err != nil {
				add("%s %q: %v", l.Scope, s, err)
			} else if !slices.Contains(cl.Scopes, s) {
				cl.Scopes = append(cl.Scopes, s)
			}
		}
	}
	if ch.AccessTokenType != nil {
		switch *ch.AccessTokenType {
		case AccessTokenOpaque:
			cl.AccessTokenType = oidc.AccessTokenOpaque
		case AccessTokenJWT:
			cl.AccessTokenType = oidc.AccessTokenJWT
		default:
			add("%s %q: want opaque or jwt", l.AccessTokenType, *ch.AccessTokenType)
		}
	}
	lifetime := func(label string, d *time.Duration, dst *time.Duration, lo, hi time.Duration, bounds string) {
		switch {
		case d == nil:
		case *d != 0 && (*d < lo || *d > hi):
			add("%s %s: want between %s (0: the provider's default)", label, *d, bounds)
		case *d%time.Second != 0:
			add("%s %s: want whole seconds", label, *d)
		default:
			*dst = *d
		}
	}
	lifetime(l.IDTokenLifetime, ch.IDTokenLifetime, &cl.IDTokenLifetime, MinTokenLifetime, MaxTokenLifetime, "1m and 24h")
	lifetime(l.AccessTokenLifetime, ch.AccessTokenLifetime, &cl.AccessTokenLifetime, MinTokenLifetime, MaxTokenLifetime, "1m and 24h")
	lifetime(l.RefreshTokenLifetime, ch.RefreshTokenLifetime, &cl.RefreshTokenLifetime, MinRefreshLifetime, MaxRefreshLifetime, "1h and 8760h (365 days)")
	if ch.RequireACR != nil {
		switch *ch.RequireACR {
		case "", "phr", "phrh":
			cl.RequireACR = *ch.RequireACR
		default:
			add("%s %q: want phr or phrh (OpenID EAP ACR values), or \"\" for none", l.RequireACR, *ch.RequireACR)
		}
	}
	if ch.RequireUV != nil {
		cl.RequireUV = *ch.RequireUV
	}
	cl, p := applyHint(cl, ch.Hint, l.Hint, ch.AuthMethod != nil || ch.Public != nil)
	problems = append(problems, p...)

	// What the client as a whole must have, whatever was changed.
	if len(cl.RedirectURIs) == 0 && (ch.RedirectURIs == nil || len(*ch.RedirectURIs) == 0) {
		add("at least one %s is required", l.RedirectURI)
	}
	if cl.AuthMethod == storage.AuthMethodPrivateKeyJWT && len(cl.JWKS) == 0 && cl.JWKSURI == "" && !keysGiven && !uriGiven {
		add("auth method private_key_jwt needs the client's public keys: give %s or %s", l.JWKS, l.JWKSURI)
	}
	if ch.RotateSecret && !HasSecret(cl.AuthMethod) {
		add("%s: a client with auth method %s has no secret", l.RotateSecret, cl.AuthMethod)
	}
	return cl, problems
}

// SettleSecret gives next the secret its auth method calls for, as cur
// becomes next: none for a method without one, a new one (returned, to be
// shown once) when rotate asks for it or when the client had none, and the
// current one otherwise. A new secret needs the master key.
func SettleSecret(cur storage.Client, next *storage.Client, rotate bool, masterKey []byte) (string, error) {
	switch {
	case !HasSecret(next.AuthMethod):
		next.SecretHash, next.SecretSealed = nil, nil
	case rotate || !HasSecret(cur.AuthMethod):
		return IssueSecret(next, masterKey)
	}
	return "", nil
}

// HasSecret reports whether clients of an auth method authenticate with a
// secret.
func HasSecret(authMethod string) bool {
	return authMethod == storage.AuthMethodBasic || authMethod == storage.AuthMethodPost
}

// IssueSecret gives cl a new secret and returns it. The digest authenticates
// the client; the copy sealed with the master key (bound to the client ID)
// lets the provider check what the client signs with it (HS256 request
// objects).
func IssueSecret(cl *storage.Client, masterKey []byte) (string, error) {
	if len(masterKey) == 0 {
		return "", errors.New("issue client secret: no master key")
	}
	secret, _ := storage.NewSecret(storage.PrefixClientSecret)
	sealed, err := signing.SealClientSecret(masterKey, cl.ID, secret)
	if err != nil {
		return "", fmt.Errorf("seal client secret: %w", err)
	}
	cl.SecretHash, cl.SecretSealed = storage.HashSecret(secret), sealed
	return secret, nil
}

// WithoutEmpty drops empty values, so that a list given as [""] clears the
// list.
func WithoutEmpty(values []string) []string {
	var out []string
	for _, v := range values {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// CheckScope applies RFC 6749 §3.3's scope-token grammar, with a bound on
// its length.
func CheckScope(s string) error {
	if len(s) > 200 {
		return errors.New("is longer than 200 characters")
	}
	for _, r := range s {
		if r < 0x21 || r > 0x7e || r == '"' || r == '\\' {
			return errors.New(`must be printable ASCII without spaces, '"' or '\' (RFC 6749 §3.3)`)
		}
	}
	return nil
}
