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

// errNotSignedIn refuses a call that needs a signed-in session.
var errNotSignedIn = &apiError{Status: http.StatusUnauthorized, Code: "not_signed_in", Message: "nobody is signed in"}

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
// only a new one: the username is reserved for this browser, atomically,
// and verify completes the sign-up only for the browser that reserved it
// and only with the account's first passkey. Otherwise anyone could add
// their passkey to someone else's account.
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
		taken := &apiError{Status: http.StatusConflict, Code: "username_taken",
			Message: name + " is taken: sign in, or choose another username"}
		if a.accounts.exists(name) {
			a.fail(w, r, taken)
			return
		}
		// A user passbridge holds passkeys of is taken too, whatever this
		// app's records say.
		devices, err := a.pb.devicesOf(r.Context(), name)
		if err != nil {
			a.fail(w, r, err)
			return
		}
		if len(devices) > 0 {
			a.fail(w, r, taken)
			return
		}
		var held string
		if c, err := r.Cookie(signupCookie); err == nil {
			held = c.Value
		}
		token, ok, err := a.accounts.reserve(name, held)
		if err != nil {
			a.fail(w, r, err)
			return
		}
		if !ok {
			a.fail(w, r, taken)
			return
		}
		http.SetCookie(w, &http.Cookie{
			Name:     signupCookie,
			Value:    token,
			Path:     "/api/",
			MaxAge:   int(reservationLifetime / time.Second),
			HttpOnly: true,
			Secure:   r.TLS != nil,
			SameSite: http.SameSiteLaxMode,
		})
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
// trusted, and only because passbridge vouches for it; what it may do here
// is this app's decision:
//   - a sign-in (kind "authenticate") counts only with a passkey this
//     account accepted;
//   - a registration signed in adds a passkey to the session's own account;
//   - a registration signed out completes a sign-up only for the browser
//     that reserved the username, and only as the account's first passkey.
//
// A passkey refused here was registered through a ceremony this app never
// accepted: it is removed from passbridge, so it cannot be used later.
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
	v, err := a.pb.verifyNonce(r.Context(), req.Nonce)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	ok, err := a.admit(r, v)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if !ok {
		if err := a.pb.revokeDevice(r.Context(), v.ExternalID, v.DeviceID); err != nil {
			a.log.Error("remove a refused passkey", "user", v.ExternalID, "device", v.DeviceID, "err", err)
		}
		a.fail(w, r, &apiError{Status: http.StatusForbidden, Code: "passkey_not_accepted",
			Message: "this passkey is not accepted for " + v.ExternalID})
		return
	}
	if v.Kind == "register" {
		clearCookie(w, r, signupCookie, "/api/")
	}
	if name, signedIn := a.sessions.user(r); !signedIn || name != v.ExternalID {
		a.sessions.start(w, r, v.ExternalID)
	}
	writeJSON(w, http.StatusOK, usernameBody{Username: v.ExternalID})
}

// admit decides whether a verified ceremony may sign its user in here (see
// verify), and records a newly accepted passkey.
func (a *app) admit(r *http.Request, v verified) (bool, error) {
	if v.Kind == "authenticate" {
		return a.accounts.accepted(v.ExternalID, v.DeviceID), nil
	}
	if name, signedIn := a.sessions.user(r); signedIn {
		if name != v.ExternalID {
			return false, nil
		}
		return true, a.accounts.accept(name, v.DeviceID)
	}
	// A sign-up: the account's only passkey must be the one just made.
	devices, err := a.pb.devicesOf(r.Context(), v.ExternalID)
	if err != nil {
		return false, err
	}
	if len(devices) != 1 || devices[0].ID != v.DeviceID {
		return false, nil
	}
	token := ""
	if c, err := r.Cookie(signupCookie); err == nil {
		token = c.Value
	}
	return a.accounts.activate(v.ExternalID, token, v.DeviceID)
}

type meResponse struct {
	Username string     `json:"username"`
	Devices  []meDevice `json:"devices"`
	// DataDeletionConfirmedAt is when the user last confirmed "Delete my
	// data" with a passkey; null if never.
	DataDeletionConfirmedAt *time.Time `json:"data_deletion_confirmed_at"`
}

// me answers who is signed in, with their passkeys as passbridge lists them.
func (a *app) me(w http.ResponseWriter, r *http.Request) {
	name, ok := a.sessions.user(r)
	if !ok {
		a.fail(w, r, errNotSignedIn)
		return
	}
	devices, err := a.pb.devicesOf(r.Context(), name)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	out := meResponse{Username: name, Devices: a.meDevices(name, devices)}
	if at := a.accounts.dataDeletionConfirmedAt(name); !at.IsZero() {
		out.DataDeletionConfirmedAt = &at
	}
	writeJSON(w, http.StatusOK, out)
}

// signOut ends the session.
func (a *app) signOut(w http.ResponseWriter, r *http.Request) {
	a.sessions.end(w, r)
	w.WriteHeader(http.StatusNoContent)
}
