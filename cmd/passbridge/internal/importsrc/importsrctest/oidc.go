package importsrctest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/passbridge/passbridge/ceremony/softauthn"
	"github.com/passbridge/passbridge/provider/providertest"
	"github.com/passbridge/passbridge/storage"
)

// rpRedirect is the redirect URI of the relying party OIDCSignIn plays.
const rpRedirect = "https://rp.example/callback"

// OIDCSignIn signs in with a at the app's OpenID provider as a relying
// party sends a browser there: authorization code with PKCE, the login
// page's passkey ceremony (discoverable), the code exchanged, and the ID
// token verified with go-oidc. It returns the token's subject.
func (tg *Target) OIDCSignIn(t testing.TB, a *softauthn.Authenticator) string {
	t.Helper()
	ctx := t.Context()
	st := tg.Server.Store
	now := time.Now().UTC()
	client := storage.Client{ID: "client-" + storage.NewID(), AppID: tg.App.ID, Name: "RP", AuthMethod: storage.AuthMethodNone,
		RedirectURIs: []string{rpRedirect}, AccessTokenType: "bearer", CreatedAt: now, UpdatedAt: now}
	if err := st.CreateClient(ctx, client); err != nil {
		t.Fatal(err)
	}
	provider, err := gooidc.NewProvider(ctx, tg.Server.Issuer)
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	cfg := &oauth2.Config{ClientID: client.ID, Endpoint: provider.Endpoint(), RedirectURL: rpRedirect, Scopes: []string{gooidc.ScopeOpenID}}
	state, nonce, verifier := storage.NewID(), storage.NewID(), oauth2.GenerateVerifier()

	b := tg.Server.NewBrowser(t, tg.App, softauthn.Options{})
	b.Auth = a
	b.HTTP.CheckRedirect = func(req *http.Request, _ []*http.Request) error {
		if req.URL.Host == "rp.example" {
			return http.ErrUseLastResponse
		}
		return nil
	}
	get := func(u string) *http.Response {
		res, err := b.HTTP.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return res
	}
	// The relying party sends the browser to /authorize; it lands on the
	// login page.
	res := get(cfg.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier), gooidc.Nonce(nonce)))
	id := res.Request.URL.Query().Get("auth_request_id")
	if res.Request.URL.Path != "/login" || id == "" {
		t.Fatalf("not on the login page: %d %s", res.StatusCode, res.Request.URL)
	}
	// The page's script: the ceremony, then the nonce to /login/complete.
	info := b.Do(providertest.Request{Method: http.MethodGet, Path: "/login/ceremony?auth_request_id=" + url.QueryEscape(id)})
	var ceremony struct {
		TransactionID string `json:"transaction_id"`
	}
	if err := json.Unmarshal(info.Body, &ceremony); err != nil || info.Status != http.StatusOK {
		t.Fatalf("login/ceremony: %d %s", info.Status, info.Body)
	}
	loginNonce := b.FlexAuthenticate(ceremony.TransactionID)
	form := url.Values{"auth_request_id": {id}, "nonce": {loginNonce}}
	res, err = b.HTTP.Post(tg.Server.Issuer+"/login/complete", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	loc, err := res.Location()
	if err != nil || loc.Host != "rp.example" || loc.Query().Get("state") != state || loc.Query().Get("code") == "" {
		t.Fatalf("the sign-in did not reach the relying party with a code: %d %v", res.StatusCode, loc)
	}
	tok, err := cfg.Exchange(ctx, loc.Query().Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("code exchange: %v", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	idt, err := provider.Verifier(&gooidc.Config{ClientID: client.ID}).Verify(ctx, raw)
	if err != nil {
		t.Fatalf("ID token: %v", err)
	}
	if idt.Nonce != nonce {
		t.Fatalf("ID token nonce %q, want %q", idt.Nonce, nonce)
	}
	return idt.Subject
}
