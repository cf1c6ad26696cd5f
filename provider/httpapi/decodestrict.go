package httpapi

import "github.com/gin-gonic/gin"

// DecodeStrictJSON is DecodeJSON for APIs whose callers are people and
// their scripts, not SDKs: a member v does not have is refused, naming it,
// instead of ignored, so that a misspelt setting is never silently
// dropped.
func DecodeStrictJSON(c *gin.Context, v any) error {
	return decodeBody(c, v, true, false)
}

// DecodeOptionalStrictJSON is DecodeStrictJSON for a body that may be left
// out (see DecodeOptionalJSON).
func DecodeOptionalStrictJSON(c *gin.Context, v any) error {
	return decodeBody(c, v, true, true)
}
