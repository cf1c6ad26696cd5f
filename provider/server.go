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
	// RateLimit is how many requests per second one client (an address, an
	// IPv6 /64) may make to the browser client API of the Flex routes in the
	// long run; 0, the zero value, turns rate limiting off. Limits are kept
	// per instance.
	RateLimit float64
	// RateLimitBurst is how many requests a client may make at once; at
	// least 1 when RateLimit is set.
	RateLimitBurst int
	// KeyRateLimit is how many requests per second one verified key (an
	// app's API key, an admin key) may make in the long run to the routes
	// it authenticates, checked after authentication; 0, the zero value,
	// turns it off. Limits are kept per instance.
	KeyRateLimit float64
	// KeyRateLimitBurst is how many requests a key may make at once; at
	// least 1 when KeyRateLimit is set.
	KeyRateLimitBurst int
	// FailedAuthRate is how many failed attempts per second (an unknown app,
	// a missing or wrong API key) one client may make in the long run to
	// the routes that load an app; 0 means DefaultFailedAuthRate. Once a
	// client has spent them, those routes refuse it (429) before any lookup,
	// valid key or not, until one is back. It applies whenever RateLimit is
	// set.
	FailedAuthRate float64
	// FailedAuthBurst is how many failed attempts a client may make at
	// once; 0 means DefaultFailedAuthBurst.
	FailedAuthBurst int
	// TrustedProxies are the addresses or CIDR prefixes of reverse proxies
	// whose X-Forwarded-For header names the client. Empty: no header is
	// believed and the peer address is the client (the one safe default).
	TrustedProxies []string
	// MetricsSeparate keeps /metrics off Handler, which then answers it
	// 404 like any unknown path; MetricsHandler serves it, on a listener of
	// its own. False: Handler serves /metrics.
	MetricsSeparate bool
	// RequestTimeout is the deadline of each request's context, and so of
	// the store calls it makes: a database that does not answer within it
	// is answered 503 (store_unavailable; temporarily_unavailable on the
	// OAuth endpoints) instead of holding the request. 0, the zero value:
	// no deadline. LongArea routes keep their own.
	RequestTimeout time.Duration
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

// OAuthArea is an area whose routes answer errors in OAuth's shape,
// {error, error_description}, instead of {code, error}: the OAuth and
// OpenID Connect endpoints.
type OAuthArea interface {
	Area
	// OAuthRoutes lists those routes' paths as the area registers them.
	OAuthRoutes() []string
}

// UploadArea is an area some of whose routes take bodies larger than
// Deps.MaxBodyBytes: uploads, read as a stream (an import).
type UploadArea interface {
	Area
	// BodyLimits maps those routes' full paths, as the area registers
	// them, to their body limits.
	BodyLimits() map[string]int64
}

// LongArea is an area some of whose routes legitimately run longer than
// Deps.RequestTimeout (an import or an export of a whole app) and bound
// their own time.
type LongArea interface {
	Area
	// LongRoutes lists those routes' full paths, as the area registers
	// them.
	LongRoutes() []string
}

func longRoutes(areas []Area) map[string]bool {
	long := map[string]bool{}
	for _, a := range areas {
		if l, ok := a.(LongArea); ok {
			for _, path := range l.LongRoutes() {
				long[path] = true
			}
		}
	}
	return long
}

func bodyLimits(areas []Area) map[string]int64 {
	limits := map[string]int64{}
	for _, a := range areas {
		if u, ok := a.(UploadArea); ok {
			for path, l := range u.BodyLimits() {
				limits[path] = l
			}
		}
	}
	return limits
}

func oauthRoutes(areas []Area) []string {
	var paths []string
	for _, a := range areas {
		if o, ok := a.(OAuthArea); ok {
			paths = append(paths, o.OAuthRoutes()...)
		}
	}
	return paths
}

// Server is passbridge's HTTP server. It keeps no request state of its own:
// everything lives in the store, so instances behind a load balancer are
// interchangeable. The one exception is the rate limit's token buckets,
// which each instance keeps in memory: a client's limit applies per
// instance, and nothing about it is stored.
type Server struct {
	engine  *gin.Engine
	store   storage.Store
	log     *slog.Logger
	now     func() time.Time
	metrics *metrics
	limiter *httpapi.RateLimiter // nil: no rate limit
	// failures limits failed attempts per client; nil when limiter is.
	failures *httpapi.RateLimiter
	// keys limits the requests of each verified key; nil: no limit.
	keys *httpapi.RateLimiter
	// metricsEngine is MetricsHandler: /metrics alone. With
	// metricsSeparate the public engine lacks /metrics.
	metricsEngine   *gin.Engine
	metricsSeparate bool
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
	if deps.RequestTimeout < 0 {
		return nil, fmt.Errorf("provider: request timeout %s is negative", deps.RequestTimeout)
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
	if deps.RateLimit != 0 {
		l, err := httpapi.NewRateLimiter(httpapi.RateLimiterConfig{
			Rate:    deps.RateLimit,
			Burst:   deps.RateLimitBurst,
			Now:     now,
			Refused: s.metrics.rateLimited.Inc,
		})
		if err != nil {
			return nil, fmt.Errorf("provider: rate limit: %w", err)
		}
		s.limiter = l
		if s.failures, err = newFailureLimiter(deps, now, s.metrics.rateLimited.Inc); err != nil {
			return nil, fmt.Errorf("provider: rate limit of failed attempts: %w", err)
		}
	}
	if deps.KeyRateLimit != 0 {
		l, err := httpapi.NewRateLimiter(httpapi.RateLimiterConfig{
			Rate:    deps.KeyRateLimit,
			Burst:   deps.KeyRateLimitBurst,
			Now:     now,
			Refused: s.metrics.rateLimited.Inc,
		})
		if err != nil {
			return nil, fmt.Errorf("provider: key rate limit: %w", err)
		}
		s.keys = l
	}
	engine, err := s.newEngine(deps)
	if err != nil {
		return nil, err
	}
	s.engine = engine
	if s.metricsEngine, err = s.newMetricsEngine(); err != nil {
		return nil, err
	}
	s.metricsSeparate = deps.MetricsSeparate
	return s, nil
}

// newEngine builds the public gin engine: middleware, operational routes,
// areas.
func (s *Server) newEngine(deps Deps) (*gin.Engine, error) {
	r, err := s.newGin(deps.TrustedProxies)
	if err != nil {
		return nil, err
	}
	r.Use(httpapi.MarkOAuthRoutes(oauthRoutes(deps.Areas)))
	// The rate limit refuses before anything reads the body or the store:
	// a flood never turns into database load.
	if s.limiter != nil {
		r.Use(httpapi.RateLimit(s.limiter, rateLimitKey))
	}
	if s.failures != nil {
		r.Use(httpapi.LimitFailures(s.failures, failureKey))
	}
	if s.keys != nil {
		r.Use(httpapi.LimitKeys(s.keys))
	}
	r.Use(httpapi.BodyLimits(deps.MaxBodyBytes, bodyLimits(deps.Areas)))
	if deps.RequestTimeout > 0 {
		r.Use(requestDeadline(deps.RequestTimeout, longRoutes(deps.Areas)))
	}

	r.GET("/healthz", s.healthz)
	r.GET("/readyz", httpapi.Handle(s.readyz))
	if !deps.MetricsSeparate {
		r.GET(metricsPath, gin.WrapH(s.metrics.handler()))
	}

	root := r.Group("/")
	for _, a := range deps.Areas {
		a.RegisterRoutes(root)
	}
	return r, nil
}

// newGin builds a gin engine with the middleware every request passes
// through (request ID, access log, metrics, recovery, error writing) and
// the JSON answers to unknown paths and methods.
func (s *Server) newGin(trustedProxies []string) (*gin.Engine, error) {
	// Release mode keeps gin from printing its debug banner and routes; the
	// access log is ours.
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.HandleMethodNotAllowed = true
	// Forwarding headers are client input unless a proxy is configured to
	// overwrite them; without such a setting the peer address is the client.
	if err := r.SetTrustedProxies(trustedProxies); err != nil {
		return nil, fmt.Errorf("provider: trusted proxies: %w", err)
	}
	if len(trustedProxies) == 0 {
		r.ForwardedByClientIP = false
	}
	// Only the standard header: a proxy that sets X-Forwarded-For may pass
	// a client's own X-Real-IP through untouched.
	r.RemoteIPHeaders = []string{"X-Forwarded-For"}
	r.ContextWithFallback = true

	r.Use(
		httpapi.RequestID(s.log),
		httpapi.AccessLog(),
		s.metrics.middleware(),
		httpapi.Recovery(),
		httpapi.ErrorWriter(),
	)
	r.NoRoute(httpapi.NotFound())
	r.NoMethod(httpapi.MethodNotAllowed())
	return r, nil
}

// Handler is the server's HTTP handler.
func (s *Server) Handler() http.Handler { return s.engine }

// Routes lists every route the server serves, on Handler and, with
// Deps.MetricsSeparate, on MetricsHandler, for checks such as "every route
// is documented".
func (s *Server) Routes() gin.RoutesInfo {
	routes := s.engine.Routes()
	if s.metricsSeparate {
		routes = append(routes, s.metricsEngine.Routes()...)
	}
	return routes
}
