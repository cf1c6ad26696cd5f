package main

import (
	"crypto/rand"
	"errors"
	"net/http"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// continueMFA is POST /mfa: the passkey step of a session that has the
// password only, again (after a cancelled or failed one).
func (a *app) continueMFA(w http.ResponseWriter, r *http.Request) error {
	s, err := a.sessionForm(r)
	if err != nil {
		return err
	}
	if s.mfaComplete() {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return nil
	}
	u, err := a.users.byID(s.userID)
	if errors.Is(err, errUnknownUser) {
		a.sessions.end(s.id)
		a.cookies.clear(w, sessionCookie)
		return &pageError{Status: http.StatusUnauthorized, Code: "not_signed_in", Title: "Not signed in",
			Message: "Your account is no longer here. Sign in again.", cause: err}
	}
	if err != nil {
		return err
	}
	return a.passkeyStep(w, r, s, u)
}

// sensitive is POST /sensitive: an action that wants proof that the
// person at the keyboard is the signed-in user, now. It runs a fresh
// passkey ceremony (step-up); the callback does the action once the ID
// token proves it.
func (a *app) sensitive(w http.ResponseWriter, r *http.Request) error {
	s, err := a.sessionForm(r)
	if err != nil {
		return err
	}
	if !s.mfaComplete() {
		return &pageError{Status: http.StatusForbidden, Code: "mfa_required", Title: "Passkey needed",
			Message: "Finish signing in with your passkey first."}
	}
	return a.toPassbridge(w, r, s, purposeSensitive)
}

// passkeyStep sends a session that has the password to passbridge for the
// second factor: its enrolment if the user has no passkey yet, else a
// step-up with the passkey the user has. Which one is the app's record's
// decision, never the browser's: once a user has enrolled, the password
// alone can only ask for the passkey they have.
func (a *app) passkeyStep(w http.ResponseWriter, r *http.Request, s session, u user) error {
	if u.enrolled() {
		return a.toPassbridge(w, r, s, purposeSignIn)
	}
	return a.toPassbridge(w, r, s, purposeEnrol)
}

// toPassbridge keeps a new flow for session s, binds it to the browser
// with a cookie, and sends the browser to passbridge's authorization
// endpoint (OIDC Core §3.1.2.1), with PKCE (S256), a state and a nonce:
//
//   - an enrolment carries a request object signed with the client secret
//     (see enrolmentRequest): prompt=create, login_hint=<user ID>;
//   - a step-up asks for a fresh ceremony (prompt=login, max_age=0) with
//     a passkey (acr_values=phr) of this user (login_hint=<user ID>).
func (a *app) toPassbridge(w http.ResponseWriter, r *http.Request, s session, p purpose) error {
	d, err := a.rp.discover(r.Context())
	if err != nil {
		return unavailable(err)
	}
	id, f, err := a.flows.add(flow{purpose: p, state: rand.Text(), nonce: rand.Text(),
		verifier: oauth2.GenerateVerifier(), sessionID: s.id, userID: s.userID})
	if err != nil {
		busy := *errBusy
		busy.cause = err
		return &busy
	}
	var target string
	if p == purposeEnrol {
		obj, err := enrolmentRequest(a.cfg, f, f.started)
		if err != nil {
			return err
		}
		target = d.oauth2.AuthCodeURL(f.state, oauth2.S256ChallengeOption(f.verifier),
			oauth2.SetAuthURLParam("request", obj))
	} else {
		target = d.oauth2.AuthCodeURL(f.state, oauth2.S256ChallengeOption(f.verifier), oidc.Nonce(f.nonce),
			oauth2.SetAuthURLParam("login_hint", f.userID),
			oauth2.SetAuthURLParam("acr_values", acrPhishingResistant),
			// prompt=login asks for a ceremony whatever passbridge's
			// session; max_age=0 also makes auth_time a required claim
			// (OIDC Core §3.1.2.1).
			oauth2.SetAuthURLParam("prompt", "login"),
			oauth2.SetAuthURLParam("max_age", "0"))
	}
	a.cookies.set(w, flowCookie, id, flowLifetime)
	http.Redirect(w, r, target, http.StatusSeeOther)
	return nil
}
