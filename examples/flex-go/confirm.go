package main

import (
	"net/http"
	"time"
)

// confirmationWindow is how long after the page asked to confirm a
// sensitive action its passkey ceremony may come back. It covers the
// ceremony's own timeout (passbridge's default is 2 minutes) and little
// more: a confirmation says the person was at the keyboard just now.
const confirmationWindow = 3 * time.Minute

// actionDeleteData names the sensitive action this example confirms with a
// passkey.
const actionDeleteData = "delete_data"

// nonceBody is {"nonce"}: what a finished ceremony gave the page.
type nonceBody struct {
	Nonce string `json:"nonce"`
}

// startConfirmation answers the page's request to confirm action with a
// passkey: an authenticate transaction for the signed-in user, so that only
// that user's passkeys answer the ceremony, and a note in the session of
// when it was asked for. The page runs the ceremony and brings the nonce to
// the action's own call, which checks it with confirmed.
func (a *app) startConfirmation(action string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := decodeJSON(w, r, &struct{}{}); err != nil {
			a.fail(w, r, err)
			return
		}
		name, ok := a.sessions.user(r)
		if !ok {
			a.fail(w, r, errNotSignedIn)
			return
		}
		tx, err := a.pb.createAuthenticateTransaction(r.Context(), name)
		if err != nil {
			a.fail(w, r, err)
			return
		}
		if !a.sessions.beginConfirmation(r, name, action) {
			a.fail(w, r, errNotSignedIn)
			return
		}
		writeJSON(w, http.StatusOK, transactionResponse{TransactionID: tx})
	}
}

// confirmed checks that nonce confirms action for the request's session,
// and returns the signed-in username. Being signed in is not enough for a
// sensitive action: the person must prove again, now, that they hold one of
// the account's passkeys and that it verified them. So:
//   - the session asked to confirm this action (startConfirmation) less
//     than confirmationWindow ago, and each request is good for one attempt;
//   - passbridge redeems the nonce (once; it expires after 5 minutes), also
//     when the confirmation came too late;
//   - its ceremony was an authentication ("authenticate"), not the making
//     of a new passkey ("register"), which proves nothing about the
//     account's passkeys;
//   - of the session's own user: another user's nonce confirms nothing here;
//   - with a passkey the account accepted;
//   - and the authenticator verified the user (PIN or biometrics, the UV
//     flag): presence alone is what anyone at an unlocked device has.
//
// passbridge's verify does not say which transaction a nonce came from, so
// the window is the app's: it starts when the transaction is created, and
// the nonce cannot be older than passbridge's nonce lifetime either.
func (a *app) confirmed(r *http.Request, action, nonce string) (string, error) {
	if nonce == "" {
		return "", &apiError{Status: http.StatusBadRequest, Code: "invalid_request", Message: "nonce is required"}
	}
	name, asked, ok := a.sessions.takeConfirmation(r, action)
	if name == "" {
		return "", errNotSignedIn
	}
	// The nonce is redeemed even for a confirmation that came too late, so
	// that it cannot be brought again to a new one.
	v, err := a.pb.verifyNonce(r.Context(), nonce)
	if !ok || a.now().Sub(asked) > confirmationWindow {
		return "", &apiError{Status: http.StatusForbidden, Code: "confirmation_expired",
			Message: "the confirmation expired or was used already; confirm again"}
	}
	if err != nil {
		return "", err
	}
	refused := func(why string) error {
		a.log.Warn("confirmation refused", "action", action, "user", name, "nonce_user", v.ExternalID,
			"kind", v.Kind, "device", v.DeviceID, "reason", why)
		// A passkey no account accepted was made through a ceremony this
		// app never accepted: it goes, as verify does with a refused
		// sign-up or sign-in.
		if !a.accounts.accepted(v.ExternalID, v.DeviceID) {
			if err := a.pb.revokeDevice(r.Context(), v.ExternalID, v.DeviceID); err != nil {
				a.log.Error("remove a refused passkey", "user", v.ExternalID, "device", v.DeviceID, "err", err)
			}
		}
		return &apiError{Status: http.StatusForbidden, Code: "confirmation_refused", Message: why}
	}
	switch {
	case v.Kind != "authenticate":
		return "", refused("confirm with one of your passkeys, not by creating a new one")
	case v.ExternalID != name:
		return "", refused("this passkey belongs to another account")
	case !a.accounts.accepted(name, v.DeviceID):
		return "", refused("this passkey is not accepted for your account")
	case !v.UserVerified:
		return "", &apiError{Status: http.StatusForbidden, Code: "user_verification_required",
			Message: "your passkey did not verify you (PIN, fingerprint or face); confirm with one that does"}
	}
	return name, nil
}

// deleteDataResponse is what a confirmed "Delete my data" answers.
type deleteDataResponse struct {
	DataDeletionConfirmedAt time.Time `json:"data_deletion_confirmed_at"`
}

// deleteData runs "Delete my data" once a passkey confirmed it. In this
// example the action is harmless: it records when it was confirmed, which
// the page shows. A real app deletes (or schedules the deletion of) the
// data here, and only here: after confirmed.
func (a *app) deleteData(w http.ResponseWriter, r *http.Request) {
	var req nonceBody
	if err := decodeJSON(w, r, &req); err != nil {
		a.fail(w, r, err)
		return
	}
	name, err := a.confirmed(r, actionDeleteData, req.Nonce)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	at := a.now().UTC()
	if err := a.accounts.recordDataDeletion(name, at); err != nil {
		a.fail(w, r, err)
		return
	}
	a.log.Info("data deletion confirmed", "user", name)
	writeJSON(w, http.StatusOK, deleteDataResponse{DataDeletionConfirmedAt: at})
}
