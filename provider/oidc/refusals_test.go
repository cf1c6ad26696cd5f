package oidc_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/passbridge/passbridge/ceremony/softauthn"
	"github.com/passbridge/passbridge/provider/providertest"
	"github.com/passbridge/passbridge/storage"
	"github.com/passbridge/passbridge/storage/sqlstore/sqlstoretest"
	"golang.org/x/oauth2"
)

// PKCE: S256 only, and required of public clients (RFC 9700 §2.1.1).
// Refusals go back to the client with the state: the redirect URI is
// registered.
func TestPKCE(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		b := h.newBrowser(softauthn.Options{BackupEligible: true})
		base := func(c string) url.Values {
			return url.Values{"client_id": {c}, "redirect_uri": {rpRedirect}, "response_type": {"code"},
				"scope": {"openid"}, "state": {"st"}, "nonce": {"n"}}
		}
		for name, q := range map[string]url.Values{
			"public client without PKCE": base(h.public.ID),
			"plain":                      with(base(h.confidential.ID), "code_challenge", strings.Repeat("a", 43), "code_challenge_method", "plain"),
			"no method (plain)":          with(base(h.public.ID), "code_challenge", strings.Repeat("a", 43)),
			"method without challenge":   with(base(h.confidential.ID), "code_challenge_method", "S256"),
			"short challenge":            with(base(h.public.ID), "code_challenge", "abc", "code_challenge_method", "S256"),
		} {
			r := b.authorize(h.issuer + "/authorize?" + q.Encode())
			if r.callback == nil || r.callback.Get("error") != "invalid_request" || r.callback.Get("state") != "st" {
				t.Errorf("%s: %d %s %v, want invalid_request at the client", name, r.status, r.url, r.callback)
			}
		}
		// A confidential client may omit PKCE.
		r := b.authorize(h.issuer + "/authorize?" + base(h.confidential.ID).Encode())
		r.authRequestID(t)
	})
}

func with(q url.Values, kv ...string) url.Values {
	out := url.Values{}
	for k, v := range q {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out.Set(kv[i], kv[i+1])
	}
	return out
}

// What cannot go back to a client is an error page, never a redirect: an
// unknown client, an unregistered redirect URI.
func TestAuthorizeErrorsWithoutRedirect(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		b := h.newBrowser(softauthn.Options{})
		for name, q := range map[string]url.Values{
			"unregistered redirect_uri": {"client_id": {h.confidential.ID}, "redirect_uri": {"https://evil.example/cb"},
				"response_type": {"code"}, "scope": {"openid"}},
			"redirect_uri with extra query": {"client_id": {h.confidential.ID}, "redirect_uri": {rpRedirect + "?x=1"},
				"response_type": {"code"}, "scope": {"openid"}},
			"unknown client": {"client_id": {"nobody"}, "redirect_uri": {rpRedirect}, "response_type": {"code"}, "scope": {"openid"}},
		} {
			res := b.get(h.issuer + "/authorize?" + q.Encode())
			if res.StatusCode != http.StatusBadRequest || res.Header.Get("Location") != "" {
				t.Errorf("%s: %d Location %q, want 400 without a redirect", name, res.StatusCode, res.Header.Get("Location"))
			}
			body, _ := io.ReadAll(res.Body)
			if !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") || !strings.Contains(string(body), "not valid") ||
				strings.Contains(string(body), "Parent=") || res.Header.Get("Content-Security-Policy") == "" {
				t.Errorf("%s: %s %q, want the error page", name, res.Header.Get("Content-Type"), firstLine(string(body)))
			}
		}
		// A request without openid goes back to the client as invalid_scope.
		q := url.Values{"client_id": {h.confidential.ID}, "redirect_uri": {rpRedirect}, "response_type": {"code"},
			"scope": {"profile"}, "state": {"st"}}
		if r := b.authorize(h.issuer + "/authorize?" + q.Encode()); r.callback.Get("error") != "invalid_scope" {
			t.Errorf("no openid scope: %v", r.callback)
		}
	})
}

// An auth request belongs to the browser that started it: another browser
// can neither see its ceremony, complete it, nor turn its callback into a
// code.
func TestAnotherBrowser(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		victim := h.newBrowser(softauthn.Options{BackupEligible: true})
		victim.register("jane")
		attacker := h.newBrowser(softauthn.Options{BackupEligible: true})
		attacker.register("mallory")

		u, _ := h.authorizeURL(h.confidential, nil)
		id := victim.authorize(u).authRequestID(t)
		if r := attacker.authorize(h.issuer + "/login?auth_request_id=" + id); r.status != http.StatusForbidden {
			t.Fatalf("login page of another browser's request: %d", r.status)
		}
		if status, out := attacker.ceremonyInfo(id); status != http.StatusForbidden || out["code"] != "auth_request_of_another_browser" {
			t.Fatalf("ceremony of another browser's request: %d %v", status, out)
		}
		// The attacker's own nonce against the victim's request.
		ownID := attacker.authorize(u).authRequestID(t)
		if r := attacker.complete(id, attacker.passkey(ownID)); r.status != http.StatusForbidden || r.callback != nil {
			t.Fatalf("complete another browser's request: %d %v", r.status, r.callback)
		}
		// The victim completes and goes straight to the client with the
		// code; the request's callback URL is no use to the attacker, who
		// is refused as another browser, before anything else is looked at.
		if done := victim.complete(id, victim.passkey(id)); done.callback.Get("code") == "" {
			t.Fatalf("victim's complete: %d %v %s", done.status, done.callback, firstLine(done.page))
		}
		cbURL := h.issuer + "/authorize/callback?id=" + url.QueryEscape(id)
		r := attacker.authorize(cbURL)
		if r.callback != nil || !strings.Contains(string(r.page), "another browser") {
			t.Fatalf("another browser at the callback: %d %v %s", r.status, r.callback, firstLine(r.page))
		}
	})
}

// /authorize and the login page's calls (which store requests and run
// ceremonies for anyone who asks) are rate-limited per address like the
// Flex client API; the login page itself and the token endpoint are not.
func TestLoginCallsRateLimited(t *testing.T) {
	h := newHarnessWith(t, sqlstoretest.Open(t, sqlstoretest.SQLite), providertest.Options{RateLimit: 0.001, RateLimitBurst: 4})
	b := h.newBrowser(softauthn.Options{})
	u, _ := h.authorizeURL(h.confidential, nil)
	r := b.authorize(u) // one token: /authorize
	id := r.authRequestID(t)
	statuses := []int{}
	for range 3 {
		s, _ := b.ceremonyInfo(id)
		statuses = append(statuses, s)
	}
	statuses = append(statuses, b.complete(id, "nonce").status, b.get(u).StatusCode)
	want := []int{http.StatusOK, http.StatusOK, http.StatusOK, http.StatusTooManyRequests, http.StatusTooManyRequests}
	if !slices.Equal(statuses, want) {
		t.Fatalf("statuses %v, want %v", statuses, want)
	}
	if r := b.get(r.url.String()); r.StatusCode != http.StatusOK {
		t.Fatalf("login page: %d", r.StatusCode)
	}
	if s, _ := h.postForm("/oauth/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"x"}}, true); s == http.StatusTooManyRequests {
		t.Fatal("the token endpoint is rate-limited per address")
	}
}

// An authorization request's stored parameters are text of a sane size.
func TestAuthorizeParameterBounds(t *testing.T) {
	h := newHarness(t, sqlstoretest.Open(t, sqlstoretest.SQLite))
	b := h.newBrowser(softauthn.Options{})
	for name, extra := range map[string]url.Values{
		"huge state":           {"state": {strings.Repeat("s", 5000)}},
		"login_hint not UTF-8": {"login_hint": {"\xff\xfe"}},
		"nonce with NUL":       {"nonce": {"a\x00b"}},
	} {
		q := url.Values{"client_id": {h.confidential.ID}, "redirect_uri": {rpRedirect}, "response_type": {"code"}, "scope": {"openid"}}
		for k, v := range extra {
			q[k] = v
		}
		r := b.authorize(h.issuer + "/authorize?" + q.Encode())
		if r.callback == nil || r.callback.Get("error") != "invalid_request" {
			t.Errorf("%s: %d %v, want invalid_request at the client", name, r.status, r.callback)
		}
	}
}

// CORS on the token, userinfo, JWKS and discovery endpoints: the origins of
// browser (public) clients' redirect URIs, and no others.
func TestCORS(t *testing.T) {
	h := newHarness(t, sqlstoretest.Open(t, sqlstoretest.SQLite))
	// The public client's redirect URI is https://rp.example/callback.
	for _, path := range []string{"/oauth/token", "/userinfo", "/keys", "/.well-known/openid-configuration", "/oauth/introspect", "/revoke"} {
		for origin, allowed := range map[string]bool{"https://rp.example": true, "https://evil.example": false} {
			req, _ := http.NewRequestWithContext(h.ctx, http.MethodOptions, h.issuer+path, nil)
			req.Header.Set("Origin", origin)
			req.Header.Set("Access-Control-Request-Method", http.MethodPost)
			req.Header.Set("Access-Control-Request-Headers", "authorization,content-type")
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			got := res.Header.Get("Access-Control-Allow-Origin")
			if (got == origin) != allowed || res.Header.Get("Access-Control-Allow-Credentials") == "true" {
				t.Errorf("preflight %s from %s: Allow-Origin %q Allow-Credentials %q, want allowed %v without credentials",
					path, origin, got, res.Header.Get("Access-Control-Allow-Credentials"), allowed)
			}
		}
	}
}

// A completed sign-in starts no further ceremony (nor transaction).
func TestCeremonyOfCompletedRequest(t *testing.T) {
	h := newHarness(t, sqlstoretest.Open(t, sqlstoretest.SQLite))
	b := h.newBrowser(softauthn.Options{BackupEligible: true})
	b.register("vic")
	b.stopAtCallback()
	u, _ := h.authorizeURL(h.confidential, url.Values{"login_hint": {"vic"}})
	id := b.authorize(u).authRequestID(t)
	if done := b.complete(id, b.passkey(id)); done.status != http.StatusFound {
		t.Fatalf("complete: %d", done.status)
	}
	if status, out := b.ceremonyInfo(id); status != http.StatusConflict || out["code"] != "auth_request_completed" {
		t.Fatalf("ceremony of a completed request: %d %v", status, out)
	}
}

// /login/complete as JSON refuses a body that is not UTF-8, as every JSON
// endpoint does, and changes nothing.
func TestCompleteJSONNotUTF8(t *testing.T) {
	h := newHarness(t, sqlstoretest.Open(t, sqlstoretest.SQLite))
	b := h.newBrowser(softauthn.Options{BackupEligible: true})
	u, _ := h.authorizeURL(h.confidential, nil)
	id := b.authorize(u).authRequestID(t)
	req, _ := http.NewRequestWithContext(h.ctx, http.MethodPost, h.issuer+"/login/complete",
		strings.NewReader("{\"auth_request_id\":\""+id+"\",\"nonce\":\"\xff\xfe\"}"))
	req.Header.Set("Content-Type", "application/json")
	res, err := b.HTTP.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out map[string]string
	_ = json.NewDecoder(res.Body).Decode(&out)
	if res.StatusCode != http.StatusBadRequest || out["code"] != "invalid_request" || !strings.Contains(out["error"], "UTF-8") {
		t.Fatalf("JSON with invalid UTF-8: %d %v", res.StatusCode, out)
	}
}

// A code issued for a request with a code_challenge is redeemed only with
// its verifier, by confidential clients too (no PKCE downgrade).
func TestPKCEDowngrade(t *testing.T) {
	h := newHarness(t, sqlstoretest.Open(t, sqlstoretest.SQLite))
	b := h.newBrowser(softauthn.Options{BackupEligible: true})
	b.register("xena")
	u, _ := h.authorizeURL(h.confidential, nil)
	cb := b.signIn(u)
	status, out := h.postForm("/oauth/token", url.Values{"grant_type": {"authorization_code"}, "code": {cb.Get("code")},
		"redirect_uri": {rpRedirect}}, true)
	if status != http.StatusBadRequest || out["error"] != "invalid_grant" {
		t.Fatalf("code exchange without the verifier: %d %v", status, out)
	}
}

// A code exchange with the wrong verifier, redirect_uri or client is
// refused before the code is spent: whoever holds a stolen code cannot
// burn it, and its client still redeems it. Nothing is issued on the way.
func TestCodeNotSpentByWrongExchange(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		b := h.newBrowser(softauthn.Options{BackupEligible: true})
		b.register("yann")
		u, f := h.authorizeURL(h.confidential, nil)
		cb := b.signIn(u)
		code := cb.Get("code")
		base := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {rpRedirect},
			"code_verifier": {f.verifier}}
		for name, form := range map[string]url.Values{
			"wrong verifier":     with(base, "code_verifier", oauth2.GenerateVerifier()),
			"no verifier":        with(base, "code_verifier", ""),
			"wrong redirect_uri": with(base, "redirect_uri", "https://rp.example/other"),
		} {
			if status, out := h.postForm("/oauth/token", form, true); status != http.StatusBadRequest || out["error"] != "invalid_grant" {
				t.Errorf("%s: %d %v, want invalid_grant", name, status, out)
			}
		}
		// Another client (the public one, with the right verifier).
		if status, out := h.postFormAs("/oauth/token", with(base, "client_id", h.public.ID)); status != http.StatusBadRequest || out["error"] != "invalid_grant" {
			t.Errorf("another client: %d %v, want invalid_grant", status, out)
		}
		if tok, err := h.exchange(f, cb); err != nil || tok.claims.Subject != "yann" {
			t.Fatalf("the client's own exchange after the refused ones: %v", err)
		}
	})
}

// A loopback http:// redirect URI a client registered (development, a
// single-page app on localhost) is admitted for public and confidential
// clients alike, and only exactly: another port or path is refused.
func TestLoopbackRedirectURI(t *testing.T) {
	h := newHarness(t, sqlstoretest.Open(t, sqlstoretest.SQLite))
	b := h.newBrowser(softauthn.Options{BackupEligible: true})
	const registered = "http://localhost:3001/callback.html"
	for _, c := range []storage.Client{h.public, h.confidential} {
		if _, err := h.store.UpdateClient(h.ctx, c.ID, func(c storage.Client) (storage.Client, error) {
			c.RedirectURIs = append(c.RedirectURIs, registered)
			return c, nil
		}); err != nil {
			t.Fatal(err)
		}
		q := url.Values{"client_id": {c.ID}, "redirect_uri": {registered}, "response_type": {"code"},
			"scope": {"openid"}, "state": {"st"}, "code_challenge": {strings.Repeat("a", 43)}, "code_challenge_method": {"S256"}}
		b.authorize(h.issuer + "/authorize?" + q.Encode()).authRequestID(t)
		for _, other := range []string{"http://localhost:3002/callback.html", "http://localhost:3001/other", "http://127.0.0.1:3001/callback.html"} {
			r := b.authorize(h.issuer + "/authorize?" + with(q, "redirect_uri", other).Encode())
			if r.status != http.StatusBadRequest || r.callback != nil {
				t.Errorf("%s, registered %s: %d %s", other, registered, r.status, r.url)
			}
		}
	}
}
