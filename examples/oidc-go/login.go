package main

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// login starts a sign-in; with signup=1 a sign-up (a new user and their
// first passkey), with step_up=1 a confirmation of the signed-in user. It
// keeps a new flow, binds it to the browser with a cookie, and sends the
// browser to passbridge's authorization endpoint (OIDC Core §3.1.2.1).
func (a *app) login(w http.ResponseWriter, r *http.Request) error {
	f := flow{state: rand.Text(), nonce: rand.Text(), verifier: oauth2.GenerateVerifier()}
	opts := []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(f.verifier), oidc.Nonce(f.nonce)}
	switch q := r.URL.Query(); {
	case q.Get("signup") != "":
		// OpenID Connect Prompt Create 1.0: passbridge registers a passkey
		// for a new user, where its app allows sign-up.
		opts = append(opts, oauth2.SetAuthURLParam("prompt", "create"))
	case q.Get("step_up") != "":
		s, ok := a.currentSession(r)
		if !ok {
			return &pageError{Status: http.StatusBadRequest, Code: "not_signed_in", Title: "Not signed in",
				Message: "Confirming with a passkey needs a signed-in session. Sign in first."}
		}
		f.stepUp, f.sessionID, f.sub, f.acr = true, s.id, s.claims.Subject, a.cfg.StepUpACR
		opts = append(opts,
			// At least this level, a ceremony now whatever passbridge's
			// session, and only this user's passkeys.
			oauth2.SetAuthURLParam("acr_values", f.acr),
			oauth2.SetAuthURLParam("max_age", "0"),
			oauth2.SetAuthURLParam("login_hint", f.sub))
	}
	d, err := a.rp.discover(r.Context())
	if err != nil {
		return unavailable(err)
	}
	id, err := a.flows.add(f)
	if err != nil {
		return &pageError{Status: http.StatusServiceUnavailable, Code: "busy", Title: "Try again in a moment",
			Message: "Too many sign-ins are in progress right now.", cause: err}
	}
	a.cookies.set(w, flowCookie, id, flowLifetime)
	http.Redirect(w, r, d.oauth2.AuthCodeURL(f.state, opts...), http.StatusFound)
	return nil
}

// callback takes passbridge's answer (OIDC Core §3.1.2.5): it must be the
// answer to the flow this browser started; a code is redeemed with the
// flow's PKCE verifier and the ID token verified; then the browser gets a
// new session.
func (a *app) callback(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f, err := a.flows.take(a.cookies.get(r, flowCookie), q.Get("state"))
	switch {
	case errors.Is(err, errWrongState):
		return &pageError{Status: http.StatusBadRequest, Code: "state_mismatch", Title: "Sign-in refused",
			Message: "This answer is not the one to the sign-in this browser started. Start again.", cause: err}
	case err != nil:
		a.cookies.clear(w, flowCookie)
		return &pageError{Status: http.StatusBadRequest, Code: "no_sign_in_in_progress", Title: "Sign-in refused",
			Message: "This browser has no sign-in in progress: it finished already, took more than 10 minutes, " +
				"or was started in another browser or tab. Start again.", cause: err}
	}
	a.cookies.clear(w, flowCookie)
	if code := q.Get("error"); code != "" {
		return providerError(code, q.Get("error_description"), f.stepUp)
	}
	claims, rawIDToken, err := a.redeem(r.Context(), q.Get("code"), f)
	if err != nil {
		return err
	}

	if !f.stepUp {
		s := a.sessions.start(session{claims: claims, idToken: rawIDToken}, a.cookies.get(r, sessionCookie))
		a.cookies.set(w, sessionCookie, s.id, sessionLifetime)
		a.log.Info("signed in", "sub", claims.Subject, "acr", claims.ACR, "amr", claims.AMR)
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return nil
	}
	s, ok := a.currentSession(r)
	if !ok || s.id != f.sessionID {
		return &pageError{Status: http.StatusBadRequest, Code: "session_changed", Title: "Confirmation refused",
			Message: "The session this confirmation was for has ended. Sign in again."}
	}
	if err := checkStepUp(claims, f, a.cfg.now()); err != nil {
		var refusal *stepUpRefusal
		errors.As(err, &refusal)
		return &pageError{Status: http.StatusForbidden, Code: "step_up_refused", Title: "Confirmation refused",
			Message: "The confirmation was refused: " + refusal.reason + ". You are still signed in as before.", cause: err}
	}
	s.stepUp = &stepUp{From: s.claims.authTime(), To: claims.authTime()}
	s.claims, s.idToken = claims, rawIDToken
	s = a.sessions.start(s, s.id)
	a.cookies.set(w, sessionCookie, s.id, sessionLifetime)
	a.log.Info("confirmed with a passkey", "sub", claims.Subject, "acr", claims.ACR, "amr", claims.AMR)
	http.Redirect(w, r, "/", http.StatusSeeOther)
	return nil
}

// redeem exchanges code for tokens with the flow's PKCE verifier (RFC 7636
// §4.5) and verifies the ID token (OIDC Core §3.1.3.7): go-oidc checks its
// signature with passbridge's keys, iss, aud and exp; the nonce must be the
// flow's, and at_hash the access token's.
func (a *app) redeem(ctx context.Context, code string, f flow) (idClaims, string, error) {
	if code == "" {
		return idClaims{}, "", &pageError{Status: http.StatusBadRequest, Code: "invalid_callback", Title: "Sign-in refused",
			Message: "passbridge's answer carries neither a code nor an error."}
	}
	d, err := a.rp.discover(ctx)
	if err != nil {
		return idClaims{}, "", unavailable(err)
	}
	ctx = a.rp.ctx(ctx)
	tok, err := d.oauth2.Exchange(ctx, code, oauth2.VerifierOption(f.verifier))
	var refused *oauth2.RetrieveError
	switch {
	case errors.As(err, &refused) && refused.Response.StatusCode < 500:
		// The body is not logged: only the error code says enough.
		return idClaims{}, "", &pageError{Status: http.StatusBadRequest, Code: "code_refused", Title: "Sign-in refused",
			Message: "passbridge refused this sign-in's code: it was used already or has expired. Sign in again.",
			cause:   fmt.Errorf("token endpoint answered %d %s", refused.Response.StatusCode, refused.ErrorCode)}
	case err != nil:
		return idClaims{}, "", unavailable(fmt.Errorf("token exchange: %w", err))
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return idClaims{}, "", badAnswer(errors.New("the token response has no id_token"))
	}
	idt, err := d.verifier.Verify(ctx, raw)
	if err != nil {
		return idClaims{}, "", badAnswer(fmt.Errorf("verify id token: %w", err))
	}
	if !equal(idt.Nonce, f.nonce) {
		return idClaims{}, "", badAnswer(errors.New("the id token's nonce is not the flow's"))
	}
	if idt.AccessTokenHash != "" {
		if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
			return idClaims{}, "", badAnswer(fmt.Errorf("verify at_hash: %w", err))
		}
	}
	var c idClaims
	if err := idt.Claims(&c); err != nil {
		return idClaims{}, "", badAnswer(fmt.Errorf("id token claims: %w", err))
	}
	return c, raw, nil
}

// unavailable is a failure to reach passbridge, or a failure on its side.
func unavailable(cause error) *pageError {
	return &pageError{Status: http.StatusBadGateway, Code: "passbridge_unavailable", Title: "Sign-in unavailable",
		Message: "The sign-in service cannot be reached right now. Try again in a moment.", cause: cause}
}

// badAnswer is an answer from the token endpoint that does not verify.
func badAnswer(cause error) *pageError {
	return &pageError{Status: http.StatusBadGateway, Code: "invalid_id_token", Title: "Sign-in refused",
		Message: "The sign-in service's answer could not be verified, so it was not accepted.", cause: cause}
}

// equal compares two secrets in constant time.
func equal(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
