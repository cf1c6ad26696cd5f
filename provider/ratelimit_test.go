package provider_test

import (
	"encoding/json"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/passbridge/passbridge/ceremony"
	"github.com/passbridge/passbridge/provider"
	"github.com/passbridge/passbridge/provider/flexapi"
	"github.com/passbridge/passbridge/provider/passkeyapi"
	"github.com/passbridge/passbridge/storage/sqlstore/sqlstoretest"
)

// limitedClient sends requests from one address.
type limitedClient struct {
	t      *testing.T
	h      http.Handler
	remote string // host:port the request comes from
}

type limitedAnswer struct {
	status     int
	code       string
	retryAfter string
	requestID  string
}

func (c limitedClient) do(method, path, body string, header map[string]string) limitedAnswer {
	c.t.Helper()
	req := httptest.NewRequestWithContext(c.t.Context(), method, path, strings.NewReader(body))
	req.RemoteAddr = c.remote
	for k, v := range header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	c.h.ServeHTTP(rec, req)
	a := limitedAnswer{status: rec.Code, retryAfter: rec.Header().Get("Retry-After"), requestID: rec.Header().Get("X-Request-Id")}
	if rec.Code >= 400 {
		var e struct{ Code string }
		_ = json.Unmarshal(rec.Body.Bytes(), &e)
		a.code = e.Code
	}
	return a
}

// TestRateLimit runs the server as serve builds it, with the real Flex and
// start/finish APIs, a burst of 3 and a clock that stands still unless the
// test moves it.
func TestRateLimit(t *testing.T) {
	st := sqlstoretest.Open(t, sqlstoretest.SQLite)
	app, secret := seedApp(t, st)
	other, _ := seedApp(t, st)
	svc, err := ceremony.New(ceremony.Config{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	clock := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	advance := func(d time.Duration) { mu.Lock(); defer mu.Unlock(); clock = clock.Add(d) }
	srv, err := provider.New(provider.Deps{
		Store: st, Ceremony: svc, Now: now,
		RateLimit: 1, RateLimitBurst: 3,
		Areas: []provider.Area{
			flexapi.New(flexapi.Deps{Store: st, Ceremony: svc, Now: now}),
			passkeyapi.New(passkeyapi.Deps{Store: st, Ceremony: svc, Now: now}),
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	h := srv.Handler()
	auth := map[string]string{"Authorization": "Bearer " + secret}
	users := "/v1/apps/" + app.ID + "/users"
	client := limitedClient{t, h, "192.0.2.10:40000"}

	served := func(what string, a limitedAnswer) {
		t.Helper()
		if a.status == http.StatusTooManyRequests || a.status >= 500 {
			t.Fatalf("%s: got %d %q, want it served", what, a.status, a.code)
		}
	}
	limited := func(what string, a limitedAnswer) {
		t.Helper()
		if a.status != http.StatusTooManyRequests || a.code != "rate_limited" || a.retryAfter != "1" || a.requestID == "" {
			t.Fatalf("%s: got %d %q, Retry-After %q; want 429 rate_limited, Retry-After 1", what, a.status, a.code, a.retryAfter)
		}
	}

	// Paths no route serves and the operational endpoints take no tokens.
	for range 5 {
		if a := client.do("GET", "/v1/nothing/here", "", nil); a.status != http.StatusNotFound {
			t.Fatalf("unknown path: %d %q", a.status, a.code)
		}
		if a := client.do("GET", "/healthz", "", nil); a.status != http.StatusOK {
			t.Fatalf("healthz: %d", a.status)
		}
	}
	start := func(appID string) string { return "/v1/apps/" + appID + "/authenticate/transactions/webauthn/start" }
	finish := "/v1/apps/" + app.ID + "/register/transactions/webauthn/finish"
	origin := map[string]string{"Origin": "http://localhost:8080"}

	// Preflights take no token: a page's every call is preceded by one.
	for range 5 {
		if a := client.do("OPTIONS", start(app.ID), "", map[string]string{"Origin": "http://localhost:8080",
			"Access-Control-Request-Method": "POST"}); a.status != http.StatusNoContent {
			t.Fatalf("preflight: %d %q", a.status, a.code)
		}
	}
	// The burst, spent on the browser client API.
	served("start", client.do("POST", start(app.ID), `{}`, nil))
	served("start again", client.do("POST", start(app.ID), `{}`, nil))
	served("finish", client.do("POST", finish, `{}`, nil))
	limited("start after the burst", client.do("POST", start(app.ID), `{}`, nil))
	limited("finish after the burst", client.do("POST", finish, `{}`, nil))

	// A page on another origin can read the refusal and its Retry-After.
	req := httptest.NewRequestWithContext(t.Context(), "POST", start(app.ID), strings.NewReader(`{}`))
	req.RemoteAddr = client.remote
	req.Header.Set("Origin", origin["Origin"])
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Access-Control-Allow-Origin") != origin["Origin"] ||
		rec.Header().Get("Access-Control-Expose-Headers") != "Retry-After" {
		t.Fatalf("cross-origin 429: %d, headers %v", rec.Code, rec.Header())
	}

	// The API-key routes are not limited per address: a backend's calls for
	// all its users come from one address.
	for range 5 {
		served("management", client.do("GET", users, "", auth))
		served("command", client.do("POST", "/v1/apps/"+app.ID+"/run-command",
			`{"command":"FetchAllPasskeysForUser","data":{"userId":"alice"}}`, auth))
		served("start/finish", client.do("POST", "/v1/apps/"+app.ID+"/passkeys/authenticate/start", `{}`, auth))
	}
	// Nor are the operational endpoints.
	for _, p := range []string{"/healthz", "/readyz", "/metrics", "/nope"} {
		if a := client.do("GET", p, "", nil); a.status == http.StatusTooManyRequests {
			t.Fatalf("GET %s: rate limited", p)
		}
	}
	// The bucket is the address's, whatever app the path names: made-up
	// or other app IDs do not buy a fresh one. Other addresses have their own.
	limited("another app", client.do("POST", start(other.ID), `{}`, nil))
	limited("a made-up app", client.do("POST", start("madeup"), `{}`, nil))
	served("another address", limitedClient{t, h, "198.51.100.7:5000"}.do("POST", start(app.ID), `{}`, nil))
	served("another app, another address", limitedClient{t, h, "198.51.100.8:5000"}.do("POST", start(other.ID), `{}`, nil))

	// An IPv6 /64 is one client; the next /64 is another.
	v6a := limitedClient{t, h, "[2001:db8:0:1::a]:443"}
	for range 3 {
		served("IPv6", v6a.do("POST", start(app.ID), `{}`, nil))
	}
	limited("same /64", limitedClient{t, h, "[2001:db8:0:1:ffff::b]:443"}.do("POST", start(app.ID), `{}`, nil))
	served("next /64", limitedClient{t, h, "[2001:db8:0:2::a]:443"}.do("POST", start(app.ID), `{}`, nil))

	// A second later one token is back.
	advance(time.Second)
	served("after a second", client.do("POST", start(app.ID), `{}`, nil))
	limited("and then", client.do("POST", start(app.ID), `{}`, nil))

	_, metrics, _ := get(t, h, "GET", "/metrics", "", nil)
	for _, want := range []string{
		"passbridge_http_rate_limited_total 7",
		`passbridge_http_requests_total{method="POST",route="/v1/apps/:app_id/authenticate/transactions/webauthn/start",status="429"} 6`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %q", want)
		}
	}

	// A refused request never reaches the store: with the store gone, the
	// answer is still 429, not 503.
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	limited("store closed", client.do("POST", start(app.ID), `{}`, nil))
}

// The zero Deps turn rate limiting off.
func TestRateLimitOffByDefault(t *testing.T) {
	st := sqlstoretest.Open(t, sqlstoretest.SQLite)
	app, secret := seedApp(t, st)
	srv, _ := newServer(t, st, provider.Deps{Now: func() time.Time { return time.Unix(0, 0) }})
	h := srv.Handler()
	auth := map[string]string{"Authorization": "Bearer " + secret, "Content-Type": "application/json"}
	for i := range 100 {
		if code, body, _ := get(t, h, "POST", "/v1/apps/"+app.ID+"/echo", `{"say":"hi"}`, auth); code != http.StatusOK {
			t.Fatalf("request %d: %d %s", i, code, body)
		}
	}
	if _, metrics, _ := get(t, h, "GET", "/metrics", "", nil); !strings.Contains(metrics, "passbridge_http_rate_limited_total 0") {
		t.Fatalf("rate-limited counter missing or not zero")
	}
}

func TestNewValidatesRateLimit(t *testing.T) {
	st := sqlstoretest.Open(t, sqlstoretest.SQLite)
	for name, deps := range map[string]provider.Deps{
		"negative rate":  {Store: st, RateLimit: -1, RateLimitBurst: 1},
		"NaN rate":       {Store: st, RateLimit: math.NaN(), RateLimitBurst: 1},
		"infinite rate":  {Store: st, RateLimit: math.Inf(1), RateLimitBurst: 1},
		"no burst":       {Store: st, RateLimit: 5},
		"negative burst": {Store: st, RateLimit: 5, RateLimitBurst: -1},
	} {
		if _, err := provider.New(deps); err == nil || !strings.Contains(err.Error(), "rate limit") {
			t.Errorf("%s: got %v, want a rate limit error", name, err)
		}
	}
	if _, err := provider.New(provider.Deps{Store: st, RateLimitBurst: 0}); err != nil {
		t.Errorf("limiting off: %v", err)
	}
}

// X-Forwarded-For names the client only when the peer is a configured proxy;
// otherwise it is client input and ignored.
func TestRateLimitTrustedProxies(t *testing.T) {
	st := sqlstoretest.Open(t, sqlstoretest.SQLite)
	app, _ := seedApp(t, st)
	svc, err := ceremony.New(ceremony.Config{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	now := func() time.Time { return time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC) }
	build := func(proxies []string) http.Handler {
		srv, err := provider.New(provider.Deps{
			Store: st, Ceremony: svc, Now: now,
			RateLimit: 1, RateLimitBurst: 1, TrustedProxies: proxies,
			Areas: []provider.Area{flexapi.New(flexapi.Deps{Store: st, Ceremony: svc, Now: now})},
		})
		if err != nil {
			t.Fatal(err)
		}
		return srv.Handler()
	}
	start := "/v1/apps/" + app.ID + "/authenticate/transactions/webauthn/start"
	from := func(h http.Handler, forwardedFor string) int {
		return limitedClient{t, h, "10.1.2.3:40000"}.do("POST", start, `{}`, map[string]string{
			"X-Forwarded-For": forwardedFor, "X-Real-IP": "198.51.100.99"}).status
	}

	behindProxy := build([]string{"10.0.0.0/8"})
	if got := from(behindProxy, "203.0.113.1"); got != http.StatusOK {
		t.Fatalf("first client behind the proxy: %d", got)
	}
	if got := from(behindProxy, "203.0.113.2"); got != http.StatusOK {
		t.Fatalf("second client behind the proxy: %d, want its own bucket", got)
	}
	if got := from(behindProxy, "203.0.113.1"); got != http.StatusTooManyRequests {
		t.Fatalf("first client again: %d, want 429", got)
	}

	direct := build(nil)
	if got := from(direct, "203.0.113.1"); got != http.StatusOK {
		t.Fatalf("first request: %d", got)
	}
	if got := from(direct, "203.0.113.2"); got != http.StatusTooManyRequests {
		t.Fatalf("a forged X-Forwarded-For bought a new bucket: %d, want 429", got)
	}

	if _, err := provider.New(provider.Deps{Store: st, TrustedProxies: []string{"not-an-address"}}); err == nil {
		t.Fatal("a bad trusted proxy was accepted")
	}
}
