package main

import (
	"errors"
	"net/http"
	"regexp"
)

// errorCode is the shape of an OAuth error code this app shows as it is;
// anything else in the callback is shown as invalid_callback.
var errorCode = regexp.MustCompile(`^[a-z_]{1,64}$`)

// maxDetail bounds how much of passbridge's error_description the page
// shows.
const maxDetail = 300

// providerMessages explain passbridge's error answers (RFC 6749 §4.1.2.1,
// OIDC Core §3.1.2.6, RFC 9470 §3) to the person in front of the page.
var providerMessages = map[string]struct {
	status  int
	message string
}{
	"access_denied": {http.StatusForbidden,
		"The sign-in was refused or cancelled."},
	"login_required": {http.StatusUnauthorized,
		"passbridge needs you to sign in with a passkey, and could not ask."},
	"interaction_required": {http.StatusUnauthorized,
		"passbridge needs you on its sign-in page, and could not show it."},
	"unmet_authentication_requirements": {http.StatusForbidden,
		"The passkey used does not meet what this app requires: for instance a passkey kept on one device " +
			"(a security key) where a synced one was used."},
	"temporarily_unavailable": {http.StatusBadGateway,
		"The sign-in service is unavailable right now. Try again in a moment."},
	"server_error": {http.StatusBadGateway,
		"The sign-in service failed to finish the sign-in. Try again in a moment."},
}

// providerError shows an error passbridge sent back to the callback instead
// of a code.
func providerError(code, description string, stepUp bool) *pageError {
	pe := &pageError{Status: http.StatusBadRequest, Code: code, Title: "Sign-in failed",
		Message: "passbridge refused the sign-in request.", Detail: description,
		cause: errors.New("authorization error " + code)}
	if !errorCode.MatchString(code) {
		pe.Code, pe.Detail, pe.cause = "invalid_callback", "", errors.New("malformed authorization error")
	}
	if m, ok := providerMessages[pe.Code]; ok {
		pe.Status, pe.Message = m.status, m.message
	}
	if d := []rune(pe.Detail); len(d) > maxDetail {
		pe.Detail = string(d[:maxDetail]) + "…"
	}
	if stepUp {
		pe.Title = "Confirmation failed"
		pe.Message += " You are still signed in as before."
	}
	return pe
}
