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

type verifyNonceResponse struct {
	ExternalID string `json:"external_id"`
}

// verifyNonce redeems the nonce a finished ceremony gave the browser, once,
// for the external ID of the user it proved.
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
	c.JSON(http.StatusOK, verifyNonceResponse{ExternalID: n.ExternalID})
	return nil
}
