package httpapi

import (
	"github.com/gin-gonic/gin"
)

// keyLimitKey carries the per-key limiter in a request's context.
type keyLimitKey struct{}

// LimitKeys limits the requests each verified key makes: RequireAPIKey and
// RequireAdminKey, once a key is verified, take a token from the bucket of
// that key ("api_key:<id>", "admin_key:<id>") and refuse a request whose
// key has none left with 429 rate_limited and Retry-After. It bounds what
// one leaked or runaway key can cost, whatever addresses its requests come
// from; the per-address limits do not reach these routes (a backend's
// every call comes from the same few addresses).
//
// The middleware itself only hands the limiter to RequireAPIKey and
// RequireAdminKey; without it they limit nothing.
func LimitKeys(l *RateLimiter) gin.HandlerFunc {
	return func(c *gin.Context) {
		c.Set(keyLimitKey{}, l)
		c.Next()
	}
}

// limitKey takes a token of key's bucket, or returns the 429 refusing the
// request when there is none.
func limitKey(c *gin.Context, key string) error {
	v, ok := c.Get(keyLimitKey{})
	if !ok {
		return nil
	}
	l, ok := v.(*RateLimiter)
	if !ok || l == nil {
		return nil
	}
	if ok, wait := l.Allow(key); !ok {
		return tooManyRequests(c, wait)
	}
	return nil
}
