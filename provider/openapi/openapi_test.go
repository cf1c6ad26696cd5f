package openapi_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/passbridge/passbridge/provider/openapi"
)

func newEngine() *gin.Engine {
	gin.SetMode(gin.TestMode)
	r := gin.New()
	openapi.New().RegisterRoutes(r.Group("/"))
	return r
}

func do(t *testing.T, h http.Handler, method, target string, header http.Header) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequestWithContext(t.Context(), method, target, nil)
	for k, v := range header {
		req.Header[k] = v
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestServeDocument(t *testing.T) {
	h := newEngine()
	rec := do(t, h, http.MethodGet, "/openapi.json", nil)
	if rec.Code != http.StatusOK {
		t.Fatalf("status = %d, want 200", rec.Code)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	if cc := rec.Header().Get("Cache-Control"); cc != "public, max-age=300" {
		t.Errorf("Cache-Control = %q", cc)
	}
	etag := rec.Header().Get("ETag")
	if len(etag) < 3 || etag[0] != '"' || etag[len(etag)-1] != '"' {
		t.Errorf("ETag = %q, want a quoted strong entity tag", etag)
	}
	if !bytes.Equal(rec.Body.Bytes(), openapi.Document()) {
		t.Error("body differs from Document()")
	}
	var doc map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
		t.Fatalf("body is not JSON: %v", err)
	}

	tests := []struct {
		name        string
		ifNoneMatch string
		want        int
	}{
		{"same etag", etag, http.StatusNotModified},
		{"weak form", "W/" + etag, http.StatusNotModified},
		{"in a list", `"other", ` + etag, http.StatusNotModified},
		{"any", "*", http.StatusNotModified},
		{"stale etag", `"stale"`, http.StatusOK},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := do(t, h, http.MethodGet, "/openapi.json", http.Header{"If-None-Match": {tc.ifNoneMatch}})
			if rec.Code != tc.want {
				t.Fatalf("status = %d, want %d", rec.Code, tc.want)
			}
			if tc.want == http.StatusNotModified && rec.Body.Len() != 0 {
				t.Errorf("304 has a body of %d bytes", rec.Body.Len())
			}
			if rec.Header().Get("ETag") != etag {
				t.Errorf("ETag = %q, want %q", rec.Header().Get("ETag"), etag)
			}
		})
	}
}

func TestServeHead(t *testing.T) {
	rec := do(t, newEngine(), http.MethodHead, "/openapi.json", nil)
	if rec.Code != http.StatusOK {
		t.Fatalf("status = %d, want 200", rec.Code)
	}
	if rec.Header().Get("ETag") == "" {
		t.Error("HEAD answer has no ETag")
	}
}

func TestDocumentIsACopy(t *testing.T) {
	a := openapi.Document()
	a[0] = 'x'
	if b := openapi.Document(); b[0] == 'x' {
		t.Error("Document returns the embedded bytes themselves; a caller could change what is served")
	}
}

func TestPaths(t *testing.T) {
	paths, err := openapi.Paths()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path string
		want []string
	}{
		{"/v1/apps/{app_id}/users", []string{"GET"}},
		{"/v1/apps/{app_id}/users/{user_id}", []string{"DELETE", "GET"}},
		{"/v1/apps/{app_id}/users/{user_id}/devices/{device_id}", []string{"DELETE", "PATCH"}},
		{"/v1/apps/{app_id}/run-command", []string{"POST"}},
		{"/openapi.json", []string{"GET"}},
	}
	for _, tc := range tests {
		got := paths[tc.path]
		if !equal(got, tc.want) {
			t.Errorf("Paths()[%q] = %v, want %v", tc.path, got, tc.want)
		}
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
