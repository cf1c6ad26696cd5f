package main

import (
	"errors"
	"net/http"
)

// passwordSignIn is POST /login, the app's own sign-in (the SSO the
// company already has): the username and password, checked here and
// never sent anywhere. A right password gives a session that has the
// password only, and sends the browser on to the passkey step at once.
func (a *app) passwordSignIn(w http.ResponseWriter, r *http.Request) error {
	token := a.cookies.get(r, loginCookie)
	if token == "" || !equal(r.PostFormValue("csrf"), token) {
		return errBadCSRF
	}
	username := normalizeUsername(r.PostFormValue("username"))
	password := r.PostFormValue("password")
	if username == "" || password == "" {
		a.renderSignIn(w, r, http.StatusBadRequest, indexPage{Username: username,
			Refusal: "Enter your username and your password."})
		return nil
	}
	if len(username) > 256 {
		username = username[:256]
	}
	if !a.throttle.allowed(username) {
		a.log.Warn("password sign-in throttled")
		a.renderSignIn(w, r, http.StatusTooManyRequests, indexPage{Username: username,
			Refusal: "Too many failed sign-ins for this username. Wait a minute, then try again."})
		return nil
	}
	u, err := a.users.checkPassword(username, password)
	if errors.Is(err, errBadCredentials) {
		a.throttle.failed(username)
		// Neither the username (people type passwords into it) nor the
		// password is logged.
		a.log.Warn("password sign-in refused")
		a.renderSignIn(w, r, http.StatusUnauthorized, indexPage{Username: username,
			Refusal: "Wrong username or password."})
		return nil
	}
	if err != nil {
		return err
	}

	// A new session, with a new ID: whatever session the browser had
	// before (of this user or another) ends here.
	s, ok := a.sessions.start(session{userID: u.ID, name: u.displayName(), passwordAt: a.cfg.now()},
		a.cookies.get(r, sessionCookie), passwordOnlyLifetime)
	if !ok {
		return errBusy
	}
	a.cookies.set(w, sessionCookie, s.id, passwordOnlyLifetime)
	a.cookies.clear(w, loginCookie)
	a.log.Info("password verified", "user", u.ID, "passkey_enrolled", u.enrolled())
	return a.passkeyStep(w, r, s, u)
}

var errBusy = &pageError{Status: http.StatusServiceUnavailable, Code: "busy", Title: "Try again in a moment",
	Message: "Too many sign-ins are in progress right now."}
