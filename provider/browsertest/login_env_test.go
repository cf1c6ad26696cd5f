//go:build e2e

package browsertest

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/passbridge/passbridge/ceremony"
	"github.com/passbridge/passbridge/provider/internal/apitest"
	"github.com/passbridge/passbridge/provider/oidc"
	"github.com/passbridge/passbridge/provider/providertest"

	"github.com/passbridge/passbridge/storage"
	"github.com/passbridge/passbridge/storage/sqlstore/sqlstoretest"
)

// The app's branding. The logo's host does not exist: the tests that show
// it answer its request through CDP.
const (
	shopLogo   = "https://logo.example/shop.svg"
	shopAccent = "#0f766e"
)

// oidcEnv is a whole passbridge server as `passbridge serve` builds it (Flex
// API, SDK, OpenID Connect provider, login and account pages) on a real
// store (SQLite unless a test asks for PostgreSQL), with the issuer
// http://localhost:PORT, an app whose RP ID is localhost and whose origin is
// the issuer's, a confidential client of it (client_secret_post) and the
// relying party that client stands for: a small handler on another
// localhost port that records what reaches its redirect_uri and its
// post-logout page.
type oidcEnv struct {
	issuer string
	store  storage.Store
	clock  *apitest.Clock
	app    storage.App
	apiKey string
	rec    *recorder

	client   storage.Client
	secret   string
	redirect string // the client's redirect_uri: http://localhost:RP_PORT/callback
	rp       *relyingParty
}

// newOIDCEnv starts the server on a fresh SQLite store, and the relying
// party.
func newOIDCEnv(t *testing.T) *oidcEnv {
	t.Helper()
	return newOIDCEnvOn(t, sqlstoretest.Open(t, sqlstoretest.SQLite))
}

// newOIDCEnvOn is newOIDCEnv on store, a fresh store of any engine.
func newOIDCEnvOn(t *testing.T, store storage.Store) *oidcEnv {
	t.Helper()
	rec := &recorder{}
	srv := providertest.Start(t, store, providertest.Options{
		Logger: slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn})),
		Wrap:   rec.wrap,
	})
	e := &oidcEnv{issuer: srv.Issuer, store: srv.Store, clock: srv.Clock, rec: rec, rp: newRelyingParty(t)}
	e.redirect = e.rp.origin + "/callback"
	e.app = e.createApp(t, "Shop", func(a *storage.App) {
		a.LogoURL, a.AccentColor = shopLogo, shopAccent
	}, srv.Issuer)
	e.apiKey = e.createAPIKey(t)
	e.secret, _ = storage.NewSecret(storage.PrefixClientSecret)
	e.client = e.createClient(t, e.app)
	return e
}

// createApp stores an app with RP ID localhost (unless edit changes it), as
// `passbridge apps create` does.
func (e *oidcEnv) createApp(t *testing.T, name string, edit func(*storage.App), origins ...string) storage.App {
	t.Helper()
	now := e.clock.Now()
	app := storage.App{ID: storage.NewID(), Name: name, RPID: "localhost", Origins: origins, CreatedAt: now, UpdatedAt: now}
	if edit != nil {
		edit(&app)
	}
	app, err := ceremony.PrepareApp(app)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.store.CreateApp(t.Context(), app); err != nil {
		t.Fatal(err)
	}
	return app
}

func (e *oidcEnv) createAPIKey(t *testing.T) string {
	t.Helper()
	secret, prefix := storage.NewSecret(storage.PrefixAPIKey)
	err := e.store.CreateAPIKey(t.Context(), storage.APIKey{
		ID: storage.NewID(), AppID: e.app.ID, Name: "browser test", Prefix: prefix,
		Hash: storage.HashSecret(secret), CreatedAt: e.clock.Now(),
	})
	if err != nil {
		t.Fatal(err)
	}
	return secret
}

// createClient stores a confidential client of app whose secret is
// e.secret, as `passbridge clients create` does.
func (e *oidcEnv) createClient(t *testing.T, app storage.App) storage.Client {
	t.Helper()
	now := e.clock.Now()
	c := storage.Client{
		ID: "client-" + storage.NewID(), AppID: app.ID, Name: app.Name,
		SecretHash: storage.HashSecret(e.secret), AuthMethod: storage.AuthMethodPost,
		RedirectURIs: []string{e.redirect}, AccessTokenType: oidc.AccessTokenOpaque,
		CreatedAt: now, UpdatedAt: now,
	}
	// Where RP-initiated logout may come back to.
	c.PostLogoutRedirectURIs = []string{e.rp.origin + "/signed-out"}
	if err := e.store.CreateClient(t.Context(), c); err != nil {
		t.Fatal(err)
	}
	return c
}

// registerTransaction creates a register transaction for externalID through
// the management API, as the app's backend does.
func (e *oidcEnv) registerTransaction(t *testing.T, externalID string) string {
	t.Helper()
	body := strings.NewReader(`{"external_id":"` + externalID + `","passkey_display_name":"` + externalID + `@example.com"}`)
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost,
		e.issuer+"/v1/apps/"+e.app.ID+"/transactions/register", body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+e.apiKey)
	req.Header.Set("Content-Type", "application/json")
	var out struct {
		TransactionID string `json:"transaction_id"`
	}
	if status := doJSON(t, req, &out); status != http.StatusOK || out.TransactionID == "" {
		t.Fatalf("create register transaction: status %d", status)
	}
	return out.TransactionID
}

// revokeDevice revokes a user's device through the management API, as the
// app's backend (or an administrator) does: DELETE
// /v1/apps/{app_id}/users/{user_id}/devices/{device_id}.
func (e *oidcEnv) revokeDevice(t *testing.T, userID, deviceID string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodDelete,
		e.issuer+"/v1/apps/"+e.app.ID+"/users/"+userID+"/devices/"+deviceID, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+e.apiKey)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("revoke device: status %d: %s", res.StatusCode, raw)
	}
}

// signIn is one authorization request as a relying party makes it:
// response_type=code, scope=openid, state, nonce and PKCE S256.
type signIn struct {
	client   storage.Client
	state    string
	nonce    string
	verifier string
}

// authorizeURL starts a sign-in of client with extra parameters (login_hint,
// prompt, …).
func (e *oidcEnv) authorizeURL(client storage.Client, extra url.Values) (string, *signIn) {
	s := &signIn{client: client, state: storage.NewID(), nonce: storage.NewID(), verifier: storage.NewID() + storage.NewID()}
	sum := sha256.Sum256([]byte(s.verifier))
	q := url.Values{
		"client_id":             {client.ID},
		"redirect_uri":          {e.redirect},
		"response_type":         {"code"},
		"scope":                 {"openid"},
		"state":                 {s.state},
		"nonce":                 {s.nonce},
		"code_challenge":        {base64.RawURLEncoding.EncodeToString(sum[:])},
		"code_challenge_method": {"S256"},
	}
	for k, v := range extra {
		q[k] = v
	}
	return e.issuer + "/authorize?" + q.Encode(), s
}

// idClaims are the ID token claims the tests check.
type idClaims struct {
	Issuer   string   `json:"iss"`
	Subject  string   `json:"sub"`
	Audience any      `json:"aud"`
	Nonce    string   `json:"nonce"`
	ACR      string   `json:"acr"`
	AMR      []string `json:"amr"`
	AuthTime int64    `json:"auth_time"`
	SID      string   `json:"sid"`

	Raw string `json:"-"` // the ID token itself, for an id_token_hint
}

// exchange redeems the code at /oauth/token as a relying party does
// (client_secret_post, the PKCE verifier) and returns the ID token's claims.
// The token's signature is checked by the OIDC package's tests; here the
// payload is read as it is.
func (e *oidcEnv) exchange(t *testing.T, s *signIn, code string) idClaims {
	t.Helper()
	form := url.Values{
		"grant_type":    {"authorization_code"},
		"code":          {code},
		"redirect_uri":  {e.redirect},
		"client_id":     {s.client.ID},
		"client_secret": {e.secret},
		"code_verifier": {s.verifier},
	}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, e.issuer+"/oauth/token", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	var tok struct {
		IDToken     string `json:"id_token"`
		AccessToken string `json:"access_token"`
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	if status := doJSON(t, req, &tok); status != http.StatusOK || tok.IDToken == "" || tok.AccessToken == "" {
		t.Fatalf("token exchange: status %d: %s %s", status, tok.Error, tok.Description)
	}
	parts := strings.Split(tok.IDToken, ".")
	if len(parts) != 3 {
		t.Fatalf("ID token has %d parts", len(parts))
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatalf("ID token payload: %v", err)
	}
	var c idClaims
	if err := json.Unmarshal(payload, &c); err != nil {
		t.Fatalf("ID token payload: %v", err)
	}
	c.Raw = tok.IDToken
	return c
}

// checkIDToken checks the claims of a sign-in of externalID.
func (e *oidcEnv) checkIDToken(t *testing.T, s *signIn, c idClaims, externalID string) {
	t.Helper()
	if c.Subject != externalID {
		t.Errorf("sub %q, want the external ID %q", c.Subject, externalID)
	}
	if c.Issuer != e.issuer || c.Nonce != s.nonce || c.AuthTime == 0 {
		t.Errorf("iss %q nonce %q auth_time %d", c.Issuer, c.Nonce, c.AuthTime)
	}
	if c.ACR != "phr" && c.ACR != "phrh" {
		t.Errorf("acr %q, want phr or phrh", c.ACR)
	}
	// The virtual authenticator tests presence and verifies the user.
	for _, want := range []string{"user", "mfa"} {
		if !contains(c.AMR, want) {
			t.Errorf("amr %v lacks %q", c.AMR, want)
		}
	}
	if !contains(c.AMR, "hwk") && !contains(c.AMR, "swk") {
		t.Errorf("amr %v has neither hwk nor swk", c.AMR)
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// doJSON sends req and decodes the JSON answer into out; it returns the
// status.
func doJSON(t *testing.T, req *http.Request, out any) int {
	t.Helper()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, out); err != nil {
		t.Fatalf("%s %s: status %d, not JSON: %.200s", req.Method, req.URL.Path, res.StatusCode, raw)
	}
	return res.StatusCode
}

// relyingParty is the client's web server: its callback records the query
// each redirect brought, and so does its post-logout page (/signed-out).
type relyingParty struct {
	origin    string
	callbacks chan url.Values
	logouts   chan url.Values
}

func newRelyingParty(t *testing.T) *relyingParty {
	t.Helper()
	rp := &relyingParty{callbacks: make(chan url.Values, 8), logouts: make(chan url.Values, 8)}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var to chan url.Values
		switch r.URL.Path {
		case "/callback":
			to = rp.callbacks
		case "/signed-out":
			to = rp.logouts
		default:
			http.NotFound(w, r)
			return
		}
		select {
		case to <- r.URL.Query():
		default:
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = io.WriteString(w, "<!doctype html><title>Relying party</title><p id=rp>The relying party's "+r.URL.Path+"</p>")
	}))
	t.Cleanup(srv.Close)
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	rp.origin = "http://localhost:" + port
	return rp
}

// callback waits for the next redirect to reach the relying party.
func (rp *relyingParty) callback(t *testing.T) url.Values {
	t.Helper()
	select {
	case q := <-rp.callbacks:
		return q
	case <-time.After(ceremonyTimeout):
		t.Fatalf("the relying party got no callback within %v", ceremonyTimeout)
		return nil
	}
}

// loggedOut waits for the next redirect to reach the relying party's
// post-logout page.
func (rp *relyingParty) loggedOut(t *testing.T) url.Values {
	t.Helper()
	select {
	case q := <-rp.logouts:
		return q
	case <-time.After(ceremonyTimeout):
		t.Fatalf("the relying party's post-logout page got no visit within %v", ceremonyTimeout)
		return nil
	}
}

// none fails the test if a redirect reached the relying party.
func (rp *relyingParty) none(t *testing.T) {
	t.Helper()
	select {
	case q := <-rp.callbacks:
		t.Fatalf("the relying party got a callback: %v", q)
	default:
	}
}
