package main

import (
	"crypto/rand"
	"net/http"
	"net/url"
	"time"
)

// logoutStateLifetime is how long the browser may take to come back from
// passbridge's end-session endpoint.
const logoutStateLifetime = 5 * time.Minute

// logout is POST /logout: it ends the app's session, then, if the session
// went through passbridge, sends the browser to passbridge's end-session
// endpoint (OIDC RP-Initiated Logout 1.0 §2) to end passbridge's session
// too, which brings it back to the post-logout URL with the state.
func (a *app) logout(w http.ResponseWriter, r *http.Request) error {
	if _, ok := a.currentSession(r); !ok {
		a.cookies.clear(w, sessionCookie)
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return nil
	}
	s, err := a.sessionForm(r)
	if err != nil {
		return err
	}
	a.sessions.end(s.id)
	a.cookies.clear(w, sessionCookie)
	a.log.Info("signed out", "user", s.userID)
	if s.idToken == "" {
		// The passkey step never completed: passbridge issued no token
		// for this session.
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return nil
	}

	d, err := a.rp.discover(r.Context())
	if err != nil || d.endSession == "" {
		// Signed out here; passbridge's session stays until it expires.
		a.log.Warn("no end-session endpoint; signed out of this app only", "err", err)
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return nil
	}
	u, err := url.Parse(d.endSession)
	if err != nil {
		return unavailable(err)
	}
	state := rand.Text()
	a.cookies.set(w, logoutCookie, state, logoutStateLifetime)
	q := u.Query()
	// The ID token names the session to end; it may have expired, which
	// the provider accepts for this (RP-Initiated Logout §2).
	q.Set("id_token_hint", s.idToken)
	q.Set("client_id", a.cfg.ClientID)
	q.Set("post_logout_redirect_uri", a.cfg.PostLogoutRedirectURL)
	q.Set("state", state)
	u.RawQuery = q.Encode()
	http.Redirect(w, r, u.String(), http.StatusSeeOther)
	return nil
}
