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

// providerMessage is how the page explains an error code.
type providerMessage struct {
	status  int
	message string
}

// providerMessages explain passbridge's error answers (RFC 6749 §4.1.2.1,
// OIDC Core §3.1.2.6, RFC 9470 §3) to the person in front of the page.
var providerMessages = map[string]providerMessage{
	"access_denied": {http.StatusForbidden,
		"The passkey step was refused or cancelled."},
	"login_required": {http.StatusUnauthorized,
		"passbridge needs you to use your passkey, and could not ask."},
	"interaction_required": {http.StatusUnauthorized,
		"passbridge needs you on its page, and could not show it."},
	"unmet_authentication_requirements": {http.StatusForbidden,
		"The passkey used does not meet what this app requires: for instance a passkey kept on one device " +
			"(a security key) where a synced one was used."},
	"temporarily_unavailable": {http.StatusBadGateway,
		"The passkey service is unavailable right now. Try again in a moment."},
	"server_error": {http.StatusBadGateway,
		"The passkey service failed to finish. Try again in a moment."},
}

// enrolmentMessages override providerMessages for an enrolment.
var enrolmentMessages = map[string]providerMessage{
	// passbridge's answer to prompt=create for a named user without a
	// request object the client signed: the request reached it without
	// the app's signature (removed or changed on the way).
	"invalid_request": {http.StatusBadRequest,
		"passbridge refused to add a passkey to your account: it adds one to a named account only when this " +
			"app signs the request, and the request it received was not signed by this app. Start again from this app."},
	// A refusal or a cancelled ceremony at passbridge.
	"access_denied": {http.StatusForbidden,
		"passbridge refused to add a passkey to your account, or it was cancelled. Start again from this app."},
}

// providerError shows an error passbridge sent back to the callback instead
// of a code.
func providerError(code, description string, p purpose) *pageError {
	pe := &pageError{Status: http.StatusBadRequest, Code: code, Title: "Passkey step failed",
		Message: "passbridge refused the request.", Detail: description,
		cause: errors.New("authorization error " + code)}
	if !errorCode.MatchString(code) {
		pe.Code, pe.Detail, pe.cause = "invalid_callback", "", errors.New("malformed authorization error")
	}
	m, ok := providerMessages[pe.Code]
	if p == purposeEnrol {
		pe.Title = "Passkey not added"
		if em, found := enrolmentMessages[pe.Code]; found {
			m, ok = em, true
		}
	}
	if ok {
		pe.Status, pe.Message = m.status, m.message
	}
	if d := []rune(pe.Detail); len(d) > maxDetail {
		pe.Detail = string(d[:maxDetail]) + "…"
	}
	pe.Message += stillSignedIn(p)
	return pe
}
