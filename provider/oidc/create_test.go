package oidc_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/passbridge/passbridge/ceremony/softauthn"
	"github.com/passbridge/passbridge/storage"
)

// requestObject signs an authorization request's parameters as the client
// does (RFC 9101).
func (h *harness) requestObject(key jose.SigningKey, claims map[string]any) string {
	h.t.Helper()
	signer, err := jose.NewSigner(key, (&jose.SignerOptions{}).WithType("oauth-authz-req+jwt"))
	if err != nil {
		h.t.Fatal(err)
	}
	payload, _ := json.Marshal(claims)
	jws, err := signer.Sign(payload)
	if err != nil {
		h.t.Fatal(err)
	}
	out, err := jws.CompactSerialize()
	if err != nil {
		h.t.Fatal(err)
	}
	return out
}

// enrolClaims are a request object's claims asking to add a passkey for
// externalID, signed by the confidential client.
func (h *harness) enrolClaims(externalID string) map[string]any {
	now := h.clock.Now()
	return map[string]any{
		"iss": h.confidential.ID, "aud": h.issuer, "client_id": h.confidential.ID, "jti": storage.NewID(),
		"iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(),
		"login_hint": externalID, "prompt": "create",
	}
}

func (h *harness) hs256() jose.SigningKey {
	return jose.SigningKey{Algorithm: jose.HS256, Key: []byte(h.secret)}
}

func (h *harness) userDevices(externalID string) []storage.Device {
	h.t.Helper()
	d, err := h.store.ListDevices(h.ctx, h.app.ID, mustUserID(h.t, h, externalID))
	if err != nil {
		h.t.Fatal(err)
	}
	return d
}

// prompt=create with a request object the client signed (HS256, with its
// secret) carrying login_hint adds a passkey to that existing user (passkey
// MFA for an existing SSO); the ID token is that user's.
func TestEnrolExistingUserWithSignedRequest(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		old := h.newBrowser(softauthn.Options{BackupEligible: true})
		old.register("liz")
		b := h.newBrowser(softauthn.Options{}) // a new security key
		obj := h.requestObject(h.hs256(), h.enrolClaims("liz"))
		u, f := h.authorizeURL(h.confidential, url.Values{"request": {obj}})
		r := b.authorize(u)
		id := r.authRequestID(t)
		if status, info := b.ceremonyInfo(id); status != http.StatusOK || info["mode"] != "register" || info["transaction_id"] == nil {
			t.Fatalf("ceremony for prompt=create: %d %v", status, info)
		}
		done := b.complete(id, b.passkey(id))
		c := h.mustExchange(f, done.callback).claims
		if c.Subject != "liz" || c.ACR != "phrh" {
			t.Fatalf("claims after enrolment %+v", c)
		}
		if n := len(h.userDevices("liz")); n != 2 {
			t.Fatalf("liz has %d passkeys, want 2", n)
		}
		// The same request object again: refused before anything happens.
		res := h.newBrowser(softauthn.Options{}).get(u)
		if res.StatusCode != http.StatusBadRequest || res.Header.Get("Location") != "" {
			t.Fatalf("replayed request object: %d %s", res.StatusCode, res.Header.Get("Location"))
		}
	})
}

// A bare login_hint never enrols an existing user; without the app's
// sign-up, prompt=create cannot make a new one either.
func TestEnrolRefused(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		old := h.newBrowser(softauthn.Options{BackupEligible: true})
		old.register("max")
		b := h.newBrowser(softauthn.Options{})
		for name, q := range map[string]url.Values{
			"bare login_hint of an existing user": {"prompt": {"create"}, "login_hint": {"max"}},
			"new user without sign-up":            {"prompt": {"create"}, "login_hint": {"nobody"}},
			"no user without sign-up":             {"prompt": {"create"}},
		} {
			u, f := h.authorizeURL(h.confidential, q)
			r := b.authorize(u)
			if r.callback == nil || r.callback.Get("state") != f.state ||
				(r.callback.Get("error") != "invalid_request" && r.callback.Get("error") != "access_denied") {
				t.Errorf("%s: %d %s %v", name, r.status, r.url, r.callback)
			}
		}
		if n := len(h.userDevices("max")); n != 1 {
			t.Fatalf("max has %d passkeys, want 1", n)
		}
		// A request object that does not verify is refused outright.
		bad := map[string]func(map[string]any){
			"expired":          func(c map[string]any) { c["exp"] = h.clock.Now().Add(-time.Minute).Unix() },
			"too long-lived":   func(c map[string]any) { c["exp"] = h.clock.Now().Add(time.Hour).Unix() },
			"another audience": func(c map[string]any) { c["aud"] = "https://other.example" },
			"another issuer":   func(c map[string]any) { c["iss"] = h.public.ID },
			"no jti":           func(c map[string]any) { delete(c, "jti") },
		}
		for name, spoil := range bad {
			claims := h.enrolClaims("max")
			spoil(claims)
			u, _ := h.authorizeURL(h.confidential, url.Values{"request": {h.requestObject(h.hs256(), claims)}})
			if res := b.get(u); res.StatusCode != http.StatusBadRequest || res.Header.Get("Location") != "" {
				t.Errorf("request object %s: %d %s", name, res.StatusCode, res.Header.Get("Location"))
			}
		}
		wrongKey := jose.SigningKey{Algorithm: jose.HS256, Key: []byte("pbs_not-the-secret-of-this-client-at-all")}
		u, _ := h.authorizeURL(h.confidential, url.Values{"request": {h.requestObject(wrongKey, h.enrolClaims("max"))}})
		if res := b.get(u); res.StatusCode != http.StatusBadRequest {
			t.Errorf("request object signed with another key: %d", res.StatusCode)
		}
		if n := len(h.userDevices("max")); n != 1 {
			t.Fatalf("max has %d passkeys after the refusals, want 1", n)
		}
	})
}

// Open sign-up: prompt=create without a user registers a new one, whose
// external ID the provider makes. A login_hint anyone could have written
// never takes an external ID, even for a user that does not exist yet: a
// stranger would own the account the relying party later enrols its own
// user into. A signed one does.
func TestSignUp(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		if _, err := h.store.UpdateApp(h.ctx, h.app.ID, func(a storage.App) (storage.App, error) {
			a.AllowSignup = true
			return a, nil
		}); err != nil {
			t.Fatal(err)
		}
		b := h.newBrowser(softauthn.Options{BackupEligible: true})
		u, f := h.authorizeURL(h.confidential, url.Values{"prompt": {"create"}})
		c := h.mustExchange(f, b.signIn(u)).claims
		if len(c.Subject) < 10 || c.Subject[:3] != "pb_" {
			t.Fatalf("new user's sub %q", c.Subject)
		}

		squatter := h.newBrowser(softauthn.Options{BackupEligible: true})
		u, f = h.authorizeURL(h.confidential, url.Values{"prompt": {"create"}, "login_hint": {"bob"}})
		if r := squatter.authorize(u); r.callback.Get("error") != "invalid_request" || r.callback.Get("state") != f.state {
			t.Fatalf("unsigned login_hint of a new user with open sign-up: %d %v", r.status, r.callback)
		}
		if _, err := h.store.GetUserByExternalID(h.ctx, h.app.ID, "bob"); !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("user bob after the refused sign-up: %v", err)
		}

		u, f = h.authorizeURL(h.confidential, url.Values{"request": {h.requestObject(h.hs256(), h.enrolClaims("bob"))}})
		if c := h.mustExchange(f, b.signIn(u)).claims; c.Subject != "bob" {
			t.Fatalf("sub %q, want bob", c.Subject)
		}
	})
}

// A request object signed with a key the client registered (ES256 here).
func TestRequestObjectRegisteredKey(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		priv, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		jwks, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &priv.PublicKey, KeyID: "k1", Algorithm: "ES256", Use: "sig"}}})
		if _, err := h.store.UpdateClient(h.ctx, h.confidential.ID, func(c storage.Client) (storage.Client, error) {
			c.JWKS = jwks
			return c, nil
		}); err != nil {
			t.Fatal(err)
		}
		old := h.newBrowser(softauthn.Options{BackupEligible: true})
		old.register("nina")
		key := jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: priv, KeyID: "k1"}}
		u, f := h.authorizeURL(h.confidential, url.Values{"request": {h.requestObject(key, h.enrolClaims("nina"))}})
		b := h.newBrowser(softauthn.Options{})
		if c := h.mustExchange(f, b.signIn(u)).claims; c.Subject != "nina" {
			t.Fatalf("sub %q, want nina", c.Subject)
		}
	})
}

// What the client vouches for is what it signed: a login_hint (or prompt)
// added in the query beside a request object that has none enrols nobody.
func TestQueryBesideSignedRequestEnrolsNobody(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		victim := h.newBrowser(softauthn.Options{BackupEligible: true})
		victim.register("victim")
		claims := h.enrolClaims("")
		delete(claims, "login_hint")
		delete(claims, "prompt")
		attacker := h.newBrowser(softauthn.Options{})
		u, f := h.authorizeURL(h.confidential, url.Values{"request": {h.requestObject(h.hs256(), claims)},
			"login_hint": {"victim"}, "prompt": {"create"}})
		r := attacker.authorize(u)
		if r.callback == nil || r.callback.Get("error") != "invalid_request" || r.callback.Get("state") != f.state {
			t.Fatalf("query login_hint beside a request object without one: %d %s %v", r.status, r.url, r.callback)
		}
		// Signed login_hint without a signed prompt=create: no enrolment.
		claims = h.enrolClaims("victim")
		delete(claims, "prompt")
		u, _ = h.authorizeURL(h.confidential, url.Values{"request": {h.requestObject(h.hs256(), claims)}, "prompt": {"create"}})
		if r := attacker.authorize(u); r.callback == nil || r.callback.Get("error") != "invalid_request" {
			t.Fatalf("query prompt=create beside a signed login_hint: %d %s %v", r.status, r.url, r.callback)
		}
		if n := len(h.userDevices("victim")); n != 1 {
			t.Fatalf("victim has %d passkeys, want 1", n)
		}
	})
}
