package flexapi

import (
	"net/http"
	"slices"

	"github.com/gin-gonic/gin"
)

// relatedOriginsResponse is the WebAuthn related origins document
// (WebAuthn L3 §5.11.1).
type relatedOriginsResponse struct {
	Origins []string `json:"origins"`
}

// relatedOrigins serves /.well-known/webauthn: the origins, beyond the RP ID's
// own, that may run ceremonies for the RP ID this server's host is. They are
// the origins of every app whose RP ID is the issuer's host, so a browser
// lets those sites use passkeys created for this host (§5.11.2).
func (a *API) relatedOrigins(c *gin.Context) error {
	apps, err := a.store.ListApps(c.Request.Context())
	if err != nil {
		return err
	}
	origins := []string{}
	for _, app := range apps {
		if a.issuerHost != "" && app.RPID == a.issuerHost {
			origins = append(origins, app.Origins...)
		}
	}
	slices.Sort(origins)
	origins = slices.Compact(origins)
	// Browsers fetch this during a ceremony; a few minutes of caching spares
	// the store without making an app's new origin wait long.
	c.Header("Cache-Control", "public, max-age=300")
	c.JSON(http.StatusOK, relatedOriginsResponse{Origins: origins})
	return nil
}
