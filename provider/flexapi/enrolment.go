package flexapi

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/passbridge/passbridge/ceremony"
	"github.com/passbridge/passbridge/provider/httpapi"
	"github.com/passbridge/passbridge/provider/settings"
)

// createEnrolmentLink issues a single-use enrolment link for a user of the
// app (DESIGN §9): on passbridge's page it opens, the user registers a new
// passkey and is signed in. The backend hands the URL to its user.
func (a *API) createEnrolmentLink(c *gin.Context) error {
	var req settings.EnrolmentLinkRequest
	if err := httpapi.DecodeOptionalJSON(c, &req); err != nil {
		return err
	}
	ttl, err := req.Lifetime()
	if err != nil {
		return httpapi.BadRequest("%s", err)
	}
	app := httpapi.App(c)
	u, err := a.user(c, app.ID)
	if err != nil {
		return err
	}
	token, expires, err := a.ceremony.CreateEnrolmentLink(c.Request.Context(), app, u.ID, ttl, httpapi.Actor(c))
	if err != nil {
		return err
	}
	a.logger(c).Info("enrolment link created", "app_id", app.ID, "user_id", u.ID, "actor", httpapi.Actor(c),
		"expires_at", expires)
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, settings.EnrolmentLinkJSON{URL: ceremony.EnrolmentURL(a.issuer, token), ExpiresAt: expires.UTC()})
	return nil
}
