package provider

import (
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/passbridge/passbridge/provider/httpapi"
)

// metrics are the server's Prometheus metrics, in a registry of their own so
// that two servers in one process (tests) never collide.
type metrics struct {
	registry    *prometheus.Registry
	requests    *prometheus.CounterVec
	latency     *prometheus.HistogramVec
	rateLimited prometheus.Counter
	gcDeleted   *prometheus.CounterVec
	gcRuns      *prometheus.CounterVec
}

func newMetrics(reg *prometheus.Registry) *metrics {
	m := &metrics{
		registry: reg,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "passbridge_http_requests_total",
			Help: "HTTP requests answered, by method, route template and status.",
		}, []string{"method", "route", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "passbridge_http_request_duration_seconds",
			Help:    "Time to answer an HTTP request, by method, route template and status.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"method", "route", "status"}),
		rateLimited: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "passbridge_http_rate_limited_total",
			Help: "Requests to the /v1 APIs refused with 429 because their client's rate limit was spent.",
		}),
		gcDeleted: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "passbridge_gc_deleted_total",
			Help: "Expired rows deleted by the periodic GC, by kind.",
		}, []string{"kind"}),
		gcRuns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "passbridge_gc_runs_total",
			Help: "Runs of the periodic GC, by result (ok or error).",
		}, []string{"result"}),
	}
	reg.MustRegister(
		m.requests, m.latency, m.rateLimited, m.gcDeleted, m.gcRuns,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return m
}

// middleware records every request. Labels use the route template, never the
// path, so client input cannot grow the number of series.
func (m *metrics) middleware() gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		method := c.Request.Method
		if !knownMethod(method) {
			method = "other"
		}
		status := strconv.Itoa(c.Writer.Status())
		route := httpapi.Route(c)
		m.requests.WithLabelValues(method, route, status).Inc()
		m.latency.WithLabelValues(method, route, status).Observe(time.Since(start).Seconds())
	}
}

func knownMethod(m string) bool {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions:
		return true
	}
	return false
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{Registry: m.registry})
}

// metricsPath is where the metrics are served, on either handler.
const metricsPath = "/metrics"

// MetricsHandler serves GET /metrics and answers every other path 404 like
// Handler does: the handler of a listener kept for metrics alone
// (Deps.MetricsSeparate), so that scrapers need not reach the public one.
func (s *Server) MetricsHandler() http.Handler { return s.metricsEngine }

// newMetricsEngine builds MetricsHandler's engine. It trusts no proxy: its
// clients are scrapers on an internal network.
func (s *Server) newMetricsEngine() (*gin.Engine, error) {
	r, err := s.newGin(nil)
	if err != nil {
		return nil, err
	}
	r.GET(metricsPath, gin.WrapH(s.metrics.handler()))
	return r, nil
}
