package openapi_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/passbridge/passbridge/provider"
	"github.com/passbridge/passbridge/provider/openapi"
)

// Once a client has spent its rate limit, every operation of the browser
// client API answers a 429 that the document describes (the Error shape with
// rate_limited and the required Retry-After header), and every other /v1
// operation is still served: the API-key routes are not limited per address.
func TestRateLimitedAnswersConform(t *testing.T) {
	// One request per 1,000 seconds: no token comes back during the test.
	w := newWorld(t, func(d *provider.Deps) { d.RateLimit = 0.001; d.RateLimitBurst = 1 })
	spend := call{method: "POST", template: "/v1/apps/{app_id}/authenticate/transactions/webauthn/start", body: "{}"}
	want(t, w.do(t, spend), 200, "")

	paths, err := openapi.Paths()
	if err != nil {
		t.Fatal(err)
	}
	var limited, free []string
	for path, methods := range paths {
		if !strings.HasPrefix(path, "/v1/") {
			continue
		}
		for _, m := range methods {
			if strings.Contains(path, "/transactions/webauthn/") {
				limited = append(limited, m+" "+path)
			} else {
				free = append(free, m+" "+path)
			}
		}
	}
	slices.Sort(limited)
	slices.Sort(free)
	if len(limited) != 4 || len(free) < 14 {
		t.Fatalf("found %d client and %d other /v1 operations, want 4 and every other one", len(limited), len(free))
	}
	for _, op := range limited {
		method, path, _ := strings.Cut(op, " ")
		t.Run(op, func(t *testing.T) {
			a := w.do(t, call{method: method, template: path, body: "{}"})
			want(t, a, 429, "rate_limited")
			if a.header.Get("Retry-After") == "" {
				t.Fatal("429 without Retry-After")
			}
		})
	}
	for _, op := range free {
		method, path, _ := strings.Cut(op, " ")
		t.Run(op, func(t *testing.T) {
			c := call{method: method, template: path, params: map[string]string{"user_id": "u1", "device_id": "d1"}}
			if method == "POST" || method == "PATCH" {
				c.body = "{}"
			}
			if a := w.do(t, c); a.status == 429 {
				t.Fatalf("%s was rate limited", op)
			}
		})
	}
	// What is not under /v1 is not limited.
	for _, p := range []string{"/healthz", "/openapi.json", "/.well-known/webauthn", "/sdk/flex.js"} {
		want(t, w.do(t, call{method: "GET", template: p}), 200, "")
	}
}

// Once a client has spent its failed attempts (here on missing API keys),
// every operation under /v1/apps/{app_id} answers it with a documented 429,
// valid key or not; what lies outside is not limited.
func TestFailedAttemptRefusalsConform(t *testing.T) {
	// One failed attempt per 1,000 seconds: no token comes back during the test.
	w := newWorld(t, func(d *provider.Deps) {
		d.RateLimit, d.RateLimitBurst = 50, 100
		d.FailedAuthRate, d.FailedAuthBurst = 0.001, 3
	})
	users := call{method: "GET", template: "/v1/apps/{app_id}/users", noKey: true}
	for range 3 {
		want(t, w.do(t, users), 401, "invalid_access_token")
	}

	paths, err := openapi.Paths()
	if err != nil {
		t.Fatal(err)
	}
	var ops []string
	for path, methods := range paths {
		if strings.HasPrefix(path, "/v1/apps/{app_id}/") {
			for _, m := range methods {
				ops = append(ops, m+" "+path)
			}
		}
	}
	slices.Sort(ops)
	if len(ops) < 18 {
		t.Fatalf("found %d operations under /v1/apps/{app_id}, want every one", len(ops))
	}
	for _, op := range ops {
		method, path, _ := strings.Cut(op, " ")
		t.Run(op, func(t *testing.T) {
			c := call{method: method, template: path, params: map[string]string{"user_id": "u1", "device_id": "d1"}}
			if method == "POST" || method == "PATCH" {
				c.body = "{}"
			}
			a := w.do(t, c)
			code := "rate_limited"
			if strings.HasSuffix(path, "/run-command") {
				code = "RateLimited"
			}
			want(t, a, 429, code)
			if a.header.Get("Retry-After") == "" {
				t.Fatal("429 without Retry-After")
			}
		})
	}
	for _, p := range []string{"/healthz", "/openapi.json", "/.well-known/webauthn", "/sdk/flex.js"} {
		want(t, w.do(t, call{method: "GET", template: p}), 200, "")
	}
}
