package main

import (
	"net/http"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// usernameBody is {"username"}: what the page asks about, and who verify
// signed in.
type usernameBody struct {
	Username string `json:"username"`
}

type transactionResponse struct {
	TransactionID string `json:"transaction_id"`
}

// username checks what a person typed as a username: 1 to 64 visible
// characters, no spaces. The username is the external ID passbridge knows
// the user by.
func username(raw string) (string, error) {
	name := strings.TrimSpace(raw)
	ok := name != "" && utf8.RuneCountInString(name) <= 64
	for _, r := range name {
		if !unicode.IsGraphic(r) || unicode.IsSpace(r) {
			ok = false
		}
	}
	if !ok {
		return "", &apiError{Status: http.StatusBadRequest, Code: "invalid_username",
			Message: "enter a username of 1 to 64 characters, without spaces"}
	}
	return name, nil
}

// register starts a passkey registration. Signed in, it adds a passkey to
// the session's own account. Signed out, it signs up a new username, and
// only a new one: otherwise anyone could add their passkey to someone
// else's account.
func (a *app) register(w http.ResponseWriter, r *http.Request) {
	var req usernameBody
	if err := decodeJSON(w, r, &req); err != nil {
		a.fail(w, r, err)
		return
	}
	name, signedIn := a.sessions.user(r)
	if !signedIn {
		var err error
		if name, err = username(req.Username); err != nil {
			a.fail(w, r, err)
			return
		}
		devices, err := a.pb.devicesOf(r.Context(), name)
		if err != nil {
			a.fail(w, r, err)
			return
		}
		if len(devices) > 0 {
			a.fail(w, r, &apiError{Status: http.StatusConflict, Code: "username_taken",
				Message: name + " has a passkey already: sign in with it"})
			return
		}
	}
	tx, err := a.pb.createRegisterTransaction(r.Context(), name, name)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, transactionResponse{TransactionID: tx})
}

// authenticate starts a sign-in bound to a username: the person said who
// they are, and passbridge accepts only a passkey of that user.
func (a *app) authenticate(w http.ResponseWriter, r *http.Request) {
	var req usernameBody
	if err := decodeJSON(w, r, &req); err != nil {
		a.fail(w, r, err)
		return
	}
	name, err := username(req.Username)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	tx, err := a.pb.createAuthenticateTransaction(r.Context(), name)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, transactionResponse{TransactionID: tx})
}

// verify redeems the nonce of a finished ceremony with passbridge and signs
// in the user it names. The nonce is the only thing from the page that is
// trusted, and only because passbridge vouches for it.
func (a *app) verify(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Nonce string `json:"nonce"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		a.fail(w, r, err)
		return
	}
	if req.Nonce == "" {
		a.fail(w, r, &apiError{Status: http.StatusBadRequest, Code: "invalid_request", Message: "nonce is required"})
		return
	}
	name, err := a.pb.verifyNonce(r.Context(), req.Nonce)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	a.sessions.start(w, r, name)
	writeJSON(w, http.StatusOK, usernameBody{Username: name})
}

// meDevice is a passkey as the page shows it.
type meDevice struct {
	ID          string     `json:"id"`
	Name        string     `json:"name"`
	Type        string     `json:"type"`
	IconLight   *string    `json:"icon_light"`
	IconDark    *string    `json:"icon_dark"`
	CreatedAt   time.Time  `json:"created_at"`
	LastLoginAt *time.Time `json:"last_login_at"`
	UsageCount  int64      `json:"usage_count"`
}

type meResponse struct {
	Username string     `json:"username"`
	Devices  []meDevice `json:"devices"`
}

// me answers who is signed in, with their passkeys as passbridge lists them.
func (a *app) me(w http.ResponseWriter, r *http.Request) {
	name, ok := a.sessions.user(r)
	if !ok {
		a.fail(w, r, &apiError{Status: http.StatusUnauthorized, Code: "not_signed_in", Message: "nobody is signed in"})
		return
	}
	devices, err := a.pb.devicesOf(r.Context(), name)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	out := meResponse{Username: name, Devices: make([]meDevice, len(devices))}
	for i, d := range devices {
		out.Devices[i] = meDevice{
			ID: d.ID, Name: d.FriendlyName, Type: d.Type,
			IconLight: d.Icons.Light, IconDark: d.Icons.Dark,
			CreatedAt: d.CreatedAt, LastLoginAt: d.LastLoginAt, UsageCount: d.UsageCount,
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// signOut ends the session.
func (a *app) signOut(w http.ResponseWriter, r *http.Request) {
	a.sessions.end(w, r)
	w.WriteHeader(http.StatusNoContent)
}
