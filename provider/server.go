package provider

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/passbridge/passbridge/ceremony"
	"github.com/passbridge/passbridge/provider/httpapi"
	"github.com/passbridge/passbridge/storage"
)

// Deps is what the server is built from.
type Deps struct {
	Store    storage.Store
	Ceremony *ceremony.Service // for areas that run ceremonies
	Logger   *slog.Logger      // nil: logs are discarded
	// Issuer is the public base URL (scheme://host[:port][/path]) clients
	// reach the server at; OIDC uses it as its issuer.
	Issuer string
	// MasterKey encrypts secrets at rest (signing keys): 32 bytes.
	MasterKey []byte
	// MaxBodyBytes caps request bodies; 0 means httpapi.DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Areas are mounted at the root, after the built-in routes, each through
	// its RegisterRoutes.
	Areas []Area
}

// Area is one part of the HTTP surface (the Flex API, the start/finish API,
// …) that mounts its own routes. Its dependencies are given to its
// constructor, not taken from the server.
type Area interface {
	RegisterRoutes(r *gin.RouterGroup)
}

// Server is passbridge's HTTP server. It keeps no request state of its own:
// everything lives in the store, so instances behind a load balancer are
// interchangeable.
type Server struct {
	engine  *gin.Engine
	store   storage.Store
	log     *slog.Logger
	now     func() time.Time
	metrics *metrics
}

// New validates deps and builds the server.
func New(deps Deps) (*Server, error) {
	if deps.Store == nil {
		return nil, errors.New("provider: a store is required")
	}
	if deps.Issuer != "" {
		u, err := url.Parse(deps.Issuer)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("provider: issuer %q is not an absolute http(s) URL", deps.Issuer)
		}
	}
	if deps.MasterKey != nil && len(deps.MasterKey) != 32 {
		return nil, fmt.Errorf("provider: master key has %d bytes, want 32", len(deps.MasterKey))
	}
	log := deps.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	now := deps.Now
	if now == nil {
		now = time.Now
	}
	s := &Server{
		store:   deps.Store,
		log:     log,
		now:     now,
		metrics: newMetrics(prometheus.NewRegistry()),
	}
	s.engine = s.newEngine(deps)
	return s, nil
}

// newEngine builds the gin engine: middleware, operational routes, areas.
func (s *Server) newEngine(deps Deps) *gin.Engine {
	// Release mode keeps gin from printing its debug banner and routes; the
	// access log is ours.
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.HandleMethodNotAllowed = true
	// Forwarding headers are client input unless a proxy is configured to
	// overwrite them; without such a setting the peer address is the client.
	_ = r.SetTrustedProxies(nil) // nil never fails to parse
	r.ContextWithFallback = true

	r.Use(
		httpapi.RequestID(s.log),
		httpapi.AccessLog(),
		s.metrics.middleware(),
		httpapi.Recovery(),
		httpapi.ErrorWriter(),
		httpapi.BodyLimit(deps.MaxBodyBytes),
	)
	r.NoRoute(httpapi.NotFound())
	r.NoMethod(httpapi.MethodNotAllowed())

	r.GET("/healthz", s.healthz)
	r.GET("/readyz", httpapi.Handle(s.readyz))
	r.GET("/metrics", gin.WrapH(s.metrics.handler()))

	root := r.Group("/")
	for _, a := range deps.Areas {
		a.RegisterRoutes(root)
	}
	return r
}

// Handler is the server's HTTP handler.
func (s *Server) Handler() http.Handler { return s.engine }

// Routes lists every route the server serves, for checks such as "every
// route is documented".
func (s *Server) Routes() gin.RoutesInfo { return s.engine.Routes() }
