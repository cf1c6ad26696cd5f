package passkeyapi

import (
	"context"
	"log/slog"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/passbridge/passbridge/ceremony"
	"github.com/passbridge/passbridge/provider/flexapi"
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
}

// API is the start/finish passkey API. It keeps no state between requests:
// a ceremony begun on one instance finishes on any other.
type API struct {
	store    storage.Store
	ceremony *ceremony.Service
	now      func() time.Time
	log      *slog.Logger
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
	return &API{store: deps.Store, ceremony: deps.Ceremony, now: now, log: log}
}

// RegisterRoutes mounts the API's routes on r, relative to the server root.
func (a *API) RegisterRoutes(r *gin.RouterGroup) {
	auth := []gin.HandlerFunc{httpapi.LoadApp(a.store), httpapi.RequireAPIKey(a.store, a.now)}

	passkeys := r.Group("/v1/apps/:app_id/passkeys", auth...)
	passkeys.POST("/register/start", httpapi.Handle(a.registerStart))
	passkeys.POST("/register/finish", httpapi.Handle(a.registerFinish))
	passkeys.POST("/authenticate/start", httpapi.Handle(a.authenticateStart))
	passkeys.POST("/authenticate/finish", httpapi.Handle(a.authenticateFinish))

	// The command form answers every failure in its own shape, those of app
	// lookup and authentication included, so its translator runs first.
	command := r.Group("/v1/apps/:app_id", a.commandErrors)
	command.Use(auth...)
	command.POST("/run-command", httpapi.Handle(a.runCommand))
}

// actorContext is the request's context carrying who acts, so the audit
// events the ceremony core records name the API key.
func actorContext(c *gin.Context) context.Context {
	return ceremony.WithActor(c.Request.Context(), httpapi.Actor(c))
}

// logger is the request's logger (tagged with its request ID) where the
// shared middleware runs, else the API's own.
func (a *API) logger(c *gin.Context) *slog.Logger {
	if httpapi.GetRequestID(c) != "" {
		return httpapi.Logger(c)
	}
	return a.log
}

// device renders a device as the Flex API does.
func (a *API) device(d storage.Device) flexapi.Device {
	return flexapi.NewDevice(d, a.ceremony.DeviceAuthenticator(d))
}
