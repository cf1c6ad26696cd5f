package provider

import (
	"context"
	"time"

	"github.com/gin-gonic/gin"
)

// requestDeadline gives each request's context a deadline timeout after it
// began. Every store call a handler makes runs under that context, so a
// database that holds a statement (a lock it waits for, a failover under
// way) gives the request ErrUnavailable at the deadline, which handlers
// answer 503, instead of holding the request, its connection and its
// database connection for as long as the database likes. The routes in
// long (by their full path) keep the context they have.
func requestDeadline(timeout time.Duration, long map[string]bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		if long[c.FullPath()] {
			c.Next()
			return
		}
		ctx, cancel := context.WithTimeout(c.Request.Context(), timeout)
		defer cancel()
		c.Request = c.Request.WithContext(ctx)
		c.Next()
	}
}
