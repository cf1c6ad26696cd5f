package flexapi

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/passbridge/passbridge/ceremony"
	"github.com/passbridge/passbridge/provider/httpapi"
)

// createEnrolmentLinkRequest is the optional body: the link's lifetime in
// seconds (300 to 604800; default 86400).
type createEnrolmentLinkRequest struct {
	TTL *int64 `json:"ttl"`
}

// enrolmentLinkResponse is the link, shown once: its token is stored only
// as a digest.
type enrolmentLinkResponse struct {
	URL       string    `json:"url"`
	ExpiresAt time.Time `json:"expires_at"`
}

// createEnrolmentLink issues a single-use enrolment link for a user of the
// app (DESIGN §9): on passbridge's page it opens, the user registers a new
// passkey and is signed in. The backend hands the URL to its user.
func (a *API) createEnrolmentLink(c *gin.Context) error {
	var req createEnrolmentLinkRequest
	if err := httpapi.DecodeOptionalJSON(c, &req); err != nil {
		return err
	}
	var ttl time.Duration
	if req.TTL != nil {
		lo, hi := int64(ceremony.MinEnrolmentLinkTTL/time.Second), int64(ceremony.MaxEnrolmentLinkTTL/time.Second)
		if *req.TTL < lo || *req.TTL > hi {
			return httpapi.BadRequest("ttl %d is out of range: an enrolment link lasts from %d seconds (5 minutes) to %d seconds (7 days)",
				*req.TTL, lo, hi)
		}
		ttl = time.Duration(*req.TTL) * time.Second
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
	c.JSON(http.StatusOK, enrolmentLinkResponse{URL: ceremony.EnrolmentURL(a.issuer, token), ExpiresAt: expires.UTC()})
	return nil
}
