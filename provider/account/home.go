package account

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

// home answers GET /: what this server is, and where people and tools go
// from here. It names no app: app IDs are for the apps to hand out.
func (h *Handler) home(c *gin.Context) {
	h.render(c, http.StatusOK, "home.html", pageData{Title: "passbridge: passkey sign-in"})
}

// passkeyEndpoints answers GET /.well-known/passkey-endpoints (W3C "A
// Well-Known URL for Relying Party Passkey Endpoints"): where a passkey
// manager sends its user to create a passkey (enroll) and to manage them
// (manage). Both are the account page, which asks which app when the
// browser's session does not say. Public and the same for everyone, so any
// origin may read it and caches may keep it.
func (h *Handler) passkeyEndpoints(c *gin.Context) {
	c.Header("Access-Control-Allow-Origin", "*")
	c.Header("Cache-Control", "public, max-age=86400")
	c.JSON(http.StatusOK, gin.H{"enroll": h.issuer + "/account", "manage": h.issuer + "/account"})
}
