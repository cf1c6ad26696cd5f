package adminapi

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/passbridge/passbridge/ceremony"
	"github.com/passbridge/passbridge/provider/httpapi"
	"github.com/passbridge/passbridge/provider/settings"
)

// createEnrolmentLink issues a single-use link on which the user registers
// a new passkey and is signed in: the way back for a user who lost every
// passkey, the way in for an imported or pre-created one.
func (a *API) createEnrolmentLink(c *gin.Context) error {
	var req settings.EnrolmentLinkRequest
	if err := httpapi.DecodeOptionalStrictJSON(c, &req); err != nil {
		return err
	}
	ttl, err := req.Lifetime()
	if err != nil {
		return httpapi.BadRequest("%s", err)
	}
	u, err := a.user(c)
	if err != nil {
		return err
	}
	app := appOf(c)
	token, expires, err := a.ceremony.CreateEnrolmentLink(c.Request.Context(), app, u.ID, ttl, actor(c))
	if err != nil {
		return err
	}
	a.logger(c).Info("enrolment link created", "app_id", app.ID, "user_id", u.ID, "actor", actor(c), "expires_at", expires)
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusCreated, settings.EnrolmentLinkJSON{URL: ceremony.EnrolmentURL(a.issuer, token), ExpiresAt: expires.UTC()})
	return nil
}
