package provider_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/passbridge/passbridge/ceremony"
	"github.com/passbridge/passbridge/provider"
	"github.com/passbridge/passbridge/provider/flexapi"
	"github.com/passbridge/passbridge/provider/internal/apitest"
	"github.com/passbridge/passbridge/provider/passkeyapi"
	"github.com/passbridge/passbridge/storage"
	"github.com/passbridge/passbridge/storage/cachestore"
	"github.com/passbridge/passbridge/storage/sqlstore"
	"github.com/passbridge/passbridge/storage/sqlstore/sqlstoretest"
)

// The tests of this file send requests that prove nothing about the caller
// (CORS preflights, wrong API keys, made-up app IDs, the related-origins
// document) and count what reaches the store.

// countingStore counts the lookups such requests can cause.
type countingStore struct {
	storage.Store
	getApp, listApps, getAPIKey atomic.Int64
}

func (s *countingStore) GetApp(ctx context.Context, id string) (storage.App, error) {
	s.getApp.Add(1)
	return s.Store.GetApp(ctx, id)
}

func (s *countingStore) ListApps(ctx context.Context) ([]storage.App, error) {
	s.listApps.Add(1)
	return s.Store.ListApps(ctx)
}

func (s *countingStore) GetAPIKeyByHash(ctx context.Context, hash []byte) (storage.APIKey, error) {
	s.getAPIKey.Add(1)
	return s.Store.GetAPIKeyByHash(ctx, hash)
}

// loadWorld is a server over real HTTP, built as serve builds it: the Flex
// and start/finish APIs over the app cache, over a store that counts what
// reaches it. The test's client is a trusted proxy, so X-Forwarded-For
// names the address each request comes from.
type loadWorld struct {
	t      *testing.T
	srv    *httptest.Server
	counts *countingStore
	clock  *apitest.Clock
	app    storage.App
	key    string
}

const loadIssuer = "http://localhost:8080"

func newLoadWorld(t *testing.T, st *sqlstore.Store, rateLimit float64) *loadWorld {
	t.Helper()
	clock := apitest.NewClockAt(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	counts := &countingStore{Store: st}
	cached := cachestore.New(counts, cachestore.Config{Now: clock.Now})
	svc, err := ceremony.New(ceremony.Config{Store: cached, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	deps := provider.Deps{
		Store: cached, Ceremony: svc, Issuer: loadIssuer, Now: clock.Now,
		TrustedProxies: []string{"127.0.0.1", "::1"},
		Areas: []provider.Area{
			flexapi.New(flexapi.Deps{Store: cached, Ceremony: svc, Now: clock.Now, Issuer: loadIssuer}),
			passkeyapi.New(passkeyapi.Deps{Store: cached, Ceremony: svc, Now: clock.Now}),
		},
	}
	if rateLimit != 0 {
		deps.RateLimit, deps.RateLimitBurst = rateLimit, 100
	}
	srv, err := provider.New(deps)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	app, key := seedApp(t, st)
	return &loadWorld{t: t, srv: ts, counts: counts, clock: clock, app: app, key: key}
}

// loadAnswer is what a test reads of an answer.
type loadAnswer struct {
	status     int
	code       string // of {"code", "error"}
	typ        string // of the command form's {"type", "details"}
	retryAfter string
	header     http.Header
	body       string
}

func (a loadAnswer) String() string { return fmt.Sprintf("%d %s", a.status, a.body) }

// send makes a request from address; it returns an error rather than
// failing the test, so that goroutines may call it.
func (w *loadWorld) send(method, path, body, address string, header map[string]string) (loadAnswer, error) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(w.t.Context(), method, w.srv.URL+path, rd)
	if err != nil {
		return loadAnswer{}, err
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("X-Forwarded-For", address)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := w.srv.Client().Do(req)
	if err != nil {
		return loadAnswer{}, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return loadAnswer{}, err
	}
	a := loadAnswer{status: res.StatusCode, retryAfter: res.Header.Get("Retry-After"), header: res.Header, body: string(b)}
	if res.StatusCode >= 400 {
		var e struct{ Code, Type string }
		_ = json.Unmarshal(b, &e)
		a.code, a.typ = e.Code, e.Type
	}
	return a, nil
}

// do is send for the test's own goroutine.
func (w *loadWorld) do(method, path, body, address string, header map[string]string) loadAnswer {
	w.t.Helper()
	a, err := w.send(method, path, body, address, header)
	if err != nil {
		w.t.Fatalf("%s %s: %v", method, path, err)
	}
	return a
}

// parallel sends n copies of a request at once and checks each answer.
func (w *loadWorld) parallel(n int, method, path, address string, header map[string]string, check func(loadAnswer) error) {
	w.t.Helper()
	var wg sync.WaitGroup
	start := make(chan struct{})
	errs := make(chan error, n)
	for range n {
		wg.Go(func() {
			<-start
			a, err := w.send(method, path, "", address, header)
			if err == nil {
				err = check(a)
			}
			if err != nil {
				errs <- err
			}
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		w.t.Fatalf("%s %s: %v", method, path, err)
	}
}

func bearer(secret string) map[string]string {
	return map[string]string{"Authorization": "Bearer " + secret}
}

// wantStatus fails the test unless a has status and code.
func wantStatus(t *testing.T, what string, a loadAnswer, status int, code string) {
	t.Helper()
	if a.status != status || a.code != code {
		t.Fatalf("%s: got %s, want %d %s", what, a, status, code)
	}
}

// wantLimited fails the test unless a is a 429 rate_limited with Retry-After.
func wantLimited(t *testing.T, what string, a loadAnswer) {
	t.Helper()
	if a.status != http.StatusTooManyRequests || a.code != "rate_limited" || a.retryAfter != "1" {
		t.Fatalf("%s: got %s, Retry-After %q; want 429 rate_limited, Retry-After 1", what, a, a.retryAfter)
	}
}

// defaultFailedAuthBurst is the failed attempts an address may make at
// once when rate limiting is on and no other number is configured.
const defaultFailedAuthBurst = 20

// Preflights name an app and prove nothing; 400 at once read it from the
// store about once.
func TestPreflightsReadAppsOnce(t *testing.T) {
	sqlstoretest.ForEach(t, func(t *testing.T, open func(testing.TB) *sqlstore.Store) {
		w := newLoadWorld(t, open(t), 50)
		before := w.counts.getApp.Load()
		header := map[string]string{"Origin": "http://localhost:8080", "Access-Control-Request-Method": "POST",
			"Access-Control-Request-Headers": "content-type, passage-flex-version"}
		w.parallel(400, http.MethodOptions, "/v1/apps/"+w.app.ID+"/authenticate/transactions/webauthn/start", "203.0.113.1", header,
			func(a loadAnswer) error {
				if a.status != http.StatusNoContent || a.header.Get("Access-Control-Allow-Origin") != "http://localhost:8080" {
					return fmt.Errorf("preflight: %s %v", a, a.header)
				}
				return nil
			})
		if n := w.counts.getApp.Load() - before; n > 2 {
			t.Fatalf("400 preflights read the app %d times; want at most 2", n)
		}
	})
}

// /.well-known/webauthn lists every app's origins; 400 fetches at once list
// the apps about once.
func TestRelatedOriginsListAppsOnce(t *testing.T) {
	sqlstoretest.ForEach(t, func(t *testing.T, open func(testing.TB) *sqlstore.Store) {
		w := newLoadWorld(t, open(t), 50)
		before := w.counts.listApps.Load()
		w.parallel(400, http.MethodGet, "/.well-known/webauthn", "203.0.113.1", nil, func(a loadAnswer) error {
			if a.status != http.StatusOK || a.body != `{"origins":["http://localhost:8080"]}` ||
				a.header.Get("Cache-Control") != "public, max-age=300" {
				return fmt.Errorf("related origins: %s %v", a, a.header)
			}
			return nil
		})
		if n := w.counts.listApps.Load() - before; n > 2 {
			t.Fatalf("400 fetches listed the apps %d times; want at most 2", n)
		}
	})
}

// Wrong API keys from one address spend its failed-attempt bucket; once it
// is empty, the address is refused before any lookup, even with a valid
// key, until a token comes back. Other addresses are not affected, and
// successful calls take nothing.
func TestFailedAPIKeysAreLimited(t *testing.T) {
	sqlstoretest.ForEach(t, func(t *testing.T, open func(testing.TB) *sqlstore.Store) {
		w := newLoadWorld(t, open(t), 50)
		users := "/v1/apps/" + w.app.ID + "/users"
		wrong := bearer("pbk_" + storage.NewID())
		const attacker, backend = "203.0.113.66", "198.51.100.20"

		// A busy backend with a valid key is never limited by failures.
		for range 3 * defaultFailedAuthBurst {
			wantStatus(t, "valid key", w.do(http.MethodGet, users, "", attacker, bearer(w.key)), http.StatusOK, "")
		}
		for i := range defaultFailedAuthBurst {
			wantStatus(t, fmt.Sprintf("wrong key %d", i), w.do(http.MethodGet, users, "", attacker, wrong),
				http.StatusUnauthorized, "invalid_access_token")
		}
		lookups := w.counts.getAPIKey.Load()
		wantLimited(t, "wrong key after the burst", w.do(http.MethodGet, users, "", attacker, wrong))
		wantLimited(t, "no key", w.do(http.MethodGet, users, "", attacker, nil))
		wantLimited(t, "malformed key", w.do(http.MethodGet, users, "", attacker, map[string]string{"Authorization": "Basic x"}))
		wantLimited(t, "start/finish API", w.do(http.MethodPost, "/v1/apps/"+w.app.ID+"/passkeys/authenticate/start", "{}", attacker, wrong))
		cmd := w.do(http.MethodPost, "/v1/apps/"+w.app.ID+"/run-command",
			`{"command":"FetchAllPasskeysForUser","data":{"userId":"alice"}}`, attacker, wrong)
		if cmd.status != http.StatusTooManyRequests || cmd.typ != "RateLimited" || cmd.retryAfter != "1" {
			t.Fatalf("command form: got %s, Retry-After %q; want 429 RateLimited", cmd, cmd.retryAfter)
		}
		// The check precedes the lookup, so a valid key is refused too: the
		// address cannot tell its guesses apart from its valid calls.
		wantLimited(t, "valid key from the same address", w.do(http.MethodGet, users, "", attacker, bearer(w.key)))
		if n := w.counts.getAPIKey.Load() - lookups; n != 0 {
			t.Fatalf("refused requests looked up %d API keys", n)
		}

		// The browser client API of a known app is refused for the address
		// as well, since it loads the app the same way.
		start := "/v1/apps/" + w.app.ID + "/authenticate/transactions/webauthn/start"
		wantLimited(t, "client API", w.do(http.MethodPost, start, "{}", attacker, nil))

		wantStatus(t, "valid key from another address", w.do(http.MethodGet, users, "", backend, bearer(w.key)), http.StatusOK, "")
		wantStatus(t, "wrong key from another address", w.do(http.MethodGet, users, "", backend, wrong),
			http.StatusUnauthorized, "invalid_access_token")

		// A second later one token is back; the valid call takes none of it.
		w.clock.Advance(time.Second)
		wantStatus(t, "valid key after a second", w.do(http.MethodGet, users, "", attacker, bearer(w.key)), http.StatusOK, "")
		wantStatus(t, "valid key again", w.do(http.MethodGet, users, "", attacker, bearer(w.key)), http.StatusOK, "")
		wantStatus(t, "wrong key after a second", w.do(http.MethodGet, users, "", attacker, wrong),
			http.StatusUnauthorized, "invalid_access_token")
		wantLimited(t, "and then", w.do(http.MethodGet, users, "", attacker, wrong))
	})
}

// Made-up app IDs sprayed from one address spend its bucket too; an IPv6
// address counts as its /64.
func TestUnknownAppsAreLimited(t *testing.T) {
	sqlstoretest.ForEach(t, func(t *testing.T, open func(testing.TB) *sqlstore.Store) {
		w := newLoadWorld(t, open(t), 50)
		preflight := map[string]string{"Origin": "http://localhost:8080", "Access-Control-Request-Method": "POST"}
		for i := range defaultFailedAuthBurst {
			from := fmt.Sprintf("2001:db8:1:2::%x", i+1)
			path := "/v1/apps/" + storage.NewID() + "/users"
			wantStatus(t, "made-up app", w.do(http.MethodGet, path, "", from, nil), http.StatusNotFound, "app_not_found")
		}
		lookups := w.counts.getApp.Load()
		const from = "2001:db8:1:2:ffff::1"
		wantLimited(t, "made-up app after the burst", w.do(http.MethodGet, "/v1/apps/"+storage.NewID()+"/users", "", from, nil))
		wantLimited(t, "preflight of a made-up app",
			w.do(http.MethodOptions, "/v1/apps/"+storage.NewID()+"/register/transactions/webauthn/start", "", from, preflight))
		wantLimited(t, "preflight of the real app",
			w.do(http.MethodOptions, "/v1/apps/"+w.app.ID+"/register/transactions/webauthn/start", "", from, preflight))
		wantLimited(t, "valid key", w.do(http.MethodGet, "/v1/apps/"+w.app.ID+"/users", "", from, bearer(w.key)))
		if n := w.counts.getApp.Load() - lookups; n != 0 {
			t.Fatalf("refused requests looked up %d apps", n)
		}
		// Refusals are not failures: they take no token, so a second later
		// the address has one again.
		w.clock.Advance(time.Second)
		wantStatus(t, "made-up app a second later", w.do(http.MethodGet, "/v1/apps/"+storage.NewID()+"/users", "", from, nil),
			http.StatusNotFound, "app_not_found")

		// The next /64 has its bucket, and the other endpoints are not limited.
		wantStatus(t, "next /64", w.do(http.MethodGet, "/v1/apps/"+storage.NewID()+"/users", "", "2001:db8:1:3::1", nil),
			http.StatusNotFound, "app_not_found")
		for _, p := range []string{"/healthz", "/.well-known/webauthn", "/nope"} {
			if a := w.do(http.MethodGet, p, "", from, nil); a.status == http.StatusTooManyRequests {
				t.Fatalf("GET %s: rate limited", p)
			}
		}
	})
}

// With rate limiting off, failures are not limited either; the app cache
// still spares the store.
func TestFailuresUnlimitedWhenRateLimitOff(t *testing.T) {
	sqlstoretest.ForEach(t, func(t *testing.T, open func(testing.TB) *sqlstore.Store) {
		w := newLoadWorld(t, open(t), 0)
		users := "/v1/apps/" + w.app.ID + "/users"
		const from = "203.0.113.66"
		for i := range 3 * defaultFailedAuthBurst {
			// A key of its own each time: the cache remembers an unknown
			// key, and the point is that every failure reaches the lookup.
			wrong := bearer("pbk_" + storage.NewID())
			wantStatus(t, fmt.Sprintf("wrong key %d", i), w.do(http.MethodGet, users, "", from, wrong),
				http.StatusUnauthorized, "invalid_access_token")
			wantStatus(t, fmt.Sprintf("made-up app %d", i), w.do(http.MethodGet, "/v1/apps/"+storage.NewID()+"/users", "", from, nil),
				http.StatusNotFound, "app_not_found")
		}
		wantStatus(t, "valid key", w.do(http.MethodGet, users, "", from, bearer(w.key)), http.StatusOK, "")
		if n := w.counts.getAPIKey.Load(); n != 3*defaultFailedAuthBurst+1 {
			t.Fatalf("%d API key lookups, want one per request", n)
		}
		// One lookup per made-up app, and one for the real app however
		// often it is named.
		if n := w.counts.getApp.Load(); n != 3*defaultFailedAuthBurst+1 {
			t.Fatalf("%d app lookups, want %d", n, 3*defaultFailedAuthBurst+1)
		}
	})
}

func TestNewValidatesFailedAuthLimit(t *testing.T) {
	st := sqlstoretest.Open(t, sqlstoretest.SQLite)
	for name, deps := range map[string]provider.Deps{
		"negative rate":  {Store: st, RateLimit: 1, RateLimitBurst: 1, FailedAuthRate: -1},
		"negative burst": {Store: st, RateLimit: 1, RateLimitBurst: 1, FailedAuthBurst: -1},
	} {
		if _, err := provider.New(deps); err == nil || !strings.Contains(err.Error(), "failed attempts") {
			t.Errorf("%s: got %v, want an error about failed attempts", name, err)
		}
	}
	// Without rate limiting they are not used.
	if _, err := provider.New(provider.Deps{Store: st, FailedAuthRate: -1}); err != nil {
		t.Errorf("limiting off: %v", err)
	}
}
