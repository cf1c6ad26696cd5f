//go:build e2e

package browsertest

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/passbridge/passbridge/ceremony"
	"github.com/passbridge/passbridge/provider/flexapi"
	"github.com/passbridge/passbridge/provider/httpapi"
	"github.com/passbridge/passbridge/provider/sdk"
	"github.com/passbridge/passbridge/storage"
	"github.com/passbridge/passbridge/storage/sqlstore/sqlstoretest"
)

// env is one passbridge server (Flex API, SDK, and the test page under
// /test/) on a real store (SQLite unless a test asks for PostgreSQL), with
// one app whose origin is the server's localhost address.
type env struct {
	// page is http://localhost:PORT, the origin pages are opened on and the
	// app's origin (a secure context for WebAuthn, RP ID "localhost").
	page string
	// loopback is http://127.0.0.1:PORT: the same server under another
	// origin, for cross-origin use.
	loopback string
	store    storage.Store
	app      storage.App
	apiKey   string
	rec      *recorder
}

// newEnv starts the server on a fresh SQLite store and creates the app and
// an API key of it.
func newEnv(t *testing.T) *env {
	t.Helper()
	return newEnvOn(t, sqlstoretest.Open(t, sqlstoretest.SQLite))
}

// newEnvOn is newEnv on store, a fresh store of any engine.
func newEnvOn(t *testing.T, store storage.Store) *env {
	t.Helper()
	svc, err := ceremony.New(ceremony.Config{Store: store})
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))

	gin.SetMode(gin.TestMode)
	r := gin.New()
	r.HandleMethodNotAllowed = true
	r.Use(httpapi.Middleware(log, 0)...)
	r.NoRoute(httpapi.NotFound())
	r.NoMethod(httpapi.MethodNotAllowed())
	root := r.Group("/")
	flexapi.New(flexapi.Deps{Store: store, Ceremony: svc, Logger: log}).RegisterRoutes(root)
	sdk.New().RegisterRoutes(root)
	r.StaticFS("/test", http.Dir("testdata"))

	rec := &recorder{}
	srv := httptest.NewServer(rec.wrap(r))
	t.Cleanup(srv.Close)
	u, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{
		page:     "http://localhost:" + u.Port(),
		loopback: srv.URL,
		store:    store,
		rec:      rec,
	}
	e.app = e.createApp(t, "Browser test", e.page)
	e.apiKey = e.createAPIKey(t, e.app.ID)
	return e
}

// createApp stores an app with RP ID localhost and the given origins, as
// `passbridge apps create` does.
func (e *env) createApp(t *testing.T, name string, origins ...string) storage.App {
	t.Helper()
	now := time.Now().UTC()
	app, err := ceremony.PrepareApp(storage.App{
		ID: storage.NewID(), Name: name, RPID: "localhost", Origins: origins,
		CreatedAt: now, UpdatedAt: now,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.store.CreateApp(t.Context(), app); err != nil {
		t.Fatal(err)
	}
	return app
}

// createAPIKey stores an API key of the app and returns its secret, as
// `passbridge apikeys create` does.
func (e *env) createAPIKey(t *testing.T, appID string) string {
	t.Helper()
	secret, prefix := storage.NewSecret(storage.PrefixAPIKey)
	err := e.store.CreateAPIKey(t.Context(), storage.APIKey{
		ID: storage.NewID(), AppID: appID, Name: "browser test", Prefix: prefix,
		Hash: storage.HashSecret(secret), CreatedAt: time.Now().UTC(),
	})
	if err != nil {
		t.Fatal(err)
	}
	return secret
}

// pageURL is the test page on the app's origin, talking to app (default: the
// env's app). query adds parameters (sdk, fallback).
func (e *env) pageURL(app string, query url.Values) string {
	if app == "" {
		app = e.app.ID
	}
	q := url.Values{"app": {app}}
	for k, v := range query {
		q[k] = v
	}
	return e.page + "/test/index.html?" + q.Encode()
}

// mgmt makes a management API call of the env's app, as a backend does, and
// decodes the JSON answer into a map. It fails the test unless the status is
// want.
func (e *env) mgmt(t *testing.T, method, path string, body any, want int) map[string]any {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, e.loopback+"/v1/apps/"+e.app.ID+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+e.apiKey)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != want {
		t.Fatalf("%s %s: status %d, want %d: %s", method, path, res.StatusCode, want, raw)
	}
	out := map[string]any{}
	if len(bytes.TrimSpace(raw)) > 0 {
		if err := json.Unmarshal(raw, &out); err != nil {
			t.Fatalf("%s %s: %v: %s", method, path, err, raw)
		}
	}
	return out
}

// registerTransaction creates a register transaction for externalID.
func (e *env) registerTransaction(t *testing.T, externalID string) string {
	t.Helper()
	res := e.mgmt(t, http.MethodPost, "/transactions/register",
		map[string]string{"external_id": externalID, "passkey_display_name": externalID + "@example.com"}, http.StatusOK)
	return stringField(t, res, "transaction_id")
}

// authenticateTransaction creates an authenticate transaction for externalID.
func (e *env) authenticateTransaction(t *testing.T, externalID string) string {
	t.Helper()
	res := e.mgmt(t, http.MethodPost, "/transactions/authenticate",
		map[string]string{"external_id": externalID}, http.StatusOK)
	return stringField(t, res, "transaction_id")
}

// verify redeems a nonce and returns the external ID it proves.
func (e *env) verify(t *testing.T, nonce string) string {
	t.Helper()
	res := e.mgmt(t, http.MethodPost, "/authenticate/verify", map[string]string{"nonce": nonce}, http.StatusOK)
	return stringField(t, res, "external_id")
}

func stringField(t *testing.T, m map[string]any, key string) string {
	t.Helper()
	s, ok := m[key].(string)
	if !ok || s == "" {
		t.Fatalf("answer has no %q: %v", key, m)
	}
	return s
}

// testWriter sends the server's log lines to the test log, so a failing
// test shows what the server refused and why.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
