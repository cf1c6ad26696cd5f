package httpapi

import (
	"log/slog"
	"time"

	"github.com/gin-gonic/gin"
)

// AccessLog logs one line per request after it was answered. The route is the
// template ("/v1/apps/:app_id/users"), not the path, so the log does not leak
// identifiers into aggregations and groups requests the way metrics do.
func AccessLog() gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		status := c.Writer.Status()
		level := slog.LevelInfo
		if status >= 500 {
			level = slog.LevelError
		}
		Logger(c).LogAttrs(c.Request.Context(), level, "request",
			slog.String("method", c.Request.Method),
			slog.String("route", Route(c)),
			slog.Int("status", status),
			slog.Duration("duration", time.Since(start)),
			slog.String("remote", c.ClientIP()),
			slog.Int("bytes", c.Writer.Size()),
		)
	}
}

// Route is the route template that matched the request, or "unmatched" for a
// request no route served (whose path is arbitrary client input).
func Route(c *gin.Context) string {
	if r := c.FullPath(); r != "" {
		return r
	}
	return "unmatched"
}
