package main

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"

	"golang.org/x/oauth2"
)

// callback takes passbridge's answer (OIDC Core §3.1.2.5). It must be the
// answer to the flow this browser started, for the session still signed
// in; the code is redeemed with the flow's PKCE verifier, the ID token
// verified and checked (checkPasskey). Only then is the session
// MFA-complete, under a new ID, and after an enrolment the user's record
// says they have a passkey.
func (a *app) callback(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f, err := a.flows.take(a.cookies.get(r, flowCookie), q.Get("state"))
	switch {
	case errors.Is(err, errWrongState):
		return &pageError{Status: http.StatusBadRequest, Code: "state_mismatch", Title: "Answer refused",
			Message: "This answer is not the one to the passkey step this browser started. Start again.", cause: err}
	case err != nil:
		a.cookies.clear(w, flowCookie)
		return &pageError{Status: http.StatusBadRequest, Code: "no_passkey_step_in_progress", Title: "Answer refused",
			Message: "This browser has no passkey step in progress: it finished already, took more than 10 minutes, " +
				"or was started in another browser. Start again.", cause: err}
	}
	a.cookies.clear(w, flowCookie)
	if code := q.Get("error"); code != "" {
		return providerError(code, q.Get("error_description"), f.purpose)
	}
	s, ok := a.currentSession(r)
	if !ok || s.id != f.sessionID || s.userID != f.userID {
		return &pageError{Status: http.StatusBadRequest, Code: "session_changed", Title: "Answer refused",
			Message: "The session this passkey step was for has ended. Sign in again."}
	}
	claims, rawIDToken, err := a.redeem(r.Context(), q.Get("code"), f)
	if err != nil {
		return err
	}
	now := a.cfg.now()
	if err := checkPasskey(claims, f, now); err != nil {
		var why *refusal
		errors.As(err, &why)
		pe := &pageError{Status: http.StatusForbidden, Code: "step_up_refused", Title: "Passkey refused",
			Message: "The passkey step was refused: " + why.reason + ".", cause: err}
		if f.purpose == purposeEnrol {
			pe.Code = "enrolment_refused"
		}
		pe.Message += stillSignedIn(f.purpose)
		return pe
	}

	if f.purpose == purposeEnrol {
		if err := a.users.markEnrolled(f.userID, now); err != nil {
			return fmt.Errorf("record the enrolment: %w", err)
		}
	}
	s.mfa = &passkeyProof{AuthTime: claims.authTime(), ACR: claims.ACR, AMR: claims.AMR, SID: claims.SID,
		Enrolled: f.purpose == purposeEnrol}
	s.idToken = rawIDToken
	if f.purpose == purposeSensitive {
		// The sensitive action itself would run here, now that it is
		// proven that the signed-in user asked for it.
		s.sensitiveAt = now
	}
	s, ok = a.sessions.start(s, s.id, sessionLifetime)
	if !ok {
		return errBusy
	}
	a.cookies.set(w, sessionCookie, s.id, sessionLifetime)
	a.log.Info("passkey step passed", "user", f.userID, "purpose", f.purpose.String(), "acr", claims.ACR, "amr", claims.AMR)
	http.Redirect(w, r, "/", http.StatusSeeOther)
	return nil
}

// String names the purpose in logs.
func (p purpose) String() string {
	switch p {
	case purposeEnrol:
		return "enrol"
	case purposeSignIn:
		return "sign_in"
	case purposeSensitive:
		return "sensitive_action"
	}
	return "unknown"
}

// stillSignedIn tells, after a refused or failed passkey step, where the
// session stands.
func stillSignedIn(p purpose) string {
	if p == purposeSensitive {
		return " The action was not done; you are still signed in as before."
	}
	return " You are signed in with your password only, which lets you do nothing but the passkey step: " +
		"try it again, or sign out."
}

// redeem exchanges code for tokens with the flow's PKCE verifier (RFC 7636
// §4.5) and verifies the ID token (OIDC Core §3.1.3.7): go-oidc checks its
// signature with passbridge's keys, iss, aud and exp; the nonce must be the
// flow's, and at_hash the access token's.
func (a *app) redeem(ctx context.Context, code string, f flow) (idClaims, string, error) {
	if code == "" {
		return idClaims{}, "", &pageError{Status: http.StatusBadRequest, Code: "invalid_callback", Title: "Answer refused",
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
		return idClaims{}, "", &pageError{Status: http.StatusBadRequest, Code: "code_refused", Title: "Answer refused",
			Message: "passbridge refused this answer's code: it was used already or has expired. Start again.",
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
	return &pageError{Status: http.StatusBadGateway, Code: "passbridge_unavailable", Title: "Passkey step unavailable",
		Message: "The passkey service cannot be reached right now. Try again in a moment.", cause: cause}
}

// badAnswer is an answer from the token endpoint that does not verify.
func badAnswer(cause error) *pageError {
	return &pageError{Status: http.StatusBadGateway, Code: "invalid_id_token", Title: "Answer refused",
		Message: "The passkey service's answer could not be verified, so it was not accepted.", cause: cause}
}

// equal compares two secrets in constant time.
func equal(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
