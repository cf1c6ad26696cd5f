package main

import (
	"crypto/rand"
	"errors"
	"net/http"
	"time"
)

// loginTokenLifetime is how long the sign-in form's token lasts.
const loginTokenLifetime = 12 * time.Hour

// Page states, as index.html shows them (and its data-state says).
const (
	stateSignedOut    = "signed-out"
	statePasswordOnly = "password-only"
	stateSignedIn     = "signed-in"
)

// indexPage is what GET / shows.
type indexPage struct {
	State string
	// Signed in, with the password or with both factors.
	Name, UserID string
	Enrolled     bool
	MFA          *passkeyProof
	SensitiveAt  time.Time
	CSRF         string
	// Signed out: the sign-in form's token, and after a refused attempt
	// the username typed and why it was refused.
	LoginCSRF string
	Username  string
	Refusal   string
	// SignedOut: the browser is back from passbridge's end-session
	// endpoint with the state this app sent there.
	SignedOut bool
}

func (a *app) index(w http.ResponseWriter, r *http.Request) error {
	s, ok := a.currentSession(r)
	if !ok {
		page := indexPage{State: stateSignedOut}
		if state := r.URL.Query().Get("state"); state != "" {
			want := a.cookies.get(r, logoutCookie)
			page.SignedOut = want != "" && equal(state, want)
			a.cookies.clear(w, logoutCookie)
		}
		a.renderSignIn(w, r, http.StatusOK, page)
		return nil
	}
	u, err := a.users.byID(s.userID)
	if errors.Is(err, errUnknownUser) {
		// The user was removed from the file: the session ends with them.
		a.sessions.end(s.id)
		a.cookies.clear(w, sessionCookie)
		a.renderSignIn(w, r, http.StatusOK, indexPage{})
		return nil
	}
	if err != nil {
		return err
	}
	page := indexPage{State: statePasswordOnly, Name: s.name, UserID: s.userID, Enrolled: u.enrolled(),
		MFA: s.mfa, SensitiveAt: s.sensitiveAt, CSRF: s.csrf}
	if s.mfaComplete() {
		page.State = stateSignedIn
	}
	a.render(w, http.StatusOK, "index.html", page)
	return nil
}

// renderSignIn shows the sign-in form. Before there is a session, the
// form's CSRF token is a random value the browser also holds in a cookie
// (double submit): a page of another site can neither read the cookie nor
// make the browser send a form with it (and Go's cross-origin protection
// refuses its post before that). This stops login CSRF, another site
// signing the browser in to an account of the attacker's.
func (a *app) renderSignIn(w http.ResponseWriter, r *http.Request, status int, page indexPage) {
	page.State = stateSignedOut
	page.LoginCSRF = a.cookies.get(r, loginCookie)
	if len(page.LoginCSRF) < 26 {
		page.LoginCSRF = rand.Text()
		a.cookies.set(w, loginCookie, page.LoginCSRF, loginTokenLifetime)
	}
	a.render(w, status, "index.html", page)
}
