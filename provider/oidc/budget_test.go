package oidc_test

import (
	"net/url"
	"testing"

	"github.com/passbridge/passbridge/ceremony/softauthn"
	"github.com/passbridge/passbridge/storage/cachestore"
	"github.com/passbridge/passbridge/storage/sqlstore/sqlstoretest"
)

// The statement budget of the OIDC flows on PostgreSQL, counted at the
// driver on the store serve builds, once the caches are warm. A sign-in
// is authorize → login page → ceremony → complete (which redirects to the
// client with the code) → token exchange by a confidential client; an SSO
// sign-in is authorize (which redirects to the client with the code) →
// token exchange. Over budget fails with the statements listed; under
// budget asks for the budget to be lowered.
const (
	budgetSignIn = 11
	budgetSSO    = 4
)

func TestStatementBudget(t *testing.T) {
	st, sent := sqlstoretest.OpenCounting(t, sqlstoretest.Postgres)
	h := newHarness(t, cachestore.New(st, cachestore.Config{}))
	br := h.newBrowser(softauthn.Options{BackupEligible: true})
	br.register("alice")
	u, f := h.authorizeURL(h.confidential, url.Values{"prompt": {"login"}})
	h.mustExchange(f, br.signIn(u)) // warm the caches

	t.Run("sign-in", func(t *testing.T) {
		sent.Budget(t, "sign-in", budgetSignIn, func() {
			u, f := h.authorizeURL(h.confidential, url.Values{"prompt": {"login"}})
			h.mustExchange(f, br.signIn(u))
		})
	})
	t.Run("sso", func(t *testing.T) {
		sent.Budget(t, "SSO sign-in", budgetSSO, func() {
			u, f := h.authorizeURL(h.confidential, nil)
			h.mustExchange(f, br.authorize(u).callback)
		})
	})
}
