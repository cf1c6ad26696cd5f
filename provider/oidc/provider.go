package oidc

import (
	"context"
	"crypto/hkdf"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/passbridge/passbridge/provider/httpapi"
	"github.com/passbridge/passbridge/provider/signing"
	"github.com/passbridge/passbridge/provider/web"
	"github.com/passbridge/passbridge/storage"
)

// Config holds the provider's lifetimes; zero fields take the defaults.
type Config struct {
	AuthRequestTTL  time.Duration // from /authorize to the code: 30 min
	CodeTTL         time.Duration // 1 min
	AccessTokenTTL  time.Duration // 1 h
	IDTokenTTL      time.Duration // 1 h
	RefreshTokenTTL time.Duration // 30 days, across rotations
	SessionTTL      time.Duration // a browser session: 24 h
}

func (c Config) withDefaults() Config {
	set := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	set(&c.AuthRequestTTL, 30*time.Minute)
	set(&c.CodeTTL, time.Minute)
	set(&c.AccessTokenTTL, time.Hour)
	set(&c.IDTokenTTL, time.Hour)
	set(&c.RefreshTokenTTL, 30*24*time.Hour)
	set(&c.SessionTTL, 24*time.Hour)
	return c
}

// Deps is what the provider is built from.
type Deps struct {
	Store     storage.Store
	Keys      *signing.Manager
	Issuer    string // the static issuer: the server's public base URL
	MasterKey []byte // op's code and opaque token encryption key derives from it
	Config    Config
	Now       func() time.Time
	Logger    *slog.Logger
	// HTTPClient fetches the key sets clients registered by URL; nil means
	// a client with a 5-second timeout.
	HTTPClient *http.Client
}

// Provider is the OpenID Connect provider.
type Provider struct {
	errorPage atomic.Pointer[ErrorPage]
	// formPostPage answers form_post (see SetFormPostPage).
	formPostPage atomic.Pointer[FormPostPage]
	// logoutPage asks before a logout without an id_token_hint.
	logoutPage atomic.Pointer[LogoutPage]
	masterKey  []byte
	op         *op.Provider
	handler    http.Handler
	storage    *opStorage
	store      storage.Store
	issuer     string
	cookies    web.Cookies
	cfg        Config
}

// New builds the provider.
func New(deps Deps) (*Provider, error) {
	if deps.Store == nil || deps.Keys == nil {
		return nil, errors.New("oidc: a store and a signing key manager are required")
	}
	if len(deps.MasterKey) != signing.MasterKeySize {
		return nil, errors.New("oidc: a 32-byte master key is required")
	}
	issuer := strings.TrimRight(deps.Issuer, "/")
	u, err := url.Parse(issuer)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("oidc: issuer %q is not an absolute http(s) URL", deps.Issuer)
	}
	now := deps.Now
	if now == nil {
		now = time.Now
	}
	log := deps.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cfg := deps.Config.withDefaults()
	cookies := web.NewCookies(issuer)
	st := &opStorage{
		store: deps.Store, keys: deps.Keys, cookies: cookies, cfg: cfg, now: now, log: log,
		loginURL: func(id string) string { return issuer + "/login?auth_request_id=" + url.QueryEscape(id) },
	}
	httpClient := deps.HTTPClient
	if httpClient == nil {
		httpClient = &http.Client{Timeout: 5 * time.Second}
	}
	st.remote = &remoteKeys{http: httpClient, now: now, set: map[string]cachedKeys{}}
	// Codes and opaque access tokens are encrypted by op with this key: it
	// must be the same on every instance, so it derives from the master key.
	cryptoKey, err := hkdf.Key(sha256.New, deps.MasterKey, nil, "passbridge oidc token encryption v1", 32)
	if err != nil {
		return nil, fmt.Errorf("oidc: derive the token key: %w", err)
	}
	st.codes, st.encoder = op.NewAESCrypto([32]byte(cryptoKey)), oidc.NewEncoder()
	opCfg := &op.Config{
		CryptoKey:                [32]byte(cryptoKey),
		DefaultLogoutRedirectURI: issuer + "/logged-out",
		CodeMethodS256:           true,
		AuthMethodPost:           true,
		AuthMethodPrivateKeyJWT:  true,
		GrantTypeRefreshToken:    true,
		// Request objects are verified before op sees the request (see
		// withRequestObject): op's own check takes neither HS256 nor EdDSA.
		RequestObjectSupported: false,
		SupportedScopes:        []string{oidc.ScopeOpenID, oidc.ScopeProfile, oidc.ScopeOfflineAccess},
		SupportedClaims: []string{"iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "acr", "amr", "azp",
			"sid", "at_hash", "c_hash", "name", "preferred_username"},
	}
	opts := []op.Option{}
	if u.Scheme == "http" {
		opts = append(opts, op.WithAllowInsecure())
	}
	prov, err := op.NewProvider(opCfg, st, op.StaticIssuer(issuer), opts...)
	if err != nil {
		return nil, fmt.Errorf("oidc: %w", err)
	}
	p := &Provider{masterKey: deps.MasterKey, op: prov, storage: st, store: deps.Store, issuer: issuer, cookies: cookies, cfg: cfg}
	origins := &browserOrigins{store: deps.Store, now: now, log: log}
	p.handler = op.RegisterLegacyServer(&server{LegacyServer: op.NewLegacyServer(prov, *op.DefaultEndpoints), storage: st}, op.AuthorizeCallbackHandler(prov),
		op.WithServerCORSOptions(origins.corsOptions()))
	return p, nil
}

// server is op's legacy server with discovery saying exactly what is
// served.
type server struct {
	*op.LegacyServer
	storage *opStorage
}

func (s *server) Discovery(ctx context.Context, r *op.Request[struct{}]) (*op.Response, error) {
	resp, err := s.LegacyServer.Discovery(ctx, r)
	if err != nil {
		return nil, err
	}
	d := resp.Data.(*oidc.DiscoveryConfiguration)
	d.ResponseTypesSupported = []string{string(oidc.ResponseTypeCode)}
	d.ResponseModesSupported = []string{string(oidc.ResponseModeQuery)}
	d.GrantTypesSupported = []oidc.GrantType{oidc.GrantTypeCode, oidc.GrantTypeRefreshToken}
	// The implicit profile (external authentication methods) is served,
	// and so advertised, only where some client has it.
	implicit, err := s.storage.store.AnyImplicitClient(ctx)
	if err != nil {
		return nil, s.storage.translate(ctx, "discovery: implicit clients", err, nil)
	}
	if implicit {
		d.ResponseTypesSupported = append(d.ResponseTypesSupported, string(oidc.ResponseTypeIDTokenOnly))
		d.ResponseModesSupported = append(d.ResponseModesSupported, string(oidc.ResponseModeFormPost))
		d.GrantTypesSupported = append(d.GrantTypesSupported, oidc.GrantTypeImplicit)
	}
	d.CodeChallengeMethodsSupported = []oidc.CodeChallengeMethod{oidc.CodeChallengeMethodS256}
	d.ACRValuesSupported = SupportedACRValues
	d.DeviceAuthorizationEndpoint = ""
	d.ClaimsParameterSupported = true
	d.RequestParameterSupported = true
	d.RequestObjectSigningAlgValuesSupported = nil
	for _, a := range requestObjectAlgs {
		d.RequestObjectSigningAlgValuesSupported = append(d.RequestObjectSigningAlgValuesSupported, string(a))
	}
	resp.Data = discovery{
		DiscoveryConfiguration: d,
		PromptValuesSupported:  []string{oidc.PromptNone, oidc.PromptLogin, oidc.PromptSelectAccount, PromptCreate},
	}
	return resp, nil
}

// Keys is op's JWKS with each key's self-signed certificate (x5c) and its
// SHA-1 thumbprint (x5t): some relying parties read keys only from there
// (Microsoft Entra ID's external authentication methods require x5c).
func (s *server) Keys(ctx context.Context, _ *op.Request[struct{}]) (*op.Response, error) {
	keys, err := s.storage.keys.PublicKeys(ctx)
	if err != nil {
		return nil, op.AsStatusError(s.storage.translate(ctx, "key set", err, nil), http.StatusInternalServerError)
	}
	set := &jose.JSONWebKeySet{Keys: make([]jose.JSONWebKey, 0, len(keys))}
	for _, k := range keys {
		jwk := jose.JSONWebKey{KeyID: k.ID(), Algorithm: string(k.Algorithm()), Use: k.Use(), Key: k.Key()}
		if cert := k.Certificate(); cert != nil {
			sum := sha1.Sum(cert.Raw)
			jwk.Certificates, jwk.CertificateThumbprintSHA1 = []*x509.Certificate{cert}, sum[:]
		}
		set.Keys = append(set.Keys, jwk)
	}
	return op.NewResponse(set), nil
}

// CodeExchange is op's, with two more rules:
//   - a code issued for a request with a code_challenge is redeemed only
//     with its verifier, whatever the client (op checks PKCE for
//     confidential clients only when they send a verifier; RFC 9700
//     §2.1.1: a PKCE downgrade is refused);
//   - the client, redirect_uri and verifier are checked before the code is
//     spent: a wrong one is refused and leaves the code to its client (op
//     spends it first, so anyone holding a stolen code could burn it).
//
// A code is op's encryption of its auth request's ID, which is how the
// request is found before the code is spent. The request read here is the
// one the exchange goes on with (see exchange).
func (s *server) CodeExchange(ctx context.Context, r *op.ClientRequest[oidc.AccessTokenRequest]) (*op.Response, error) {
	ctx = context.WithValue(ctx, verifierKey{}, r.Data.CodeVerifier != "")
	if id, err := s.Provider().Crypto().Decrypt(r.Data.Code); err == nil {
		req, err := s.storage.store.GetAuthRequest(ctx, id, s.storage.clock())
		if err == nil && req.Done {
			if req.ClientID != r.Client.GetID() {
				return nil, oidc.ErrInvalidGrant().WithDescription("the code was issued to another client")
			}
			if req.RedirectURI != r.Data.RedirectURI {
				return nil, oidc.ErrInvalidGrant().WithDescription("redirect_uri does not correspond")
			}
			if req.CodeChallenge != "" && r.Data.CodeVerifier == "" {
				return nil, oidc.ErrInvalidGrant().WithDescription("code_verifier required: the authorization request used PKCE")
			}
			if req.CodeChallenge != "" {
				if err := op.AuthorizeCodeChallenge(r.Data.CodeVerifier, (&authRequest{req}).GetCodeChallenge()); err != nil {
					return nil, err
				}
			}
			ctx = context.WithValue(ctx, exchangeKey{}, &exchange{req: req})
		}
	}
	return s.LegacyServer.CodeExchange(ctx, r)
}

// Revocation is op's, with the presented token remembered for
// RevokeToken (see outage.revoked).
func (s *server) Revocation(ctx context.Context, r *op.ClientRequest[oidc.RevocationRequest]) (*op.Response, error) {
	if o, ok := ctx.Value(outageKey{}).(*outage); ok {
		o.mu.Lock()
		o.revoked = r.Data.Token
		o.mu.Unlock()
	}
	return s.LegacyServer.Revocation(ctx, r)
}

// exchange is what a code exchange's context carries once CodeExchange
// read the auth request the code names, before the code was spent:
// AuthRequestByCode then takes the request from here and accepts the
// code (codeHash), and the write that stores the tokens redeems it (see
// issue), so that the redemption, the user's check and the tokens are one
// statement.
type exchange struct {
	req      storage.AuthRequest
	codeHash []byte
}

type exchangeKey struct{}

// verifierKey marks, in a code exchange's context, whether a code_verifier
// came with it.
type verifierKey struct{}

// discovery adds to op's document what its type lacks: the prompt values
// served (OpenID Connect Prompt Create 1.0 §4).
type discovery struct {
	*oidc.DiscoveryConfiguration
	PromptValuesSupported []string `json:"prompt_values_supported"`
}

// Routes the provider serves, relative to the issuer.
var routes = []string{
	"/.well-known/openid-configuration",
	"/authorize",
	"/authorize/callback",
	"/oauth/token",
	"/oauth/introspect",
	"/userinfo",
	"/revoke",
	"/end_session",
	"/keys",
}

// OAuthRoutes lists the provider's routes: their errors take OAuth's shape.
func (p *Provider) OAuthRoutes() []string { return routes }

// RegisterRoutes mounts the provider's endpoints at the issuer root.
func (p *Provider) RegisterRoutes(r *gin.RouterGroup) {
	for _, path := range routes {
		h := p.handler
		switch path {
		case "/authorize":
			h = p.withErrorPage(p.withBrowser(p.withImplicit(p.withRequestObject(h))))
		case "/authorize/callback":
			h = p.withErrorPage(p.withBrowser(p.withImplicitCallback(h)))
		case "/end_session":
			h = p.withErrorPage(p.withBrowser(p.withLogoutConfirm(h)))
		case "/userinfo":
			h = withBearerErrors(h)
		}
		r.Any(path, gin.WrapH(withOutage(withForm(h))))
	}
}

// withForm parses a request's form before op does, so that a body over the
// server's limit is answered 413 in OAuth's shape instead of op's 400
// "error parsing form"; any other unreadable form is op's to refuse.
func withForm(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil && httpapi.IsTooLarge(err) {
			writeOAuthError(w, http.StatusRequestEntityTooLarge, "invalid_request", "request body is too large")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// writeOAuthError answers an OAuth error response (RFC 6749 §5.2).
func writeOAuthError(w http.ResponseWriter, status int, code, description string) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": description})
}

// outage is what one request of the provider remembers: whether it met
// an unreachable store, and the clients it read (op asks for the client
// several times in one request; within a request it cannot change).
type outage struct {
	seen    atomic.Bool
	mu      sync.Mutex
	clients map[string]storage.Client
	// revoked is the token a revocation request presented, as it came: op
	// hands RevokeToken what it made of it, which for a refresh token sent
	// with token_type_hint=access_token is the garbage of decrypting it as
	// an access token (op's decryption does not authenticate).
	revoked string
	// refreshID is the refresh token ID GetRefreshTokenInfo found for the
	// revoking client, which op then hands to RevokeToken.
	refreshID string
}

type outageKey struct{}

// markOutage notes, for withOutage, that the store could not be reached.
func markOutage(ctx context.Context) {
	if o, ok := ctx.Value(outageKey{}).(*outage); ok {
		o.seen.Store(true)
	}
}

// withOutage answers 503 temporarily_unavailable (with Retry-After) for a
// request that met an unreachable store, instead of what op made of the
// store's error (a 500, or on some paths a 400 that would tell the client
// its code or token is invalid when it is not): the request may be retried
// as it is. A redirect to the client (an error op sent back to it) stays.
func withOutage(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o := &outage{}
		next.ServeHTTP(&outageWriter{ResponseWriter: w, o: o}, r.WithContext(context.WithValue(r.Context(), outageKey{}, o)))
	})
}

type outageWriter struct {
	http.ResponseWriter
	o        *outage
	replaced bool
}

// unavailableBody is the answer while the store is unreachable.
const unavailableBody = `{"error":"temporarily_unavailable","error_description":"the service is temporarily unavailable; try again"}`

func (w *outageWriter) WriteHeader(status int) {
	if status >= 400 && w.o.seen.Load() {
		w.replaced = true
		h := w.Header()
		h.Del("Content-Length")
		h.Set("Content-Type", "application/json")
		h.Set("Cache-Control", "no-store")
		h.Set("Retry-After", "5")
		w.ResponseWriter.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.ResponseWriter.Write([]byte(unavailableBody))
		return
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *outageWriter) Write(b []byte) (int, error) {
	if w.replaced {
		return len(b), nil // op's own body for the failure is dropped
	}
	return w.ResponseWriter.Write(b)
}

func (w *outageWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// withBrowser tells the storage methods behind an endpoint which browser
// is asking: its binding cookie (set now if it has none) and sessions.
func (p *Provider) withBrowser(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		info := &requestInfo{w: w, sessions: p.cookies.Sessions(r)}
		if r.URL.Path == "/authorize" || strings.HasSuffix(r.URL.Path, "/authorize") {
			info.browser = p.cookies.EnsureBrowser(w, r)
		} else {
			info.browser = p.cookies.Browser(r)
		}
		next.ServeHTTP(w, r.WithContext(withRequestInfo(r.Context(), info)))
	})
}
