package httpapi

import (
	"log/slog"

	"github.com/gin-gonic/gin"
)

// Middleware returns the shared middleware of a JSON API in the order it must
// run: request ID (so every later line carries it), access log, panic
// recovery, the error writer, then the body limit.
func Middleware(log *slog.Logger, maxBodyBytes int64) []gin.HandlerFunc {
	return []gin.HandlerFunc{
		RequestID(log),
		AccessLog(),
		Recovery(),
		ErrorWriter(),
		BodyLimit(maxBodyBytes),
	}
}
