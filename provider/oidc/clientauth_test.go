package oidc_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"golang.org/x/oauth2"

	"github.com/passbridge/passbridge/ceremony/softauthn"
	"github.com/passbridge/passbridge/provider/providertest"
	"github.com/passbridge/passbridge/storage"
	"github.com/passbridge/passbridge/storage/sqlstore"
	"github.com/passbridge/passbridge/storage/sqlstore/sqlstoretest"
)

// private_key_jwt (RFC 7523 §2.2): the client authenticates at the token
// endpoint with a JWT signed by a key it registered, inline or by URL.
func TestPrivateKeyJWT(t *testing.T) {
	priv, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	jwks, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &priv.PublicKey, KeyID: "rp-1", Algorithm: "ES256", Use: "sig"}}})
	keysSrv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(jwks)
	}))
	t.Cleanup(keysSrv.Close)

	for name, register := range map[string]func(c *storage.Client){
		"inline JWKS": func(c *storage.Client) { c.JWKS = jwks },
		"jwks_uri":    func(c *storage.Client) { c.JWKSURI = keysSrv.URL + "/jwks.json" },
	} {
		t.Run(name, func(t *testing.T) {
			sqlstoretest.ForEach(t, func(t *testing.T, open func(testing.TB) *sqlstore.Store) {
				h := newHarnessWith(t, open(t), providertest.Options{HTTPClient: keysSrv.Client()})
				c := h.createClient(storage.AuthMethodPrivateKeyJWT, nil)
				c, err := h.store.UpdateClient(h.ctx, c.ID, func(c storage.Client) (storage.Client, error) {
					register(&c)
					return c, nil
				})
				if err != nil {
					t.Fatal(err)
				}
				b := h.newBrowser(softauthn.Options{BackupEligible: true})
				b.register("tom")
				u, f := h.authorizeURL(c, nil)
				cb := b.signIn(u)

				redeem := func(assertion string) (int, map[string]any) {
					return h.postForm("/oauth/token", url.Values{"grant_type": {"authorization_code"}, "code": {cb.Get("code")},
						"redirect_uri": {rpRedirect}, "code_verifier": {f.verifier}, "client_id": {c.ID},
						"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
						"client_assertion":      {assertion}}, false)
				}
				// Signed by another key: refused.
				other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
				if status, out := redeem(h.clientAssertion(c.ID, other, "rp-1")); status != http.StatusUnauthorized && status != http.StatusBadRequest {
					t.Fatalf("assertion signed by another key: %d %v", status, out)
				}
				status, out := redeem(h.clientAssertion(c.ID, priv, "rp-1"))
				if status != http.StatusOK {
					t.Fatalf("private_key_jwt: %d %v", status, out)
				}
				tok := (&oauth2.Token{AccessToken: out["access_token"].(string)}).WithExtra(out)
				if got, err := h.verify(tok, c, f.nonce); err != nil || got.claims.Subject != "tom" {
					t.Fatalf("ID token: %+v %v", got, err)
				}
			})
		})
	}
}

// clientAssertion is an RFC 7523 client assertion for the token endpoint.
func (h *harness) clientAssertion(clientID string, key *ecdsa.PrivateKey, kid string) string {
	h.t.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: key, KeyID: kid}}, nil)
	if err != nil {
		h.t.Fatal(err)
	}
	now := time.Now()
	claims, _ := json.Marshal(map[string]any{"iss": clientID, "sub": clientID, "aud": []string{h.issuer, h.issuer + "/oauth/token"},
		"jti": storage.NewID(), "iat": now.Unix(), "exp": now.Add(time.Minute).Unix()})
	jws, err := signer.Sign(claims)
	if err != nil {
		h.t.Fatal(err)
	}
	out, _ := jws.CompactSerialize()
	return strings.TrimSpace(out)
}
