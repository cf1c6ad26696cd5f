package flexapi

import (
	"net/http"
	"slices"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/passbridge/passbridge/provider/httpapi"
)

// What a browser may send to the client API (Fetch standard, CORS protocol).
// Passage-Flex-Version is the header the retired Passage SDK adds to every
// call; its preflight must allow it or the SDK fails before it starts.
const (
	corsAllowMethods = "POST"
	corsAllowHeaders = "Content-Type, Passage-Flex-Version"
	corsMaxAge       = 600 // seconds: browsers cap it at 2 h (Chromium) or 24 h
)

// codeOriginNotAllowed refuses a cross-origin call from a page that is not
// one of the app's origins.
const codeOriginNotAllowed = "origin_not_allowed"

// cors lets only the app's exact origins call the client API from a
// browser. A request with no Origin header is not a browser's cross-origin
// call (a server-side tool, a test): it passes, because what protects the
// ceremony is WebAuthn's own check of the origin in clientDataJSON. An
// Origin that is not the app's is refused outright, preflight or not, so a
// foreign page cannot even start ceremonies that would tie up transactions.
func (a *API) cors(c *gin.Context) error {
	// The answer depends on Origin whatever it is, so caches must key on it.
	c.Header("Vary", "Origin")
	origin := c.GetHeader("Origin")
	if origin == "" {
		c.Next()
		return nil
	}
	if !slices.Contains(httpapi.App(c).Origins, origin) {
		return httpapi.NewError(http.StatusForbidden, codeOriginNotAllowed, "this origin is not allowed to call this app")
	}
	c.Header("Access-Control-Allow-Origin", origin)
	c.Next()
	return nil
}

// preflight answers a CORS preflight that cors let through.
func preflight(c *gin.Context) {
	h := c.Writer.Header()
	h.Set("Access-Control-Allow-Methods", corsAllowMethods)
	h.Set("Access-Control-Allow-Headers", corsAllowHeaders)
	h.Set("Access-Control-Max-Age", strconv.Itoa(corsMaxAge))
	c.Status(http.StatusNoContent)
}
