package oidc_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"github.com/go-jose/go-jose/v4"

	"github.com/passbridge/passbridge/ceremony/softauthn"
	pboidc "github.com/passbridge/passbridge/provider/oidc"
	"github.com/passbridge/passbridge/storage"
	"github.com/passbridge/passbridge/storage/sqlstore"
	"github.com/passbridge/passbridge/storage/sqlstore/sqlstoretest"
)

// entraRedirect is Entra's reply URL for external authentication methods.
const entraRedirect = "https://login.microsoftonline.com/common/federation/externalauthprovider"

// entraClaims is the claims parameter Entra sends.
const entraClaims = `{"id_token":{"acr":{"essential":true,"values":["possessionorinherence"]},` +
	`"amr":{"essential":true,"values":["face","fido","fpt","hwk","iris","otp","pop","retina","sc","sms","swk","tel","vbm"]}}}`

const (
	entraTenant = "aaaabbbb-0000-cccc-1111-dddd2222eeee"
	entraApp    = "00001111-aaaa-2222-bbbb-3333cccc4444"
)

// entra is a stand-in for Microsoft Entra ID: an RSA key whose JWKS it
// serves on loopback, signing id_token_hints as the reference's example.
type entra struct {
	key    *rsa.PrivateKey
	kid    string
	issuer string
	keys   *httptest.Server
}

func newEntra(t testing.TB) *entra {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	e := &entra{key: key, kid: "C2dE3fH4iJ5kL6mN7oP8qR9sT0uV1w", issuer: "https://login.microsoftonline.com/" + entraTenant + "/v2.0"}
	e.keys = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
			{Key: &e.key.PublicKey, KeyID: e.kid, Use: "sig"}}})
	}))
	t.Cleanup(e.keys.Close)
	return e
}

// hint signs claims (over the reference's example) with key, as kid.
func (e *entra) hintWith(t testing.TB, key *rsa.PrivateKey, kid string, claims map[string]any) string {
	t.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", kid))
	if err != nil {
		t.Fatal(err)
	}
	payload, _ := json.Marshal(claims)
	jws, err := signer.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := jws.CompactSerialize()
	return raw
}

// hintClaims are the claims of a hint for user oid issued at iat: already
// expired, as Entra issues them.
func (e *entra) hintClaims(oid string, iat time.Time) map[string]any {
	return map[string]any{
		"ver": "2.0", "iss": e.issuer, "sub": "pairwise-" + oid, "aud": entraApp,
		"exp": iat.Unix() - 1, "iat": iat.Unix(), "nbf": iat.Unix(), "name": "Test User 2",
		"preferred_username": "testuser2@contoso.com", "oid": oid, "tid": entraTenant,
	}
}

// createEAMClient registers the external authentication method client.
func (h *harness) createEAMClient(e *entra, enrol bool) storage.Client {
	h.t.Helper()
	now := h.clock.Now()
	c := storage.Client{
		ID: "client-" + storage.NewID(), AppID: h.app.ID, Name: "Entra", AuthMethod: storage.AuthMethodNone,
		RedirectURIs: []string{entraRedirect}, AccessTokenType: pboidc.AccessTokenOpaque, Implicit: true,
		HintIssuer: e.issuer, HintJWKSURI: e.keys.URL, HintAudience: entraApp, HintTenant: entraTenant,
		HintUserClaim: "oid", HintEnrol: enrol, CreatedAt: now, UpdatedAt: now,
	}
	if err := h.store.CreateClient(h.ctx, c); err != nil {
		h.t.Fatal(err)
	}
	return c
}

// eamForm is the request Entra posts for user oid's hint.
func eamForm(c storage.Client, hint string) url.Values {
	return url.Values{"scope": {"openid"}, "response_type": {"id_token"}, "response_mode": {"form_post"},
		"client_id": {c.ID}, "redirect_uri": {entraRedirect}, "nonce": {storage.NewID()}, "state": {storage.NewID()},
		"id_token_hint": {hint}, "claims": {entraClaims}, "client-request-id": {"0000aaaa-11bb-cccc-dd22-eeeeee333333"}}
}

// post sends form to /authorize as Entra's page does (a POST), and follows
// redirects to the page the browser ends on.
func (b *browser) post(form url.Values) result {
	b.h.t.Helper()
	req, _ := http.NewRequestWithContext(b.h.ctx, http.MethodPost, b.h.issuer+"/authorize", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := b.HTTP.Do(req)
	if err != nil {
		b.h.t.Fatal(err)
	}
	return resultOf(res)
}

// posted is the answer a form_post page carries.
type posted struct {
	action string
	params url.Values
}

var (
	formAction = regexp.MustCompile(`<form method="post" action="([^"]*)"`)
	formInput  = regexp.MustCompile(`<input type="hidden" name="([^"]*)" value="([^"]*)">`)
)

// formPost reads the form_post page r ended on, or fails.
func formPost(t testing.TB, r result) posted {
	t.Helper()
	m := formAction.FindStringSubmatch(r.page)
	if r.status != http.StatusOK || m == nil {
		t.Fatalf("not a form_post page: %d %s %s", r.status, r.url, firstLine(r.page))
	}
	p := posted{action: unescape(m[1]), params: url.Values{}}
	for _, in := range formInput.FindAllStringSubmatch(r.page, -1) {
		p.params.Add(unescape(in[1]), unescape(in[2]))
	}
	return p
}

func unescape(s string) string {
	return strings.NewReplacer("&amp;", "&", "&#43;", "+", "&#34;", `"`, "&#39;", "'", "&lt;", "<", "&gt;", ">").Replace(s)
}

// eamClaims are the ID token claims Entra reads.
type eamClaims struct {
	Subject string   `json:"sub"`
	Nonce   string   `json:"nonce"`
	ACR     string   `json:"acr"`
	AMR     []string `json:"amr"`
}

// verifyEAM checks a successful answer as Entra does: posted to the
// redirect URI with the state, the ID token signed RS256 by a key of our
// JWKS, for the client, with the nonce, the hint's sub, one acr of those
// requested and one amr.
func (h *harness) verifyEAM(t testing.TB, p posted, c storage.Client, form url.Values, wantSub string) eamClaims {
	t.Helper()
	if p.action != entraRedirect || p.params.Get("state") != form.Get("state") {
		t.Fatalf("posted to %s with state %q, want %s and %q", p.action, p.params.Get("state"), entraRedirect, form.Get("state"))
	}
	if e := p.params.Get("error"); e != "" {
		t.Fatalf("posted error %s: %s", e, p.params.Get("error_description"))
	}
	idt, err := h.rp.Verifier(&gooidc.Config{ClientID: c.ID, SupportedSigningAlgs: []string{"RS256"}}).Verify(h.ctx, p.params.Get("id_token"))
	if err != nil {
		t.Fatalf("ID token: %v", err)
	}
	var got eamClaims
	if err := idt.Claims(&got); err != nil {
		t.Fatal(err)
	}
	if got.Subject != wantSub || got.Nonce != form.Get("nonce") || got.ACR != "possessionorinherence" ||
		len(got.AMR) != 1 || got.AMR[0] != "fido" {
		t.Fatalf("ID token claims %+v; want sub %q, the request's nonce, acr possessionorinherence, amr [fido]", got, wantSub)
	}
	return got
}

// counting is a store that counts the auth requests it stored.
type counting struct {
	storage.Store
	created atomic.Int32
}

func (c *counting) CreateAuthRequest(ctx context.Context, r storage.AuthRequest) error {
	err := c.Store.CreateAuthRequest(ctx, r)
	if err == nil {
		c.created.Add(1)
	}
	return err
}

func (c *counting) CreateHintedAuthRequest(ctx context.Context, r storage.AuthRequest, h storage.AuthRequestHint) error {
	err := c.Store.CreateHintedAuthRequest(ctx, r, h)
	if err == nil {
		c.created.Add(1)
	}
	return err
}

func forEachEngineCounting(t *testing.T, fn func(t *testing.T, h *harness, st *counting)) {
	sqlstoretest.ForEach(t, func(t *testing.T, open func(testing.TB) *sqlstore.Store) {
		st := &counting{Store: open(t)}
		fn(t, newHarness(t, st), st)
	})
}

// TestEAMSignIn: Entra's request (a POST, Entra's hint, its claims) ends in
// a posted ID token for the hint's sub, after a ceremony of the user the
// hint names, once; a later request of the same browser, whose session is
// that user's, needs a ceremony again.
func TestEAMSignIn(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		e := newEntra(t)
		c := h.createEAMClient(e, false)
		b := h.newBrowser(softauthn.Options{})
		b.register("oid-alice")

		form := eamForm(c, e.hintWith(t, e.key, e.kid, e.hintClaims("oid-alice", h.clock.Now())))
		r := b.post(form)
		id := r.authRequestID(t)
		done := b.complete(id, b.passkey(id))
		h.verifyEAM(t, formPost(t, done), c, form, "pairwise-oid-alice")
		// The answer is given once: the callback opened again posts an
		// error, not a second token.
		if p := formPost(t, resultOf(b.get(done.url.String()))); p.params.Has("id_token") || p.params.Get("error") != "invalid_request" {
			t.Fatalf("the callback again posted %v; want invalid_request and no token", p.params)
		}

		again := eamForm(c, e.hintWith(t, e.key, e.kid, e.hintClaims("oid-alice", h.clock.Now())))
		r = b.post(again)
		id = r.authRequestID(t) // on the login page: no answer from the session
		status, info := b.ceremonyInfo(id)
		if status != http.StatusOK || info["mode"] != "authenticate" || info["transaction_id"] == nil {
			t.Fatalf("ceremony of the second request: %d %v; want an authentication bound to the hint's user", status, info)
		}
		h.verifyEAM(t, formPost(t, b.complete(id, b.passkey(id))), c, again, "pairwise-oid-alice")
	})
}

// TestEAMOtherUsersSession: a browser signed in as another user (through
// the code flow) does not satisfy the hint's user, and cannot complete the
// request with that user's passkey.
func TestEAMOtherUsersSession(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		e := newEntra(t)
		c := h.createEAMClient(e, false)
		b := h.newBrowser(softauthn.Options{})
		b.register("oid-bob")
		b.register("oid-alice")
		u, _ := h.authorizeURL(h.confidential, url.Values{"login_hint": {"oid-bob"}})
		b.signIn(u)

		r := b.post(eamForm(c, e.hintWith(t, e.key, e.kid, e.hintClaims("oid-alice", h.clock.Now()))))
		id := r.authRequestID(t)
		tx, err := h.svc.CreateAuthenticateTransaction(h.ctx, h.app, "oid-bob")
		if err != nil {
			t.Fatal(err)
		}
		nonce := b.FlexAuthenticate(tx.ID)
		done := b.complete(id, nonce)
		if strings.Contains(done.page, "id_token") {
			t.Fatalf("bob's passkey completed alice's request: %s", firstLine(done.page))
		}
	})
}

// TestEAMEnrol: with hint_enrol, a hinted user without an account
// registers a passkey on first use, and signs in with it the next time.
func TestEAMEnrol(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		e := newEntra(t)
		c := h.createEAMClient(e, true)
		b := h.newBrowser(softauthn.Options{})

		form := eamForm(c, e.hintWith(t, e.key, e.kid, e.hintClaims("oid-new", h.clock.Now())))
		r := b.post(form)
		id := r.authRequestID(t)
		if _, info := b.ceremonyInfo(id); info["mode"] != "register" {
			t.Fatalf("first use: ceremony %v, want a registration", info)
		}
		h.verifyEAM(t, formPost(t, b.complete(id, b.passkey(id))), c, form, "pairwise-oid-new")

		again := eamForm(c, e.hintWith(t, e.key, e.kid, e.hintClaims("oid-new", h.clock.Now())))
		r = b.post(again)
		id = r.authRequestID(t)
		if _, info := b.ceremonyInfo(id); info["mode"] != "authenticate" {
			t.Fatalf("second use: ceremony %v, want an authentication", info)
		}
		h.verifyEAM(t, formPost(t, b.complete(id, b.passkey(id))), c, again, "pairwise-oid-new")
	})
}

// TestEAMRefusals: every request that cannot be answered gets the error
// posted back to Entra with its state, stores nothing and issues no token.
// A user unknown here, or without a passkey, is refused by a client
// without hint_enrol.
func TestEAMRefusals(t *testing.T) {
	forEachEngineCounting(t, func(t *testing.T, h *harness, st *counting) {
		e := newEntra(t)
		// The hint's checks are made for a client that enrols too: with
		// one, nothing behind them refuses a hint naming nobody.
		c := h.createEAMClient(e, true)
		strict := h.createEAMClient(e, false)
		b := h.newBrowser(softauthn.Options{})
		b.register("oid-alice")
		// A user with an account but no passkey.
		bare := h.newBrowser(softauthn.Options{})
		bare.register("oid-bare")
		user, err := h.store.GetUserByExternalID(h.ctx, h.app.ID, "oid-bare")
		if err != nil {
			t.Fatal(err)
		}
		devices, _ := h.store.ListDevices(h.ctx, h.app.ID, user.ID)
		for _, d := range devices {
			if err := h.store.DeleteDevice(h.ctx, h.app.ID, d.ID); err != nil {
				t.Fatal(err)
			}
		}
		other, _ := rsa.GenerateKey(rand.Reader, 2048)
		now := h.clock.Now()
		claims := func(edit func(map[string]any)) map[string]any {
			m := e.hintClaims("oid-alice", now)
			edit(m)
			return m
		}
		signed := func(edit func(map[string]any)) string { return e.hintWith(t, e.key, e.kid, claims(edit)) }
		same := func(map[string]any) {}
		for _, tc := range []struct {
			name string
			form func() url.Values
			code string
		}{
			{"BadSignature", func() url.Values { return eamForm(c, e.hintWith(t, other, e.kid, claims(same))) }, "access_denied"},
			{"UnknownKid", func() url.Values { return eamForm(c, e.hintWith(t, e.key, "unknown", claims(same))) }, "access_denied"},
			{"WrongIssuer", func() url.Values {
				return eamForm(c, signed(func(m map[string]any) { m["iss"] = "https://login.microsoftonline.com/other/v2.0" }))
			}, "access_denied"},
			{"WrongAudience", func() url.Values { return eamForm(c, signed(func(m map[string]any) { m["aud"] = "another-app" })) }, "access_denied"},
			{"WrongTenant", func() url.Values { return eamForm(c, signed(func(m map[string]any) { m["tid"] = "another-tenant" })) }, "access_denied"},
			{"TooOld", func() url.Values {
				return eamForm(c, signed(func(m map[string]any) { m["iat"] = now.Add(-11 * time.Minute).Unix() }))
			}, "access_denied"},
			{"IssuedInTheFuture", func() url.Values {
				return eamForm(c, signed(func(m map[string]any) { m["iat"] = now.Add(6 * time.Minute).Unix() }))
			}, "access_denied"},
			{"NoUserClaim", func() url.Values { return eamForm(c, signed(func(m map[string]any) { delete(m, "oid") })) }, "access_denied"},
			{"NoSub", func() url.Values { return eamForm(c, signed(func(m map[string]any) { delete(m, "sub") })) }, "access_denied"},
			{"NoHint", func() url.Values { f := eamForm(c, ""); f.Del("id_token_hint"); return f }, "access_denied"},
			{"UnknownUser", func() url.Values {
				return eamForm(strict, signed(func(m map[string]any) { m["oid"] = "oid-nobody" }))
			}, "access_denied"},
			{"UserWithoutPasskey", func() url.Values {
				return eamForm(strict, signed(func(m map[string]any) { m["oid"] = "oid-bare" }))
			}, "access_denied"},
			{"ResponseModeQuery", func() url.Values { f := eamForm(c, signed(same)); f.Set("response_mode", "query"); return f }, "invalid_request"},
			{"ResponseModeFragment", func() url.Values {
				f := eamForm(c, signed(same))
				f.Set("response_mode", "fragment")
				return f
			}, "invalid_request"},
			{"ResponseTypeCode", func() url.Values { f := eamForm(c, signed(same)); f.Set("response_type", "code"); return f }, "unsupported_response_type"},
			{"UnmeetableACR", func() url.Values {
				f := eamForm(c, signed(same))
				f.Set("claims", `{"id_token":{"acr":{"essential":true,"values":["knowledge","inherence"]}}}`)
				return f
			}, "access_denied"},
			{"UnmeetableAMR", func() url.Values {
				f := eamForm(c, signed(same))
				f.Set("claims", `{"id_token":{"amr":{"essential":true,"values":["sms","otp","face"]}}}`)
				return f
			}, "access_denied"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				before := st.created.Load()
				form := tc.form()
				p := formPost(t, b.post(form))
				if p.action != entraRedirect || p.params.Get("error") != tc.code || p.params.Get("state") != form.Get("state") ||
					p.params.Has("id_token") {
					t.Fatalf("posted %s %v; want error %s with the state, no token", p.action, p.params, tc.code)
				}
				if n := st.created.Load() - before; n != 0 {
					t.Fatalf("%d auth requests stored", n)
				}
			})
		}
	})
}

// TestImplicitFromCodeClient: response_type=id_token from a client without
// the implicit profile is refused as op refuses any unregistered response
// type, and nothing is stored.
func TestImplicitFromCodeClient(t *testing.T) {
	forEachEngineCounting(t, func(t *testing.T, h *harness, st *counting) {
		b := h.newBrowser(softauthn.Options{})
		form := url.Values{"scope": {"openid"}, "response_type": {"id_token"}, "response_mode": {"form_post"},
			"client_id": {h.confidential.ID}, "redirect_uri": {rpRedirect}, "nonce": {"n"}, "state": {"s"}}
		r := b.post(form)
		if r.status != http.StatusBadRequest || !strings.Contains(r.page, "unauthorized_client") || strings.Contains(r.page, "id_token=") {
			t.Fatalf("got %d %s %s; want the error page with unauthorized_client", r.status, r.url, firstLine(r.page))
		}
		if n := st.created.Load(); n != 0 {
			t.Fatalf("%d auth requests stored", n)
		}
	})
}
