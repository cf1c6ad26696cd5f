package cli

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/passbridge/passbridge/cmd/passbridge/internal/config"
	"github.com/passbridge/passbridge/provider/signing"
	"github.com/passbridge/passbridge/storage"
	"github.com/passbridge/passbridge/storage/sqlstore/sqlstoretest"
)

// server is a serve command running in the test.
type server struct {
	base   string
	stderr *syncBuffer
	stop   func() error
}

// startServe runs serve in-process on a free port, its stderr not a
// terminal, and waits until it listens.
func startServe(t *testing.T, env map[string]string, args ...string) *server {
	t.Helper()
	return startServeWith(t, &syncBuffer{}, env, args...)
}

// startServeWith is startServe writing to the given stderr.
func startServeWith(t *testing.T, stderr *syncBuffer, env map[string]string, args ...string) *server {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stdout := &syncBuffer{}
	done := make(chan error, 1)
	go func() {
		res := runContext(ctx, t, env, stdout, stderr, append([]string{"serve", "--listen", "127.0.0.1:0"}, args...)...)
		done <- res.err
	}()
	stopped := false
	stop := func() error {
		if stopped {
			return nil
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(30 * time.Second):
			t.Fatalf("serve did not stop")
			return nil
		}
	}
	t.Cleanup(func() { _ = stop() })

	deadline := time.Now().Add(20 * time.Second)
	for {
		if addr := listeningAddr(stderr.String()); addr != "" {
			return &server{base: "http://" + addr, stderr: stderr, stop: stop}
		}
		select {
		case err := <-done:
			t.Fatalf("serve exited: %v\n%s", err, stderr)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not listen:\n%s", stderr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// listeningAddr finds the address of serve's "listening" log line.
func listeningAddr(logs string) string {
	for _, line := range strings.Split(logs, "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) == nil && m["msg"] == "listening" {
			addr, _ := m["addr"].(string)
			return addr
		}
	}
	return ""
}

func (s *server) get(t *testing.T, path string) int {
	t.Helper()
	resp, err := http.Get(s.base + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func (s *server) getAuth(t *testing.T, path, key string) int {
	t.Helper()
	req, err := http.NewRequest("GET", s.base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestServe starts serve with no configuration but a data directory (so the
// SQLite database is the default one inside it), and with PostgreSQL.
func TestServe(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db string) {
		dataDir := filepath.Join(t.TempDir(), "data")
		env := map[string]string{"PASSBRIDGE_DATA_DIR": dataDir, "PASSBRIDGE_GC_INTERVAL": "1s"}
		generatedKey := strings.HasPrefix(db, "sqlite://")
		if generatedKey {
			db = "sqlite://" + filepath.Join(dataDir, "passbridge.db")
		} else {
			// A PostgreSQL store gets no generated key: the instances
			// sharing it are given one.
			env["PASSBRIDGE_DATABASE_URL"] = db
			env["PASSBRIDGE_MASTER_KEY"] = base64.StdEncoding.EncodeToString(storage.RandomBytes(32))
		}
		testServe(t, env, dataDir, db, generatedKey)
	})
}

func testServe(t *testing.T, env map[string]string, dataDir, db string, generatedKey bool) {
	srv := startServe(t, env)

	if code := srv.get(t, "/healthz"); code != 200 {
		t.Fatalf("healthz: %d", code)
	}
	deadline := time.Now().Add(10 * time.Second)
	for srv.get(t, "/readyz") != 200 {
		if time.Now().After(deadline) {
			t.Fatalf("never ready")
		}
		time.Sleep(20 * time.Millisecond)
	}

	logs := srv.stderr.String()
	appID, key := keyFromFile(t, srv, dataDir)
	if _, err := os.Stat(filepath.Join(dataDir, "master.key")); (err == nil) != generatedKey {
		t.Fatalf("master.key in the data dir: %v, want generated %v", err, generatedKey)
	}
	// The key from the file authenticates the default app's backend over HTTP.
	users := "/v1/apps/" + appID + "/users"
	if code := srv.getAuth(t, users, key); code != 200 {
		t.Fatalf("GET %s with the key from the file: %d", users, code)
	}
	if code := srv.getAuth(t, users, key+"x"); code != 401 {
		t.Fatalf("GET %s with a wrong key: %d", users, code)
	}
	if strings.Contains(logs, "generated a new master key") != generatedKey {
		t.Fatalf("master key warning (want %v):\n%s", generatedKey, logs)
	}

	// Stop, then check what the first start stored.
	if err := srv.stop(); err != nil {
		t.Fatalf("serve returned %v on shutdown", err)
	}
	if !strings.Contains(srv.stderr.String(), `"msg":"stopped"`) {
		t.Fatalf("no graceful stop logged:\n%s", srv.stderr)
	}
	st := openDB(t, db)
	ctx := context.Background()
	app, err := st.GetApp(ctx, appID)
	if err != nil {
		t.Fatalf("default app: %v", err)
	}
	if app.RPID != "localhost" || len(app.Origins) != 1 || app.Origins[0] != "http://localhost:8080" || !app.AllowSignup {
		t.Fatalf("default app: %+v", app)
	}
	stored, err := st.GetAPIKeyByHash(ctx, storage.HashSecret(key))
	if err != nil || stored.AppID != appID || !storage.SecretMatches(key, stored.Hash) {
		t.Fatalf("the key from the file does not authenticate: %+v %v", stored, err)
	}
	events, err := st.ListAuditEvents(ctx, storage.AuditQuery{AppID: appID})
	if err != nil || len(events) != 2 || events[0].Actor != "system" || events[1].Actor != "system" {
		t.Fatalf("audit of the default app: %+v %v", events, err)
	}
	_ = st.Close()

	// A second start keeps the app and the key and writes no new key, even
	// with the file of the first start read and deleted.
	keyFile := filepath.Join(dataDir, "default-app-api-key")
	if err := os.Remove(keyFile); err != nil {
		t.Fatal(err)
	}
	again := startServe(t, env)
	if code := again.get(t, "/readyz"); code != 200 {
		t.Fatalf("readyz after restart: %d", code)
	}
	if strings.Contains(again.stderr.String(), "pbk_") || strings.Contains(again.stderr.String(), "generated a new master key") {
		t.Fatalf("second start created again:\n%s", again.stderr)
	}
	if _, err := os.Stat(keyFile); !os.IsNotExist(err) {
		t.Fatalf("second start wrote a key file: %v", err)
	}
	if err := again.stop(); err != nil {
		t.Fatalf("second stop: %v", err)
	}
}

func TestServeRefusesBadConfig(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "data")
	res := run(t, map[string]string{"PASSBRIDGE_DATA_DIR": dataDir, "PASSBRIDGE_ISSUER": "localhost"},
		"serve", "--listen", "nowhere", "--gc-interval", "0s")
	if res.err == nil {
		t.Fatalf("bad config accepted")
	}
	for _, w := range []string{`issuer "localhost"`, `listen "nowhere"`, "gc_interval 0s"} {
		if !strings.Contains(res.err.Error(), w) {
			t.Errorf("error %q lacks %q", res.err, w)
		}
	}
	if _, err := os.Stat(dataDir); !os.IsNotExist(err) {
		t.Fatalf("refused serve wrote the data dir: %v", err)
	}
}

// An issuer on an IP address cannot be an RP ID: serve warns and runs
// without a default app.
func TestServeIssuerWithoutDefaultApp(t *testing.T) {
	env := map[string]string{"PASSBRIDGE_DATA_DIR": filepath.Join(t.TempDir(), "data")}
	srv := startServe(t, env, "--issuer", "http://127.0.0.1:8080")
	if code := srv.get(t, "/readyz"); code != 200 {
		t.Fatalf("readyz: %d", code)
	}
	if !strings.Contains(srv.stderr.String(), "no default app created") || strings.Contains(srv.stderr.String(), "pbk_") {
		t.Fatalf("stderr:\n%s", srv.stderr)
	}
	if _, err := os.Stat(filepath.Join(env["PASSBRIDGE_DATA_DIR"], "default-app-api-key")); !os.IsNotExist(err) {
		t.Fatalf("key file without a default app: %v", err)
	}
}

// serve warns about every client whose app cannot run the login page's
// ceremonies on the issuer's origin.
func TestServeWarnsMisfitClients(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "data")
	db := "sqlite://" + filepath.Join(dataDir, "passbridge.db")
	var app appJSON
	mustJSON(t, &app, nil, "apps", "create", "--database-url", db, "--name", "Elsewhere", "--rp-id", "example.com", "--origin", "https://example.com")
	var cl clientJSON
	// A confidential client's secret is sealed with the master key that serve will use.
	mustJSON(t, &cl, map[string]string{"PASSBRIDGE_DATA_DIR": dataDir}, "clients", "create", "--database-url", db, "--app", app.ID, "--redirect-uri", "https://example.com/cb")

	srv := startServe(t, map[string]string{"PASSBRIDGE_DATA_DIR": dataDir})
	logs := srv.stderr.String()
	if !strings.Contains(logs, "OIDC client cannot sign in") || !strings.Contains(logs, cl.ClientID) ||
		!strings.Contains(logs, "origin http://localhost:8080 is not among the app's origins") {
		t.Fatalf("no warning about the client:\n%s", logs)
	}
	// The store had an app: no default app was added.
	if _, err := os.Stat(filepath.Join(dataDir, "default-app-api-key")); !os.IsNotExist(err) {
		t.Fatalf("default app created beside an existing one: %v\n%s", err, logs)
	}
}

// serve passes the rate limit through to the server: the browser client API
// is limited per client address; the API-key routes and the operational
// endpoints are not. At one request per 1,000 seconds no token comes back
// while the test runs.
func TestServeRateLimit(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "data")
	env := map[string]string{"PASSBRIDGE_DATA_DIR": dataDir, "PASSBRIDGE_RATE_LIMIT_BURST": "2"}
	srv := startServe(t, env, "--rate-limit", "0.001")
	appID, key := keyFromFile(t, srv, dataDir)
	start := srv.base + "/v1/apps/" + appID + "/authenticate/transactions/webauthn/start"
	for i, want := range []int{200, 200, 429, 429} {
		resp, err := http.Post(start, "application/json", strings.NewReader("{}"))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Fatalf("request %d: %d, want %d", i+1, resp.StatusCode, want)
		}
	}
	users := "/v1/apps/" + appID + "/users"
	for range 3 {
		if code := srv.getAuth(t, users, key); code != 200 {
			t.Fatalf("management API: %d, want it not limited", code)
		}
	}
	for range 3 {
		if code := srv.get(t, "/healthz"); code != 200 {
			t.Fatalf("healthz: %d", code)
		}
	}
}

func TestServeRefusesBadRateLimit(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "data")
	res := run(t, map[string]string{"PASSBRIDGE_DATA_DIR": dataDir}, "serve", "--rate-limit=-1", "--rate-limit-burst=-2")
	if res.err == nil {
		t.Fatalf("bad rate limit accepted")
	}
	for _, w := range []string{"rate_limit -1: must not be negative", "rate_limit_burst -2: must not be negative"} {
		if !strings.Contains(res.err.Error(), w) {
			t.Errorf("error %q lacks %q", res.err, w)
		}
	}
}

// On PostgreSQL, serve generates no master key: it refuses to start, says
// how to set one, and writes nothing.
func TestServePostgresNeedsMasterKey(t *testing.T) {
	db := databaseURL(t, sqlstoretest.Postgres)
	dataDir := filepath.Join(t.TempDir(), "data")
	res := run(t, map[string]string{"PASSBRIDGE_DATA_DIR": dataDir, "PASSBRIDGE_DATABASE_URL": db}, "serve")
	if !errors.Is(res.err, config.ErrNoMasterKey) || !strings.Contains(res.err.Error(), "keys new-master-key") {
		t.Fatalf("serve on PostgreSQL without a master key: %v, want ErrNoMasterKey", res.err)
	}
	if _, err := os.Stat(dataDir); !os.IsNotExist(err) {
		t.Fatalf("refused serve wrote the data dir: %v", err)
	}
}

// An instance started with another master key than the store was set up
// with refuses to start, saying so, and changes nothing.
func TestServeRefusesAnotherMasterKey(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db string) {
		first, second := storage.RandomBytes(32), storage.RandomBytes(32)
		st := openDB(t, db)
		if err := signing.CheckMasterKey(t.Context(), st, first, time.Now()); err != nil {
			t.Fatal(err)
		}
		_ = st.Close()
		env := map[string]string{
			"PASSBRIDGE_DATA_DIR":     filepath.Join(t.TempDir(), "data"),
			"PASSBRIDGE_DATABASE_URL": db,
			"PASSBRIDGE_MASTER_KEY":   base64.StdEncoding.EncodeToString(second),
		}
		res := run(t, env, "serve")
		if !errors.Is(res.err, signing.ErrMasterKeyMismatch) || !strings.Contains(res.err.Error(), "same master key") {
			t.Fatalf("serve with another master key: %v, want ErrMasterKeyMismatch saying what to do", res.err)
		}
		st = openDB(t, db)
		defer st.Close()
		if apps, err := st.ListApps(t.Context()); err != nil || len(apps) != 0 {
			t.Fatalf("refused serve created apps: %v %v", apps, err)
		}
	})
}
