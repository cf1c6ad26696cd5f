package main

import (
	"crypto/subtle"
	"html/template"
	"net/http"
)

// page shows the signed-in user as oauth2-proxy names them. The proxy's
// sign-out is /oauth2/sign_out on the same origin, since the browser only
// ever talks to the proxy. It clears the proxy's cookie only; its rd
// parameter then takes the browser to passbridge's end_session, without
// which passbridge's session would sign the browser straight back in. It is
// a link, not a form: a form-action policy would block the redirect to
// passbridge's origin.
var page = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en">
<meta charset="utf-8">
<title>Behind oauth2-proxy</title>
<main>
<h1>Signed in through oauth2-proxy</h1>
<dl>
<dt>User (the ID token's <code>sub</code>: passbridge's external ID)</dt><dd id="user">{{.User}}</dd>
<dt>Email</dt><dd id="email">{{.Email}}</dd>
<dt>Preferred username</dt><dd id="preferred-username">{{.PreferredUsername}}</dd>
</dl>
<p><a id="sign-out" href="/oauth2/sign_out{{with .EndSession}}?rd={{.}}{{end}}">Sign out</a></p>
</main>
</html>
`))

// signedIn is what the proxy says about the request's user.
type signedIn struct {
	User, Email, PreferredUsername string
	EndSession                     string
}

// newHandler serves the page to requests that carry the proxy's secret;
// endSession, when set, is where the page's sign-out ends.
func newHandler(secret, endSession string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Content-Security-Policy", "default-src 'none'")
		if !fromProxy(r, secret) {
			http.Error(w, "This app is only reachable through oauth2-proxy.", http.StatusForbidden)
			return
		}
		who := signedIn{
			User:              r.Header.Get("X-Forwarded-User"),
			Email:             r.Header.Get("X-Forwarded-Email"),
			PreferredUsername: r.Header.Get("X-Forwarded-Preferred-Username"),
			EndSession:        endSession,
		}
		if who.User == "" {
			// The proxy passes every request it authenticated with the
			// user; one without is a misconfigured proxy, not a guest.
			http.Error(w, "oauth2-proxy sent no X-Forwarded-User: run it with --pass-user-headers.", http.StatusForbidden)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_ = page.Execute(w, who)
	})
}

// fromProxy reports whether r carries the password oauth2-proxy sends with
// --basic-auth-password (the user part is the signed-in user's, and is
// read from X-Forwarded-User instead).
func fromProxy(r *http.Request, secret string) bool {
	_, password, ok := r.BasicAuth()
	return ok && subtle.ConstantTimeCompare([]byte(password), []byte(secret)) == 1
}
