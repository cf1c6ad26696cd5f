package oidc_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/passbridge/passbridge/provider/providertest"
	"github.com/passbridge/passbridge/storage/sqlstore/sqlstoretest"
)

// A body over the limit is refused 413 in OAuth's shape (RFC 6749 §5.2)
// on every endpoint of the provider, whether its length was declared (the
// server refuses before the endpoint) or not (the endpoint meets the limit
// while it reads the form).
func TestOAuthBodyTooLarge(t *testing.T) {
	h := newHarness(t, sqlstoretest.Open(t, sqlstoretest.SQLite))
	big := "grant_type=authorization_code&code=" + strings.Repeat("a", 2<<20)
	for _, path := range []string{"/oauth/token", "/oauth/introspect", "/revoke", "/userinfo", "/end_session", "/authorize"} {
		for _, declared := range []bool{true, false} {
			var body io.Reader = strings.NewReader(big)
			if !declared {
				body = io.MultiReader(body) // length unknown: sent chunked
			}
			req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, h.issuer+path, body)
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.SetBasicAuth(h.confidential.ID, h.secret)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := io.ReadAll(res.Body)
			res.Body.Close()
			var e struct {
				Error       string  `json:"error"`
				Description string  `json:"error_description"`
				Code        *string `json:"code"`
			}
			err = json.Unmarshal(raw, &e)
			if res.StatusCode != http.StatusRequestEntityTooLarge || err != nil || e.Error != "invalid_request" ||
				e.Description == "" || e.Code != nil || res.Header.Get("Cache-Control") != "no-store" {
				t.Errorf("%s (length declared: %v): %d %q %.200s, want 413 invalid_request in OAuth's shape",
					path, declared, res.StatusCode, res.Header.Get("Cache-Control"), raw)
			}
		}
	}
}

// The rate limit answers the authorization endpoint in OAuth's shape too.
func TestOAuthRateLimitedShape(t *testing.T) {
	h := newHarnessWith(t, sqlstoretest.Open(t, sqlstoretest.SQLite), providertest.Options{RateLimit: 0.001, RateLimitBurst: 1})
	var last *http.Response
	var raw []byte
	for range 5 {
		res, err := http.Get(h.issuer + "/authorize?client_id=" + h.confidential.ID)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ = io.ReadAll(res.Body)
		res.Body.Close()
		last = res
	}
	var e map[string]any
	_ = json.Unmarshal(raw, &e)
	if last.StatusCode != http.StatusTooManyRequests || e["error"] != "temporarily_unavailable" || e["code"] != nil {
		t.Fatalf("%d %s, want 429 temporarily_unavailable in OAuth's shape", last.StatusCode, raw)
	}
}
