package flexapi

import (
	"context"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/passbridge/passbridge/ceremony"
	"github.com/passbridge/passbridge/provider/httpapi"
	"github.com/passbridge/passbridge/storage"
)

// Deps are what the API needs from the server.
type Deps struct {
	Store    storage.Store
	Ceremony *ceremony.Service
	// Now is the clock; nil means time.Now.
	Now    func() time.Time
	Logger *slog.Logger
	// Issuer is the server's public base URL. Its host selects the apps whose
	// origins /.well-known/webauthn lists; enrolment links lead to its page.
	Issuer string
}

// API is the Flex-compatible REST API. It keeps no state between requests.
type API struct {
	store      storage.Store
	ceremony   *ceremony.Service
	now        func() time.Time
	log        *slog.Logger
	issuer     string // the public base URL, for the links the API hands out
	issuerHost string
}

// New returns the API over deps.
func New(deps Deps) *API {
	now := deps.Now
	if now == nil {
		now = time.Now
	}
	log := deps.Logger
	if log == nil {
		log = slog.Default()
	}
	return &API{
		store:      deps.Store,
		ceremony:   deps.Ceremony,
		now:        now,
		log:        log,
		issuer:     deps.Issuer,
		issuerHost: issuerHost(deps.Issuer),
	}
}

// RegisterRoutes mounts the API's routes on r, relative to the server root:
// the management and client calls under /v1/apps/:app_id, and
// /.well-known/webauthn.
func (a *API) RegisterRoutes(r *gin.RouterGroup) {
	app := r.Group("/v1/apps/:app_id", httpapi.LoadApp(a.store))

	mgmt := app.Group("", httpapi.RequireAPIKey(a.store, a.now))
	mgmt.POST("/transactions/register", httpapi.Handle(a.createRegisterTransaction))
	mgmt.POST("/transactions/authenticate", httpapi.Handle(a.createAuthenticateTransaction))
	mgmt.POST("/authenticate/verify", httpapi.Handle(a.verifyNonce))
	mgmt.GET("/users", httpapi.Handle(a.findUsers))
	mgmt.GET("/users/:user_id", httpapi.Handle(a.getUser))
	mgmt.DELETE("/users/:user_id", httpapi.Handle(a.deleteUser))
	mgmt.GET("/users/:user_id/devices", httpapi.Handle(a.listDevices))
	mgmt.PATCH("/users/:user_id/devices/:device_id", httpapi.Handle(a.renameDevice))
	mgmt.DELETE("/users/:user_id/devices/:device_id", httpapi.Handle(a.revokeDevice))
	mgmt.POST("/users/:user_id/enrolment-links", httpapi.Handle(a.createEnrolmentLink))

	// The browser's calls: CORS for the app's origins, and a preflight answer
	// on each path, since the Passage SDK sends a custom header.
	client := app.Group("", httpapi.Handle(a.cors))
	client.POST("/register/transactions/webauthn/start", httpapi.Handle(a.registerStart))
	client.POST("/register/transactions/webauthn/finish", httpapi.Handle(a.registerFinish))
	client.POST("/authenticate/transactions/webauthn/start", httpapi.Handle(a.authenticateStart))
	client.POST("/authenticate/transactions/webauthn/finish", httpapi.Handle(a.authenticateFinish))
	client.OPTIONS("/register/transactions/webauthn/start", preflight)
	client.OPTIONS("/register/transactions/webauthn/finish", preflight)
	client.OPTIONS("/authenticate/transactions/webauthn/start", preflight)
	client.OPTIONS("/authenticate/transactions/webauthn/finish", preflight)

	r.GET("/.well-known/webauthn", httpapi.Handle(a.relatedOrigins))
}

// logger is the request's logger (tagged with its request ID) where the
// shared middleware runs, else the API's own.
func (a *API) logger(c *gin.Context) *slog.Logger {
	if httpapi.GetRequestID(c) != "" {
		return httpapi.Logger(c)
	}
	return a.log
}

// actorContext is the request's context carrying who acts, so the audit
// events the ceremony core records name the API key.
func actorContext(c *gin.Context) context.Context {
	return ceremony.WithActor(c.Request.Context(), httpapi.Actor(c))
}

// issuerHost is the lowercase host of the issuer URL, or "" if it has none.
func issuerHost(issuer string) string {
	u, err := url.Parse(strings.TrimSpace(issuer))
	if err != nil {
		return ""
	}
	return strings.ToLower(u.Hostname())
}
