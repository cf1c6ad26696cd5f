package oidc_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"github.com/gin-gonic/gin"
	"golang.org/x/oauth2"

	"github.com/passbridge/passbridge/ceremony"
	"github.com/passbridge/passbridge/ceremony/softauthn"
	"github.com/passbridge/passbridge/provider/internal/apitest"
	pboidc "github.com/passbridge/passbridge/provider/oidc"
	"github.com/passbridge/passbridge/provider/providertest"
	"github.com/passbridge/passbridge/provider/signing"
	"github.com/passbridge/passbridge/storage"
	"github.com/passbridge/passbridge/storage/sqlstore"
	"github.com/passbridge/passbridge/storage/sqlstore/sqlstoretest"
)

func TestMain(m *testing.M) {
	gin.SetMode(gin.ReleaseMode)
	// op logs through slog's default logger; refusals are the tests' point.
	slog.SetDefault(slog.New(slog.DiscardHandler))
	os.Exit(m.Run())
}

// rpRedirect is the relying party's callback. Nothing listens there: the
// test's browser stops at it and reads the code from the URL.
const rpRedirect = "https://rp.example/callback"

// harness is one test's world: a store, the whole server (OIDC provider,
// login and account pages, Flex API) over real HTTP on
// http://localhost:PORT (the issuer; the app's origin, RP ID localhost), a
// confidential and a public client, and a relying party using go-oidc and
// x/oauth2.
type harness struct {
	t      testing.TB
	ctx    context.Context
	store  storage.Store
	svc    *ceremony.Service
	clock  *apitest.Clock
	srv    *providertest.Server
	issuer string
	app    storage.App

	confidential storage.Client
	secret       string
	public       storage.Client

	rp       *gooidc.Provider
	verifier *gooidc.IDTokenVerifier
}

func forEachEngine(t *testing.T, fn func(t *testing.T, h *harness)) {
	sqlstoretest.ForEach(t, func(t *testing.T, open func(testing.TB) *sqlstore.Store) {
		fn(t, newHarness(t, open(t)))
	})
}

func newHarness(t testing.TB, st storage.Store) *harness {
	t.Helper()
	return newHarnessWith(t, st, providertest.Options{})
}

// newHarnessWith is newHarness on a server built with opts.
func newHarnessWith(t testing.TB, st storage.Store, opts providertest.Options) *harness {
	t.Helper()
	ctx := t.Context()
	srv := providertest.Start(t, st, opts)
	app, _ := apitest.CreateApp(t, ctx, st, srv.Clock.Now(), "Shop", "localhost", srv.Issuer)
	h := &harness{t: t, ctx: ctx, store: st, svc: srv.Ceremony, clock: srv.Clock, srv: srv, issuer: srv.Issuer, app: app}
	h.secret, _ = storage.NewSecret(storage.PrefixClientSecret)
	h.confidential = h.createClient(storage.AuthMethodBasic, storage.HashSecret(h.secret))
	sealed, err := signing.SealClientSecret(srv.MasterKey, h.confidential.ID, h.secret)
	if err != nil {
		t.Fatal(err)
	}
	h.confidential, err = st.UpdateClient(ctx, h.confidential.ID, func(c storage.Client) (storage.Client, error) {
		c.SecretSealed = sealed
		return c, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	h.public = h.createClient(storage.AuthMethodNone, nil)

	h.rp, err = gooidc.NewProvider(ctx, h.issuer)
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	h.verifier = h.rp.Verifier(&gooidc.Config{ClientID: h.confidential.ID})
	return h
}

func (h *harness) createClient(method string, secretHash []byte) storage.Client {
	h.t.Helper()
	now := h.clock.Now()
	c := storage.Client{
		ID: "client-" + storage.NewID(), AppID: h.app.ID, Name: "RP", SecretHash: secretHash, AuthMethod: method,
		RedirectURIs: []string{rpRedirect}, PostLogoutRedirectURIs: []string{"https://rp.example/bye"},
		AccessTokenType: pboidc.AccessTokenOpaque, CreatedAt: now, UpdatedAt: now,
	}
	if err := h.store.CreateClient(h.ctx, c); err != nil {
		h.t.Fatal(err)
	}
	return c
}

// oauth2Config is the relying party's client configuration.
func (h *harness) oauth2Config(c storage.Client, scopes ...string) *oauth2.Config {
	cfg := &oauth2.Config{ClientID: c.ID, Endpoint: h.rp.Endpoint(), RedirectURL: rpRedirect,
		Scopes: append([]string{gooidc.ScopeOpenID}, scopes...)}
	if c.ID == h.confidential.ID {
		cfg.ClientSecret = h.secret
	}
	return cfg
}

// browser is one browser: a cookie jar, and a passkey provider.
type browser struct {
	*providertest.Browser
	h *harness
}

func (h *harness) newBrowser(opts softauthn.Options) *browser {
	b := &browser{Browser: h.srv.NewBrowser(h.t, h.app, opts), h: h}
	// The browser stops at the relying party's callback.
	b.HTTP.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if req.URL.Host == "rp.example" {
			return http.ErrUseLastResponse
		}
		return nil
	}
	return b
}

// stopAtCallback makes the browser stop before op's callback, as if the
// user closed the tab just then.
func (b *browser) stopAtCallback() {
	b.HTTP.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if req.URL.Host == "rp.example" || req.URL.Path == "/authorize/callback" {
			return http.ErrUseLastResponse
		}
		return nil
	}
}

// register gives the browser's authenticator a passkey of externalID
// (through the Flex client API, as a Flex app would).
func (b *browser) register(externalID string) {
	b.h.t.Helper()
	b.NewPasskey(externalID, "")
}

// get follows redirects from u until the relying party's callback or a
// page, and returns the last response.
func (b *browser) get(u string) *http.Response {
	b.h.t.Helper()
	req, _ := http.NewRequestWithContext(b.h.ctx, http.MethodGet, u, nil)
	res, err := b.HTTP.Do(req)
	if err != nil {
		b.h.t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	res.Body = io.NopCloser(bytes.NewReader(body))
	return res
}

// flow is one sign-in as a relying party starts it.
type flow struct {
	state, nonce, verifier string
	client                 storage.Client
}

// authorizeURL builds the relying party's authorization request, with
// PKCE S256, state and nonce, plus extra parameters.
func (h *harness) authorizeURL(c storage.Client, extra url.Values, scopes ...string) (string, *flow) {
	f := &flow{state: storage.NewID(), nonce: storage.NewID(), verifier: oauth2.GenerateVerifier(), client: c}
	opts := []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(f.verifier), gooidc.Nonce(f.nonce)}
	for k, vs := range extra {
		for _, v := range vs {
			opts = append(opts, oauth2.SetAuthURLParam(k, v))
		}
	}
	return h.oauth2Config(c, scopes...).AuthCodeURL(f.state, opts...), f
}

// result is where a sign-in ended: the relying party's callback (code or
// error), or a page of the provider.
type result struct {
	status   int
	callback url.Values // nil when the browser did not reach the relying party
	page     string
	url      *url.URL
}

func resultOf(res *http.Response) result {
	body, _ := io.ReadAll(res.Body)
	r := result{status: res.StatusCode, page: string(body), url: res.Request.URL}
	if loc, err := res.Location(); err == nil && loc.Host == "rp.example" {
		r.callback = loc.Query()
	}
	return r
}

// authorize starts a sign-in and returns where the browser ended.
func (b *browser) authorize(u string) result { return resultOf(b.get(u)) }

// authRequestID reads the auth request of a login page the browser is on.
func (r result) authRequestID(t testing.TB) string {
	t.Helper()
	id := r.url.Query().Get("auth_request_id")
	if r.url.Path != "/login" || id == "" {
		t.Fatalf("not on the login page: %d %s %s", r.status, r.url, firstLine(r.page))
	}
	return id
}

// ceremonyInfo is GET /login/ceremony.
func (b *browser) ceremonyInfo(id string) (int, map[string]any) {
	res := b.get(b.h.issuer + "/login/ceremony?auth_request_id=" + url.QueryEscape(id))
	var out map[string]any
	_ = json.NewDecoder(res.Body).Decode(&out)
	return res.StatusCode, out
}

// passkey runs the login page's ceremony for auth request id and returns
// the nonce, as the page's script does.
func (b *browser) passkey(id string) string {
	b.h.t.Helper()
	status, info := b.ceremonyInfo(id)
	if status != http.StatusOK {
		b.h.t.Fatalf("login/ceremony: %d %v", status, info)
	}
	tx, _ := info["transaction_id"].(string)
	if info["mode"] == "register" {
		return b.FlexRegister(tx, "")
	}
	return b.FlexAuthenticate(tx)
}

// complete posts the nonce to /login/complete as the page's form does.
func (b *browser) complete(id, nonce string) result {
	b.h.t.Helper()
	form := url.Values{"auth_request_id": {id}, "nonce": {nonce}}
	req, _ := http.NewRequestWithContext(b.h.ctx, http.MethodPost, b.h.issuer+"/login/complete", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := b.HTTP.Do(req)
	if err != nil {
		b.h.t.Fatal(err)
	}
	return resultOf(res)
}

// signIn runs a whole interactive sign-in from u and returns the callback.
func (b *browser) signIn(u string) url.Values {
	b.h.t.Helper()
	r := b.authorize(u)
	id := r.authRequestID(b.h.t)
	done := b.complete(id, b.passkey(id))
	if done.callback == nil {
		b.h.t.Fatalf("sign-in did not reach the relying party: %d %s %s", done.status, done.url, firstLine(done.page))
	}
	return done.callback
}

// tokens is what the relying party got from the token endpoint.
type tokens struct {
	*oauth2.Token
	idToken *gooidc.IDToken
	claims  idClaims
}

type idClaims struct {
	Subject  string   `json:"sub"`
	AuthTime int64    `json:"auth_time"`
	Nonce    string   `json:"nonce"`
	SID      string   `json:"sid"`
	ACR      string   `json:"acr"`
	AMR      []string `json:"amr"`
	Name     string   `json:"name"`
	Username string   `json:"preferred_username"`
}

// exchange redeems the callback's code as the relying party does and
// verifies the ID token with go-oidc (signature, issuer, audience, expiry)
// and the nonce.
func (h *harness) exchange(f *flow, cb url.Values) (*tokens, error) {
	h.t.Helper()
	if cb.Get("state") != f.state {
		h.t.Fatalf("callback state %q, want %q", cb.Get("state"), f.state)
	}
	if e := cb.Get("error"); e != "" {
		h.t.Fatalf("callback error %s: %s", e, cb.Get("error_description"))
	}
	tok, err := h.oauth2Config(f.client).Exchange(h.ctx, cb.Get("code"), oauth2.VerifierOption(f.verifier))
	if err != nil {
		return nil, err
	}
	return h.verify(tok, f.client, f.nonce)
}

func (h *harness) verify(tok *oauth2.Token, c storage.Client, nonce string) (*tokens, error) {
	raw, ok := tok.Extra("id_token").(string)
	if !ok {
		return nil, errors.New("no id_token")
	}
	idt, err := h.rp.Verifier(&gooidc.Config{ClientID: c.ID}).Verify(h.ctx, raw)
	if err != nil {
		return nil, err
	}
	if idt.Nonce != nonce {
		return nil, errors.New("nonce mismatch: " + idt.Nonce)
	}
	out := &tokens{Token: tok, idToken: idt}
	if err := idt.Claims(&out.claims); err != nil {
		return nil, err
	}
	return out, nil
}

func (h *harness) mustExchange(f *flow, cb url.Values) *tokens {
	h.t.Helper()
	tok, err := h.exchange(f, cb)
	if err != nil {
		h.t.Fatalf("token exchange: %v", err)
	}
	return tok
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}

// verifierConfig is the relying party's ID token check for the
// confidential client.
func (h *harness) verifierConfig() *gooidc.Config { return &gooidc.Config{ClientID: h.confidential.ID} }

// kid is the key ID in a JWS's header.
func kid(t testing.TB, raw string) string {
	t.Helper()
	head, _, _ := strings.Cut(raw, ".")
	b, err := base64.RawURLEncoding.DecodeString(head)
	if err != nil {
		t.Fatal(err)
	}
	var h struct {
		KID string `json:"kid"`
	}
	if err := json.Unmarshal(b, &h); err != nil {
		t.Fatal(err)
	}
	return h.KID
}
