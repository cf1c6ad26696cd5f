package httpapi

import (
	"fmt"
	"net/http"
	"runtime/debug"

	"github.com/gin-gonic/gin"
)

// Recovery turns a panic in a handler into a 500 internal_server_error and
// logs it with its stack. http.ErrAbortHandler is re-raised: net/http uses it
// to abort a response on purpose.
func Recovery() gin.HandlerFunc {
	return func(c *gin.Context) {
		defer func() {
			p := recover()
			if p == nil {
				return
			}
			if p == http.ErrAbortHandler {
				panic(p)
			}
			Logger(c).Error("panic in handler", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			writeError(c, fmt.Errorf("panic: %v", p))
		}()
		c.Next()
	}
}
