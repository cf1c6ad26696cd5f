package account

import (
	"context"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/passbridge/passbridge/ceremony"
	"github.com/passbridge/passbridge/provider/httpapi"
	oidcp "github.com/passbridge/passbridge/provider/oidc"
	"github.com/passbridge/passbridge/storage"
)

// Deps is what the account page needs.
type Deps struct {
	Store    storage.Store
	Ceremony *ceremony.Service
	// Provider keeps the browser sessions the page signs in and out.
	Provider *oidcp.Provider
	Issuer   string
	// Templates is the tree of pages/ and static/ (templates.FS()). The
	// page's script and style sheet are static/pages files, which the login
	// area serves under /static/pages/.
	Templates fs.FS
	Now       func() time.Time
	Logger    *slog.Logger
}

// Handler serves the account page, its calls, the landing page and the
// passkey endpoints document.
type Handler struct {
	store    storage.Store
	ceremony *ceremony.Service
	provider *oidcp.Provider
	issuer   string
	origin   string // the issuer's origin, as a browser serialises it
	pages    *template.Template
	now      func() time.Time
	log      *slog.Logger
}

// New parses the page templates once.
func New(deps Deps) (*Handler, error) {
	if deps.Store == nil || deps.Ceremony == nil || deps.Provider == nil || deps.Templates == nil {
		return nil, errors.New("account: store, ceremony, provider and templates are required")
	}
	u, err := url.Parse(deps.Issuer)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, errors.New("account: the issuer must be an absolute http(s) URL")
	}
	pages, err := template.ParseFS(deps.Templates, "pages/*.html")
	if err != nil {
		return nil, err
	}
	now := deps.Now
	if now == nil {
		now = time.Now
	}
	log := deps.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Handler{
		store: deps.Store, ceremony: deps.Ceremony, provider: deps.Provider,
		issuer: strings.TrimRight(deps.Issuer, "/"), origin: originOf(u),
		pages: pages, now: now, log: log,
	}, nil
}

// RegisterRoutes mounts the pages and the account page's calls:
//
//	GET    /                                 the landing page
//	GET    /.well-known/passkey-endpoints    {"enroll", "manage"}
//	GET    /account[?app_id=]                the account page
//	POST   /account/session                  {"app_id", "nonce"}: sign in
//	POST   /account/signout                  {"app_id"}: sign out
//	GET    /account/api/passkeys?app_id=     the user's passkeys
//	PATCH  /account/api/passkeys/{id}?app_id= {"name"}: rename
//	DELETE /account/api/passkeys/{id}?app_id= {"confirm"?}: remove
//	POST   /account/api/passkeys/transaction {"app_id"}: a register transaction
//	POST   /account/passkeys                 {"app_id", "nonce"}: the added passkey
//
// Every call that changes something must come from the issuer's origin
// with a JSON body (see sameOrigin).
func (h *Handler) RegisterRoutes(r *gin.RouterGroup) {
	r.GET("/", h.home)
	r.GET("/.well-known/passkey-endpoints", h.passkeyEndpoints)
	r.GET("/account", h.page)

	api := r.Group("/account", noStore)
	change := api.Group("", httpapi.Handle(h.sameOrigin))
	change.POST("/session", httpapi.Handle(h.signIn))
	change.POST("/signout", httpapi.Handle(h.signOut))
	change.POST("/passkeys", httpapi.Handle(h.addPasskey))
	api.GET("/api/passkeys", httpapi.Handle(h.list))
	change.PATCH("/api/passkeys/:id", httpapi.Handle(h.rename))
	change.DELETE("/api/passkeys/:id", httpapi.Handle(h.remove))
	change.POST("/api/passkeys/transaction", httpapi.Handle(h.transaction))
}

// noStore keeps every answer of the account's calls, errors included, out
// of caches: they are one user's data.
func noStore(c *gin.Context) {
	c.Header("Cache-Control", "no-store")
	c.Next()
}

// fits reports whether this page can run the app's ceremonies on the
// issuer's origin (see ceremony.CheckIssuerFit).
func (h *Handler) fits(app storage.App) bool {
	return ceremony.CheckIssuerFit(app, h.issuer) == nil
}

// loadApp loads the app named id, which the page must be able to serve.
func (h *Handler) loadApp(ctx context.Context, id string) (storage.App, error) {
	if !httpapi.Plausible(id, 128) {
		return storage.App{}, errAppNotFound
	}
	app, err := h.store.GetApp(ctx, id)
	if errors.Is(err, storage.ErrNotFound) {
		return storage.App{}, errAppNotFound
	}
	if err != nil {
		return storage.App{}, err
	}
	if !h.fits(app) {
		return storage.App{}, errMisconfigured
	}
	return app, nil
}

// signedIn loads the app named appID and the browser's session with it; no
// session is a 401 not_signed_in.
func (h *Handler) signedIn(c *gin.Context, appID string) (storage.App, storage.Session, error) {
	if appID == "" {
		return storage.App{}, storage.Session{}, httpapi.BadRequest("app_id is required")
	}
	ctx := c.Request.Context()
	app, err := h.loadApp(ctx, appID)
	if err != nil {
		return storage.App{}, storage.Session{}, err
	}
	sess, err := h.provider.Session(ctx, c.Request, app.ID)
	if err != nil {
		return storage.App{}, storage.Session{}, err
	}
	if sess == nil {
		return storage.App{}, storage.Session{}, errNotSignedIn
	}
	return app, *sess, nil
}

// originOf is u's origin as a browser serialises it in an Origin header:
// lowercase scheme and host, no default port.
func originOf(u *url.URL) string {
	scheme, host := strings.ToLower(u.Scheme), strings.ToLower(u.Hostname())
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if p := u.Port(); p != "" && !(scheme == "http" && p == "80") && !(scheme == "https" && p == "443") {
		host += ":" + p
	}
	return scheme + "://" + host
}
