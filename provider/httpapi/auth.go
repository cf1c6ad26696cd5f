package httpapi

import (
	"errors"
	"net/http"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/passbridge/passbridge/storage"
)

// touchEvery is how stale an API key's LastUsedAt may get before a request
// refreshes it. Writing it on every request would double the statements of a
// read-only call for a value an operator reads to the minute at best.
const touchEvery = time.Minute

// maxAppIDLen bounds the app ID looked up: anything longer names no app and
// is not worth a query.
const maxAppIDLen = 128

// LoadApp loads the app named by the :app_id route parameter into the
// context (see App). An unknown app is a 404 app_not_found, and a failed
// attempt for LimitFailures; a client that has spent its failed attempts is
// refused with 429 rate_limited before the lookup.
func LoadApp(store storage.AppStore) gin.HandlerFunc {
	return Handle(func(c *gin.Context) error {
		if err := refuseIfFailing(c); err != nil {
			return err
		}
		id := c.Param("app_id")
		// An ID no app could have (too long, not UTF-8, with control
		// characters) is not worth a query, and PostgreSQL would refuse
		// such text with an error rather than find nothing.
		if id == "" || len(id) > maxAppIDLen || !printableID(id) {
			countFailure(c)
			return errAppNotFound
		}
		app, err := store.GetApp(c.Request.Context(), id)
		if errors.Is(err, storage.ErrNotFound) {
			countFailure(c)
			return errAppNotFound
		}
		if err != nil {
			return err
		}
		c.Set(keyApp, app)
		c.Next()
		return nil
	})
}

var errAppNotFound = NewError(http.StatusNotFound, CodeAppNotFound, "app not found")

// App returns the app LoadApp loaded, or the zero App outside it.
func App(c *gin.Context) storage.App {
	v, _ := c.Get(keyApp)
	app, _ := v.(storage.App)
	return app
}

// RequireAPIKey authenticates the backend of the app LoadApp loaded with
// "Authorization: Bearer <API key>". A missing, malformed or unknown key and
// a key of another app are refused alike (401 invalid_access_token, one
// message) so the answer reveals nothing about which keys exist; each is a
// failed attempt for LimitFailures, and a client that has spent its failed
// attempts is refused with 429 rate_limited before the lookup. On success
// the key's LastUsedAt is refreshed (best effort), "api_key:<id>" becomes
// the request's Actor, and the key's own rate limit applies (see LimitKeys).
func RequireAPIKey(store storage.APIKeyStore, now func() time.Time) gin.HandlerFunc {
	if now == nil {
		now = time.Now
	}
	return Handle(func(c *gin.Context) error {
		app := App(c)
		if app.ID == "" {
			return errors.New("RequireAPIKey used without LoadApp")
		}
		// LoadApp checked too, but concurrent failures of the same client
		// may have spent the bucket since.
		if err := refuseIfFailing(c); err != nil {
			return err
		}
		secret, ok := bearerToken(c.GetHeader("Authorization"))
		if !ok {
			return errInvalidKey(c)
		}
		key, err := store.GetAPIKeyByHash(c.Request.Context(), storage.HashSecret(secret))
		if errors.Is(err, storage.ErrNotFound) {
			return errInvalidKey(c)
		}
		if err != nil {
			return err
		}
		if key.AppID != app.ID {
			return errInvalidKey(c)
		}
		if t := now().UTC(); t.Sub(key.LastUsedAt) >= touchEvery {
			if err := store.TouchAPIKey(c.Request.Context(), key.ID, t); err != nil {
				Logger(c).Warn("record api key use", "api_key_id", key.ID, "err", err)
			}
		}
		actor := "api_key:" + key.ID
		if err := limitKey(c, actor); err != nil {
			return err
		}
		c.Set(keyActor, actor)
		c.Next()
		return nil
	})
}

// errInvalidKey counts a failed attempt and returns the 401 refusing it.
func errInvalidKey(c *gin.Context) error {
	countFailure(c)
	// RFC 6750 §3: a 401 for a bearer-protected resource names the scheme.
	c.Header("WWW-Authenticate", `Bearer realm="passbridge"`)
	return NewError(http.StatusUnauthorized, CodeInvalidAccessToken, "missing or invalid API key")
}

// bearerToken extracts the token of an RFC 6750 §2.1 Authorization header.
// The scheme is case-insensitive; the token is one non-empty word.
func bearerToken(header string) (string, bool) {
	scheme, token, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimLeft(token, " ")
	if token == "" || len(token) > 512 || strings.ContainsAny(token, " \t") {
		return "", false
	}
	return token, true
}

// Actor names who acts in this request, for audit events: "api_key:<id>"
// after RequireAPIKey, "admin_key:<id>" after RequireAdminKey, "" when
// nobody authenticated.
func Actor(c *gin.Context) string {
	v, _ := c.Get(keyActor)
	s, _ := v.(string)
	return s
}

// printableID reports whether id is valid UTF-8 without control characters.
func printableID(id string) bool { return Plausible(id, len(id)) }

// Plausible reports whether s could name something the server issued or
// stores (an ID, a client ID, a token): 1 to max bytes of valid UTF-8
// without control characters. Anything else names nothing and is not worth
// a query; PostgreSQL would refuse such text with an error rather than
// find nothing, and inside a transaction that error aborts the rest.
func Plausible(s string, max int) bool {
	if s == "" || len(s) > max || !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return false
		}
	}
	return true
}
