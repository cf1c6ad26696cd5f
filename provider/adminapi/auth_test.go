package adminapi_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/passbridge/passbridge/provider/internal/apitest"
	"github.com/passbridge/passbridge/provider/providertest"
	"github.com/passbridge/passbridge/storage"
)

// Every admin route refuses, alike, a request without an admin key in
// force: no key, a malformed header, an unknown key, a revoked one, and an
// app's API key. Each answers 401 invalid_access_token with
// WWW-Authenticate and changes nothing, not even what exists is told.
func TestRefusedWithoutAnAdminKey(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		revoked, revokedSecret := apitest.CreateAdminKey(t, e.ctx, e.st, e.srv.Clock.Now(), "gone")
		if _, err := e.st.RevokeAdminKey(e.ctx, revoked.ID, e.srv.Clock.Now()); err != nil {
			t.Fatal(err)
		}
		unknown, _ := storage.NewSecret(storage.PrefixAdminKey)
		keys := map[string]call{
			"no key":              {key: ptr("")},
			"unknown key":         {key: &unknown},
			"revoked key":         {key: &revokedSecret},
			"app's API key":       {key: &e.apiKey},
			"key without prefix":  {key: ptr(strings.TrimPrefix(e.key, storage.PrefixAdminKey))},
			"basic scheme":        {key: ptr(""), header: map[string]string{"Authorization": "Basic " + e.key}},
			"empty bearer":        {key: ptr(""), header: map[string]string{"Authorization": "Bearer "}},
			"two tokens":          {key: ptr(""), header: map[string]string{"Authorization": "Bearer " + e.key + " " + e.key}},
			"key in the query":    {key: ptr(""), path: "?access_token=" + e.key},
			"admin key truncated": {key: ptr(e.key[:len(e.key)-1])},
		}
		routes := []call{
			{method: "GET", path: "/apps"},
			{method: "POST", path: "/apps", body: map[string]any{"name": "X", "rp_id": "localhost", "origins": []string{"http://localhost"}}},
			{method: "GET", path: "/apps/{app}"},
			{method: "DELETE", path: "/apps/{app}"},
			{method: "GET", path: "/apps/no-such-app/users"},
			{method: "POST", path: "/apps/{app}/api-keys", body: map[string]string{"name": "x"}},
			{method: "GET", path: "/audit"},
			{method: "POST", path: "/keys/rotate?force=true"},
			{method: "GET", path: "/apps/{app}/export"},
		}
		before := e.snapshot()
		for name, k := range keys {
			for _, r := range routes {
				t.Run(name+"/"+r.method+" "+r.path, func(t *testing.T) {
					c := r
					c.key, c.header = k.key, k.header
					c.path += k.path
					res := e.sendT(t, c)
					apitest.WantError(t, res, http.StatusUnauthorized, "invalid_access_token")
					if !strings.HasPrefix(res.Header.Get("WWW-Authenticate"), "Bearer") {
						t.Errorf("WWW-Authenticate %q, want Bearer", res.Header.Get("WWW-Authenticate"))
					}
				})
			}
		}
		e.unchanged(t, before)
		// The revoked key was never touched.
		list, err := e.st.ListAdminKeys(e.ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range list {
			if k.ID == revoked.ID && !k.LastUsedAt.IsZero() {
				t.Errorf("revoked key's last use was recorded: %s", k.LastUsedAt)
			}
		}
	})
}

// A key's use is recorded, at most once a minute, and a key revoked after
// use is refused at once.
func TestAdminKeyUseAndRevocation(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		lastUsed := func() time.Time {
			t.Helper()
			list, err := e.st.ListAdminKeys(e.ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, k := range list {
				if k.ID == e.keyID {
					return k.LastUsedAt
				}
			}
			t.Fatal("admin key gone")
			return time.Time{}
		}
		if !lastUsed().IsZero() {
			t.Fatal("a new key has a last use")
		}
		at := e.srv.Clock.Now()
		ok(t, e.do("GET", "/apps", nil), http.StatusOK, nil)
		first := lastUsed()
		if want := at.UTC().Round(time.Microsecond); !first.Equal(want) {
			t.Fatalf("last use %s, want %s", first, want)
		}
		e.srv.Clock.Advance(30 * time.Second)
		ok(t, e.do("GET", "/apps", nil), http.StatusOK, nil)
		if got := lastUsed(); !got.Equal(first) {
			t.Fatalf("last use moved within the minute: %s, then %s", first, got)
		}
		e.srv.Clock.Advance(31 * time.Second)
		ok(t, e.do("GET", "/apps", nil), http.StatusOK, nil)
		if got := lastUsed(); !got.After(first) {
			t.Fatalf("last use did not move after a minute: %s", got)
		}

		if _, err := e.st.RevokeAdminKey(e.ctx, e.keyID, e.srv.Clock.Now()); err != nil {
			t.Fatal(err)
		}
		apitest.WantError(t, e.do("GET", "/apps", nil), http.StatusUnauthorized, "invalid_access_token")
	})
}

// Failed attempts (no key, a wrong one) take from the address's bucket of
// failed attempts, as on the Flex routes; once it is empty, every admin
// route answers that address 429 rate_limited with Retry-After, even with
// a valid key, before any lookup.
func TestFailedAttemptsAreLimited(t *testing.T) {
	forEachEngineWith(t, providertest.Options{RateLimit: 50, RateLimitBurst: 100, FailedAuthRate: 0.001, FailedAuthBurst: 3},
		func(t *testing.T, e *env) {
			wrong := call{method: "GET", path: "/apps", key: &e.apiKey}
			for range 3 {
				apitest.WantError(t, e.send(wrong), http.StatusUnauthorized, "invalid_access_token")
			}
			for _, c := range []call{wrong, {method: "GET", path: "/apps"}, {method: "GET", path: "/audit"}} {
				r := e.send(c)
				apitest.WantError(t, r, http.StatusTooManyRequests, "rate_limited")
				if r.Header.Get("Retry-After") == "" {
					t.Fatal("429 without Retry-After")
				}
			}
			// What succeeds takes nothing: a fresh server's valid key is never limited.
		})
	forEachEngineWith(t, providertest.Options{RateLimit: 50, RateLimitBurst: 100, FailedAuthRate: 0.001, FailedAuthBurst: 3},
		func(t *testing.T, e *env) {
			for range 10 {
				ok(t, e.do("GET", "/apps", nil), http.StatusOK, nil)
			}
			// An unknown app behind a valid key is no failed attempt.
			for range 5 {
				apitest.WantError(t, e.do("GET", "/apps/nope", nil), http.StatusNotFound, "app_not_found")
			}
			ok(t, e.do("GET", "/apps", nil), http.StatusOK, nil)
		})
}
