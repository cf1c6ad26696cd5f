package cli

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/passbridge/passbridge/cmd/passbridge/internal/config"
	"github.com/passbridge/passbridge/storage"
	"github.com/passbridge/passbridge/storage/sqlstore/sqlstoretest"
)

// A database that holds every statement (here: tables locked by another
// session) answers a Flex call 503 store_unavailable and an OAuth token
// call 503 temporarily_unavailable at the request timeout, instead of
// holding them; once the database lets go, the same server serves again.
func TestRequestTimeoutStuckDatabase(t *testing.T) {
	const timeout = time.Second
	db := databaseURL(t, sqlstoretest.Postgres)
	st := openDB(t, db)
	cfg := config.Default()
	cfg.RateLimit, cfg.KeyRateLimit, cfg.RequestTimeout = 0, 0, timeout
	srv := testServer(t, cfg, st)
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()

	now := time.Now().UTC()
	app := storage.App{ID: storage.NewID(), Name: "stuck", RPID: "localhost", Origins: []string{"http://localhost:8080"},
		UserVerification: storage.RequirementRequired, ResidentKey: storage.RequirementRequired, Attestation: "none",
		SignCountPolicy: storage.SignCountReject, TransactionTTL: time.Minute, CeremonyTimeout: time.Minute, NonceTTL: time.Minute,
		CreatedAt: now, UpdatedAt: now}
	secret, prefix := storage.NewSecret(storage.PrefixAPIKey)
	if err := st.CreateApp(t.Context(), app); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateAPIKey(t.Context(), storage.APIKey{ID: storage.NewID(), AppID: app.ID, Name: "backend", Prefix: prefix,
		Hash: storage.HashSecret(secret), CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	register := func() (int, map[string]any, time.Duration) {
		req, err := http.NewRequest("POST", ts.URL+"/v1/apps/"+app.ID+"/transactions/register",
			strings.NewReader(`{"external_id":"alice","passkey_display_name":"Alice"}`))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+secret)
		req.Header.Set("Content-Type", "application/json")
		return call(t, req)
	}
	token := func() (int, map[string]any, time.Duration) {
		form := url.Values{"grant_type": {"authorization_code"}, "code": {"some-code"}, "redirect_uri": {"http://localhost/cb"}}
		req, err := http.NewRequest("POST", ts.URL+"/oauth/token", strings.NewReader(form.Encode()))
		if err != nil {
			t.Fatal(err)
		}
		req.SetBasicAuth("some-client", "some-secret")
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return call(t, req)
	}

	// Another session takes every table a request reads and holds them.
	admin, err := sql.Open("postgres", db)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	lock, err := admin.BeginTx(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = lock.Rollback() }()
	if _, err := lock.Exec(`LOCK TABLE apps, api_keys, clients, users, transactions IN ACCESS EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}

	// The bound is a failure bound, not a benchmark: the deadline plus
	// generous slack for a loaded machine.
	bound := timeout + 5*time.Second
	code, body, took := register()
	t.Logf("flex call on a stuck database: %d after %s", code, took)
	if code != http.StatusServiceUnavailable || body["code"] != "store_unavailable" || took > bound {
		t.Errorf("flex call on a stuck database: %d %v after %s; want 503 store_unavailable within %s", code, body, took, bound)
	}
	code, body, took = token()
	t.Logf("token call on a stuck database: %d after %s", code, took)
	if code != http.StatusServiceUnavailable || body["error"] != "temporarily_unavailable" || took > bound {
		t.Errorf("token call on a stuck database: %d %v after %s; want 503 temporarily_unavailable within %s", code, body, took, bound)
	}

	if err := lock.Rollback(); err != nil {
		t.Fatal(err)
	}
	code, body, _ = register()
	if code != http.StatusOK || body["transaction_id"] == nil {
		t.Errorf("flex call once the database answers: %d %v; want 200 with a transaction", code, body)
	}
	if code, body, _ = token(); code == http.StatusServiceUnavailable {
		t.Errorf("token call once the database answers: %d %v; want an answer about the client", code, body)
	}
}

// call sends req and returns the status, the JSON body and how long the
// answer took.
func call(t *testing.T, req *http.Request) (int, map[string]any, time.Duration) {
	t.Helper()
	start := time.Now()
	// Without a request timeout the server would hold the call as long as
	// the lock: the client gives up first.
	client := &http.Client{Timeout: 20 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	took := time.Since(start)
	var body map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&body)
	return resp.StatusCode, body, took
}

// A client that sends its request headers a byte at a time (slowloris) is
// cut off at the read-header timeout, whatever it still sends; a client
// that sends them at once is served.
func TestReadHeaderTimeoutCutsSlowloris(t *testing.T) {
	const readHeader = 300 * time.Millisecond
	h := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") })
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	s, err := listenHTTP(ctx, "127.0.0.1:0", h, slog.New(slog.DiscardHandler),
		httpTimeouts{readHeader: readHeader, read: time.Minute, write: time.Minute, idle: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- serveAll(ctx, []*httpServer{s}, time.Second, slog.New(slog.DiscardHandler)) }()
	defer func() {
		cancel()
		if err := <-served; err != nil {
			t.Errorf("serve: %v", err)
		}
	}()

	resp, err := http.Get("http://" + s.addr() + "/")
	if err != nil {
		t.Fatalf("a prompt client: %v", err)
	}
	resp.Body.Close()

	conn, err := net.Dial("tcp", s.addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	closed := make(chan time.Duration, 1)
	go func() {
		// The server closes the connection (perhaps after a 408); the
		// read ends then.
		_, _ = io.Copy(io.Discard, bufio.NewReader(conn))
		closed <- time.Since(start)
	}()
	headers := "GET / HTTP/1.1\r\nHost: passbridge\r\nX-Slow: " + strings.Repeat("a", 200) + "\r\n"
	var writeErr error
	for i := 0; i < len(headers) && writeErr == nil; i++ {
		select {
		case took := <-closed:
			if took > 10*readHeader {
				t.Errorf("slow client cut off after %s; want about %s", took, readHeader)
			}
			return
		default:
		}
		_, writeErr = conn.Write([]byte{headers[i]})
		time.Sleep(50 * time.Millisecond)
	}
	select {
	case took := <-closed:
		if took > 10*readHeader {
			t.Errorf("slow client cut off after %s; want about %s", took, readHeader)
		}
	case <-time.After(10 * readHeader):
		t.Errorf("a client sending its headers a byte at a time was still connected after %s (read-header timeout %s)",
			time.Since(start).Round(time.Millisecond), readHeader)
	}
}
