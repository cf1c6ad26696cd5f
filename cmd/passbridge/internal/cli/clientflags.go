package cli

import (
	"slices"
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
	// The external hint issuer profile, or Entra's shorthand for it.
	implicit, hintEnrol                                 bool
	hintIssuer, hintJWKSURI, hintJWKSFile, hintAudience string
	hintTenant, hintUserClaim                           string
	entraTenant, entraAppID, entraCloud                 string
}

// clientFlagNames are the flags of clientFlags: update needs one of them.
var clientFlagNames = []string{
	"name", "redirect-uri", "post-logout-redirect-uri", "public", "auth-method", "jwks-file", "jwks-uri",
	"scope", "access-token-type", "id-token-lifetime", "access-token-lifetime", "refresh-token-lifetime",
	"require-acr", "require-uv", "rotate-secret",
	"implicit", "hint-issuer", "hint-jwks-uri", "hint-jwks", "hint-audience", "hint-tenant", "hint-user-claim",
	"hint-enrol", "entra-tenant", "entra-app-id", "entra-cloud",
}

// hintFlagNames are the flags Entra's shorthand fills.
var hintFlagNames = []string{"implicit", "hint-issuer", "hint-jwks-uri", "hint-jwks", "hint-audience", "hint-tenant", "hint-user-claim"}

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
	fl.BoolVar(&f.implicit, "implicit", false, "implicit client (an external authentication method): response_type=id_token with form_post only, auth method none")
	fl.StringVar(&f.hintIssuer, "hint-issuer", "", `exact iss of the id_token_hints that name the user (implicit clients; "" removes it)`)
	fl.StringVar(&f.hintJWKSURI, "hint-jwks-uri", "", `https URL of the hint issuer's JSON Web Key Set ("" removes it)`)
	fl.StringVar(&f.hintJWKSFile, "hint-jwks", "", `file with the hint issuer's JSON Web Key Set, instead of --hint-jwks-uri ("" removes it)`)
	fl.StringVar(&f.hintAudience, "hint-audience", "", "aud the hints must carry (Entra: the app registration's application ID)")
	fl.StringVar(&f.hintTenant, "hint-tenant", "", `tid the hints must carry ("" for any the issuer signs)`)
	fl.StringVar(&f.hintUserClaim, "hint-user-claim", "", "claim of the hint whose value is the user's external ID (default oid)")
	fl.BoolVar(&f.hintEnrol, "hint-enrol", false, "a hinted user without a passkey registers one on first use (else the request is refused)")
	fl.StringVar(&f.entraTenant, "entra-tenant", "", "Microsoft Entra ID tenant ID: fills --implicit, the --hint-* flags and --redirect-uri for its external authentication method")
	fl.StringVar(&f.entraAppID, "entra-app-id", "", "the external authentication method's app registration (application ID), with --entra-tenant")
	fl.StringVar(&f.entraCloud, "entra-cloud", "", "Entra cloud of --entra-tenant: global (default), usgov or china")
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
	Hint: settings.HintLabels{Implicit: "--implicit", HintIssuer: "--hint-issuer", HintJWKSURI: "--hint-jwks-uri",
		HintJWKS: "--hint-jwks", HintAudience: "--hint-audience", HintTenant: "--hint-tenant",
		HintUserClaim: "--hint-user-claim", HintEnrol: "--hint-enrol"},
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
	problems = append(problems, f.applyHint(cmd, &ch)...)
	cl, p := settings.ApplyClient(cl, ch, cliLabels)
	return cl, append(problems, p...)
}

// applyHint sets the external hint issuer profile's flags on ch, or what
// Entra's shorthand (--entra-tenant, --entra-app-id, --entra-cloud) fills
// in: the profile and the cloud's reply URL as the redirect URI (added to
// any --redirect-uri given).
func (f *clientFlags) applyHint(cmd *cobra.Command, ch *settings.ClientChange) []string {
	set := func(name string) bool { return cmd.Flags().Changed(name) }
	if set("entra-tenant") || set("entra-app-id") || set("entra-cloud") {
		var problems []string
		if !set("entra-tenant") || !set("entra-app-id") {
			problems = append(problems, "--entra-tenant and --entra-app-id go together")
		}
		if n := countChanged(cmd, hintFlagNames...); n > 0 {
			problems = append(problems, "--entra-* fills --implicit and the --hint-* flags: give either, not both")
		}
		if len(problems) > 0 {
			return problems
		}
		hint, redirect, err := settings.EntraProfile(f.entraCloud, f.entraTenant, f.entraAppID)
		if err != nil {
			return []string{"--entra-*: " + err.Error()}
		}
		if set("hint-enrol") {
			hint.HintEnrol = &f.hintEnrol
		}
		ch.Hint = hint
		redirects := []string{redirect}
		if ch.RedirectURIs != nil {
			redirects = append(slices.DeleteFunc(slices.Clone(*ch.RedirectURIs), func(u string) bool { return u == redirect }), redirect)
		}
		ch.RedirectURIs = &redirects
		return nil
	}
	var problems []string
	if set("implicit") {
		ch.Hint.Implicit = &f.implicit
	}
	if set("hint-issuer") {
		ch.Hint.HintIssuer = &f.hintIssuer
	}
	if set("hint-jwks-uri") {
		ch.Hint.HintJWKSURI = &f.hintJWKSURI
	}
	if set("hint-jwks") {
		ch.Hint.HintJWKS = &settings.KeySet{}
		if f.hintJWKSFile != "" {
			doc, p := readJWKSAs("--hint-jwks", f.hintJWKSFile)
			problems = append(problems, p...)
			ch.Hint.HintJWKS = &settings.KeySet{Doc: doc, Refused: len(p) > 0}
		}
	}
	if set("hint-audience") {
		ch.Hint.HintAudience = &f.hintAudience
	}
	if set("hint-tenant") {
		ch.Hint.HintTenant = &f.hintTenant
	}
	if set("hint-user-claim") {
		ch.Hint.HintUserClaim = &f.hintUserClaim
	}
	if set("hint-enrol") {
		ch.Hint.HintEnrol = &f.hintEnrol
	}
	return problems
}
