package main

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/passbridge/passbridge/ceremony/softauthn"
	"github.com/passbridge/passbridge/examples/internal/exampletest"
)

// browser is one browser over plain HTTP on the example app and
// passbridge's login page.
type browser struct {
	*exampletest.HTTPBrowser
	t *testing.T
}

func (s *stack) newBrowser(opts softauthn.Options) *browser {
	return &browser{s.NewHTTPBrowser(s.t, s.app, s.site, opts), s.t}
}

// page is where the browser ended: a page, or a redirect it stopped at.
type page struct{ exampletest.Page }

// signedIn says whether the page is the example's signed-in page.
func (p page) signedIn() bool { return strings.Contains(p.Body, `id="sign-out"`) }

// signedOut says whether the page is the example's signed-out page.
func (p page) signedOut() bool { return strings.Contains(p.Body, `id="sign-in"`) }

// open navigates to u (a path is on the example app) and follows
// redirects.
func (b *browser) open(u string) page {
	b.t.Helper()
	return page{b.Open(u)}
}

// submit posts a form of the example app's page, from that page.
func (b *browser) submit(path string, form url.Values) page {
	b.t.Helper()
	return page{b.Submit(path, form)}
}

func (b *browser) post(u string, form url.Values, header http.Header) page {
	b.t.Helper()
	return page{b.Post(u, form, header)}
}

// authRequestID is the auth request of passbridge's login page the
// browser is on.
func (b *browser) authRequestID(p page) string {
	b.t.Helper()
	return b.AuthRequestID(p.Page)
}

// complete posts the ceremony's nonce to /login/complete as the login
// page's form does, and follows the redirects back to the example app.
func (b *browser) complete(id, nonce string) page {
	b.t.Helper()
	return page{b.Complete(id, nonce)}
}

// signIn opens path of the example app, runs passbridge's login page with
// the browser's passkey, and returns where the browser ended.
func (b *browser) signIn(path string, mods ...softauthn.Mod) page {
	b.t.Helper()
	id := b.authRequestID(b.open(path))
	return b.complete(id, b.Passkey(id, mods...))
}
