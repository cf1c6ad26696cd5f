package account

import (
	"mime"

	"github.com/gin-gonic/gin"
)

// sameOrigin guards every call that changes something against cross-site
// request forgery: the Origin header must be the issuer's (browsers send it
// on every POST, PATCH and DELETE, same-origin ones included), and the body
// must be declared application/json, which no HTML form can send and which
// makes a cross-origin fetch ask first (a CORS preflight this server never
// approves). The session cookie is SameSite=Lax besides, so a cross-site
// subrequest does not carry it at all.
func (h *Handler) sameOrigin(c *gin.Context) error {
	if c.GetHeader("Origin") != h.origin {
		return errOriginNotAllowed
	}
	mt, _, err := mime.ParseMediaType(c.GetHeader("Content-Type"))
	if err != nil || mt != "application/json" {
		return errMediaType
	}
	c.Next()
	return nil
}
