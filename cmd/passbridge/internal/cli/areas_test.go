package cli

import (
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/passbridge/passbridge/ceremony"
	"github.com/passbridge/passbridge/cmd/passbridge/internal/config"
	"github.com/passbridge/passbridge/provider"
	"github.com/passbridge/passbridge/provider/openapi"
	"github.com/passbridge/passbridge/storage"
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
			svc, err := ceremony.New(ceremony.Config{Store: st})
			if err != nil {
				t.Fatal(err)
			}
			cfg := config.Default()
			cfg.MetricsListen = metricsListen
			c := &cli{env: Env{Now: time.Now}}
			masterKey := storage.RandomBytes(32)
			log := slog.New(slog.DiscardHandler)
			keys, err := signingKeys(t.Context(), st, masterKey, cfg.SigningAlg, time.Now, log)
			if err != nil {
				t.Fatal(err)
			}
			deps, err := c.serverDeps(cfg, st, svc, keys, masterKey, log)
			if err != nil {
				t.Fatal(err)
			}
			srv, err := provider.New(deps)
			if err != nil {
				t.Fatal(err)
			}
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
