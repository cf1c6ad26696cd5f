package httpapi

import (
	"log/slog"

	"github.com/gin-gonic/gin"

	"github.com/passbridge/passbridge/storage"
)

// HeaderRequestID carries the request ID in both directions.
const HeaderRequestID = "X-Request-Id"

// maxRequestIDLen bounds an incoming request ID: enough for a UUID or a
// trace ID, too short to flood the logs.
const maxRequestIDLen = 64

type contextKey int

const (
	keyLogger contextKey = iota
	keyRequestID
	keyApp
	keyActor
	keyFailureLimit
)

// RequestID gives every request an ID, echoed in the response header and
// attached to every log line of the request through Logger. A sane incoming
// X-Request-Id (from a proxy or the client) is kept so logs can be joined
// across systems; anything else is replaced.
func RequestID(base *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		id := c.GetHeader(HeaderRequestID)
		if !validRequestID(id) {
			id = storage.NewID()
		}
		c.Set(keyRequestID, id)
		c.Set(keyLogger, base.With("request_id", id))
		c.Header(HeaderRequestID, id)
		c.Next()
	}
}

// validRequestID accepts 1 to 64 characters of [A-Za-z0-9._-]: nothing that
// could forge a log line or a header.
func validRequestID(id string) bool {
	if id == "" || len(id) > maxRequestIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		switch ch := id[i]; {
		case ch >= 'a' && ch <= 'z', ch >= 'A' && ch <= 'Z', ch >= '0' && ch <= '9', ch == '.', ch == '_', ch == '-':
		default:
			return false
		}
	}
	return true
}

// GetRequestID returns the request's ID, or "" outside the RequestID middleware.
func GetRequestID(c *gin.Context) string {
	v, _ := c.Get(keyRequestID)
	id, _ := v.(string)
	return id
}

// Logger returns the request's logger, which tags every line with the
// request ID. Outside the RequestID middleware it returns slog.Default().
func Logger(c *gin.Context) *slog.Logger {
	v, _ := c.Get(keyLogger)
	if l, ok := v.(*slog.Logger); ok {
		return l
	}
	return slog.Default()
}
