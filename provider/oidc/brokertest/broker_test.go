// Package brokertest tests the contract identity brokers (Keycloak, Okta,
// Auth0, Dex, Ory Kratos) rely on when passbridge is their upstream OpenID
// Connect provider. None of them can run here, so a broker is built from
// zitadel/oidc's rp, the relying-party library such brokers resemble: a
// confidential client with PKCE upstream, and its own session downstream.
package brokertest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/zitadel/oidc/v3/pkg/client/rp"
	httphelper "github.com/zitadel/oidc/v3/pkg/http"
	"github.com/zitadel/oidc/v3/pkg/oidc"

	pboidc "github.com/passbridge/passbridge/provider/oidc"
	"github.com/passbridge/passbridge/storage"
)

// passThrough are the authorization parameters the broker forwards from
// the downstream app's request to passbridge, as brokers forward
// prompt, acr_values and max_age (Keycloak's "Forwarded query parameters",
// Auth0's upstream params).
var passThrough = []string{"prompt", "acr_values", "max_age", "login_hint"}

// brokerSession is what the broker keeps of an upstream sign-in and hands
// the downstream app: the user and how they authenticated, copied from
// passbridge's ID token.
type brokerSession struct {
	User     string   `json:"user"`
	ACR      string   `json:"acr"`
	AMR      []string `json:"amr"`
	AuthTime int64    `json:"auth_time"`
	idToken  string   // the upstream ID token, kept for RP-initiated logout
}

// broker is a small identity broker over real HTTP on loopback.
//
//	/login     starts an upstream sign-in (state cookie, PKCE S256)
//	/callback  redeems the code, starts the broker's own session, goes to /me
//	/me        the downstream app's view: the broker session as JSON
//	/logout    ends the broker session and sends the browser to end_session
//	/bye       where passbridge sends the browser back after logout
type broker struct {
	t   testing.TB
	rp  rp.RelyingParty
	URL string

	mu       sync.Mutex
	sessions map[string]brokerSession // by the broker's session cookie
}

const brokerCookie = "broker_session"

// brokerClient registers the broker at passbridge as an operator would
// with `passbridge clients create --redirect-uri BROKER/callback
// --post-logout-redirect-uri BROKER/bye`, and returns its secret.
func brokerClient(t testing.TB, st storage.Store, appID, base string, now time.Time) (storage.Client, string) {
	t.Helper()
	secret, _ := storage.NewSecret(storage.PrefixClientSecret)
	c := storage.Client{
		ID: "client-" + storage.NewID(), AppID: appID, Name: "Broker", SecretHash: storage.HashSecret(secret),
		AuthMethod: storage.AuthMethodBasic, RedirectURIs: []string{base + "/callback"},
		PostLogoutRedirectURIs: []string{base + "/bye"}, AccessTokenType: pboidc.AccessTokenOpaque, CreatedAt: now, UpdatedAt: now,
	}
	if err := st.CreateClient(t.Context(), c); err != nil {
		t.Fatal(err)
	}
	return c, secret
}

// startBroker serves a broker on 127.0.0.1 (a host other than the
// issuer's localhost, so the two keep their cookies apart as two sites
// do), registered as a client of app appID at passbridge at issuer.
func startBroker(t testing.TB, st storage.Store, appID, issuer string, now time.Time) *broker {
	t.Helper()
	b := &broker{t: t, sessions: map[string]brokerSession{}}
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	b.URL = srv.URL
	c, secret := brokerClient(t, st, appID, b.URL, now)

	// The state and PKCE verifier ride in cookies, as rp does it; plain
	// http on loopback needs them without the Secure flag.
	cookies := httphelper.NewCookieHandler(storage.RandomBytes(32), storage.RandomBytes(32), httphelper.WithUnsecure())
	var err error
	b.rp, err = rp.NewRelyingPartyOIDC(t.Context(), issuer, c.ID, secret, b.URL+"/callback",
		[]string{oidc.ScopeOpenID, oidc.ScopeProfile},
		rp.WithPKCE(cookies),
		rp.WithErrorHandler(b.upstreamError),
		// passbridge's test clock stands still while the tests advance
		// it past the real one; the broker allows that much skew.
		rp.WithVerifierOpts(rp.WithIssuedAtOffset(10*time.Minute)),
	)
	if err != nil {
		t.Fatalf("broker discovery: %v", err)
	}
	mux.HandleFunc("GET /login", b.login)
	mux.Handle("GET /callback", rp.CodeExchangeHandler(b.signedIn, b.rp))
	mux.HandleFunc("GET /me", b.me)
	mux.HandleFunc("GET /logout", b.logout)
	mux.HandleFunc("GET /bye", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"signed_out": "true", "state": r.URL.Query().Get("state")})
	})
	return b
}

// login forwards the downstream app's step-up parameters to passbridge.
func (b *broker) login(w http.ResponseWriter, r *http.Request) {
	var opts []rp.URLParamOpt
	for _, k := range passThrough {
		if v := r.URL.Query().Get(k); v != "" {
			opts = append(opts, rp.WithURLParam(k, v))
		}
	}
	rp.AuthURLHandler(func() string { return storage.NewID() }, b.rp, opts...)(w, r)
}

// signedIn is rp's callback after the code exchange and the ID token's
// checks (signature, issuer, audience, expiry): the broker starts its own
// session with the upstream's claims.
func (b *broker) signedIn(w http.ResponseWriter, r *http.Request, tokens *oidc.Tokens[*oidc.IDTokenClaims], _ string, _ rp.RelyingParty) {
	c := tokens.IDTokenClaims
	id := storage.NewID()
	b.mu.Lock()
	b.sessions[id] = brokerSession{
		User: c.Subject, ACR: c.AuthenticationContextClassReference, AMR: c.AuthenticationMethodsReferences,
		AuthTime: c.AuthTime.AsTime().Unix(), idToken: tokens.IDToken,
	}
	b.mu.Unlock()
	http.SetCookie(w, &http.Cookie{Name: brokerCookie, Value: id, Path: "/", HttpOnly: true})
	http.Redirect(w, r, "/me", http.StatusFound)
}

// upstreamError hands an error passbridge returned to the callback on to
// the downstream app, as brokers do (Keycloak's "unexpected error when
// authenticating with identity provider" page carries it).
func (b *broker) upstreamError(w http.ResponseWriter, _ *http.Request, errorType, desc, _ string) {
	writeJSON(w, http.StatusUnauthorized, map[string]string{"error": errorType, "error_description": desc})
}

func (b *broker) session(r *http.Request) (string, brokerSession, bool) {
	ck, err := r.Cookie(brokerCookie)
	if err != nil {
		return "", brokerSession{}, false
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	s, ok := b.sessions[ck.Value]
	return ck.Value, s, ok
}

func (b *broker) me(w http.ResponseWriter, r *http.Request) {
	_, s, ok := b.session(r)
	if !ok {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "no_session"})
		return
	}
	writeJSON(w, http.StatusOK, s)
}

// logout ends the broker's session and then passbridge's, by sending the
// browser (whose cookies name the passbridge session) to end_session.
func (b *broker) logout(w http.ResponseWriter, r *http.Request) {
	id, s, ok := b.session(r)
	if !ok {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "no_session"})
		return
	}
	b.mu.Lock()
	delete(b.sessions, id)
	b.mu.Unlock()
	http.SetCookie(w, &http.Cookie{Name: brokerCookie, Path: "/", MaxAge: -1})
	u, err := b.endSessionURL(s.idToken, r.URL.Query().Get("state"))
	if err != nil {
		http.Error(w, "logout", http.StatusInternalServerError)
		return
	}
	http.Redirect(w, r, u, http.StatusFound)
}

// endSessionURL is passbridge's end_session with the broker's ID token
// as the hint and /bye as where to return.
func (b *broker) endSessionURL(idToken, state string) (string, error) {
	u, err := url.Parse(b.rp.GetEndSessionEndpoint())
	if err != nil {
		return "", err
	}
	q := u.Query()
	q.Set("id_token_hint", idToken)
	q.Set("client_id", b.rp.OAuthConfig().ClientID)
	q.Set("post_logout_redirect_uri", b.URL+"/bye")
	if state != "" {
		q.Set("state", state)
	}
	u.RawQuery = q.Encode()
	return u.String(), nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// idToken returns the upstream ID token of one of the broker's sessions
// (the tests that use it have one).
func (b *broker) idToken() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, s := range b.sessions {
		return s.idToken
	}
	return ""
}
