package cli

import (
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/passbridge/passbridge/ceremony"
	"github.com/passbridge/passbridge/provider"
	"github.com/passbridge/passbridge/provider/openapi"
	"github.com/passbridge/passbridge/storage/sqlstore/sqlstoretest"
)

// TestServedRoutesAreDocumented builds the server exactly as serve does and
// checks the OpenAPI document against its routes, both ways: every API route
// serve mounts is documented, and every documented operation is served.
func TestServedRoutesAreDocumented(t *testing.T) {
	st := sqlstoretest.Open(t, sqlstoretest.SQLite)
	svc, err := ceremony.New(ceremony.Config{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	srv, err := provider.New(provider.Deps{
		Store:    st,
		Ceremony: svc,
		Logger:   log,
		Issuer:   "http://localhost:8080",
		Now:      time.Now,
		Areas:    areas(areaDeps{store: st, ceremony: svc, log: log, issuer: "http://localhost:8080", now: time.Now}),
	})
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
}
