package oidc

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
)

// logoutConfirmParam carries, on /end_session, the proof that the person
// confirmed the sign-out on passbridge's own page.
const logoutConfirmParam = "logout_confirm"

// LogoutPage renders the page that asks a person to confirm a sign-out no
// ID token vouches for; confirmURL ends the session.
type LogoutPage func(w http.ResponseWriter, r *http.Request, confirmURL string)

// SetLogoutPage makes the provider ask, with fn's page, before it ends a
// browser's sessions on a logout request without an id_token_hint. The
// login page sets it.
func (p *Provider) SetLogoutPage(fn LogoutPage) { p.logoutPage.Store(&fn) }

// withLogoutConfirm guards RP-initiated logout against cross-site
// requests: a link on any site can send a browser to /end_session, and a
// top-level navigation carries the SameSite=Lax session cookies. A request
// with an id_token_hint names a session its client knows (op checks the
// hint); any other request that would end a session first shows the
// confirmation page (OpenID Connect RP-Initiated Logout 1.0 §2: the OP
// asks the person), whose link carries a token bound to this browser.
func (p *Provider) withLogoutConfirm(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fn := p.logoutPage.Load()
		if fn == nil || r.FormValue("id_token_hint") != "" || len(p.cookies.Sessions(r)) == 0 {
			next.ServeHTTP(w, r)
			return
		}
		want := p.logoutToken(p.cookies.EnsureBrowser(w, r))
		if got := r.FormValue(logoutConfirmParam); got != "" && hmac.Equal([]byte(got), []byte(want)) {
			next.ServeHTTP(w, r)
			return
		}
		q := url.Values{}
		for k, vs := range r.Form {
			if k != logoutConfirmParam {
				q[k] = vs
			}
		}
		q.Set(logoutConfirmParam, want)
		(*fn)(w, r, r.URL.Path+"?"+q.Encode())
	})
}

// logoutToken is the confirmation token of the browser whose cookie has
// digest browser: an HMAC under a key derived from the master key.
func (p *Provider) logoutToken(browser []byte) string {
	k := hmac.New(sha256.New, p.masterKey)
	k.Write([]byte("passbridge logout confirmation"))
	m := hmac.New(sha256.New, k.Sum(nil))
	m.Write(browser)
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}
