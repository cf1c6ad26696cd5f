package httpapi

import (
	"github.com/gin-gonic/gin"
)

// failureLimit is the failed-attempt bucket a request counts against.
type failureLimit struct {
	limiter *RateLimiter
	key     string
}

// LimitFailures limits the requests that prove nothing: those LoadApp
// answers 404 app_not_found and those RequireAPIKey answers 401
// invalid_access_token. Each such failure takes a token from the bucket of
// the key the request counts against (key(c); "" exempts it), and once a
// key's bucket is empty, LoadApp and RequireAPIKey refuse its requests with
// 429 rate_limited before they look anything up, until a token is back.
// Requests that succeed take nothing, so a backend that holds a valid key
// is never limited by this, whatever its volume.
//
// The middleware itself only hands the limiter and the key to LoadApp and
// RequireAPIKey; without it they limit nothing.
func LimitFailures(l *RateLimiter, key func(*gin.Context) string) gin.HandlerFunc {
	return func(c *gin.Context) {
		if k := key(c); k != "" {
			c.Set(keyFailureLimit, failureLimit{limiter: l, key: k})
		}
		c.Next()
	}
}

// refuseIfFailing answers a request whose key has spent its failed attempts
// with 429 rate_limited and Retry-After; otherwise it returns nil.
func refuseIfFailing(c *gin.Context) error {
	f, ok := failures(c)
	if !ok {
		return nil
	}
	if ok, wait := f.limiter.Peek(f.key); !ok {
		return tooManyRequests(c, wait)
	}
	return nil
}

// countFailure charges the request's key for a failed attempt.
func countFailure(c *gin.Context) {
	if f, ok := failures(c); ok {
		f.limiter.Take(f.key)
	}
}

func failures(c *gin.Context) (failureLimit, bool) {
	v, ok := c.Get(keyFailureLimit)
	if !ok {
		return failureLimit{}, false
	}
	f, ok := v.(failureLimit)
	return f, ok
}
