package provider_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/passbridge/passbridge/provider"
	"github.com/passbridge/passbridge/storage/sqlstore/sqlstoretest"
)

// With MetricsSeparate, /metrics is not on the public handler, which answers
// it as any unknown path, but on MetricsHandler, which serves nothing else.
func TestMetricsSeparate(t *testing.T) {
	st := sqlstoretest.Open(t, sqlstoretest.SQLite)
	srv, _ := newServer(t, st, provider.Deps{MetricsSeparate: true})
	h, mh := srv.Handler(), srv.MetricsHandler()

	code, body, hdr := get(t, h, "GET", "/metrics", "", nil)
	if code != 404 || !strings.Contains(body, `"code":"not_found"`) || !strings.HasPrefix(hdr.Get("Content-Type"), "application/json") {
		t.Fatalf("public GET /metrics: %d %s %s", code, hdr.Get("Content-Type"), body)
	}
	if code, _, _ := get(t, h, "GET", "/healthz", "", nil); code != 200 {
		t.Fatalf("public healthz: %d", code)
	}

	code, body, hdr = get(t, mh, "GET", "/metrics", "", nil)
	if code != 200 || !strings.HasPrefix(hdr.Get("Content-Type"), "text/plain") {
		t.Fatalf("metrics listener GET /metrics: %d %s", code, hdr.Get("Content-Type"))
	}
	// The public handler's requests are what the metrics count.
	for _, want := range []string{
		`passbridge_http_requests_total{method="GET",route="unmatched",status="404"} 1`,
		`passbridge_http_requests_total{method="GET",route="/healthz",status="200"} 1`,
		"go_goroutines",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	for _, path := range []string{"/healthz", "/v1/apps/x/echo", "/metrics/x"} {
		if code, body, _ := get(t, mh, "GET", path, "", nil); code != 404 || !strings.Contains(body, `"code":"not_found"`) {
			t.Errorf("metrics listener GET %s: %d %s", path, code, body)
		}
	}
}

// Routes lists /metrics in both modes: the server serves it either way, on
// one handler or the other.
func TestRoutesListMetrics(t *testing.T) {
	st := sqlstoretest.Open(t, sqlstoretest.SQLite)
	for _, separate := range []bool{false, true} {
		srv, _ := newServer(t, st, provider.Deps{MetricsSeparate: separate})
		n := 0
		for _, r := range srv.Routes() {
			if r.Method == "GET" && r.Path == "/metrics" {
				n++
			}
		}
		if n != 1 {
			t.Errorf("separate %v: GET /metrics listed %d times in %v", separate, n, paths(srv.Routes()))
		}
	}
}

func paths(routes gin.RoutesInfo) []string {
	var out []string
	for _, r := range routes {
		out = append(out, r.Method+" "+r.Path)
	}
	slices.Sort(out)
	return out
}
