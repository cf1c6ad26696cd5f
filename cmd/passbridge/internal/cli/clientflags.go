package cli

import (
	"time"

	"github.com/spf13/cobra"

	"github.com/passbridge/passbridge/cmd/passbridge/internal/config"
	"github.com/passbridge/passbridge/provider/settings"
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

// cliLabels name a client's fields as flags.
var cliLabels = settings.ClientLabels{
	Name: "--name", RedirectURI: "--redirect-uri", PostLogoutRedirectURI: "--post-logout-redirect-uri",
	Public: "--public", AuthMethod: "--auth-method", JWKS: "--jwks-file", JWKSURI: "--jwks-uri", Scope: "--scope",
	AccessTokenType: "--access-token-type", IDTokenLifetime: "--id-token-lifetime",
	AccessTokenLifetime: "--access-token-lifetime", RefreshTokenLifetime: "--refresh-token-lifetime",
	RequireACR: "--require-acr", RotateSecret: "--rotate-secret",
}

// apply copies the flags the user set onto cl and validates the result
// (settings.ApplyClient). It returns every problem, each naming its flag
// and value; it reads the --jwks-file but writes nothing.
func (f *clientFlags) apply(cmd *cobra.Command, cl storage.Client) (storage.Client, []string) {
	set := func(name string) bool { return cmd.Flags().Changed(name) }
	var (
		ch       settings.ClientChange
		problems []string
	)
	if set("name") {
		ch.Name = &f.name
	}
	if set("redirect-uri") {
		ch.RedirectURIs = &f.redirectURIs
	}
	if set("post-logout-redirect-uri") {
		ch.PostLogoutRedirectURIs = &f.logoutRedirects
	}
	if set("public") {
		ch.Public = &f.public
	}
	if set("auth-method") {
		ch.AuthMethod = &f.authMethod
	}
	if set("jwks-file") {
		ch.JWKS = &settings.KeySet{}
		if f.jwksFile != "" {
			doc, p := readJWKS(f.jwksFile)
			problems = append(problems, p...)
			ch.JWKS = &settings.KeySet{Doc: doc, Refused: len(p) > 0}
		}
	}
	if set("jwks-uri") {
		ch.JWKSURI = &f.jwksURI
	}
	if set("scope") {
		ch.Scopes = &f.scopes
	}
	if set("access-token-type") {
		ch.AccessTokenType = &f.accessTokenType
	}
	if set("id-token-lifetime") {
		ch.IDTokenLifetime = &f.idTokenLifetime
	}
	if set("access-token-lifetime") {
		ch.AccessTokenLifetime = &f.accessTokenLifetime
	}
	if set("refresh-token-lifetime") {
		ch.RefreshTokenLifetime = &f.refreshTokenLifetime
	}
	if set("require-acr") {
		ch.RequireACR = &f.requireACR
	}
	if set("require-uv") {
		ch.RequireUV = &f.requireUV
	}
	ch.RotateSecret = f.rotateSecret
	cl, p := settings.ApplyClient(cl, ch, cliLabels)
	return cl, append(problems, p...)
}
