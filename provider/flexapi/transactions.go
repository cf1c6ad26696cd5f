package flexapi

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/passbridge/passbridge/provider/httpapi"
)

type createRegisterTransactionRequest struct {
	ExternalID         string `json:"external_id"`
	PasskeyDisplayName string `json:"passkey_display_name"`
}

type transactionResponse struct {
	TransactionID string `json:"transaction_id"`
}

// createRegisterTransaction lets the browser register a passkey for an
// external ID; an external ID the app has not seen yet becomes a user.
// passkey_display_name is optional: without it the authenticator shows the
// external ID.
func (a *API) createRegisterTransaction(c *gin.Context) error {
	var req createRegisterTransactionRequest
	if err := httpapi.DecodeJSON(c, &req); err != nil {
		return err
	}
	if req.ExternalID == "" {
		return httpapi.BadRequest("external_id is required")
	}
	t, err := a.ceremony.CreateRegisterTransaction(actorContext(c), httpapi.App(c), req.ExternalID, req.PasskeyDisplayName)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, transactionResponse{TransactionID: t.ID})
	return nil
}

type createAuthenticateTransactionRequest struct {
	ExternalID string `json:"external_id"`
}

// createAuthenticateTransaction lets the browser authenticate an existing
// user with one of its passkeys (the MFA pattern: the backend already knows
// who it expects).
func (a *API) createAuthenticateTransaction(c *gin.Context) error {
	var req createAuthenticateTransactionRequest
	if err := httpapi.DecodeJSON(c, &req); err != nil {
		return err
	}
	if req.ExternalID == "" {
		return httpapi.BadRequest("external_id is required")
	}
	t, err := a.ceremony.CreateAuthenticateTransaction(actorContext(c), httpapi.App(c), req.ExternalID)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, transactionResponse{TransactionID: t.ID})
	return nil
}

type verifyNonceRequest struct {
	Nonce string `json:"nonce"`
}

// verifyNonceResponse says whose the nonce is and what its ceremony proved:
// a backend that signs users up needs the kind and the device to tell a
// sign-up's own first passkey from anything else (see the README).
type verifyNonceResponse struct {
	ExternalID     string `json:"external_id"`
	Kind           string `json:"kind"` // storage.KindRegister | storage.KindAuthenticate
	DeviceID       string `json:"device_id"`
	UserVerified   bool   `json:"user_verified"`
	BackupEligible bool   `json:"backup_eligible"`
	BackedUp       bool   `json:"backed_up"`
}

// verifyNonce redeems the nonce a finished ceremony gave the browser, once,
// for the external ID of the user it proved and what the ceremony proved.
func (a *API) verifyNonce(c *gin.Context) error {
	var req verifyNonceRequest
	if err := httpapi.DecodeJSON(c, &req); err != nil {
		return err
	}
	if req.Nonce == "" {
		return httpapi.BadRequest("nonce is required")
	}
	n, err := a.ceremony.VerifyNonce(actorContext(c), httpapi.App(c), req.Nonce)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, verifyNonceResponse{
		ExternalID:     n.ExternalID,
		Kind:           n.Kind,
		DeviceID:       n.DeviceID,
		UserVerified:   n.UserVerified,
		BackupEligible: n.BackupEligible,
		BackedUp:       n.BackedUp,
	})
	return nil
}
