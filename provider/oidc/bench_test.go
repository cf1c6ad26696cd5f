package oidc_test

import (
	"net/url"
	"os"
	"testing"

	"github.com/passbridge/passbridge/ceremony/softauthn"
	"github.com/passbridge/passbridge/storage/sqlstore/sqlstoretest"
)

// Benchmarks of the OIDC paths over HTTP (the whole middleware chain, a
// real store), per engine:
//
//	go test -run '^$' -bench . -benchtime 200x ./provider/oidc/
//
// SignIn is one whole interactive sign-in: authorize → login page →
// /login/ceremony → Flex start/finish with the software authenticator →
// /login/complete → op's callback → token exchange with PKCE → ID token
// verified by go-oidc. SSO is a sign-in the browser's session satisfies
// (authorize → callback → token). TokenExchange is the code redemption
// alone.

func benchEngines(b *testing.B, fn func(b *testing.B, h *harness)) {
	for _, engine := range []string{sqlstoretest.SQLite, sqlstoretest.Postgres} {
		b.Run(engine, func(b *testing.B) {
			if engine == sqlstoretest.Postgres && os.Getenv(sqlstoretest.EnvPostgresDSN) == "" {
				b.Skip(sqlstoretest.EnvPostgresDSN + " not set")
			}
			fn(b, newHarness(b, sqlstoretest.Open(b, engine)))
		})
	}
}

func BenchmarkSignIn(b *testing.B) {
	benchEngines(b, func(b *testing.B, h *harness) {
		br := h.newBrowser(softauthn.Options{BackupEligible: true})
		br.register("bench")
		b.ReportAllocs()
		for b.Loop() {
			u, f := h.authorizeURL(h.public, url.Values{"prompt": {"login"}})
			h.mustExchange(f, br.signIn(u))
		}
	})
}

func BenchmarkSSO(b *testing.B) {
	benchEngines(b, func(b *testing.B, h *harness) {
		br := h.newBrowser(softauthn.Options{BackupEligible: true})
		br.register("bench")
		u, f := h.authorizeURL(h.public, nil)
		h.mustExchange(f, br.signIn(u))
		b.ReportAllocs()
		for b.Loop() {
			u, f := h.authorizeURL(h.public, nil)
			r := br.authorize(u)
			h.mustExchange(f, r.callback)
		}
	})
}

func BenchmarkTokenExchange(b *testing.B) {
	benchEngines(b, func(b *testing.B, h *harness) {
		br := h.newBrowser(softauthn.Options{BackupEligible: true})
		br.register("bench")
		u, f := h.authorizeURL(h.public, nil)
		h.mustExchange(f, br.signIn(u))
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			b.StopTimer()
			u, f := h.authorizeURL(h.public, nil)
			cb := br.authorize(u).callback
			b.StartTimer()
			h.mustExchange(f, cb)
		}
	})
}
