package oidc_test

import (
	"encoding/base64"
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/passbridge/passbridge/ceremony/softauthn"
	"github.com/passbridge/passbridge/storage"
)

// postForm posts a form to a provider endpoint with the confidential
// client's credentials (client_secret_basic) and decodes the JSON answer.
func (h *harness) postForm(path string, form url.Values, basic bool) (int, map[string]any) {
	h.t.Helper()
	req, _ := http.NewRequestWithContext(h.ctx, http.MethodPost, h.issuer+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if basic {
		req.SetBasicAuth(url.QueryEscape(h.confidential.ID), url.QueryEscape(h.secret))
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var out map[string]any
	_ = json.Unmarshal(raw, &out)
	return res.StatusCode, out
}

// refresh uses a refresh token as the confidential client does.
func (h *harness) refresh(token string) (int, map[string]any) {
	return h.postForm("/oauth/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {token}}, true)
}

func (h *harness) signInOffline(b *browser, extra ...string) *tokens {
	h.t.Helper()
	params := url.Values{}
	for i := 0; i+1 < len(extra); i += 2 {
		params.Set(extra[i], extra[i+1])
	}
	u, f := h.authorizeURL(h.confidential, params, "offline_access", "profile")
	tok := h.mustExchange(f, b.signIn(u))
	if tok.RefreshToken == "" {
		h.t.Fatal("no refresh token for offline_access")
	}
	return tok
}

// A refresh token rotates on every use; the refreshed ID token keeps the
// sign-in's sub, auth_time, acr, amr and sid and carries no nonce. Using
// a rotated token again revokes the whole grant.
func TestRefreshRotationAndReuse(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		b := h.newBrowser(softauthn.Options{})
		b.register("erin")
		first := h.signInOffline(b)

		h.clock.Advance(time.Minute)
		status, out := h.refresh(first.RefreshToken)
		if status != http.StatusOK {
			t.Fatalf("refresh: %d %v", status, out)
		}
		second, _ := out["refresh_token"].(string)
		if second == "" || second == first.RefreshToken {
			t.Fatalf("refresh token not rotated: %v", out)
		}
		tok := (&oauth2.Token{AccessToken: out["access_token"].(string)}).WithExtra(out)
		refreshed, err := h.verify(tok, h.confidential, "")
		if err != nil {
			t.Fatalf("refreshed ID token: %v", err)
		}
		c := refreshed.claims
		if c.Subject != "erin" || c.AuthTime != first.claims.AuthTime || c.ACR != "phrh" || c.SID != first.claims.SID ||
			!slices.Equal(c.AMR, first.claims.AMR) || c.Nonce != "" {
			t.Fatalf("refreshed ID token claims %+v, want those of %+v without nonce", c, first.claims)
		}

		// The old token again: refused, and the grant is gone (the new
		// refresh token and access token stop working too).
		if status, out := h.refresh(first.RefreshToken); status != http.StatusBadRequest || out["error"] != "invalid_grant" {
			t.Fatalf("reused refresh token: %d %v", status, out)
		}
		if status, out := h.refresh(second); status != http.StatusBadRequest || out["error"] != "invalid_grant" {
			t.Fatalf("refresh token of a revoked grant: %d %v", status, out)
		}
		if active := h.introspect(out0(out, "access_token", tok.AccessToken)); active {
			t.Fatal("access token of a revoked grant is still active")
		}
	})
}

func out0(m map[string]any, k, fallback string) string {
	if v, ok := m[k].(string); ok && v != "" {
		return v
	}
	return fallback
}

// Concurrent rotations of one refresh token: one wins, the others are
// replays that revoke the grant.
func TestRefreshConcurrentRotation(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		b := h.newBrowser(softauthn.Options{})
		b.register("erin")
		tok := h.signInOffline(b)
		const n = 8
		statuses := make(chan int, n)
		for range n {
			go func() { s, _ := h.refresh(tok.RefreshToken); statuses <- s }()
		}
		ok := 0
		for range n {
			if <-statuses == http.StatusOK {
				ok++
			}
		}
		if ok != 1 {
			t.Fatalf("%d of %d concurrent rotations succeeded, want 1", ok, n)
		}
	})
}

// introspect asks whether an access token is active (RFC 7662).
func (h *harness) introspect(token string) bool {
	h.t.Helper()
	status, out := h.postForm("/oauth/introspect", url.Values{"token": {token}}, true)
	if status != http.StatusOK {
		h.t.Fatalf("introspect: %d %v", status, out)
	}
	active, _ := out["active"].(bool)
	return active
}

// Introspection says what an access token is; revocation (RFC 7009) ends
// it and a refresh token, whose access tokens go with it.
func TestIntrospectionAndRevocation(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		b := h.newBrowser(softauthn.Options{BackupEligible: true})
		b.register("frank")
		tok := h.signInOffline(b)
		status, out := h.postForm("/oauth/introspect", url.Values{"token": {tok.AccessToken}}, true)
		if status != http.StatusOK || out["active"] != true || out["sub"] != "frank" || out["client_id"] != h.confidential.ID ||
			!strings.Contains(out["scope"].(string), "offline_access") {
			t.Fatalf("introspection: %d %v", status, out)
		}
		if h.introspect("not-a-token") {
			t.Fatal("garbage is active")
		}

		status, out = h.postForm("/revoke", url.Values{"token": {tok.AccessToken}, "token_type_hint": {"access_token"}}, true)
		if status != http.StatusOK || h.introspect(tok.AccessToken) {
			t.Fatalf("revoke access token: %d %v", status, out)
		}
		second := h.signInOffline(b, "prompt", "login")
		status, _ = h.postForm("/revoke", url.Values{"token": {second.RefreshToken}}, true)
		if status != http.StatusOK {
			t.Fatalf("revoke refresh token: %d", status)
		}
		if s, out := h.refresh(second.RefreshToken); s != http.StatusBadRequest || out["error"] != "invalid_grant" {
			t.Fatalf("revoked refresh token: %d %v", s, out)
		}
		if h.introspect(second.AccessToken) {
			t.Fatal("access token of a revoked refresh token is still active")
		}
		// An unknown token is no error (RFC 7009 §2.2).
		if s, _ := h.postForm("/revoke", url.Values{"token": {"unknown"}}, true); s != http.StatusOK {
			t.Fatalf("revoke unknown: %d", s)
		}
	})
}

// A code is single-use: redeemed again, it is refused and the tokens of its
// first redemption are revoked.
func TestCodeReuse(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		b := h.newBrowser(softauthn.Options{BackupEligible: true})
		b.register("gina")
		u, f := h.authorizeURL(h.confidential, nil, "offline_access")
		cb := b.signIn(u)
		tok := h.mustExchange(f, cb)
		if _, err := h.exchange(f, cb); err == nil || !strings.Contains(err.Error(), "invalid_grant") {
			t.Fatalf("second redemption of a code: %v, want invalid_grant", err)
		}
		if h.introspect(tok.AccessToken) {
			t.Fatal("access token of a replayed code is still active")
		}
		if s, out := h.refresh(tok.RefreshToken); s != http.StatusBadRequest || out["error"] != "invalid_grant" {
			t.Fatalf("refresh token of a replayed code: %d %v", s, out)
		}
	})
}

// Revoking a device ends the sessions and refresh tokens its ceremony
// created: the next authorize needs a ceremony, refresh fails.
func TestRevokedDeviceEndsSessionAndTokens(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		b := h.newBrowser(softauthn.Options{BackupEligible: true})
		b.register("hana")
		tok := h.signInOffline(b)
		u, err := h.store.GetUserByExternalID(h.ctx, h.app.ID, "hana")
		if err != nil {
			t.Fatal(err)
		}
		devices, err := h.store.ListDevices(h.ctx, h.app.ID, u.ID)
		if err != nil || len(devices) != 1 {
			t.Fatalf("devices: %v %v", devices, err)
		}
		if err := h.svc.RevokeDevice(h.ctx, h.app, u.ID, devices[0].ID); err != nil {
			t.Fatal(err)
		}
		if s, out := h.refresh(tok.RefreshToken); s != http.StatusBadRequest || out["error"] != "invalid_grant" {
			t.Fatalf("refresh after the device was revoked: %d %v", s, out)
		}
		if h.introspect(tok.AccessToken) {
			t.Fatal("access token of a revoked device is still active")
		}
		authURL, _ := h.authorizeURL(h.confidential, url.Values{"prompt": {"none"}})
		if r := b.authorize(authURL); r.callback.Get("error") != "login_required" {
			t.Fatalf("prompt=none after the device was revoked: %v", r.callback)
		}
	})
}

// end_session ends the browser's session and goes to the registered
// post-logout URI with the state.
func TestEndSession(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		b := h.newBrowser(softauthn.Options{BackupEligible: true})
		b.register("ivan")
		u, f := h.authorizeURL(h.confidential, nil)
		tok := h.mustExchange(f, b.signIn(u))
		raw := tok.Extra("id_token").(string)
		q := url.Values{"id_token_hint": {raw}, "post_logout_redirect_uri": {"https://rp.example/bye"}, "state": {"s1"}}
		res := b.get(h.issuer + "/end_session?" + q.Encode())
		loc, err := res.Location()
		if err != nil || loc.Host != "rp.example" || loc.Path != "/bye" || loc.Query().Get("state") != "s1" {
			t.Fatalf("end_session: %d %v %v", res.StatusCode, loc, err)
		}
		sessions, err := h.store.ListSessions(h.ctx, h.app.ID, mustUserID(t, h, "ivan"))
		if err != nil || len(sessions) != 0 {
			t.Fatalf("sessions after end_session: %v %v", sessions, err)
		}
		authURL, _ := h.authorizeURL(h.confidential, url.Values{"prompt": {"none"}})
		if r := b.authorize(authURL); r.callback.Get("error") != "login_required" {
			t.Fatalf("prompt=none after end_session: %v", r.callback)
		}
		// An unregistered post-logout URI is refused, never followed.
		q.Set("post_logout_redirect_uri", "https://evil.example/")
		if res := b.get(h.issuer + "/end_session?" + q.Encode()); res.StatusCode != http.StatusBadRequest {
			t.Fatalf("end_session to an unregistered URI: %d %s", res.StatusCode, res.Header.Get("Location"))
		}
	})
}

// A server-to-server end_session (no browser cookie) with an
// id_token_hint ends the session the hint's sid names, and only that one:
// the same user's session in another browser stays.
func TestEndSessionFromServer(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		laptop := h.newBrowser(softauthn.Options{BackupEligible: true})
		laptop.register("vera")
		u, f := h.authorizeURL(h.confidential, nil)
		raw := h.mustExchange(f, laptop.signIn(u)).Extra("id_token").(string)
		phone := h.newBrowser(softauthn.Options{BackupEligible: true})
		phone.register("vera-phone") // another user, so a session of its own is easy to tell apart
		u, f = h.authorizeURL(h.confidential, nil)
		h.mustExchange(f, phone.signIn(u))
		before, err := h.store.ListSessions(h.ctx, h.app.ID, mustUserID(t, h, "vera"))
		if err != nil || len(before) != 1 {
			t.Fatalf("sessions before: %v %v", before, err)
		}

		q := url.Values{"id_token_hint": {raw}, "post_logout_redirect_uri": {"https://rp.example/bye"}}
		req, _ := http.NewRequestWithContext(h.ctx, http.MethodGet, h.issuer+"/end_session?"+q.Encode(), nil)
		res, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if loc, _ := res.Location(); res.StatusCode != http.StatusFound || loc == nil || loc.Host != "rp.example" {
			t.Fatalf("server-side end_session: %d %v", res.StatusCode, loc)
		}
		if after, err := h.store.ListSessions(h.ctx, h.app.ID, mustUserID(t, h, "vera")); err != nil || len(after) != 0 {
			t.Fatalf("the hinted session after a server-side end_session: %v %v", after, err)
		}
		if other, err := h.store.ListSessions(h.ctx, h.app.ID, mustUserID(t, h, "vera-phone")); err != nil || len(other) != 1 {
			t.Fatalf("another user's session after a server-side end_session: %v %v", other, err)
		}
		authURL, _ := h.authorizeURL(h.confidential, url.Values{"prompt": {"none"}})
		if r := laptop.authorize(authURL); r.callback.Get("error") != "login_required" {
			t.Fatalf("prompt=none in the browser whose session was ended: %v", r.callback)
		}
	})
}

func mustUserID(t testing.TB, h *harness, externalID string) string {
	t.Helper()
	u, err := h.store.GetUserByExternalID(h.ctx, h.app.ID, externalID)
	if err != nil {
		t.Fatal(err)
	}
	return u.ID
}

// A client can take JWT access tokens (RFC 9068): signed by the provider's
// key, with the sign-in's acr, amr and auth_time; userinfo and
// introspection take them as they take opaque ones.
func TestJWTAccessToken(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		c, err := h.store.UpdateClient(h.ctx, h.confidential.ID, func(c storage.Client) (storage.Client, error) {
			c.AccessTokenType = "jwt"
			return c, nil
		})
		if err != nil {
			t.Fatal(err)
		}
		h.confidential = c
		b := h.newBrowser(softauthn.Options{BackupEligible: true})
		b.register("uma")
		u, f := h.authorizeURL(h.confidential, nil)
		tok := h.mustExchange(f, b.signIn(u))
		parts := strings.Split(tok.AccessToken, ".")
		if len(parts) != 3 {
			t.Fatalf("access token is not a JWS: %q", tok.AccessToken)
		}
		payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
		var claims map[string]any
		if err := json.Unmarshal(payload, &claims); err != nil {
			t.Fatal(err)
		}
		if claims["sub"] != "uma" || claims["client_id"] != h.confidential.ID || claims["acr"] != "phr" ||
			claims["iss"] != h.issuer || claims["auth_time"] == nil || claims["jti"] == nil {
			t.Fatalf("JWT access token claims %v", claims)
		}
		if !h.introspect(tok.AccessToken) {
			t.Fatal("JWT access token inactive")
		}
		ui, err := h.rp.UserInfo(h.ctx, oauth2.StaticTokenSource(tok.Token))
		if err != nil || ui.Subject != "uma" {
			t.Fatalf("userinfo with a JWT access token: %+v %v", ui, err)
		}
	})
}

// Deleting a user (the Flex API's delete user) ends their sessions and
// tokens at once.
func TestDeletedUserEndsSessionAndTokens(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		b := h.newBrowser(softauthn.Options{BackupEligible: true})
		b.register("wes")
		tok := h.signInOffline(b)
		if err := h.store.DeleteUser(h.ctx, h.app.ID, mustUserID(t, h, "wes")); err != nil {
			t.Fatal(err)
		}
		if s, out := h.refresh(tok.RefreshToken); s != http.StatusBadRequest || out["error"] != "invalid_grant" {
			t.Fatalf("refresh of a deleted user: %d %v", s, out)
		}
		if h.introspect(tok.AccessToken) {
			t.Fatal("access token of a deleted user is still active")
		}
		u, _ := h.authorizeURL(h.confidential, url.Values{"prompt": {"none"}})
		if r := b.authorize(u); r.callback.Get("error") != "login_required" {
			t.Fatalf("prompt=none of a deleted user: %v", r.callback)
		}
	})
}

// RFC 7009 §2.1: a refresh token revoked with token_type_hint=access_token
// is revoked all the same; another client's is not.
func TestRevokeRefreshTokenWithAccessHint(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		b := h.newBrowser(softauthn.Options{BackupEligible: true})
		b.register("yves")
		tok := h.signInOffline(b)
		other := h.createClient(storage.AuthMethodPost, storage.HashSecret("pbs_other-secret-of-enough-length-123456"))
		status, _ := h.postFormAs("/revoke", url.Values{"token": {tok.RefreshToken}, "token_type_hint": {"access_token"},
			"client_id": {other.ID}, "client_secret": {"pbs_other-secret-of-enough-length-123456"}})
		if status != http.StatusOK {
			t.Fatalf("revoke by another client: %d", status)
		}
		if s, out := h.refresh(tok.RefreshToken); s != http.StatusOK {
			t.Fatalf("another client revoked the refresh token: %d %v", s, out)
		}
		tok = h.signInOffline(b, "prompt", "login")
		if s, _ := h.postForm("/revoke", url.Values{"token": {tok.RefreshToken}, "token_type_hint": {"access_token"}}, true); s != http.StatusOK {
			t.Fatalf("revoke: %d", s)
		}
		if s, out := h.refresh(tok.RefreshToken); s != http.StatusBadRequest || out["error"] != "invalid_grant" {
			t.Fatalf("refresh after revocation with an access_token hint: %d %v", s, out)
		}
	})
}

// postFormAs posts a form without Basic credentials (they are in the form).
func (h *harness) postFormAs(path string, form url.Values) (int, map[string]any) {
	return h.postForm(path, form, false)
}

// A logout request without an id_token_hint (a link any site can send a
// browser to) ends nothing until the person confirms it on passbridge's
// page; the page's link is bound to this browser and carries the request
// on.
func TestEndSessionWithoutHintAsks(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		b := h.newBrowser(softauthn.Options{BackupEligible: true})
		b.register("jude")
		u, f := h.authorizeURL(h.confidential, nil)
		h.mustExchange(f, b.signIn(u))
		alive := func() int {
			t.Helper()
			s, err := h.store.ListSessions(h.ctx, h.app.ID, mustUserID(t, h, "jude"))
			if err != nil {
				t.Fatal(err)
			}
			return len(s)
		}
		q := url.Values{"client_id": {h.confidential.ID}, "post_logout_redirect_uri": {"https://rp.example/bye"}, "state": {"s2"}}
		res := b.get(h.issuer + "/end_session?" + q.Encode())
		page, _ := io.ReadAll(res.Body)
		m := regexp.MustCompile(`id="confirm-sign-out" href="([^"]+)"`).FindSubmatch(page)
		if res.StatusCode != http.StatusOK || m == nil || alive() != 1 {
			t.Fatalf("end_session without a hint: %d, %d sessions, page %.300s", res.StatusCode, alive(), page)
		}
		confirm, err := url.Parse(html.UnescapeString(string(m[1])))
		if err != nil || confirm.Query().Get("state") != "s2" || confirm.Query().Get("client_id") != h.confidential.ID {
			t.Fatalf("confirmation link %q: %v", m[1], err)
		}

		// A forged token, or this browser's link followed by another
		// browser holding a session, asks again.
		forged := confirm.Query()
		token := forged.Get("logout_confirm")
		first := "x"
		if token[0] == 'x' {
			first = "y" // a changed first character, whatever it was
		}
		forged.Set("logout_confirm", first+token[1:])
		if res := b.get(h.issuer + "/end_session?" + forged.Encode()); res.StatusCode != http.StatusOK || alive() != 1 {
			t.Fatalf("forged confirmation: %d, %d sessions", res.StatusCode, alive())
		}
		other := h.newBrowser(softauthn.Options{BackupEligible: true})
		other.register("kim")
		u, f = h.authorizeURL(h.confidential, nil)
		h.mustExchange(f, other.signIn(u))
		if res := other.get(h.issuer + confirm.String()); res.StatusCode != http.StatusOK {
			t.Fatalf("another browser's confirmation link: %d %s", res.StatusCode, res.Header.Get("Location"))
		}
		if s, _ := h.store.ListSessions(h.ctx, h.app.ID, mustUserID(t, h, "kim")); len(s) != 1 {
			t.Fatalf("the other browser's session ended on a link that was not its own")
		}

		res = b.get(h.issuer + confirm.String())
		loc, err := res.Location()
		if err != nil || loc.Host != "rp.example" || loc.Query().Get("state") != "s2" || alive() != 0 {
			t.Fatalf("confirmed: %d %v %v, %d sessions", res.StatusCode, loc, err, alive())
		}
	})
}

// userinfo refuses as a protected resource does (RFC 6750 §3.1, OIDC Core
// §5.3.3): 401 with WWW-Authenticate, invalid_token for a token that is
// malformed, revoked or unknown, no error code in the header without one.
func TestUserinfoBearerErrors(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		b := h.newBrowser(softauthn.Options{BackupEligible: true})
		b.register("lena")
		u, f := h.authorizeURL(h.confidential, nil)
		tok := h.mustExchange(f, b.signIn(u))
		call := func(header string) (int, string, map[string]any) {
			t.Helper()
			req, _ := http.NewRequestWithContext(h.ctx, http.MethodGet, h.issuer+"/userinfo", nil)
			if header != "" {
				req.Header.Set("Authorization", header)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			var out map[string]any
			_ = json.NewDecoder(res.Body).Decode(&out)
			return res.StatusCode, res.Header.Get("WWW-Authenticate"), out
		}
		if status, _, out := call("Bearer " + tok.AccessToken); status != http.StatusOK || out["sub"] != "lena" {
			t.Fatalf("userinfo with a live token: %d %v", status, out)
		}
		if status, www, out := call(""); status != http.StatusUnauthorized || www != "Bearer" || out["error"] != "invalid_request" {
			t.Errorf("without a token: %d %q %v", status, www, out)
		}
		if status, www, out := call("Bearer not-a-token"); status != http.StatusUnauthorized ||
			!strings.HasPrefix(www, `Bearer error="invalid_token"`) || out["error"] != "invalid_token" {
			t.Errorf("a malformed token: %d %q %v", status, www, out)
		}
		if status, _ := h.postForm("/revoke", url.Values{"token": {tok.AccessToken}}, true); status != http.StatusOK {
			t.Fatalf("revoke: %d", status)
		}
		if status, www, out := call("Bearer " + tok.AccessToken); status != http.StatusUnauthorized ||
			!strings.HasPrefix(www, `Bearer error="invalid_token"`) || out["error"] != "invalid_token" {
			t.Errorf("a revoked token: %d %q %v", status, www, out)
		}
	})
}
