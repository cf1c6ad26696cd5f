package provider

import (
	"context"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/passbridge/passbridge/provider/httpapi"
)

// readyTimeout bounds the store ping of /readyz: a probe must answer even
// when the database hangs instead of refusing.
const readyTimeout = 2 * time.Second

// healthz answers while the process serves HTTP at all.
func (s *Server) healthz(c *gin.Context) {
	c.JSON(http.StatusOK, gin.H{"status": "ok"})
}

// readyz answers 200 while the store is reachable, so a load balancer sends
// traffic only to instances that can serve it.
func (s *Server) readyz(c *gin.Context) error {
	ctx, cancel := context.WithTimeout(c.Request.Context(), readyTimeout)
	defer cancel()
	if err := s.store.Ping(ctx); err != nil {
		return httpapi.Wrap(err, http.StatusServiceUnavailable, httpapi.CodeStoreUnavailable, "the store is unavailable")
	}
	c.JSON(http.StatusOK, gin.H{"status": "ok"})
	return nil
}
