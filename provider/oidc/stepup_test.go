package oidc_test

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/passbridge/passbridge/ceremony/softauthn"
	"github.com/passbridge/passbridge/storage"
)

// A second authorize in the same browser signs in without a ceremony
// (SSO): the same auth_time and sid.
func TestSSO(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		b := h.newBrowser(softauthn.Options{BackupEligible: true})
		b.register("alice")
		u, f := h.authorizeURL(h.confidential, nil)
		first := h.mustExchange(f, b.signIn(u)).claims

		h.clock.Advance(time.Minute)
		u, f = h.authorizeURL(h.public, nil)
		r := b.authorize(u)
		if r.callback == nil {
			t.Fatalf("second authorize showed a page: %d %s", r.status, r.url)
		}
		second := h.mustExchange(f, r.callback).claims
		if second.Subject != "alice" || second.AuthTime != first.AuthTime || second.SID != first.SID || second.ACR != first.ACR {
			t.Fatalf("SSO claims %+v, want those of %+v", second, first)
		}
	})
}

// prompt=login and max_age=0 force a fresh ceremony whatever the session:
// auth_time advances and the session is a new one.
func TestForcedReauthentication(t *testing.T) {
	for name, extra := range map[string]url.Values{
		"prompt=login": {"prompt": {"login"}},
		"max_age=0":    {"max_age": {"0"}},
		"max_age=30":   {"max_age": {"30"}},
	} {
		t.Run(name, func(t *testing.T) {
			forEachEngine(t, func(t *testing.T, h *harness) {
				b := h.newBrowser(softauthn.Options{BackupEligible: true})
				b.register("alice")
				u, f := h.authorizeURL(h.confidential, nil)
				first := h.mustExchange(f, b.signIn(u)).claims

				h.clock.Advance(time.Minute)
				u, f = h.authorizeURL(h.confidential, extra)
				second := h.mustExchange(f, b.signIn(u)).claims // fails unless the page is shown
				if second.AuthTime <= first.AuthTime || second.SID == first.SID {
					t.Fatalf("after %s: auth_time %d sid %s, first %d %s", name, second.AuthTime, second.SID, first.AuthTime, first.SID)
				}
			})
		})
	}
}

// max_age longer than the session's age keeps SSO.
func TestMaxAgeWithinSession(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		b := h.newBrowser(softauthn.Options{BackupEligible: true})
		b.register("alice")
		u, f := h.authorizeURL(h.confidential, nil)
		first := h.mustExchange(f, b.signIn(u)).claims
		h.clock.Advance(time.Minute)
		u, f = h.authorizeURL(h.confidential, url.Values{"max_age": {"3600"}})
		r := b.authorize(u)
		if r.callback == nil {
			t.Fatalf("max_age=3600 one minute after a sign-in showed a page: %s", r.url)
		}
		if got := h.mustExchange(f, r.callback).claims; got.AuthTime != first.AuthTime {
			t.Fatalf("auth_time %d, want %d", got.AuthTime, first.AuthTime)
		}
	})
}

// prompt=none: without a session, login_required goes back to the client
// with the state; with one, the code comes back without a page.
func TestPromptNone(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		b := h.newBrowser(softauthn.Options{BackupEligible: true})
		b.register("alice")
		u, f := h.authorizeURL(h.confidential, url.Values{"prompt": {"none"}})
		r := b.authorize(u)
		if r.callback == nil || r.callback.Get("error") != "login_required" || r.callback.Get("state") != f.state {
			t.Fatalf("prompt=none without a session: %d %s %v", r.status, r.url, r.callback)
		}

		u, f = h.authorizeURL(h.confidential, nil)
		h.mustExchange(f, b.signIn(u))
		u, f = h.authorizeURL(h.confidential, url.Values{"prompt": {"none"}})
		r = b.authorize(u)
		if r.callback == nil || r.callback.Get("code") == "" {
			t.Fatalf("prompt=none with a session: %d %s %v", r.status, r.url, r.callback)
		}
		h.mustExchange(f, r.callback)

		// A session that cannot satisfy it (acr) is login_required too.
		u, f = h.authorizeURL(h.confidential, url.Values{"prompt": {"none"}, "acr_values": {"phrh"}})
		r = b.authorize(u)
		if r.callback.Get("error") != "login_required" || r.callback.Get("state") != f.state {
			t.Fatalf("prompt=none above the session's acr: %v", r.callback)
		}
	})
}

// login_hint names the user the sign-in is for: a session of another user
// does not satisfy it, and another user's passkey is refused. The ceremony
// is bound to the user's passkeys (a transaction listing them) only where
// the hint proves nothing new: the browser holds that user's session (a
// step-up), or the hint is an ID token passbridge signed. Otherwise the
// answer is the same for a user with passkeys, one without and one that
// does not exist, so that a login_hint cannot tell who has passkeys here.
func TestLoginHint(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		b := h.newBrowser(softauthn.Options{BackupEligible: true})
		b.register("alice")
		b.register("bob")
		if _, err := h.svc.CreateRegisterTransaction(h.ctx, h.app, "erin", "erin"); err != nil {
			t.Fatal(err) // erin exists, with no passkey
		}
		stranger := h.newBrowser(softauthn.Options{BackupEligible: true})
		for _, who := range []string{"alice", "erin", "nobody"} {
			u, _ := h.authorizeURL(h.confidential, url.Values{"login_hint": {who}})
			id := stranger.authorize(u).authRequestID(t)
			status, info := stranger.ceremonyInfo(id)
			if status != http.StatusOK || info["transaction_id"] != nil || info["mode"] != "authenticate" {
				t.Fatalf("login_hint=%s in a browser without a session: %d %v, want a discoverable ceremony", who, status, info)
			}
		}

		// The discoverable ceremony of the hinted user signs in (alice's
		// passkey is the oldest, which the authenticator picks).
		u, f := h.authorizeURL(h.confidential, url.Values{"login_hint": {"alice"}})
		first := h.mustExchange(f, b.signIn(u))
		if got := first.claims; got.Subject != "alice" {
			t.Fatalf("sub %q, want alice", got.Subject)
		}

		// With alice's session, a step-up for alice is bound.
		u, f = h.authorizeURL(h.confidential, url.Values{"login_hint": {"alice"}, "prompt": {"login"}})
		id := b.authorize(u).authRequestID(t)
		status, info := b.ceremonyInfo(id)
		if status != http.StatusOK || info["transaction_id"] == nil {
			t.Fatalf("step-up of the session's user: %d %v, want a bound transaction", status, info)
		}
		done := b.complete(id, b.passkey(id))
		if got := h.mustExchange(f, done.callback).claims; got.Subject != "alice" {
			t.Fatalf("sub %q, want alice", got.Subject)
		}

		// alice's session does not satisfy a request for bob, nor binds it.
		u, f = h.authorizeURL(h.confidential, url.Values{"login_hint": {"bob"}})
		id = b.authorize(u).authRequestID(t)
		if status, info := b.ceremonyInfo(id); status != http.StatusOK || info["transaction_id"] != nil {
			t.Fatalf("login_hint=bob with alice's session: %d %v, want a discoverable ceremony", status, info)
		}
		hs := b.Flex("authenticate/transactions/webauthn/start", map[string]any{})
		resp, err := b.Auth.Authenticate(hs.Options, h.issuer, softauthn.WithCredential(b.Auth.Credentials()[1].ID))
		if err != nil {
			t.Fatal(err)
		}
		done = b.complete(id, b.FlexFinish("authenticate/transactions/webauthn/finish", "", hs.ID, resp))
		if got := h.mustExchange(f, done.callback).claims; got.Subject != "bob" {
			t.Fatalf("sub %q, want bob", got.Subject)
		}

		// A discoverable passkey of bob for a request for alice: refused,
		// the request stays open.
		u, _ = h.authorizeURL(h.confidential, url.Values{"login_hint": {"alice"}})
		id = b.authorize(u).authRequestID(t)
		hs = b.Flex("authenticate/transactions/webauthn/start", map[string]any{})
		resp, err = b.Auth.Authenticate(hs.Options, h.issuer, softauthn.WithCredential(b.Auth.Credentials()[1].ID))
		if err != nil {
			t.Fatal(err)
		}
		wrong := b.complete(id, b.FlexFinish("authenticate/transactions/webauthn/finish", "", hs.ID, resp))
		if wrong.status != http.StatusForbidden || wrong.callback != nil {
			t.Fatalf("bob's passkey for alice's sign-in: %d %v", wrong.status, wrong.callback)
		}

		// An id_token_hint passbridge signed binds, in any browser.
		u, _ = h.authorizeURL(h.confidential, url.Values{"id_token_hint": {first.Extra("id_token").(string)}, "prompt": {"login"}})
		id = stranger.authorize(u).authRequestID(t)
		if status, info := stranger.ceremonyInfo(id); status != http.StatusOK || info["transaction_id"] == nil {
			t.Fatalf("id_token_hint: %d %v, want a bound transaction", status, info)
		}
	})
}

// acr_values=phrh cannot be met by a synced passkey
// (unmet_authentication_requirements); a device-bound one meets it.
func TestACRValues(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		synced := h.newBrowser(softauthn.Options{BackupEligible: true})
		synced.register("carol")
		u, f := h.authorizeURL(h.confidential, url.Values{"acr_values": {"phrh"}})
		r := synced.authorize(u)
		id := r.authRequestID(t)
		done := synced.complete(id, synced.passkey(id))
		if done.callback == nil || done.callback.Get("error") != "unmet_authentication_requirements" || done.callback.Get("state") != f.state {
			t.Fatalf("synced passkey for acr phrh: %d %v", done.status, done.callback)
		}

		bound := h.newBrowser(softauthn.Options{})
		bound.register("dave")
		u, f = h.authorizeURL(h.confidential, url.Values{"acr_values": {"phrh phr"}})
		if got := h.mustExchange(f, bound.signIn(u)).claims; got.ACR != "phrh" || got.AMR[0] != "hwk" {
			t.Fatalf("device-bound passkey: acr %q amr %v", got.ACR, got.AMR)
		}
		// A phr session does not satisfy phrh: a fresh ceremony.
		u, f = h.authorizeURL(h.confidential, url.Values{"acr_values": {"phr"}})
		if got := h.mustExchange(f, synced.signIn(u)).claims; got.ACR != "phr" {
			t.Fatalf("acr %q, want phr", got.ACR)
		}
	})
}

// A client can demand phrh (device-bound passkeys) or user verification for
// every sign-in, enforced like acr_values.
func TestClientMinimum(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		strict := h.createClient(storage.AuthMethodNone, nil)
		if _, err := h.store.UpdateClient(h.ctx, strict.ID, func(c storage.Client) (storage.Client, error) {
			c.RequireACR = "phrh"
			return c, nil
		}); err != nil {
			t.Fatal(err)
		}
		strict, _ = h.store.GetClient(h.ctx, strict.ID)
		synced := h.newBrowser(softauthn.Options{BackupEligible: true})
		synced.register("quinn")
		u, f := h.authorizeURL(strict, nil)
		id := synced.authorize(u).authRequestID(t)
		if r := synced.complete(id, synced.passkey(id)); r.callback.Get("error") != "unmet_authentication_requirements" || r.callback.Get("state") != f.state {
			t.Fatalf("synced passkey for a phrh client: %v", r.callback)
		}
		// The phr session another client got does not satisfy it either.
		u, f = h.authorizeURL(h.confidential, nil)
		h.mustExchange(f, synced.signIn(u))
		u, _ = h.authorizeURL(strict, url.Values{"prompt": {"none"}})
		if r := synced.authorize(u); r.callback.Get("error") != "login_required" {
			t.Fatalf("phr session for a phrh client with prompt=none: %v", r.callback)
		}

		uv := h.createClient(storage.AuthMethodNone, nil)
		if _, err := h.store.UpdateClient(h.ctx, uv.ID, func(c storage.Client) (storage.Client, error) {
			c.RequireUV = true
			return c, nil
		}); err != nil {
			t.Fatal(err)
		}
		uv, _ = h.store.GetClient(h.ctx, uv.ID)
		u, f = h.authorizeURL(uv, nil)
		r := synced.authorize(u) // the session's ceremony verified the user: SSO
		if c := h.mustExchange(f, r.callback).claims; c.Subject != "quinn" {
			t.Fatalf("UV client with a UV session: %+v", c)
		}
	})
}

// The claims parameter's acr (OIDC Core §5.5.1.1) is demanded as
// acr_values is.
func TestClaimsParameterACR(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		synced := h.newBrowser(softauthn.Options{BackupEligible: true})
		synced.register("rita")
		claims := `{"id_token":{"acr":{"essential":true,"values":["phrh"]}}}`
		u, f := h.authorizeURL(h.confidential, url.Values{"claims": {claims}})
		id := synced.authorize(u).authRequestID(t)
		if r := synced.complete(id, synced.passkey(id)); r.callback.Get("error") != "unmet_authentication_requirements" || r.callback.Get("state") != f.state {
			t.Fatalf("essential acr phrh with a synced passkey: %v", r.callback)
		}
		u, _ = h.authorizeURL(h.confidential, url.Values{"claims": {"{not json"}})
		if res := synced.get(u); res.StatusCode != http.StatusBadRequest {
			t.Fatalf("malformed claims: %d", res.StatusCode)
		}
	})
}
