package main

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/passbridge/passbridge/ceremony"
	"github.com/passbridge/passbridge/provider"
	"github.com/passbridge/passbridge/provider/flexapi"
	"github.com/passbridge/passbridge/provider/sdk"
	"github.com/passbridge/passbridge/storage"
	"github.com/passbridge/passbridge/storage/sqlstore/sqlstoretest"
)

// stack is a real passbridge and the example app in front of it, each on
// its own loopback port, as a person runs them: passbridge serve, then the
// app configured with an app ID and API key of passbridge's.
type stack struct {
	// site is the example app's origin, http://localhost:PORT: the origin
	// the browser opens, and the passbridge app's one origin.
	site string
	// passbridge is passbridge's base URL, http://localhost:PORT, another
	// origin than site's.
	passbridge string
	appID      string
	apiKey     string
	rec        *recorder
	// accountsFile is where the example keeps its accounts.
	accountsFile string
}

// startStack starts passbridge on a real SQLite store, creates an app (RP ID
// localhost, origin the site's) and an API key in the store as
// `passbridge apps create` and `passbridge apikeys create` do, and starts the
// example app against it.
func startStack(t *testing.T) *stack {
	t.Helper()
	return startStackWith(t, stackOptions{})
}

// stackOptions change what startStackWith starts.
type stackOptions struct {
	// now is the example app's clock (nil: time.Now).
	now func() time.Time
	// transactionTTL is how long the passbridge app's transactions last
	// (0: passbridge's default).
	transactionTTL time.Duration
	// userVerification is the passbridge app's user-verification
	// requirement ("": passbridge's default, required).
	userVerification string
}

// startStackWith is startStack with options.
func startStackWith(t *testing.T, opts stackOptions) *stack {
	t.Helper()
	log := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))

	store := sqlstoretest.Open(t, sqlstoretest.SQLite)
	svc, err := ceremony.New(ceremony.Config{Store: store})
	if err != nil {
		t.Fatal(err)
	}
	pbSrv := httptest.NewUnstartedServer(nil)
	t.Cleanup(pbSrv.Close)
	pbURL := "http://localhost:" + port(t, pbSrv)
	server, err := provider.New(provider.Deps{
		Store:    store,
		Ceremony: svc,
		Logger:   log,
		Issuer:   pbURL,
		Areas: []provider.Area{
			flexapi.New(flexapi.Deps{Store: store, Ceremony: svc, Logger: log, Issuer: pbURL}),
			sdk.New(),
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	pbSrv.Config.Handler = rec.wrap(server.Handler())
	pbSrv.Start()

	siteSrv := httptest.NewUnstartedServer(nil)
	t.Cleanup(siteSrv.Close)
	site := "http://localhost:" + port(t, siteSrv)

	now := time.Now().UTC()
	app, err := ceremony.PrepareApp(storage.App{
		ID: storage.NewID(), Name: "flex-go example", RPID: "localhost", Origins: []string{site},
		TransactionTTL: opts.transactionTTL, UserVerification: opts.userVerification, CreatedAt: now, UpdatedAt: now,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := store.CreateApp(t.Context(), app); err != nil {
		t.Fatal(err)
	}
	secret, prefix := storage.NewSecret(storage.PrefixAPIKey)
	err = store.CreateAPIKey(t.Context(), storage.APIKey{
		ID: storage.NewID(), AppID: app.ID, Name: "flex-go example", Prefix: prefix,
		Hash: storage.HashSecret(secret), CreatedAt: now,
	})
	if err != nil {
		t.Fatal(err)
	}

	accountsFile := filepath.Join(t.TempDir(), "accounts.json")
	h, err := newHandler(Config{PassbridgeURL: pbURL, AppID: app.ID, APIKey: secret, Logger: log,
		AccountsFile: accountsFile, Now: opts.now})
	if err != nil {
		t.Fatal(err)
	}
	siteSrv.Config.Handler = h
	siteSrv.Start()
	return &stack{site: site, passbridge: pbURL, appID: app.ID, apiKey: secret, rec: rec, accountsFile: accountsFile}
}

// appAccepts reports whether the example's accounts file lists deviceID as
// a passkey username's account accepted.
func (s *stack) appAccepts(t *testing.T, username, deviceID string) bool {
	t.Helper()
	raw, err := os.ReadFile(s.accountsFile)
	if err != nil {
		t.Fatal(err)
	}
	var accts map[string]account
	if err := json.Unmarshal(raw, &accts); err != nil {
		t.Fatal(err)
	}
	return slices.Contains(accts[username].Devices, deviceID)
}

// port is the port an unstarted test server listens on.
func port(t *testing.T, srv *httptest.Server) string {
	t.Helper()
	u, err := url.Parse("http://" + srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	return u.Port()
}

// devices lists username's devices straight from passbridge's management
// API, to compare with what the example shows.
func (s *stack) devices(t *testing.T, username string) []map[string]any {
	t.Helper()
	var users struct {
		Users []struct {
			ID string `json:"id"`
		} `json:"users"`
	}
	s.get(t, "/users?identifier="+url.QueryEscape(username), &users)
	if len(users.Users) != 1 {
		t.Fatalf("passbridge knows %d users %q, want 1", len(users.Users), username)
	}
	var out struct {
		Devices []map[string]any `json:"devices"`
	}
	s.get(t, "/users/"+users.Users[0].ID+"/devices", &out)
	return out.Devices
}

// revoke removes one of username's devices through passbridge's management
// API, as an admin or another part of the app would.
func (s *stack) revoke(t *testing.T, username, deviceID string) {
	t.Helper()
	var users struct {
		Users []struct {
			ID string `json:"id"`
		} `json:"users"`
	}
	s.get(t, "/users?identifier="+url.QueryEscape(username), &users)
	req, err := http.NewRequestWithContext(t.Context(), http.MethodDelete,
		s.passbridge+"/v1/apps/"+s.appID+"/users/"+users.Users[0].ID+"/devices/"+deviceID, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+s.apiKey)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("revoke: %d", res.StatusCode)
	}
}

func (s *stack) get(t *testing.T, path string, out any) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, s.passbridge+"/v1/apps/"+s.appID+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+s.apiKey)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, res.StatusCode, raw)
	}
	if err := json.Unmarshal(raw, out); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
}

// clientCall is one request of passbridge's client (browser) API as the
// browser sent it.
type clientCall struct {
	Method string
	Path   string // after /v1/apps/{app_id}/, e.g. "register/transactions/webauthn/finish"
	Origin string
	Status int
	Bound  bool // the body carries a transaction_id
}

// recorder keeps the client API calls passbridge answered, so the test can
// see that the ceremonies really ran cross-origin, from the site's page.
type recorder struct {
	mu    sync.Mutex
	calls []clientCall
}

func (r *recorder) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		rest, ok := strings.CutPrefix(req.URL.Path, "/v1/apps/")
		_, path, _ := strings.Cut(rest, "/")
		if !ok || !strings.Contains(path, "/transactions/webauthn/") {
			next.ServeHTTP(w, req)
			return
		}
		body, _ := io.ReadAll(io.LimitReader(req.Body, 1<<20))
		req.Body = io.NopCloser(bytes.NewReader(body))
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(sw, req)
		var fields struct {
			TransactionID string `json:"transaction_id"`
		}
		_ = json.Unmarshal(body, &fields) // a preflight has no body
		r.mu.Lock()
		r.calls = append(r.calls, clientCall{
			Method: req.Method, Path: path, Origin: req.Header.Get("Origin"),
			Status: sw.status, Bound: fields.TransactionID != "",
		})
		r.mu.Unlock()
	})
}

// take returns the calls recorded since the last take.
func (r *recorder) take() []clientCall {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.calls
	r.calls = nil
	return out
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(status int) {
	w.status = status
	w.ResponseWriter.WriteHeader(status)
}

// testWriter sends log lines to the test log, so a failure shows what either
// server refused and why.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
