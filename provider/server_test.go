package provider_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/passbridge/passbridge/provider"
	"github.com/passbridge/passbridge/provider/httpapi"
	"github.com/passbridge/passbridge/storage"
	"github.com/passbridge/passbridge/storage/sqlstore"
	"github.com/passbridge/passbridge/storage/sqlstore/sqlstoretest"
)

// syncBuffer is a log sink safe for the server's goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// echoArea is an area that proves its routes are mounted behind the
// server's middleware.
type echoArea struct{ store storage.Store }

func (a echoArea) RegisterRoutes(r *gin.RouterGroup) {
	g := r.Group("/v1/apps/:app_id", httpapi.LoadApp(a.store), httpapi.RequireAPIKey(a.store, nil))
	g.POST("/echo", httpapi.Handle(func(c *gin.Context) error {
		var body struct {
			Say string `json:"say"`
		}
		if err := httpapi.DecodeJSON(c, &body); err != nil {
			return err
		}
		c.JSON(http.StatusOK, gin.H{"said": body.Say, "app_id": httpapi.App(c).ID})
		return nil
	}))
	r.GET("/panic", func(c *gin.Context) { panic("area panicked") })
}

func newServer(t *testing.T, st storage.Store, deps provider.Deps) (*provider.Server, *syncBuffer) {
	t.Helper()
	logs := &syncBuffer{}
	deps.Store = st
	deps.Logger = slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	deps.Areas = append(deps.Areas, echoArea{st})
	srv, err := provider.New(deps)
	if err != nil {
		t.Fatalf("new server: %v", err)
	}
	return srv, logs
}

func get(t *testing.T, h http.Handler, method, path, body string, header map[string]string) (int, string, http.Header) {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	for k, v := range header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Code, rec.Body.String(), rec.Header()
}

func TestNewValidates(t *testing.T) {
	st := sqlstoretest.Open(t, sqlstoretest.SQLite)
	for name, deps := range map[string]provider.Deps{
		"no store":         {},
		"relative issuer":  {Store: st, Issuer: "localhost:8080"},
		"short master key": {Store: st, MasterKey: []byte("short")},
	} {
		if _, err := provider.New(deps); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestOperationalEndpoints(t *testing.T) {
	sqlstoretest.ForEach(t, func(t *testing.T, open func(t testing.TB) *sqlstore.Store) {
		st := open(t)
		srv, _ := newServer(t, st, provider.Deps{Issuer: "http://localhost:8080"})
		h := srv.Handler()

		if code, body, _ := get(t, h, "GET", "/healthz", "", nil); code != 200 || body != `{"status":"ok"}` {
			t.Fatalf("healthz: %d %s", code, body)
		}
		if code, body, _ := get(t, h, "GET", "/readyz", "", nil); code != 200 || body != `{"status":"ok"}` {
			t.Fatalf("readyz: %d %s", code, body)
		}
		if code, body, _ := get(t, h, "GET", "/nope/123", "", nil); code != 404 || !strings.Contains(body, `"code":"not_found"`) {
			t.Fatalf("unknown path: %d %s", code, body)
		}
		if code, body, hdr := get(t, h, "POST", "/healthz", "", nil); code != 405 || !strings.Contains(body, `"code":"method_not_allowed"`) || hdr.Get("Allow") == "" {
			t.Fatalf("wrong method: %d %s", code, body)
		}

		code, body, _ := get(t, h, "GET", "/metrics", "", nil)
		if code != 200 {
			t.Fatalf("metrics: %d", code)
		}
		for _, want := range []string{
			`passbridge_http_requests_total{method="GET",route="/healthz",status="200"} 1`,
			`passbridge_http_requests_total{method="GET",route="unmatched",status="404"} 1`,
			`passbridge_http_request_duration_seconds_bucket{method="GET",route="/readyz",status="200",le="+Inf"} 1`,
			"go_goroutines",
			"process_cpu_seconds_total",
		} {
			if !strings.Contains(body, want) {
				t.Errorf("metrics lack %q", want)
			}
		}
		if strings.Contains(body, "/nope/123") {
			t.Errorf("metrics label a raw path")
		}
	})
}

func TestReadyzWhenStoreIsGone(t *testing.T) {
	st := sqlstoretest.Open(t, sqlstoretest.SQLite)
	srv, logs := newServer(t, st, provider.Deps{})
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	code, body, _ := get(t, srv.Handler(), "GET", "/readyz", "", nil)
	if code != 503 || !strings.Contains(body, `"code":"store_unavailable"`) {
		t.Fatalf("readyz on a closed store: %d %s", code, body)
	}
	if strings.Contains(body, "sql") {
		t.Fatalf("driver text leaked: %s", body)
	}
	if !strings.Contains(logs.String(), "request failed") {
		t.Fatalf("cause not logged: %s", logs)
	}
	if code, _, _ := get(t, srv.Handler(), "GET", "/healthz", "", nil); code != 200 {
		t.Fatalf("healthz must not depend on the store: %d", code)
	}
}

func TestAreasAndMiddleware(t *testing.T) {
	st := sqlstoretest.Open(t, sqlstoretest.SQLite)
	app, secret := seedApp(t, st)
	srv, logs := newServer(t, st, provider.Deps{MaxBodyBytes: 2048})
	h := srv.Handler()
	auth := map[string]string{"Authorization": "Bearer " + secret, "Content-Type": "application/json", "X-Request-Id": "trace-42"}

	code, body, hdr := get(t, h, "POST", "/v1/apps/"+app.ID+"/echo", `{"say":"hi","extra":true}`, auth)
	if code != 200 || body != `{"app_id":"`+app.ID+`","said":"hi"}` || hdr.Get("X-Request-Id") != "trace-42" {
		t.Fatalf("echo: %d %s %v", code, body, hdr)
	}
	if !strings.Contains(logs.String(), `"request_id":"trace-42"`) || !strings.Contains(logs.String(), `"route":"/v1/apps/:app_id/echo"`) {
		t.Fatalf("access log: %s", logs)
	}
	for _, tt := range []struct {
		name, body string
		header     map[string]string
		wantCode   int
		wantErr    string
	}{
		{"no key", `{}`, nil, 401, "invalid_access_token"},
		{"bad json", `{"say":`, auth, 400, "invalid_request"},
		{"wrong type", `{"say":1}`, auth, 400, "invalid_request"},
		{"too large", `{"say":"` + strings.Repeat("x", 4096) + `"}`, auth, 413, "request_too_large"},
	} {
		code, body, _ := get(t, h, "POST", "/v1/apps/"+app.ID+"/echo", tt.body, tt.header)
		if code != tt.wantCode || !strings.Contains(body, `"code":"`+tt.wantErr+`"`) {
			t.Errorf("%s: %d %s", tt.name, code, body)
		}
	}
	code, body, _ = get(t, h, "GET", "/panic", "", nil)
	if code != 500 || strings.Contains(body, "area panicked") {
		t.Fatalf("panic: %d %s", code, body)
	}
	_, metrics, _ := get(t, h, "GET", "/metrics", "", nil)
	if !strings.Contains(metrics, `passbridge_http_requests_total{method="GET",route="/panic",status="500"} 1`) {
		t.Fatalf("panic not counted as a 500")
	}
}

func seedApp(t *testing.T, st storage.Store) (storage.App, string) {
	t.Helper()
	now := time.Now().UTC().Truncate(time.Microsecond)
	app := storage.App{
		ID: storage.NewID(), Name: "test", RPID: "localhost", RPName: "test", Origins: []string{"http://localhost:8080"},
		UserVerification: "required", ResidentKey: "required", Attestation: "none", SignCountPolicy: "reject",
		TransactionTTL: 5 * time.Minute, CeremonyTimeout: 2 * time.Minute, NonceTTL: 5 * time.Minute,
		CreatedAt: now, UpdatedAt: now,
	}
	if err := st.CreateApp(context.Background(), app); err != nil {
		t.Fatalf("create app: %v", err)
	}
	secret, prefix := storage.NewSecret(storage.PrefixAPIKey)
	key := storage.APIKey{ID: storage.NewID(), AppID: app.ID, Name: "k", Prefix: prefix, Hash: storage.HashSecret(secret), CreatedAt: now}
	if err := st.CreateAPIKey(context.Background(), key); err != nil {
		t.Fatalf("create api key: %v", err)
	}
	return app, secret
}

func TestRunGC(t *testing.T) {
	st := sqlstoretest.Open(t, sqlstoretest.SQLite)
	app, _ := seedApp(t, st)
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Microsecond)
	expired := storage.Transaction{
		ID: storage.NewID(), AppID: app.ID, Kind: storage.KindAuthenticate, State: storage.TransactionPending,
		CreatedAt: now.Add(-2 * storage.TransactionRetention), ExpiresAt: now.Add(-storage.TransactionRetention - time.Minute),
	}
	live := expired
	live.ID, live.ExpiresAt = storage.NewID(), now.Add(time.Hour)
	for _, tx := range []storage.Transaction{expired, live} {
		if err := st.CreateTransaction(ctx, tx); err != nil {
			t.Fatalf("create transaction: %v", err)
		}
	}
	srv, logs := newServer(t, st, provider.Deps{Now: func() time.Time { return now }})

	gcCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); srv.RunGC(gcCtx, time.Hour) }()
	// The first pass runs at once; wait for its log line, then stop.
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(logs.String(), "gc deleted expired rows") {
		if time.Now().After(deadline) {
			t.Fatalf("no gc pass logged: %s", logs)
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done

	if _, err := st.GetTransaction(ctx, app.ID, expired.ID); err == nil {
		t.Fatalf("expired transaction survived gc")
	}
	if _, err := st.GetTransaction(ctx, app.ID, live.ID); err != nil {
		t.Fatalf("live transaction: %v", err)
	}
	var line map[string]any
	for _, l := range strings.Split(logs.String(), "\n") {
		if strings.Contains(l, "gc deleted expired rows") {
			if err := json.Unmarshal([]byte(l), &line); err != nil {
				t.Fatal(err)
			}
		}
	}
	if line["total"] != float64(1) {
		t.Fatalf("gc log: %v", line)
	}
	_, metrics, _ := get(t, srv.Handler(), "GET", "/metrics", "", nil)
	if !strings.Contains(metrics, `passbridge_gc_runs_total{result="ok"}`) {
		t.Fatalf("gc runs not counted")
	}
}
