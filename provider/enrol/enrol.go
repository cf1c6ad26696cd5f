package enrol

import (
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"mime"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/passbridge/passbridge/ceremony"
	"github.com/passbridge/passbridge/provider/httpapi"
	oidcp "github.com/passbridge/passbridge/provider/oidc"
)

// Deps is what the enrolment page needs.
type Deps struct {
	Ceremony *ceremony.Service
	// Provider keeps the browser sessions the page signs in.
	Provider *oidcp.Provider
	Issuer   string
	// Templates is the tree of pages/ and static/ (templates.FS()). The
	// page's script and style sheet are static/pages files, which the
	// login area serves under /static/pages/.
	Templates fs.FS
	Logger    *slog.Logger
}

// Handler serves the enrolment page and its calls.
type Handler struct {
	ceremony *ceremony.Service
	provider *oidcp.Provider
	issuer   string
	origin   string // the issuer's origin, as a browser sends it in Origin
	pages    *template.Template
	log      *slog.Logger
}

// New parses the page templates once.
func New(deps Deps) (*Handler, error) {
	if deps.Ceremony == nil || deps.Provider == nil || deps.Templates == nil {
		return nil, errors.New("enrol: ceremony, provider and templates are required")
	}
	u, err := url.Parse(deps.Issuer)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, errors.New("enrol: the issuer must be an absolute http(s) URL")
	}
	pages, err := template.ParseFS(deps.Templates, "pages/*.html")
	if err != nil {
		return nil, err
	}
	log := deps.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Handler{
		ceremony: deps.Ceremony, provider: deps.Provider,
		issuer: strings.TrimRight(deps.Issuer, "/"), origin: originOf(u),
		pages: pages, log: log,
	}, nil
}

// RegisterRoutes mounts the page and its calls. The calls change
// something, so they must come from the issuer's origin (see sameOrigin).
func (h *Handler) RegisterRoutes(r *gin.RouterGroup) {
	r.GET("/enrol", h.page)
	calls := r.Group("/enrol", noStore, httpapi.Handle(h.sameOrigin))
	calls.POST("/transaction", httpapi.Handle(h.transaction))
	calls.POST("/complete", httpapi.Handle(h.complete))
}

// noStore keeps every answer of the calls, errors included, out of caches.
func noStore(c *gin.Context) {
	c.Header("Cache-Control", "no-store")
	c.Next()
}

// sameOrigin guards the calls against cross-site request forgery: the
// Origin header must be the issuer's (a fetch sends it, whatever the
// Referrer-Policy), and the body must be declared application/json, which
// no HTML form can send and which makes a cross-origin fetch ask first (a
// CORS preflight this server never approves).
func (h *Handler) sameOrigin(c *gin.Context) error {
	if c.GetHeader("Origin") != h.origin {
		return errOriginNotAllowed
	}
	mt, _, err := mime.ParseMediaType(c.GetHeader("Content-Type"))
	if err != nil || mt != "application/json" {
		return errMediaType
	}
	c.Next()
	return nil
}

// fits reports whether this page can run the app's ceremonies on the
// issuer's origin (see ceremony.CheckIssuerFit).
func (h *Handler) fits(en ceremony.Enrolment) bool {
	return ceremony.CheckIssuerFit(en.App, h.issuer) == nil
}

// accountURL is the account page of an app, where a completed enrolment
// lands.
func (h *Handler) accountURL(appID string) string {
	return h.issuer + "/account?" + url.Values{"app_id": {appID}}.Encode()
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
