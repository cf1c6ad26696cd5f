package openapi_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/passbridge/passbridge/provider"
	"github.com/passbridge/passbridge/provider/openapi"
)

// Once a client has spent its rate limit, every /v1 operation answers a 429
// that the document describes: the Error shape with rate_limited and the
// required Retry-After header, the command form's included.
func TestRateLimitedAnswersConform(t *testing.T) {
	// One request per 1,000 seconds: no token comes back during the test.
	w := newWorld(t, func(d *provider.Deps) { d.RateLimit = 0.001; d.RateLimitBurst = 1 })
	want(t, w.do(t, call{method: "GET", template: pUsers}), 200, "")

	paths, err := openapi.Paths()
	if err != nil {
		t.Fatal(err)
	}
	var ops []string
	for path, methods := range paths {
		if !strings.HasPrefix(path, "/v1/") {
			continue
		}
		for _, m := range methods {
			ops = append(ops, m+" "+path)
		}
	}
	slices.Sort(ops)
	if len(ops) < 18 {
		t.Fatalf("found %d /v1 operations, want every one of them", len(ops))
	}
	for _, op := range ops {
		method, path, _ := strings.Cut(op, " ")
		t.Run(op, func(t *testing.T) {
			c := call{method: method, template: path, params: map[string]string{"user_id": "u1", "device_id": "d1"}}
			if method == "POST" || method == "PATCH" {
				c.body = "{}"
			}
			a := w.do(t, c)
			want(t, a, 429, "rate_limited")
			if a.header.Get("Retry-After") == "" {
				t.Fatal("429 without Retry-After")
			}
		})
	}
	// What is not under /v1 is not limited.
	for _, p := range []string{"/healthz", "/openapi.json", "/.well-known/webauthn", "/sdk/flex.js"} {
		want(t, w.do(t, call{method: "GET", template: p}), 200, "")
	}
}
