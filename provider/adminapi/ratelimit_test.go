package adminapi_test

import (
	"encoding/json"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/passbridge/passbridge/provider/internal/apitest"
	"github.com/passbridge/passbridge/provider/providertest"
)

// Each verified key has a bucket of its own, checked after
// authentication: once a key has spent it, its requests are refused with
// 429 rate_limited and Retry-After, on every route it authenticates,
// whatever the address, while other keys go on. A token comes back with
// time. The Flex management, start/finish and command routes are limited
// by the API key, the admin routes by the admin key.
func TestPerKeyRateLimit(t *testing.T) {
	// Two requests at once, then one every 10 seconds.
	forEachEngineWith(t, providertest.Options{KeyRateLimit: 0.1, KeyRateLimitBurst: 2}, func(t *testing.T, e *env) {
		_, second := apitest.CreateAdminKey(t, e.ctx, e.st, e.srv.Clock.Now(), "second")
		before := e.snapshot()
		ok(t, e.do("GET", "/apps", nil), http.StatusOK, nil)
		ok(t, e.do("GET", "/audit", nil), http.StatusOK, nil)
		for _, c := range []call{
			{method: "GET", path: "/apps"},
			{method: "POST", path: "/apps", body: map[string]any{"name": "X", "rp_id": "localhost", "origins": []string{"http://localhost"}}},
			{method: "DELETE", path: "/apps/{app}"},
		} {
			r := e.send(c)
			apitest.WantError(t, r, http.StatusTooManyRequests, "rate_limited")
			if s, err := strconv.Atoi(r.Header.Get("Retry-After")); err != nil || s < 1 || s > 10 {
				t.Fatalf("Retry-After %q", r.Header.Get("Retry-After"))
			}
		}
		e.unchanged(t, before)
		// Another key is not held up; a refused key is still a valid one:
		// the refusal is no failed attempt.
		ok(t, e.send(call{method: "GET", path: "/apps", key: &second}), http.StatusOK, nil)
		e.srv.Clock.Advance(10 * time.Second)
		ok(t, e.do("GET", "/apps", nil), http.StatusOK, nil)
		apitest.WantError(t, e.do("GET", "/apps", nil), http.StatusTooManyRequests, "rate_limited")

		// The app's API key, on the Flex management API, the start/finish
		// API and the command form.
		flex := func(method, path string, body any) apitest.Response {
			return apitest.Send(t, e.ctx, e.srv.HTTP, method, "/v1/apps/"+e.app.ID+path, body,
				map[string]string{"Authorization": "Bearer " + e.apiKey})
		}
		apitest.OK(t, flex("GET", "/users", nil))
		apitest.OK(t, flex("POST", "/passkeys/authenticate/start", map[string]any{}))
		apitest.WantError(t, flex("POST", "/transactions/register", map[string]string{"external_id": "x"}), http.StatusTooManyRequests, "rate_limited")
		apitest.WantError(t, flex("POST", "/passkeys/register/start", map[string]string{"user_id": "x", "email_or_username": "x"}),
			http.StatusTooManyRequests, "rate_limited")
		r := flex("POST", "/run-command", map[string]any{"command": "FetchAllPasskeysForUser", "data": map[string]string{"userId": "x"}})
		var cmd struct {
			Type string `json:"type"`
		}
		if err := json.Unmarshal(r.Body, &cmd); err != nil || r.Status != http.StatusTooManyRequests || cmd.Type != "RateLimited" ||
			r.Header.Get("Retry-After") == "" {
			t.Fatalf("run-command: %d %s (Retry-After %q)", r.Status, r.Body, r.Header.Get("Retry-After"))
		}
		// The browser API is not behind a key: its own per-address limit
		// is off here, so it goes on.
		r = apitest.Send(t, e.ctx, e.srv.HTTP, "POST", "/v1/apps/"+e.app.ID+"/authenticate/transactions/webauthn/start",
			map[string]any{}, map[string]string{"Origin": testOrigin})
		apitest.OK(t, r)
		// The limit is per key, not per app: the admin key is refused, the
		// API key's bucket does not count against it.
		if users, _, err := e.st.ListUsers(e.ctx, e.app.ID, storageQuery()); err != nil || len(users) != 0 {
			t.Fatalf("a refused request made users: %v, %v", users, err)
		}
	})
}

// With the limit off (0), nothing is limited by key.
func TestPerKeyRateLimitOff(t *testing.T) {
	forEachEngineWith(t, providertest.Options{}, func(t *testing.T, e *env) {
		for range 30 {
			ok(t, e.do("GET", "/apps", nil), http.StatusOK, nil)
		}
	})
}
