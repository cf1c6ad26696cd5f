package cli

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/passbridge/passbridge/cmd/passbridge/internal/config"
	"github.com/passbridge/passbridge/provider/oidc"
	"github.com/passbridge/passbridge/storage"
)

// clientFlags are the settable fields of a client, shared by create and
// update.
type clientFlags struct {
	name                                  string
	redirectURIs, logoutRedirects, scopes []string
	public, requireUV, rotateSecret       bool
	authMethod, jwksFile, jwksURI         string
	accessTokenType, requireACR           string
	idTokenLifetime, accessTokenLifetime  time.Duration
	refreshTokenLifetime                  time.Duration
}

// clientFlagNames are the flags of clientFlags: update needs one of them.
var clientFlagNames = []string{
	"name", "redirect-uri", "post-logout-redirect-uri", "public", "auth-method", "jwks-file", "jwks-uri",
	"scope", "access-token-type", "id-token-lifetime", "access-token-lifetime", "refresh-token-lifetime",
	"require-acr", "require-uv", "rotate-secret",
}

// changedFlags lists the client flags the user set, for the audit log.
func changedFlags(cmd *cobra.Command) []string {
	var out []string
	for _, name := range clientFlagNames {
		if cmd.Flags().Changed(name) {
			out = append(out, name)
		}
	}
	return out
}

// Bounds on client lifetimes: a token outliving a day is a credential to
// revoke, not to wait out; a refresh token shorter than an hour is a session
// that ends mid-task.
const (
	minTokenLifetime   = time.Minute
	maxTokenLifetime   = 24 * time.Hour
	minRefreshLifetime = time.Hour
	maxRefreshLifetime = 365 * 24 * time.Hour
)

func (f *clientFlags) define(cmd *cobra.Command, update bool) {
	fl := cmd.Flags()
	replaces := ""
	if update {
		replaces = "; replaces the list"
	}
	fl.StringVar(&f.name, "name", "", "client name")
	fl.StringArrayVar(&f.redirectURIs, "redirect-uri", nil, "redirect URI, matched exactly (repeatable; at least one"+replaces+")")
	fl.StringArrayVar(&f.logoutRedirects, "post-logout-redirect-uri", nil, `post-logout redirect URI (repeatable`+replaces+`; "" for none)`)
	fl.BoolVar(&f.public, "public", false, "public client (browser or native app): auth method none, no secret, PKCE required")
	fl.StringVar(&f.authMethod, "auth-method", "", "client_secret_basic (default), client_secret_post, private_key_jwt or none")
	fl.StringVar(&f.jwksFile, "jwks-file", "", `file with the client's public keys, a JSON Web Key Set (for private_key_jwt and signed requests; "" removes them)`)
	fl.StringVar(&f.jwksURI, "jwks-uri", "", `https URL of the client's JSON Web Key Set, instead of --jwks-file ("" removes it)`)
	fl.StringArrayVar(&f.scopes, "scope", nil, `scope the client may ask for beyond the standard ones (repeatable`+replaces+`; "" for none)`)
	fl.StringVar(&f.accessTokenType, "access-token-type", "", "opaque (default) or jwt (RFC 9068)")
	fl.DurationVar(&f.idTokenLifetime, "id-token-lifetime", 0, "ID token lifetime, 1m to 24h (0: the provider's default)")
	fl.DurationVar(&f.accessTokenLifetime, "access-token-lifetime", 0, "access token lifetime, 1m to 24h (0: the provider's default)")
	fl.DurationVar(&f.refreshTokenLifetime, "refresh-token-lifetime", 0, "refresh token lifetime, 1h to 8760h (365 days) (0: the provider's default)")
	fl.StringVar(&f.requireACR, "require-acr", "", `least acr of every sign-in: phr or phrh ("" for none)`)
	fl.BoolVar(&f.requireUV, "require-uv", false, "require user verification in every sign-in")
	if update {
		fl.BoolVar(&f.rotateSecret, "rotate-secret", false, "issue a new secret, printed once; the old one stops working")
	}
	config.AddFlags(fl, config.KeyMasterKey, config.KeyMasterKeyFile)
}

// apply copies the flags the user set onto cl and validates the result. It
// returns every problem, each naming its flag and value; it reads the
// --jwks-file but writes nothing.
func (f *clientFlags) apply(cmd *cobra.Command, cl storage.Client) (storage.Client, []string) {
	set := func(name string) bool { return cmd.Flags().Changed(name) }
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	if set("name") {
		cl.Name = strings.TrimSpace(f.name)
		if err := checkName("--name", cl.Name, false); err != nil {
			problems = append(problems, err.Error())
		}
	}
	if set("redirect-uri") {
		var p []string
		cl.RedirectURIs, p = checkRedirectURIs("--redirect-uri", f.redirectURIs)
		problems = append(problems, p...)
	}
	if set("post-logout-redirect-uri") {
		var p []string
		cl.PostLogoutRedirectURIs, p = checkRedirectURIs("--post-logout-redirect-uri", withoutEmpty(f.logoutRedirects))
		problems = append(problems, p...)
	}

	method := f.authMethod
	switch {
	case set("auth-method") && !slices.Contains([]string{storage.AuthMethodBasic, storage.AuthMethodPost, storage.AuthMethodPrivateKeyJWT, storage.AuthMethodNone}, method):
		add("--auth-method %q: want client_secret_basic, client_secret_post, private_key_jwt or none", method)
	case set("auth-method") && set("public") && f.public != (method == storage.AuthMethodNone):
		add("--public=%t contradicts --auth-method %q", f.public, method)
	case set("auth-method"):
		cl.AuthMethod = method
	case set("public") && f.public:
		cl.AuthMethod = storage.AuthMethodNone
	case set("public") && cl.AuthMethod == storage.AuthMethodNone:
		cl.AuthMethod = storage.AuthMethodBasic // --public=false: confidential, as create makes it
	}

	switch {
	case set("jwks-file") && set("jwks-uri") && f.jwksFile != "" && f.jwksURI != "":
		add("give --jwks-file or --jwks-uri, not both")
	default:
		if set("jwks-file") {
			cl.JWKS = nil
			if f.jwksFile != "" {
				jwks, p := readJWKS(f.jwksFile)
				problems = append(problems, p...)
				cl.JWKS, cl.JWKSURI = jwks, ""
			}
		}
		if set("jwks-uri") {
			cl.JWKSURI = strings.TrimSpace(f.jwksURI)
			if cl.JWKSURI != "" {
				if err := checkHTTPSURL(cl.JWKSURI); err != nil {
					add("--jwks-uri %q: %v", cl.JWKSURI, err)
				}
				cl.JWKS = nil
			}
		}
	}

	if set("scope") {
		cl.Scopes = nil
		for _, s := range withoutEmpty(f.scopes) {
			if err := checkScope(s); err != nil {
				add("--scope %q: %v", s, err)
			} else if !slices.Contains(cl.Scopes, s) {
				cl.Scopes = append(cl.Scopes, s)
			}
		}
	}
	if set("access-token-type") {
		switch f.accessTokenType {
		case accessTokenOpaque:
			cl.AccessTokenType = oidc.AccessTokenOpaque
		case accessTokenJWT:
			cl.AccessTokenType = oidc.AccessTokenJWT
		default:
			add("--access-token-type %q: want opaque or jwt", f.accessTokenType)
		}
	}
	lifetime := func(flag string, d time.Duration, dst *time.Duration, lo, hi time.Duration, bounds string) {
		if !set(flag) {
			return
		}
		switch {
		case d != 0 && (d < lo || d > hi):
			add("--%s %s: want between %s (0: the provider's default)", flag, d, bounds)
		case d%time.Second != 0:
			add("--%s %s: want whole seconds", flag, d)
		default:
			*dst = d
		}
	}
	lifetime("id-token-lifetime", f.idTokenLifetime, &cl.IDTokenLifetime, minTokenLifetime, maxTokenLifetime, "1m and 24h")
	lifetime("access-token-lifetime", f.accessTokenLifetime, &cl.AccessTokenLifetime, minTokenLifetime, maxTokenLifetime, "1m and 24h")
	lifetime("refresh-token-lifetime", f.refreshTokenLifetime, &cl.RefreshTokenLifetime, minRefreshLifetime, maxRefreshLifetime, "1h and 8760h (365 days)")
	if set("require-acr") {
		switch f.requireACR {
		case "", "phr", "phrh":
			cl.RequireACR = f.requireACR
		default:
			add("--require-acr %q: want phr or phrh (OpenID EAP ACR values), or \"\" for none", f.requireACR)
		}
	}
	if set("require-uv") {
		cl.RequireUV = f.requireUV
	}

	// What the client as a whole must have, whatever the flags were.
	if len(cl.RedirectURIs) == 0 && len(f.redirectURIs) == 0 {
		add("at least one --redirect-uri is required")
	}
	keysGiven := set("jwks-file") && f.jwksFile != "" || set("jwks-uri") && f.jwksURI != "" // refused above if bad
	if cl.AuthMethod == storage.AuthMethodPrivateKeyJWT && len(cl.JWKS) == 0 && cl.JWKSURI == "" && !keysGiven {
		add("auth method private_key_jwt needs the client's public keys: give --jwks-file or --jwks-uri")
	}
	if f.rotateSecret && !hasSecret(cl.AuthMethod) {
		add("--rotate-secret: a client with auth method %s has no secret", cl.AuthMethod)
	}
	return cl, problems
}

// withoutEmpty drops empty values, so that a list flag given as "" clears
// the list.
func withoutEmpty(values []string) []string {
	var out []string
	for _, v := range values {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// checkScope applies RFC 6749 §3.3's scope-token grammar, with a bound on
// its length.
func checkScope(s string) error {
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
