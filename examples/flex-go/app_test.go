package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
)

func TestConfigFromEnv(t *testing.T) {
	env := func(m map[string]string) func(string) string {
		return func(k string) string { return m[k] }
	}

	cfg, err := configFromEnv(env(map[string]string{"PASSBRIDGE_APP_ID": "app", "PASSBRIDGE_API_KEY": "pbk_x"}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.PassbridgeURL != "http://localhost:8080" || cfg.Listen != "127.0.0.1:3000" {
		t.Errorf("defaults: passbridge %q listen %q", cfg.PassbridgeURL, cfg.Listen)
	}

	_, err = configFromEnv(env(map[string]string{"PASSBRIDGE_URL": "localhost:8080/x?y", "LISTEN": "3000"}))
	if err == nil {
		t.Fatal("a configuration with four problems was accepted")
	}
	for _, want := range []string{"PASSBRIDGE_APP_ID", "PASSBRIDGE_API_KEY", "PASSBRIDGE_URL", "LISTEN"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %s", err, want)
		}
	}
}

func TestPage(t *testing.T) {
	h, err := newHandler(Config{PassbridgeURL: "https://id.example.com/", AppID: "app-1", APIKey: "pbk_x"})
	if err != nil {
		t.Fatal(err)
	}
	res := serve(h, http.MethodGet, "/", "", "")
	if res.Code != http.StatusOK {
		t.Fatalf("GET / answered %d", res.Code)
	}
	wantCSP := "default-src 'none'; script-src 'self' https://id.example.com; connect-src 'self' https://id.example.com; " +
		"style-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
	if got := res.Header().Get("Content-Security-Policy"); got != wantCSP {
		t.Errorf("CSP\n got %s\nwant %s", got, wantCSP)
	}
	body := res.Body.String()
	if !strings.Contains(body, `data-app-id="app-1"`) || !strings.Contains(body, `data-passbridge-url="https://id.example.com"`) {
		t.Errorf("page does not carry the app id and passbridge URL:\n%s", body)
	}
	if inline := regexp.MustCompile(`<script(?:\s[^>]*)?>[^<]`).FindString(body); inline != "" || !strings.Contains(body, `<script type="module" src="/static/app.js">`) {
		t.Errorf("page must load its script from /static/app.js and inline none:\n%s", body)
	}
	if !strings.Contains(body, `autocomplete="username webauthn"`) {
		t.Error("the username field does not offer passkeys in its autofill")
	}

	js := serve(h, http.MethodGet, "/static/app.js", "", "")
	if js.Code != http.StatusOK || !strings.HasPrefix(js.Header().Get("Content-Type"), "text/javascript") {
		t.Errorf("GET /static/app.js answered %d %q", js.Code, js.Header().Get("Content-Type"))
	}
}

// fakePassbridge answers the authenticate-transaction call with what its
// answers table holds for the external ID asked about.
type fakePassbridge struct {
	mu      sync.Mutex
	calls   []string // external IDs asked about
	auth    []string // Authorization headers seen
	answers map[string]struct {
		status int
		body   string
	}
}

func (f *fakePassbridge) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var req struct {
		ExternalID string `json:"external_id"`
	}
	_ = json.NewDecoder(r.Body).Decode(&req)
	f.mu.Lock()
	f.calls = append(f.calls, r.Method+" "+r.URL.EscapedPath()+" "+req.ExternalID)
	f.auth = append(f.auth, r.Header.Get("Authorization"))
	f.mu.Unlock()
	a, ok := f.answers[req.ExternalID]
	if !ok {
		a.status, a.body = http.StatusTeapot, "unexpected call"
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(a.status)
	_, _ = io.WriteString(w, a.body)
}

// TestErrorsFromPassbridge checks how passbridge's answers reach the page:
// a refusal of what the person asked for keeps passbridge's status and
// code; a refusal of this site's credentials or an outage does not leak.
func TestErrorsFromPassbridge(t *testing.T) {
	type answer = struct {
		status int
		body   string
	}
	fake := &fakePassbridge{answers: map[string]answer{
		"bob":     {200, `{"transaction_id":"tx-1"}`},
		"ghost":   {404, `{"code":"user_not_found","error":"no user of this app has this ID"}`},
		"nokeys":  {409, `{"code":"user_has_no_passkeys","error":"the user has no passkeys"}`},
		"revoked": {401, `{"code":"invalid_access_token","error":"unknown API key"}`},
		"down":    {503, `{"code":"store_unavailable","error":"the database cannot be reached"}`},
		"proxy":   {502, `<html>Bad Gateway</html>`},
	}}
	pb := httptest.NewServer(fake)
	t.Cleanup(pb.Close)
	h, err := newHandler(Config{PassbridgeURL: pb.URL, AppID: "app/1", APIKey: "pbk_secret"})
	if err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name, contentType, body string
		status                  int
		code                    string
		asked                   string // the external ID passbridge is asked about; "" for none
	}{
		{"accepted", "application/json", `{"username":" bob "}`, 200, "", "bob"},
		{"unknown user", "application/json", `{"username":"ghost"}`, 404, "user_not_found", "ghost"},
		{"user without passkeys", "application/json", `{"username":"nokeys"}`, 409, "user_has_no_passkeys", "nokeys"},
		{"site's API key refused", "application/json", `{"username":"revoked"}`, 500, "server_misconfigured", "revoked"},
		{"passbridge down", "application/json", `{"username":"down"}`, 502, "passkeys_unavailable", "down"},
		{"not passbridge answering", "application/json", `{"username":"proxy"}`, 502, "passkeys_unavailable", "proxy"},
		{"empty username", "application/json", `{"username":"  "}`, 400, "invalid_username", ""},
		{"username with a space", "application/json", `{"username":"a b"}`, 400, "invalid_username", ""},
		{"form post", "application/x-www-form-urlencoded", `username=bob`, 415, "invalid_request", ""},
		{"not JSON", "application/json", `username`, 400, "invalid_request", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake.mu.Lock()
			fake.calls, fake.auth = nil, nil
			fake.mu.Unlock()

			res := serve(h, http.MethodPost, "/api/authenticate", tc.contentType, tc.body)
			var got struct {
				Code          string `json:"code"`
				Error         string `json:"error"`
				TransactionID string `json:"transaction_id"`
			}
			if err := json.Unmarshal(res.Body.Bytes(), &got); err != nil {
				t.Fatalf("answer %d is not JSON: %q", res.Code, res.Body)
			}
			if res.Code != tc.status || got.Code != tc.code {
				t.Fatalf("answered %d %q, want %d %q", res.Code, got.Code, tc.status, tc.code)
			}
			if tc.code != "" && got.Error == "" {
				t.Error("an error answer without a message")
			}
			if tc.status == 200 && got.TransactionID != "tx-1" {
				t.Errorf("transaction_id %q, want passbridge's tx-1", got.TransactionID)
			}
			if strings.Contains(res.Body.String(), "database") || strings.Contains(res.Body.String(), "API key") {
				t.Errorf("answer leaks passbridge's internals: %s", res.Body)
			}

			fake.mu.Lock()
			defer fake.mu.Unlock()
			if tc.asked == "" {
				if len(fake.calls) != 0 {
					t.Errorf("passbridge was asked %v", fake.calls)
				}
				return
			}
			want := "POST /v1/apps/app%2F1/transactions/authenticate " + tc.asked
			if len(fake.calls) != 1 || fake.calls[0] != want || fake.auth[0] != "Bearer pbk_secret" {
				t.Errorf("passbridge saw %v with %v, want %q with the API key", fake.calls, fake.auth, want)
			}
		})
	}
}

// TestCrossOriginRequests checks that no call that changes something runs
// when another site's page makes it: browsers mark such requests with
// Sec-Fetch-Site or, older ones, an Origin of the other site. The refusal
// comes before the handler, so passbridge is never asked.
func TestCrossOriginRequests(t *testing.T) {
	fake := &fakePassbridge{}
	pb := httptest.NewServer(fake)
	t.Cleanup(pb.Close)
	h, err := newHandler(Config{PassbridgeURL: pb.URL, AppID: "app", APIKey: "pbk_x"})
	if err != nil {
		t.Fatal(err)
	}
	calls := []struct{ method, path, body string }{
		{http.MethodPost, "/api/register", `{"username":"alice"}`},
		{http.MethodPost, "/api/authenticate", `{"username":"alice"}`},
		{http.MethodPost, "/api/verify", `{"nonce":"n"}`},
		{http.MethodPost, "/api/signout", `{}`},
		{http.MethodPatch, "/api/devices/d1", `{"name":"x"}`},
		{http.MethodDelete, "/api/devices/d1", ``},
		{http.MethodPost, "/api/delete-data/start", `{}`},
		{http.MethodPost, "/api/delete-data", `{"nonce":"n"}`},
	}
	for _, from := range []struct {
		name   string
		header map[string]string
	}{
		{"another site", map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}},
		{"a sibling site", map[string]string{"Sec-Fetch-Site": "same-site", "Origin": "https://evil.example.com"}},
		{"another origin, older browser", map[string]string{"Origin": "https://evil.example"}},
	} {
		for _, c := range calls {
			t.Run(from.name+" "+c.method+" "+c.path, func(t *testing.T) {
				req := httptest.NewRequest(c.method, "http://example.com"+c.path, strings.NewReader(c.body))
				req.Header.Set("Content-Type", "application/json")
				for k, v := range from.header {
					req.Header.Set(k, v)
				}
				res := httptest.NewRecorder()
				h.ServeHTTP(res, req)
				var got struct{ Code, Error string }
				_ = json.Unmarshal(res.Body.Bytes(), &got)
				if res.Code != http.StatusForbidden || got.Code != "cross_origin_request" || got.Error == "" {
					t.Fatalf("answered %d %s, want 403 cross_origin_request", res.Code, res.Body)
				}
			})
		}
	}
	fake.mu.Lock()
	if len(fake.calls) != 0 {
		t.Errorf("passbridge was asked %v", fake.calls)
	}
	fake.mu.Unlock()

	// The site's own page, and callers that are not browsers, get through;
	// reading is allowed from anywhere (the answer stays with the browser).
	for _, tc := range []struct {
		name         string
		method, path string
		header       map[string]string
		status       int
	}{
		{"own page", http.MethodPost, "/api/signout", map[string]string{"Sec-Fetch-Site": "same-origin", "Origin": "http://example.com"}, http.StatusNoContent},
		{"own origin, older browser", http.MethodPost, "/api/signout", map[string]string{"Origin": "http://example.com"}, http.StatusNoContent},
		{"not a browser", http.MethodPost, "/api/signout", nil, http.StatusNoContent},
		{"read from another site", http.MethodGet, "/api/me", map[string]string{"Sec-Fetch-Site": "cross-site"}, http.StatusUnauthorized},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(tc.method, "http://example.com"+tc.path, strings.NewReader(`{}`))
			req.Header.Set("Content-Type", "application/json")
			for k, v := range tc.header {
				req.Header.Set(k, v)
			}
			res := httptest.NewRecorder()
			h.ServeHTTP(res, req)
			if res.Code != tc.status {
				t.Fatalf("answered %d %s, want %d", res.Code, res.Body, tc.status)
			}
		})
	}
}

func serve(h http.Handler, method, path, contentType, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	res := httptest.NewRecorder()
	h.ServeHTTP(res, req)
	return res
}
