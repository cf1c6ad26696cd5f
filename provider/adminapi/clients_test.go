package adminapi_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"

	"github.com/passbridge/passbridge/provider/internal/apitest"
	"github.com/passbridge/passbridge/provider/settings"
	"github.com/passbridge/passbridge/provider/signing"
	"github.com/passbridge/passbridge/storage"
)

// publicJWKS is a key set of one fresh public P-256 key, and the private
// key beside it.
func publicJWKS(t *testing.T, kid string) (json.RawMessage, *ecdsa.PrivateKey) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &k.PublicKey, KeyID: kid, Algorithm: "ES256", Use: "sig"}}})
	if err != nil {
		t.Fatal(err)
	}
	return b, k
}

// wantSecret checks that secret is the client's, as the store keeps it: a
// digest, and a copy sealed with the master key.
func (e *env) wantSecret(t *testing.T, clientID, secret string) {
	t.Helper()
	cl, err := e.st.GetClient(e.ctx, clientID)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(secret, storage.PrefixClientSecret) || !storage.SecretMatches(secret, cl.SecretHash) {
		t.Fatalf("secret %q does not match the stored digest", secret)
	}
	opened, err := signing.OpenClientSecret(e.srv.MasterKey, clientID, cl.SecretSealed)
	if err != nil || opened != secret {
		t.Fatalf("sealed secret opens to %q, %v", opened, err)
	}
}

// OIDC clients are registered, read, changed and deleted as the command
// line does it: the secret shown once and kept as a digest and a sealed
// copy, rotated on demand, gone with a change to a method without one.
func TestClients(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		r := e.do("POST", "/apps/{app}/clients", map[string]any{
			"name": "Shop web", "redirect_uris": []string{"https://shop.example/cb", "https://shop.example/cb"},
			"post_logout_redirect_uris": []string{"https://shop.example/"}, "scopes": []string{"orders:read", ""},
			"access_token_type": "jwt", "id_token_lifetime_seconds": 600, "require_acr": "phrh", "require_uv": true,
		})
		var cl settings.ClientJSON
		ok(t, r, http.StatusCreated, &cl)
		if cl.ClientSecret == "" || cl.AuthMethod != storage.AuthMethodBasic || !slices.Equal(cl.RedirectURIs, []string{"https://shop.example/cb"}) ||
			!slices.Equal(cl.Scopes, []string{"orders:read"}) || cl.AccessTokenType != "jwt" || cl.IDTokenLifetimeSeconds != 600 ||
			cl.RequireACR != "phrh" || !cl.RequireUV || cl.AppID != e.app.ID || string(cl.JWKS) != "null" {
			t.Fatalf("created %s", r.Body)
		}
		if r.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("Cache-Control %q", r.Header.Get("Cache-Control"))
		}
		e.wantSecret(t, cl.ClientID, cl.ClientSecret)
		first := cl.ClientSecret

		var got settings.ClientJSON
		r = e.do("GET", "/apps/{app}/clients/"+cl.ClientID, nil)
		ok(t, r, http.StatusOK, &got)
		if got.ClientSecret != "" || strings.Contains(string(r.Body), `"client_secret"`) || got.Name != "Shop web" {
			t.Fatalf("get %s", r.Body)
		}
		var list page[settings.ClientJSON]
		ok(t, e.do("GET", "/apps/{app}/clients", nil), http.StatusOK, &list)
		if len(list.Items) != 1 || list.Items[0].ClientID != cl.ClientID || list.Items[0].ClientSecret != "" {
			t.Fatalf("list %s", mustJSON(list))
		}

		// A change keeps the secret; rotate_secret issues another, once.
		var updated settings.ClientJSON
		patch := func(body map[string]any) {
			t.Helper()
			updated = settings.ClientJSON{}
			ok(t, e.do("PATCH", "/apps/{app}/clients/"+cl.ClientID, body), http.StatusOK, &updated)
		}
		patch(map[string]any{"name": "Shop", "require_acr": ""})
		if updated.ClientSecret != "" || updated.Name != "Shop" || updated.RequireACR != "" || !updated.RequireUV {
			t.Fatalf("updated %s", mustJSON(updated))
		}
		e.wantSecret(t, cl.ClientID, first)
		patch(map[string]any{"rotate_secret": true})
		if updated.ClientSecret == "" || updated.ClientSecret == first {
			t.Fatalf("rotation gave %q", updated.ClientSecret)
		}
		e.wantSecret(t, cl.ClientID, updated.ClientSecret)

		// private_key_jwt with keys: no secret any more.
		jwks, _ := publicJWKS(t, "k1")
		patch(map[string]any{"auth_method": "private_key_jwt", "jwks": jwks})
		stored, err := e.st.GetClient(e.ctx, cl.ClientID)
		if err != nil {
			t.Fatal(err)
		}
		if updated.ClientSecret != "" || stored.SecretHash != nil || stored.SecretSealed != nil || len(stored.JWKS) == 0 ||
			string(updated.JWKS) == "null" {
			t.Fatalf("private_key_jwt client %s, stored %+v", mustJSON(updated), stored)
		}
		// Back to a secret: a new one is issued.
		patch(map[string]any{"auth_method": "client_secret_post", "jwks": nil})
		if updated.ClientSecret == "" || string(updated.JWKS) != "null" {
			t.Fatalf("back to a secret: %s", mustJSON(updated))
		}
		e.wantSecret(t, cl.ClientID, updated.ClientSecret)

		// A public client has no secret.
		var pub settings.ClientJSON
		ok(t, e.do("POST", "/apps/{app}/clients", map[string]any{"redirect_uris": []string{"http://localhost:5173/cb"}, "public": true}),
			http.StatusCreated, &pub)
		if pub.ClientSecret != "" || pub.AuthMethod != storage.AuthMethodNone {
			t.Fatalf("public client %s", mustJSON(pub))
		}

		ok(t, e.do("DELETE", "/apps/{app}/clients/"+pub.ClientID, nil), http.StatusNoContent, nil)
		if _, err := e.st.GetClient(e.ctx, pub.ClientID); err == nil {
			t.Fatal("deleted client is still there")
		}
		evs := e.wantEvents(0, "client.created", "client.updated", "client.updated", "client.updated", "client.updated",
			"client.created", "client.deleted")
		if evs[2].Detail["secret_issued"] != "true" || evs[2].Detail["changed"] != "rotate_secret" || evs[1].Detail["secret_issued"] != "" {
			t.Fatalf("updates recorded as %+v, %+v", evs[1].Detail, evs[2].Detail)
		}
		for _, ev := range evs {
			if ev.AppID != e.app.ID || ev.Detail["client_id"] == "" {
				t.Fatalf("event %+v", ev)
			}
		}
	})
}

func TestClientRefusals(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		var cl settings.ClientJSON
		ok(t, e.do("POST", "/apps/{app}/clients", map[string]any{"redirect_uris": []string{"https://shop.example/cb"}}), http.StatusCreated, &cl)
		other, _ := apitest.CreateApp(t, e.ctx, e.st, e.srv.Clock.Now(), "Other", testRPID, testOrigin)
		private, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		privateJWKS, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: private, KeyID: "p", Algorithm: "ES256"}}})
		good, _ := publicJWKS(t, "g")
		otherPath := "/apps/" + other.ID + "/clients/" + cl.ClientID
		before := e.snapshot()
		for _, tc := range []struct {
			name   string
			call   call
			status int
			code   string
			says   []string
		}{
			{"every problem at once", call{method: "POST", path: "/apps/{app}/clients", body: map[string]any{
				"name": "a\x01b", "redirect_uris": []string{"http://rp.example.com/cb", "https://ok.example/cb#frag"},
				"auth_method": "magic", "scopes": []string{"a b"}, "access_token_type": "paseto",
				"id_token_lifetime_seconds": 5, "require_acr": "loa3"}}, 400, "invalid_request",
				[]string{`name "a\x01b" contains a control character`, `redirect_uris "http://rp.example.com/cb": must use https`,
					"must not have a fragment", `auth_method "magic"`, `scopes "a b"`, `access_token_type "paseto"`,
					"id_token_lifetime_seconds 5s", `require_acr "loa3"`}},
			{"no redirect URI", call{method: "POST", path: "/apps/{app}/clients", body: map[string]any{"name": "x"}}, 400, "invalid_request",
				[]string{"at least one redirect_uris is required"}},
			{"private key", call{method: "POST", path: "/apps/{app}/clients", body: map[string]any{
				"redirect_uris": []string{"https://a.example/cb"}, "auth_method": "private_key_jwt", "jwks": json.RawMessage(privateJWKS)}},
				400, "invalid_request", []string{`jwks: key "p" is a private key`}},
			{"keys not a key set", call{method: "POST", path: "/apps/{app}/clients", body: map[string]any{
				"redirect_uris": []string{"https://a.example/cb"}, "jwks": []int{1}}}, 400, "invalid_request", []string{"jwks: not a JSON Web Key Set"}},
			{"both key sources", call{method: "POST", path: "/apps/{app}/clients", body: map[string]any{
				"redirect_uris": []string{"https://a.example/cb"}, "jwks": good, "jwks_uri": "https://a.example/jwks"}}, 400, "invalid_request",
				[]string{"give jwks or jwks_uri, not both"}},
			{"private_key_jwt without keys", call{method: "POST", path: "/apps/{app}/clients", body: map[string]any{
				"redirect_uris": []string{"https://a.example/cb"}, "auth_method": "private_key_jwt"}}, 400, "invalid_request",
				[]string{"needs the client's public keys"}},
			{"public contradicts method", call{method: "POST", path: "/apps/{app}/clients", body: map[string]any{
				"redirect_uris": []string{"https://a.example/cb"}, "public": true, "auth_method": "client_secret_basic"}}, 400, "invalid_request",
				[]string{"public=true contradicts auth_method"}},
			{"rotate_secret on create", call{method: "POST", path: "/apps/{app}/clients", body: map[string]any{
				"redirect_uris": []string{"https://a.example/cb"}, "rotate_secret": true}}, 400, "invalid_request", []string{"field rotate_secret"}},
			{"update with nothing", call{method: "PATCH", path: "/apps/{app}/clients/" + cl.ClientID, body: map[string]any{}}, 400, "invalid_request",
				[]string{"nothing to update"}},
			{"update to no redirect URI", call{method: "PATCH", path: "/apps/{app}/clients/" + cl.ClientID, body: map[string]any{
				"redirect_uris": []string{}}}, 400, "invalid_request", []string{"at least one redirect_uris"}},
			{"rotate a public secret", call{method: "PATCH", path: "/apps/{app}/clients/" + cl.ClientID, body: map[string]any{
				"public": true, "rotate_secret": true}}, 400, "invalid_request", []string{"rotate_secret: a client with auth method none has no secret"}},
			{"lifetime that overflows", call{method: "PATCH", path: "/apps/{app}/clients/" + cl.ClientID, body: map[string]any{
				"refresh_token_lifetime_seconds": int64(1) << 62}}, 400, "invalid_request", []string{"refresh_token_lifetime_seconds"}},
			{"get unknown", call{method: "GET", path: "/apps/{app}/clients/nope"}, 404, "client_not_found", nil},
			{"get through another app", call{method: "GET", path: otherPath}, 404, "client_not_found", nil},
			{"update through another app", call{method: "PATCH", path: otherPath, body: map[string]any{"name": "x"}}, 404, "client_not_found", nil},
			{"delete through another app", call{method: "DELETE", path: otherPath}, 404, "client_not_found", nil},
			{"delete unknown", call{method: "DELETE", path: "/apps/{app}/clients/nope"}, 404, "client_not_found", nil},
			{"unknown app", call{method: "GET", path: "/apps/nope/clients"}, 404, "app_not_found", nil},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := e.sendT(t, tc.call)
				apitest.WantError(t, r, tc.status, tc.code)
				says(t, r, tc.says...)
			})
		}
		e.unchanged(t, before)
	})
}
