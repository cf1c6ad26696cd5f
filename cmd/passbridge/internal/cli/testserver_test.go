package cli

import (
	"log/slog"
	"testing"
	"time"

	"github.com/passbridge/passbridge/ceremony"
	"github.com/passbridge/passbridge/cmd/passbridge/internal/config"
	"github.com/passbridge/passbridge/provider"
	"github.com/passbridge/passbridge/storage"
)

// testServer builds the server serve would build from cfg on st (a fresh
// master key, the signing keys it makes), without listening.
func testServer(t *testing.T, cfg config.Config, st storage.Store) *provider.Server {
	t.Helper()
	svc, err := ceremony.New(ceremony.Config{Store: st})
	if err != nil {
		t.Fatal(err)
	}
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
	return srv
}
