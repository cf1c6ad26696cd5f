package chaos

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/lib/pq"  // PostgreSQL, for the checks
	_ "modernc.org/sqlite" // SQLite, for the checks

	"github.com/passbridge/passbridge/cmd/passbridge/internal/bench"
	"github.com/passbridge/passbridge/provider/loadflow"
)

// SpreadPin sends each step of a ceremony to another instance: a Flex
// ceremony begins on A, finishes on B... (create and verify on A, start on
// B, finish on C), an OpenID Connect sign-in is authorized on A, logs in
// on B and gets its token on C.
var SpreadPin = map[string]int{
	"create_transaction": 0, "register_start": 1, "authenticate_start": 1,
	"register_finish": 2, "authenticate_finish": 2, "verify_nonce": 0,
	"authorize": 0, "login_page": 1, "login_ceremony": 2, "login_complete": 1,
	"callback": 0, "redirect": 1, "token": 2, RefreshStep: 1,
}

// AllFlows are the flows every scenario runs.
var AllFlows = loadflow.Names()

// WorldConfig is a deployment to test.
type WorldConfig struct {
	// Engine is "postgres" or "sqlite"; DatabaseURL the store (a
	// PostgreSQL URL with its search_path, or sqlite://path).
	Engine, DatabaseURL string
	// Via, when set, is a host:port the instances reach PostgreSQL through
	// instead of the URL's (a sqlstoretest.NetProxy).
	Via string
	// Instances is the number of `passbridge serve` processes (1 for SQLite).
	Instances int
	// GCInterval is their --gc-interval ("": the default).
	GCInterval string
	// RequestTimeout is their --request-timeout ("": the default, 15 s),
	// when the binary has the flag.
	RequestTimeout string
}

// World is passbridge deployed for a scenario: instances behind a proxy on
// one store, an admin key, and an app with an API key and a confidential
// OpenID Connect client made through the admin API.
type World struct {
	Bin       string
	Cfg       WorldConfig
	Proxy     *Proxy
	Instances []*Instance
	Ledger    *Ledger
	Watch     *Watch
	AdminKey  string
	Objects   bench.Objects
	DB        *sql.DB // the store, direct, for the checks
	cliEnv    []string
}

// NewWorld deploys cfg: it starts the first instance (which migrates the
// store), then the others, and provisions through the proxy.
func NewWorld(ctx context.Context, t testing.TB, cfg WorldConfig) *World {
	t.Helper()
	w := &World{Bin: Binary(t), Cfg: cfg, Proxy: NewProxy(t), Ledger: NewLedger(), Watch: NewWatch()}
	w.Proxy.Observe = func(x Exchange) { w.Ledger.Observe(x); w.Watch.Observe(x) }
	serveURL := cfg.DatabaseURL
	if cfg.Via != "" {
		u, err := url.Parse(cfg.DatabaseURL)
		if err != nil {
			t.Fatal(err)
		}
		u.Host = cfg.Via
		q := u.Query()
		q.Set("connect_timeout", "2")
		u.RawQuery = q.Encode()
		serveURL = u.String()
	}
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	masterKey := hex.EncodeToString(key)
	dir := t.TempDir()
	w.cliEnv = []string{"PASSBRIDGE_MASTER_KEY=" + masterKey, "PASSBRIDGE_DATABASE_URL=" + cfg.DatabaseURL,
		"PASSBRIDGE_DATA_DIR=" + filepath.Join(dir, "cli")}
	var extra []string
	if cfg.RequestTimeout != "" && w.HasFlag(ctx, "serve", "--request-timeout") {
		extra = append(extra, "--request-timeout", cfg.RequestTimeout)
	} else {
		w.Cfg.RequestTimeout = ""
	}
	var addrs []string
	for i := range cfg.Instances {
		in := NewInstance(t, w.Bin, InstanceConfig{Name: string(rune('A' + i)), DatabaseURL: serveURL, MasterKey: masterKey,
			Issuer: w.Proxy.URL, DataDir: filepath.Join(dir, string(rune('a'+i))), GCInterval: cfg.GCInterval, Args: extra})
		w.Instances = append(w.Instances, in)
		addrs = append(addrs, in.Addr)
	}
	w.Proxy.SetBackends(addrs...)
	t.Cleanup(func() {
		if t.Failed() {
			for _, in := range w.Instances {
				t.Logf("errors logged by %s:\n%s\nend of its log:\n%s", in.Name, strings.Join(in.Errors(20), "\n"), in.LogTail())
			}
		}
	})
	if _, err := w.Instances[0].Start(ctx); err != nil {
		t.Fatal(err)
	}
	var (
		wg   sync.WaitGroup
		errs = make([]error, len(w.Instances))
	)
	for i, in := range w.Instances[1:] {
		wg.Go(func() { _, errs[i+1] = in.Start(ctx) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	out, err := w.CLI(ctx, "adminkeys", "create", "--name", "chaos", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var ak struct {
		Key string `json:"key"`
	}
	if err := json.Unmarshal([]byte(out), &ak); err != nil || ak.Key == "" {
		t.Fatalf("adminkeys create: %v: %s", err, out)
	}
	w.AdminKey = ak.Key
	w.Objects = w.Provision(ctx, t, "chaos")
	w.DB = openDB(t, cfg.Engine, cfg.DatabaseURL)
	return w
}

// HasFlag tells whether the binary's command knows flag.
func (w *World) HasFlag(ctx context.Context, command, flag string) bool {
	out, err := runCLI(ctx, w.Bin, nil, command, "--help")
	return err == nil && strings.Contains(out, flag+" ")
}

// CLI runs a passbridge command against the world's store.
func (w *World) CLI(ctx context.Context, args ...string) (string, error) {
	return runCLI(ctx, w.Bin, w.cliEnv, args...)
}

// Admin is the admin API through the proxy.
func (w *World) Admin() *bench.AdminAPI {
	return &bench.AdminAPI{URL: w.Proxy.URL, Key: w.AdminKey, HTTP: &http.Client{Timeout: RequestTimeout}}
}

// Provision makes an app (RP ID localhost, origin the issuer's), an API key
// and a confidential client, named name.
func (w *World) Provision(ctx context.Context, t testing.TB, name string) bench.Objects {
	t.Helper()
	a := w.Admin()
	var o bench.Objects
	var err error
	if o.AppID, err = a.CreateApp(ctx, name, "localhost", w.Proxy.URL); err != nil {
		t.Fatal(err)
	}
	if o.APIKey, err = a.CreateAPIKey(ctx, o.AppID, name); err != nil {
		t.Fatal(err)
	}
	o.RedirectURI = bench.SetupRedirectURI
	if o.ClientID, o.ClientSecret, err = a.CreateClient(ctx, o.AppID, name, o.RedirectURI, false); err != nil {
		t.Fatal(err)
	}
	return o
}

// Target is the loadflow target of objects o through the proxy, with a
// load client for workers.
func (w *World) Target(o bench.Objects, workers int, prefix string) loadflow.Target {
	return loadflow.Target{BaseURL: w.Proxy.URL, AppID: o.AppID, APIKey: o.APIKey, ClientID: o.ClientID,
		ClientSecret: o.ClientSecret, RedirectURI: o.RedirectURI, RPID: "localhost", HTTP: NewLoadClient(workers),
		UserPrefix: prefix, Scopes: []string{"offline_access"}}
}

// NewLoad sets up the world's load on objects o: every flow of loadflow,
// and two refreshers redeeming the refresh tokens the OIDC flows get.
func (w *World) NewLoad(ctx context.Context, t testing.TB, o bench.Objects, usersPerFlow, workers int, prefix string) *Load {
	t.Helper()
	target := w.Target(o, workers, prefix)
	l := NewLoad(ctx, t, target, AllFlows, usersPerFlow, workers)
	l.Add(RefreshFlow, w.NewRefresher(o.ClientID, o.ClientSecret, target.HTTP), w.NewRefresher(o.ClientID, o.ClientSecret, target.HTTP))
	return l
}

// AllReady waits until every instance's /readyz answers 200 and returns
// how long that took.
func (w *World) AllReady(ctx context.Context, limit time.Duration) (time.Duration, error) {
	start := time.Now()
	for {
		ready := 0
		for _, in := range w.Instances {
			if status(ctx, in.URL()+"/readyz") == http.StatusOK {
				ready++
			}
		}
		if ready == len(w.Instances) {
			return time.Since(start), nil
		}
		if time.Since(start) > limit {
			return 0, fmt.Errorf("%d of %d instances ready after %s", ready, len(w.Instances), limit)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// openDB opens the store's database for the checks.
func openDB(t testing.TB, engine, dsn string) *sql.DB {
	t.Helper()
	driver, src := "postgres", dsn
	if engine == "sqlite" {
		driver, src = "sqlite", strings.TrimPrefix(dsn, "sqlite://")
	}
	db, err := sql.Open(driver, src)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// Missing is the acknowledged registrations the store does not hold.
func (w *World) Missing(ctx context.Context) ([]string, error) {
	return w.Ledger.Missing(ctx, w.DB, w.Cfg.Engine)
}

// Respend spends every spent nonce and code again through the proxy and
// returns the double spends: those answered 200 during the load more than
// once, and those accepted again now.
func (w *World) Respend(ctx context.Context, t testing.TB) (spent map[string]int, double int) {
	t.Helper()
	during := w.Ledger.DoubleSpentDuringLoad()
	_, again, err := w.Ledger.Respend(ctx, &http.Client{Timeout: RequestTimeout}, w.Proxy.URL, 8)
	if err != nil {
		t.Errorf("re-spend: %v", err)
	}
	return w.Ledger.Spent(), during + again
}
