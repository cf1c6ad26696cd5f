package cli

import (
	"strings"
	"testing"

	"github.com/passbridge/passbridge/cmd/passbridge/internal/config"
	"github.com/passbridge/passbridge/provider/openapi"
	"github.com/passbridge/passbridge/storage/sqlstore/sqlstoretest"
)

// TestServedRoutesAreDocumented builds the server exactly as serve does and
// checks the OpenAPI document against its routes, both ways: every API route
// serve mounts is documented, and every documented operation is served. With
// metrics_listen set, /metrics is served on the metrics listener instead,
// and still counts.
func TestServedRoutesAreDocumented(t *testing.T) {
	for name, metricsListen := range map[string]string{"metrics on listen": "", "metrics_listen": "127.0.0.1:9090"} {
		t.Run(name, func(t *testing.T) {
			st := sqlstoretest.Open(t, sqlstoretest.SQLite)
			cfg := config.Default()
			cfg.MetricsListen = metricsListen
			srv := testServer(t, cfg, st)
			documented, err := openapi.Paths()
			if err != nil {
				t.Fatal(err)
			}
			if diff := openapi.CheckRoutes(srv.Routes(), documented); len(diff) > 0 {
				t.Errorf("served routes and the OpenAPI document differ:\n%s", strings.Join(diff, "\n"))
			}
		})
	}
}
