package httpapi

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"
)

// DefaultMaxBodyBytes is the body limit when none is configured: far more
// than any WebAuthn response, far less than what would hurt the server.
const DefaultMaxBodyBytes = 1 << 20

// BodyLimit caps request bodies at limit bytes (DefaultMaxBodyBytes when
// limit <= 0). A declared length over the limit is refused at once; a body
// that turns out longer fails when read, and DecodeJSON reports it as 413.
func BodyLimit(limit int64) gin.HandlerFunc {
	return BodyLimits(limit, nil)
}

// BodyLimits is BodyLimit where the routes in routes (full paths as
// registered, such as "/admin/v1/apps/:app_id/import") have limits of their
// own: bodies that are uploads, read as a stream.
func BodyLimits(limit int64, routes map[string]int64) gin.HandlerFunc {
	if limit <= 0 {
		limit = DefaultMaxBodyBytes
	}
	return func(c *gin.Context) {
		limit := limit
		if l, ok := routes[c.FullPath()]; ok {
			limit = l
		}
		if c.Request.ContentLength > limit {
			Fail(c, errTooLarge(limit))
			return
		}
		if c.Request.Body != nil {
			c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, limit)
		}
		c.Next()
	}
}

// ErrTooLarge is the 413 request_too_large refusing a body over limit.
func ErrTooLarge(limit int64) *Error { return errTooLarge(limit) }

func errTooLarge(limit int64) *Error {
	return NewError(http.StatusRequestEntityTooLarge, CodeRequestTooLarge,
		"request body is larger than "+formatBytes(limit))
}

// IsTooLarge reports whether err comes from reading a body past BodyLimit.
func IsTooLarge(err error) bool {
	var mbe *http.MaxBytesError
	return errors.As(err, &mbe)
}

func formatBytes(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return strconv.FormatInt(n>>20, 10) + " MiB"
	case n >= 1<<10 && n%(1<<10) == 0:
		return strconv.FormatInt(n>>10, 10) + " KiB"
	default:
		return strconv.FormatInt(n, 10) + " bytes"
	}
}
