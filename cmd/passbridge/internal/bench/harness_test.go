package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/passbridge/passbridge/ceremony/transfer"
	"github.com/passbridge/passbridge/provider/providertest"
	"github.com/passbridge/passbridge/storage"
	"github.com/passbridge/passbridge/storage/sqlstore"
	"github.com/passbridge/passbridge/storage/sqlstore/sqlstoretest"
)

func TestMain(m *testing.M) {
	gin.SetMode(gin.ReleaseMode)
	// op logs refusals through slog's default logger.
	slog.SetDefault(slog.New(slog.DiscardHandler))
	os.Exit(m.Run())
}

// server is the whole passbridge in process, on a store of its own.
type server struct {
	*providertest.Server
	st storage.Store
}

func forEachEngine(t *testing.T, fn func(t *testing.T, s *server)) {
	sqlstoretest.ForEach(t, func(t *testing.T, open func(testing.TB) *sqlstore.Store) {
		st := open(t)
		fn(t, &server{Server: providertest.Start(t, st, providertest.Options{}), st: st})
	})
}

func newServer(t *testing.T) *server {
	st := sqlstoretest.Open(t, sqlstoretest.SQLite)
	return &server{Server: providertest.Start(t, st, providertest.Options{}), st: st}
}

// storeBackend works on the server's store, with its master key.
func (s *server) storeBackend() *StoreBackend {
	return &StoreBackend{Store: s.st, MasterKey: s.MasterKey, Now: s.Clock.Now}
}

// adminAPI works through the server's admin API with a new admin key.
func (s *server) adminAPI(t *testing.T) *AdminAPI {
	t.Helper()
	secret, prefix := storage.NewSecret(storage.PrefixAdminKey)
	k := storage.AdminKey{ID: storage.NewID(), Name: "bench", Prefix: prefix, Hash: storage.HashSecret(secret), CreatedAt: s.Clock.Now()}
	if err := s.st.CreateAdminKey(t.Context(), k); err != nil {
		t.Fatal(err)
	}
	return &AdminAPI{URL: s.Issuer, Key: secret}
}

// config is a short run at concurrency 2.
func (s *server) config(flows ...string) Config {
	return Config{URL: s.Issuer, Flows: flows, Concurrency: 2, Iterations: 6, Warmup: Warmup{Iterations: 2}}
}

// apps lists the apps of the store.
func (s *server) apps(t *testing.T) []storage.App {
	t.Helper()
	apps, err := s.st.ListApps(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return apps
}

// devices counts the devices of an app, from its export.
func (s *server) devices(t *testing.T, appID string) int {
	t.Helper()
	app, err := s.st.GetApp(t.Context(), appID)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := transfer.Export(t.Context(), s.st, app, &buf); err != nil {
		t.Fatal(err)
	}
	n := 0
	sc := bufio.NewScanner(&buf)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var u transfer.User
		if err := json.Unmarshal(sc.Bytes(), &u); err != nil {
			t.Fatal(err)
		}
		n += len(u.Devices)
	}
	return n
}

// checkClean fails when a report saw an error, or its figures do not add up.
func checkClean(t *testing.T, r Report, iterations int) {
	t.Helper()
	if r.Errors != 0 || r.SetupErrors != 0 || len(r.ErrorMessages) != 0 {
		t.Fatalf("%s: %d errors, %d setup errors: %s", r.Flow, r.Errors, r.SetupErrors, strings.Join(r.ErrorMessages, "; "))
	}
	if r.Iterations != iterations {
		t.Errorf("%s: %d iterations, want %d", r.Flow, r.Iterations, iterations)
	}
	l := r.Latency
	if !(0 < l.P50 && l.P50 <= l.P90 && l.P90 <= l.P99 && l.P99 <= l.Max && l.Mean > 0) {
		t.Errorf("%s: latency %+v", r.Flow, l)
	}
	if r.Throughput <= 0 || r.ElapsedS <= 0 {
		t.Errorf("%s: throughput %v over %v s", r.Flow, r.Throughput, r.ElapsedS)
	}
	share := 0.0
	for _, s := range r.Steps {
		share += s.Share
		if s.Count < iterations || s.MeanMS <= 0 {
			t.Errorf("%s: step %+v", r.Flow, s)
		}
	}
	if len(r.Steps) < 3 || share < 0.99 || share > 1.01 {
		t.Errorf("%s: steps %+v (shares add up to %v)", r.Flow, r.Steps, share)
	}
}
