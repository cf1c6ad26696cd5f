package main

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/passbridge/passbridge/ceremony/softauthn"
	"github.com/passbridge/passbridge/examples/internal/exampletest"
)

// browser is one browser over plain HTTP on the example app and
// passbridge's login page.
type browser struct {
	*exampletest.HTTPBrowser
	t *testing.T
	s *stack
}

func (s *stack) newBrowser(opts softauthn.Options) *browser {
	return &browser{s.NewHTTPBrowser(s.t, s.app, s.site, opts), s.t, s}
}

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

// signInWithPassword opens the example's page and posts its sign-in form
// with username and password, following the redirects: to passbridge's
// login page when the password is right.
func (b *browser) signInWithPassword(username, password string) page {
	b.t.Helper()
	home := b.open("/")
	return b.submit("/login", url.Values{"csrf": {home.Field(b.t, "csrf")}, "username": {username}, "password": {password}})
}

// signIn signs username in with their password, then runs passbridge's
// login page with the browser's passkey (an enrolment or a step-up, as
// the app asked), and returns where the browser ended.
func (b *browser) signIn(username string, mods ...softauthn.Mod) page {
	b.t.Helper()
	return b.atPassbridge(b.signInWithPassword(username, b.s.passwords[username]), mods...)
}

// atPassbridge runs passbridge's login page, which p must be, with the
// browser's passkey and follows the redirects back.
func (b *browser) atPassbridge(p page, mods ...softauthn.Mod) page {
	b.t.Helper()
	id := b.authRequestID(p)
	return b.complete(id, b.Passkey(id, mods...))
}

// press posts the form of page p whose action is path, with the page's
// CSRF token, as a click on its button does.
func (b *browser) press(p page, path string) page {
	b.t.Helper()
	return b.submit(path, url.Values{"csrf": {p.Field(b.t, "csrf")}})
}
