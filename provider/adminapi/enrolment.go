package adminapi

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/passbridge/passbridge/ceremony"
	"github.com/passbridge/passbridge/provider/httpapi"
)

// enrolmentLinkRequest is the optional body: the link's lifetime in
// seconds.
type enrolmentLinkRequest struct {
	TTL *int64 `json:"ttl"`
}

// enrolmentLinkResponse is the link, shown once: its token is stored only
// as a digest.
type enrolmentLinkResponse struct {
	URL       string    `json:"url"`
	ExpiresAt time.Time `json:"expires_at"`
}

// createEnrolmentLink issues a single-use link on which the user registers
// a new passkey and is signed in: the way back for a user who lost every
// passkey, the way in for an imported or pre-created one.
func (a *API) createEnrolmentLink(c *gin.Context) error {
	var req enrolmentLinkRequest
	if err := httpapi.DecodeOptionalStrictJSON(c, &req); err != nil {
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
	c.JSON(http.StatusCreated, enrolmentLinkResponse{URL: ceremony.EnrolmentURL(a.issuer, token), ExpiresAt: expires.UTC()})
	return nil
}
