package cli

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/passbridge/passbridge/provider/providertest"
	"github.com/passbridge/passbridge/storage/sqlstore/sqlstoretest"
)

// benchServer starts the whole server in process on a fresh database and
// returns it with the environment of CLI runs on the same database and
// master key.
func benchServer(t *testing.T, engine string) (*providertest.Server, map[string]string) {
	t.Helper()
	gin.SetMode(gin.ReleaseMode)
	db := databaseURL(t, engine)
	srv := providertest.Start(t, openDB(t, db), providertest.Options{})
	return srv, map[string]string{
		"PASSBRIDGE_DATABASE_URL": db,
		"PASSBRIDGE_MASTER_KEY":   base64.StdEncoding.EncodeToString(srv.MasterKey),
		"PASSBRIDGE_DATA_DIR":     filepath.Join(t.TempDir(), "data"),
	}
}

// passbridge bench --setup --iterations, through the store of
// --database-url: one JSON line per flow, no error, nothing left behind.
func TestBenchIterationsThroughStore(t *testing.T) {
	for _, engine := range []string{sqlstoretest.SQLite, sqlstoretest.Postgres} {
		t.Run(engine, func(t *testing.T) { benchIterations(t, engine) })
	}
}

func benchIterations(t *testing.T, engine string) {
	srv, env := benchServer(t, engine)
	out := mustRun(t, env, "bench", "--url", srv.Issuer, "--setup", "--flow", "flex-auth,oidc", "--flow", "byo-auth",
		"--iterations", "4", "--concurrency", "2", "--warmup", "1", "--json")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d lines:\n%s", len(lines), out)
	}
	for i, flow := range []string{"flex-auth", "oidc", "byo-auth"} {
		var r struct {
			Flow       string `json:"flow"`
			Iterations int    `json:"iterations"`
			Errors     int    `json:"errors"`
			Latency    struct {
				P99 float64 `json:"p99"`
			} `json:"latency_ms"`
		}
		if err := json.Unmarshal([]byte(lines[i]), &r); err != nil {
			t.Fatal(err)
		}
		if r.Flow != flow || r.Iterations != 4 || r.Errors != 0 || r.Latency.P99 <= 0 {
			t.Errorf("line %d: %s", i, lines[i])
		}
	}
	var apps []appJSON
	mustJSON(t, &apps, env, "apps", "list")
	if len(apps) != 0 {
		t.Fatalf("--setup left %+v", apps)
	}
}

// Through the admin API, with the table a person reads.
func TestBenchTableThroughAdminAPI(t *testing.T) {
	srv, env := benchServer(t, sqlstoretest.SQLite)
	var key adminKeyJSON
	mustJSON(t, &key, env, "adminkeys", "create", "--name", "bench")
	res := run(t, map[string]string{}, "bench", "--url", srv.Issuer, "--setup", "--admin-key", key.Key,
		"--flow", "discoverable", "--flow", "oidc-sso", "--public", "--seed-devices", "50", "--iterations", "3", "--concurrency", "2", "--warmup", "0")
	if res.err != nil {
		t.Fatalf("%v\n%s", res.err, res.stderr)
	}
	for _, want := range []string{"FLOW", "ITER/S", "P99 MS", "discoverable", "oidc-sso", "STEP", "authenticate_finish", "token"} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("table lacks %q:\n%s", want, res.stdout)
		}
	}
	// Not a terminal: progress comes as lines.
	if !strings.Contains(res.stderr, "seeding: 50/50 devices\n") || strings.Contains(res.stderr, "\r") {
		t.Errorf("progress:\n%q", res.stderr)
	}
}

// Bad input is one clear line, before anything runs.
func TestBenchBadInput(t *testing.T) {
	// No server, and a database that must not be created.
	dir := filepath.Join(t.TempDir(), "none")
	env := map[string]string{"PASSBRIDGE_DATABASE_URL": "sqlite://" + filepath.Join(dir, "db")}
	for name, tc := range map[string]struct {
		args []string
		want string
	}{
		"unknown flow":   {[]string{"--setup", "--flow", "flex-auth,password"}, `unknown flow "password": want flex-register, flex-auth, discoverable, byo-auth, oidc, oidc-sso`},
		"concurrency 0":  {[]string{"--setup", "--concurrency", "0"}, "--concurrency 0: want at least 1"},
		"no api key":     {[]string{"--app", "a"}, "--app and --api-key are required without --setup"},
		"no client":      {[]string{"--app", "a", "--api-key", "k", "--flow", "oidc"}, "the oidc flows need --client-id and --redirect-uri"},
		"unreachable":    {[]string{"--url", "http://127.0.0.1:1", "--app", "a", "--api-key", "k"}, "passbridge at http://127.0.0.1:1 is not reachable: "},
		"both ends":      {[]string{"--setup", "--duration", "1s", "--iterations", "3"}, "[duration iterations] were all set"},
		"keep":           {[]string{"--app", "a", "--api-key", "k", "--keep"}, "--keep is for --setup"},
		"warmup":         {[]string{"--setup", "--warmup", "soon"}, `--warmup "soon"`},
		"profile length": {[]string{"--setup", "--cpuprofile", "f", "--pprof-url", "u", "--iterations", "3"}, "--cpuprofile needs --duration"},
	} {
		res := run(t, env, append([]string{"bench"}, tc.args...)...)
		if res.err == nil || !strings.Contains(res.err.Error(), tc.want) || strings.Contains(res.err.Error(), "\n") {
			t.Errorf("%s: %v, want %q", name, res.err, tc.want)
		}
	}
	if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("bad input opened the database: %v", err)
	}
}
