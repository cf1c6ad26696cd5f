package httpapi

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/passbridge/passbridge/storage"
)

// RequireAdminKey authenticates an operator with "Authorization: Bearer
// pba_…", an admin key. A missing or malformed key, an unknown or revoked
// one, and any other secret (an app's pbk_ API key) are refused alike (401
// invalid_access_token, one message); each is a failed attempt for
// LimitFailures, and a client that has spent its failed attempts is refused
// with 429 rate_limited before the lookup. On success the key's LastUsedAt
// is refreshed (at most once a minute, best effort), "admin_key:<id>"
// becomes the request's Actor, and the key's own rate limit applies (see
// LimitKeys).
func RequireAdminKey(store storage.AdminKeyStore, now func() time.Time) gin.HandlerFunc {
	if now == nil {
		now = time.Now
	}
	return Handle(func(c *gin.Context) error {
		if err := refuseIfFailing(c); err != nil {
			return err
		}
		secret, ok := bearerToken(c.GetHeader("Authorization"))
		// Only an admin key can match: anything else is not worth a query.
		if !ok || !strings.HasPrefix(secret, storage.PrefixAdminKey) {
			return errInvalidAdminKey(c)
		}
		key, err := store.GetAdminKeyByHash(c.Request.Context(), storage.HashSecret(secret))
		if errors.Is(err, storage.ErrNotFound) {
			return errInvalidAdminKey(c)
		}
		if err != nil {
			return err
		}
		if t := now().UTC(); t.Sub(key.LastUsedAt) >= touchEvery {
			if err := store.TouchAdminKey(c.Request.Context(), key.ID, t); err != nil {
				Logger(c).Warn("record admin key use", "admin_key_id", key.ID, "err", err)
			}
		}
		actor := "admin_key:" + key.ID
		if err := limitKey(c, actor); err != nil {
			return err
		}
		c.Set(keyActor, actor)
		c.Next()
		return nil
	})
}

// errInvalidAdminKey counts a failed attempt and returns the 401 refusing it.
func errInvalidAdminKey(c *gin.Context) error {
	countFailure(c)
	c.Header("WWW-Authenticate", `Bearer realm="passbridge"`)
	return NewError(http.StatusUnauthorized, CodeInvalidAccessToken, "missing or invalid admin key")
}
