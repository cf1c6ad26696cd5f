package oidc_test

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/passbridge/passbridge/ceremony/softauthn"
	"github.com/passbridge/passbridge/provider/signing"
)

// Tokens and sessions live in the store: after a restart the browser is
// still signed in, the refresh token still works, and the ID token still
// verifies.
func TestRestart(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		b := h.newBrowser(softauthn.Options{BackupEligible: true})
		b.register("olga")
		tok := h.signInOffline(b)
		h.srv.Restart(t)
		u, f := h.authorizeURL(h.confidential, nil)
		r := b.authorize(u)
		if r.callback == nil {
			t.Fatalf("SSO after a restart showed a page: %s", r.url)
		}
		h.mustExchange(f, r.callback)
		if s, out := h.refresh(tok.RefreshToken); s != http.StatusOK {
			t.Fatalf("refresh after a restart: %d %v", s, out)
		}
		if _, err := h.verifier.Verify(h.ctx, tok.Extra("id_token").(string)); err != nil {
			t.Fatalf("ID token after a restart: %v", err)
		}
	})
}

// keys rotate does not break a signed-in relying party: ID tokens signed
// before still verify (the retired key stays in the JWKS), new ones are
// signed with the new key, and an id_token_hint of the old key still binds.
func TestKeyRotation(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		b := h.newBrowser(softauthn.Options{BackupEligible: true})
		b.register("pia")
		u, f := h.authorizeURL(h.confidential, nil)
		before := h.mustExchange(f, b.signIn(u))

		m, err := signing.New(signing.Config{Store: h.store, MasterKey: h.srv.MasterKey, Now: h.clock.Now})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := m.Rotate(h.ctx, true); err != nil {
			t.Fatal(err)
		}
		// Instances read the keys again within the refresh bound.
		h.clock.Advance(signing.DefaultRefreshEvery + time.Second)

		u, f = h.authorizeURL(h.confidential, url.Values{"id_token_hint": {before.Extra("id_token").(string)}, "prompt": {"none"}})
		r := b.authorize(u)
		if r.callback.Get("code") == "" {
			t.Fatalf("prompt=none with an id_token_hint of the old key: %v", r.callback)
		}
		after := h.mustExchange(f, r.callback)
		oldKID, newKID := kid(t, before.Extra("id_token").(string)), kid(t, after.Extra("id_token").(string))
		if oldKID == newKID {
			t.Fatalf("ID token after rotation signed with the old key %s", oldKID)
		}
		// A fresh verifier (a relying party that starts now) verifies both.
		v := h.rp.Verifier(h.verifierConfig())
		for _, raw := range []string{before.Extra("id_token").(string), after.Extra("id_token").(string)} {
			if _, err := v.Verify(h.ctx, raw); err != nil {
				t.Fatalf("verify after rotation: %v", err)
			}
		}
	})
}
