package adminapi

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/passbridge/passbridge/ceremony"
	"github.com/passbridge/passbridge/provider/httpapi"
	"github.com/passbridge/passbridge/provider/signing"
	"github.com/passbridge/passbridge/storage"
)

// Base is the path every admin route lies under.
const Base = "/admin/v1"

// ImportMaxBytes bounds an import's body, which is read as a stream: room
// for an export of a few hundred thousand passkeys.
const ImportMaxBytes = 1 << 30

// Deps are what the API needs from the server.
type Deps struct {
	Store    storage.Store
	Ceremony *ceremony.Service
	// Keys are the OIDC signing keys the server signs with; a rotation
	// goes through them, so that this instance uses the new key at once.
	Keys *signing.Manager
	// MasterKey seals the client secrets the API issues.
	MasterKey []byte
	// Issuer is the server's public base URL, where enrolment links lead.
	Issuer string
	// Now is the clock; nil means time.Now.
	Now    func() time.Time
	Logger *slog.Logger
}

// API is the admin REST API: apps, their API keys, OIDC clients, users,
// devices, sessions, enrolment links, import and export, the audit log and
// the signing keys, for operators holding an admin key. It keeps no state
// between requests.
type API struct {
	store     storage.Store
	ceremony  *ceremony.Service
	keys      *signing.Manager
	masterKey []byte
	issuer    string
	now       func() time.Time
	log       *slog.Logger
}

// New returns the API over deps.
func New(deps Deps) (*API, error) {
	if deps.Store == nil || deps.Ceremony == nil {
		return nil, errors.New("adminapi: a store and a ceremony service are required")
	}
	now := deps.Now
	if now == nil {
		now = time.Now
	}
	log := deps.Logger
	if log == nil {
		log = slog.Default()
	}
	return &API{
		store: deps.Store, ceremony: deps.Ceremony, keys: deps.Keys, masterKey: deps.MasterKey,
		issuer: deps.Issuer, now: now, log: log,
	}, nil
}

// RegisterRoutes mounts the API under Base. Every route needs an admin key;
// routes under /apps/{app_id} load the app first.
func (a *API) RegisterRoutes(r *gin.RouterGroup) {
	g := r.Group(Base, httpapi.RequireAdminKey(a.store, a.now))
	g.GET("/apps", httpapi.Handle(a.listApps))
	g.POST("/apps", httpapi.Handle(a.createApp))

	app := g.Group("/apps/:app_id", httpapi.Handle(a.loadApp))
	app.GET("", httpapi.Handle(a.getApp))
	app.PATCH("", httpapi.Handle(a.updateApp))
	app.DELETE("", httpapi.Handle(a.deleteApp))

	app.GET("/api-keys", httpapi.Handle(a.listAPIKeys))
	app.POST("/api-keys", httpapi.Handle(a.createAPIKey))
	app.DELETE("/api-keys/:key_id", httpapi.Handle(a.revokeAPIKey))

	app.GET("/clients", httpapi.Handle(a.listClients))
	app.POST("/clients", httpapi.Handle(a.createClient))
	app.GET("/clients/:client_id", httpapi.Handle(a.getClient))
	app.PATCH("/clients/:client_id", httpapi.Handle(a.updateClient))
	app.DELETE("/clients/:client_id", httpapi.Handle(a.deleteClient))

	app.GET("/users", httpapi.Handle(a.listUsers))
	app.GET("/users/:user_id", httpapi.Handle(a.getUser))
	app.PATCH("/users/:user_id", httpapi.Handle(a.updateUser))
	app.DELETE("/users/:user_id", httpapi.Handle(a.deleteUser))
	app.GET("/users/:user_id/devices", httpapi.Handle(a.listDevices))
	app.DELETE("/users/:user_id/devices", httpapi.Handle(a.revokeAllDevices))
	app.PATCH("/users/:user_id/devices/:device_id", httpapi.Handle(a.renameDevice))
	app.DELETE("/users/:user_id/devices/:device_id", httpapi.Handle(a.revokeDevice))
	app.GET("/users/:user_id/sessions", httpapi.Handle(a.listSessions))
	app.DELETE("/users/:user_id/sessions", httpapi.Handle(a.endSessions))
	app.POST("/users/:user_id/enrolment-links", httpapi.Handle(a.createEnrolmentLink))

	app.POST("/import", httpapi.Handle(a.importUsers))
	app.GET("/export", httpapi.Handle(a.exportUsers))

	g.GET("/audit", httpapi.Handle(a.listAudit))
	g.GET("/keys", httpapi.Handle(a.listKeys))
	g.POST("/keys/rotate", httpapi.Handle(a.rotateKeys))
}

// BodyLimits lets an import's body exceed the server's body limit.
func (a *API) BodyLimits() map[string]int64 {
	return map[string]int64{Base + "/apps/:app_id/import": ImportMaxBytes}
}

// LongRoutes are the routes that move a whole app (import, export): each
// sets its own time limit (transferTime), beyond the server's request
// timeout.
func (a *API) LongRoutes() []string {
	return []string{Base + "/apps/:app_id/import", Base + "/apps/:app_id/export"}
}

// logger is the request's logger (tagged with its request ID).
func (a *API) logger(c *gin.Context) *slog.Logger {
	if httpapi.GetRequestID(c) != "" {
		return httpapi.Logger(c)
	}
	return a.log
}

// clock is now in the store's precision.
func (a *API) clock() time.Time {
	return a.now().UTC().Truncate(time.Microsecond)
}

// actor names the admin key of the request, for audit events:
// "admin_key:<id>".
func actor(c *gin.Context) string { return httpapi.Actor(c) }

// actorContext is the request's context carrying the actor, for the
// ceremony core's own audit events.
func actorContext(c *gin.Context) context.Context {
	return ceremony.WithActor(c.Request.Context(), actor(c))
}

// audit records a change the API made itself, through tx, the transaction
// of the change, so that both commit together.
func (a *API) audit(c *gin.Context, tx storage.Store, appID, typ string, e storage.AuditEvent) error {
	e.ID, e.AppID, e.Type, e.Actor, e.CreatedAt = storage.NewID(), appID, typ, actor(c), a.clock()
	return tx.AppendAuditEvent(c.Request.Context(), e)
}
