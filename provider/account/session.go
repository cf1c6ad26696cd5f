package account

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/passbridge/passbridge/provider/httpapi"
	oidcp "github.com/passbridge/passbridge/provider/oidc"
	"github.com/passbridge/passbridge/storage"
)

// signIn answers POST /account/session {"app_id", "nonce"}: the nonce of
// the page's passkey sign-in becomes a browser session with the app, the
// same session the login page makes (so the app's clients then sign in
// without a ceremony, as after any sign-in here).
func (h *Handler) signIn(c *gin.Context) error {
	var req nonceRequest
	if err := httpapi.DecodeJSON(c, &req); err != nil {
		return err
	}
	if req.AppID == "" {
		return httpapi.BadRequest("app_id is required")
	}
	ctx := c.Request.Context()
	app, err := h.loadApp(ctx, req.AppID)
	if err != nil {
		return err
	}
	n, err := h.verifyNonce(ctx, app, req.Nonce)
	if err != nil {
		return err
	}
	if n.Kind != storage.KindAuthenticate {
		return errWrongCeremony
	}
	proof := oidcp.Proof{UserID: n.UserID, Subject: n.ExternalID, DeviceID: n.DeviceID,
		UserVerified: n.UserVerified, BackupEligible: n.BackupEligible}
	err = h.provider.NewSession(ctx, c.Writer, c.Request, app.ID, proof)
	if errors.Is(err, oidcp.ErrUserInactive) {
		return errUserInactive
	}
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, gin.H{"signed_in": true})
	return nil
}

type signOutRequest struct {
	AppID string `json:"app_id"`
}

// signOut answers POST /account/signout {"app_id"}: the browser's session
// with the app ends, whoever it was (signed out already is no error).
func (h *Handler) signOut(c *gin.Context) error {
	var req signOutRequest
	if err := httpapi.DecodeJSON(c, &req); err != nil {
		return err
	}
	if req.AppID == "" {
		return httpapi.BadRequest("app_id is required")
	}
	ctx := c.Request.Context()
	app, err := h.loadApp(ctx, req.AppID)
	if err != nil {
		return err
	}
	if err := h.provider.EndSession(ctx, c.Writer, c.Request, app.ID); err != nil {
		return err
	}
	c.JSON(http.StatusOK, gin.H{"signed_in": false})
	return nil
}
