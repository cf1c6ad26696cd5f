package flexapi

import (
	"encoding/json"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/passbridge/passbridge/ceremony"
	"github.com/passbridge/passbridge/provider/httpapi"
)

// Authenticator attachments register start accepts. The Passage SDK always
// sends one, "platform" unless told otherwise.
const (
	attachmentPlatform      = "platform"
	attachmentCrossPlatform = "cross-platform"
	attachmentAny           = "any"
)

type registerStartRequest struct {
	TransactionID           string `json:"transaction_id"`
	AuthenticatorAttachment string `json:"authenticator_attachment"`
}

// handshakeResponse is what a start returns: the handshake to name at
// finish, and the options for navigator.credentials under "publicKey".
type handshakeResponse struct {
	Handshake handshake `json:"handshake"`
}

type handshake struct {
	ID        string    `json:"id"`
	Challenge challenge `json:"challenge"`
}

// challenge is CredentialCreationOptions / CredentialRequestOptions in
// JSON: the WebAuthn options, and "conditional" mediation where the
// ceremony may run as autofill.
type challenge struct {
	PublicKey json.RawMessage `json:"publicKey"`
	Mediation string          `json:"mediation,omitempty"`
}

func newHandshakeResponse(h ceremony.Handshake) handshakeResponse {
	return handshakeResponse{Handshake: handshake{
		ID:        h.ID,
		Challenge: challenge{PublicKey: h.Options, Mediation: h.Mediation},
	}}
}

// registerStart begins the registration of a register transaction.
func (a *API) registerStart(c *gin.Context) error {
	var req registerStartRequest
	if err := httpapi.DecodeJSON(c, &req); err != nil {
		return err
	}
	if req.TransactionID == "" {
		return httpapi.BadRequest("transaction_id is required")
	}
	switch req.AuthenticatorAttachment {
	case "":
		req.AuthenticatorAttachment = attachmentPlatform
	case attachmentPlatform, attachmentCrossPlatform, attachmentAny:
	default:
		return httpapi.BadRequest("authenticator_attachment must be platform, cross-platform or any")
	}
	h, err := a.ceremony.BeginFlexRegistration(c.Request.Context(), httpapi.App(c), req.TransactionID, req.AuthenticatorAttachment)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, newHandshakeResponse(h))
	return nil
}

type authenticateStartRequest struct {
	TransactionID string `json:"transaction_id"`
}

// authenticateStart begins an authentication: of the transaction's user, or
// discoverable (whoever the authenticator names) without a transaction.
func (a *API) authenticateStart(c *gin.Context) error {
	var req authenticateStartRequest
	// A discoverable start has nothing to say; an empty body says it.
	if err := httpapi.DecodeOptionalJSON(c, &req); err != nil {
		return err
	}
	h, err := a.ceremony.BeginFlexAuthentication(c.Request.Context(), httpapi.App(c), req.TransactionID)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, newHandshakeResponse(h))
	return nil
}

// finishRequest is both finishes' body. The response is kept as raw JSON:
// the ceremony core parses it (and normalises the Passage SDK's shape).
type finishRequest struct {
	TransactionID     string          `json:"transaction_id"`
	HandshakeID       string          `json:"handshake_id"`
	HandshakeResponse json.RawMessage `json:"handshake_response"`
}

// check reports the first required field that is missing.
func (r finishRequest) check(needTransaction bool) error {
	switch {
	case needTransaction && r.TransactionID == "":
		return httpapi.BadRequest("transaction_id is required")
	case r.HandshakeID == "":
		return httpapi.BadRequest("handshake_id is required")
	case len(r.HandshakeResponse) == 0 || string(r.HandshakeResponse) == "null":
		return httpapi.BadRequest("handshake_response is required")
	}
	return nil
}

type nonceResponse struct {
	Nonce string `json:"nonce"`
}

// registerFinish verifies the new credential, stores the device and hands
// the browser a nonce for the backend.
func (a *API) registerFinish(c *gin.Context) error {
	var req finishRequest
	if err := httpapi.DecodeJSON(c, &req); err != nil {
		return err
	}
	if err := req.check(true); err != nil {
		return err
	}
	res, err := a.ceremony.FinishFlexRegistration(c.Request.Context(), httpapi.App(c), req.TransactionID, req.HandshakeID, req.HandshakeResponse)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, nonceResponse{Nonce: res.Nonce})
	return nil
}

// authenticateFinish verifies the assertion and hands the browser a nonce
// for the backend.
func (a *API) authenticateFinish(c *gin.Context) error {
	var req finishRequest
	if err := httpapi.DecodeJSON(c, &req); err != nil {
		return err
	}
	if err := req.check(false); err != nil {
		return err
	}
	res, err := a.ceremony.FinishFlexAuthentication(c.Request.Context(), httpapi.App(c), req.TransactionID, req.HandshakeID, req.HandshakeResponse)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, nonceResponse{Nonce: res.Nonce})
	return nil
}
