package httpapi

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

// HandlerFunc is a handler that reports failure by returning an error, which
// the ErrorWriter middleware turns into the response.
type HandlerFunc func(c *gin.Context) error

// Handle adapts fn to gin. An error fn returns is recorded on the context and
// the chain is aborted; ErrorWriter writes it.
func Handle(fn HandlerFunc) gin.HandlerFunc {
	return func(c *gin.Context) {
		if err := fn(c); err != nil {
			Fail(c, err)
		}
	}
}

// Fail records err as the request's outcome and stops the chain. Middleware
// that refuses a request calls it instead of writing a response itself.
func Fail(c *gin.Context, err error) {
	_ = c.Error(err) // gin returns its wrapper of err; the list is what matters
	c.Abort()
}

// ErrorWriter is the one place that writes error responses: after the rest of
// the chain ran, the last error recorded with Fail (or gin's c.Error) becomes
// the response, unless a response was already written.
func ErrorWriter() gin.HandlerFunc {
	return func(c *gin.Context) {
		c.Next()
		if len(c.Errors) == 0 {
			return
		}
		writeError(c, c.Errors.Last().Err)
	}
}

// NotFound answers a request for a path no route serves.
func NotFound() gin.HandlerFunc {
	return Handle(func(c *gin.Context) error {
		return NewError(http.StatusNotFound, CodeNotFound, "no such endpoint")
	})
}

// MethodNotAllowed answers a request whose path exists for other methods only.
func MethodNotAllowed() gin.HandlerFunc {
	return Handle(func(c *gin.Context) error {
		return NewError(http.StatusMethodNotAllowed, CodeMethodNotAllowed, "method "+c.Request.Method+" is not allowed here")
	})
}
