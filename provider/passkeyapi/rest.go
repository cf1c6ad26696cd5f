package passkeyapi

import (
	"encoding/json"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/passbridge/passbridge/ceremony"
	"github.com/passbridge/passbridge/provider/flexapi"
	"github.com/passbridge/passbridge/provider/httpapi"
)

type registerStartRequest struct {
	UserID             string `json:"user_id"` // the app's external ID
	EmailOrUsername    string `json:"email_or_username"`
	UserDisplayName    string `json:"user_display_name"`
	PasskeyDisplayName string `json:"passkey_display_name"`
}

type registrationOptionsResponse struct {
	RegistrationOptions json.RawMessage `json:"registrationOptions"`
}

// registerStart returns registration options for the user, creating it if
// the app has not seen its external ID yet.
func (a *API) registerStart(c *gin.Context) error {
	var req registerStartRequest
	if err := httpapi.DecodeJSON(c, &req); err != nil {
		return err
	}
	switch {
	case req.UserID == "":
		return httpapi.BadRequest("user_id is required")
	case req.EmailOrUsername == "":
		return httpapi.BadRequest("email_or_username is required")
	}
	h, err := a.ceremony.StartRegistration(actorContext(c), httpapi.App(c), ceremony.RegistrationStart{
		ExternalID:         req.UserID,
		UserName:           req.EmailOrUsername,
		UserDisplayName:    req.UserDisplayName,
		PasskeyDisplayName: req.PasskeyDisplayName,
	})
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, registrationOptionsResponse{RegistrationOptions: h.Options})
	return nil
}

// finishRequest is both finishes' body; PublicKey is the browser's
// RegistrationResponseJSON or AuthenticationResponseJSON, passed on raw.
type finishRequest struct {
	UserID    string          `json:"user_id"`
	PublicKey json.RawMessage `json:"publicKey"`
}

func (r finishRequest) hasPublicKey() bool {
	return len(r.PublicKey) > 0 && string(r.PublicKey) != "null"
}

type deviceResponse struct {
	Device flexapi.Device `json:"device"`
}

// registerFinish verifies the browser's new credential for the user and
// stores it.
func (a *API) registerFinish(c *gin.Context) error {
	var req finishRequest
	if err := httpapi.DecodeJSON(c, &req); err != nil {
		return err
	}
	switch {
	case req.UserID == "":
		return httpapi.BadRequest("user_id is required")
	case !req.hasPublicKey():
		return httpapi.BadRequest("publicKey is required")
	}
	res, err := a.ceremony.FinishRegistration(actorContext(c), httpapi.App(c), req.UserID, req.PublicKey)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, deviceResponse{Device: a.device(res.Device)})
	return nil
}

type authenticateStartRequest struct {
	UserID string `json:"user_id"`
}

type authenticationOptionsResponse struct {
	AuthenticationOptions json.RawMessage `json:"authenticationOptions"`
}

// authenticateStart returns authentication options: for the user's passkeys,
// or discoverable (whoever the authenticator names) without user_id.
func (a *API) authenticateStart(c *gin.Context) error {
	var req authenticateStartRequest
	// A discoverable start has nothing to say; an empty body says it.
	if err := httpapi.DecodeOptionalJSON(c, &req); err != nil {
		return err
	}
	h, err := a.ceremony.StartAuthentication(actorContext(c), httpapi.App(c), req.UserID)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, authenticationOptionsResponse{AuthenticationOptions: h.Options})
	return nil
}

type authenticateFinishResponse struct {
	ExternalID string         `json:"external_id"`
	Device     flexapi.Device `json:"device"`
}

// authenticateFinish verifies the browser's assertion and says whose it is.
// With user_id, the assertion must be that user's.
func (a *API) authenticateFinish(c *gin.Context) error {
	var req finishRequest
	if err := httpapi.DecodeJSON(c, &req); err != nil {
		return err
	}
	if !req.hasPublicKey() {
		return httpapi.BadRequest("publicKey is required")
	}
	res, err := a.ceremony.FinishAuthentication(actorContext(c), httpapi.App(c), req.UserID, req.PublicKey)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, authenticateFinishResponse{ExternalID: res.User.ExternalID, Device: a.device(res.Device)})
	return nil
}
