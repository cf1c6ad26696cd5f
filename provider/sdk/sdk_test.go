package sdk

import (
	"bytes"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/gin-gonic/gin"

	"github.com/passbridge/passbridge/templates"
)

func newServer(t *testing.T, h *Handler) http.Handler {
	t.Helper()
	gin.SetMode(gin.TestMode)
	r := gin.New()
	h.RegisterRoutes(r.Group(""))
	return r
}

func do(t *testing.T, srv http.Handler, method, target string, header http.Header) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequestWithContext(t.Context(), method, target, nil)
	for k, v := range header {
		req.Header[k] = v
	}
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, req)
	return rec
}

func TestServesFilesWithHeaders(t *testing.T) {
	srv := newServer(t, New())
	for _, tc := range []struct {
		name, path, contentType, file, types string
	}{
		{"module", "/sdk/flex.js", "text/javascript; charset=utf-8", "static/sdk/flex.js", "./flex.d.ts"},
		{"declarations", "/sdk/flex.d.ts", "application/typescript; charset=utf-8", "static/sdk/flex.d.ts", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want, err := fs.ReadFile(templates.FS(), tc.file)
			if err != nil {
				t.Fatal(err)
			}
			rec := do(t, srv, http.MethodGet, tc.path, nil)
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d, want 200", rec.Code)
			}
			if !bytes.Equal(rec.Body.Bytes(), want) {
				t.Errorf("body differs from %s", tc.file)
			}
			for header, value := range map[string]string{
				"Content-Type":                tc.contentType,
				"Cache-Control":               "public, max-age=300",
				"Access-Control-Allow-Origin": "*",
				"X-Content-Type-Options":      "nosniff",
				"X-TypeScript-Types":          tc.types,
			} {
				if got := rec.Header().Get(header); got != value {
					t.Errorf("%s = %q, want %q", header, got, value)
				}
			}
			etag := rec.Header().Get("ETag")
			if !strings.HasPrefix(etag, `"`) || !strings.HasSuffix(etag, `"`) || len(etag) < 40 {
				t.Errorf("ETag %q is not a strong content hash", etag)
			}
		})
	}
}

func TestModuleLooksLikeTheSDK(t *testing.T) {
	rec := do(t, newServer(t, New()), http.MethodGet, "/sdk/flex.js", nil)
	body := rec.Body.String()
	for _, want := range []string{
		"export class PassageFlex ",
		"export { PassageFlex as PassbridgeFlex }",
		"export default PassageFlex",
		"export async function canRegisterPasskey(",
		`"Passage-Flex-Version"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("flex.js lacks %q", want)
		}
	}
}

func TestETagsDifferByContent(t *testing.T) {
	h := New()
	if h.assets["flex.js"].etag == h.assets["flex.d.ts"].etag {
		t.Fatal("two different files share an ETag")
	}
	other, err := NewFS(fstest.MapFS{
		"static/sdk/flex.js":   {Data: []byte("export {};\n")},
		"static/sdk/flex.d.ts": {Data: []byte("export {};\n")},
	})
	if err != nil {
		t.Fatal(err)
	}
	if other.assets["flex.js"].etag == h.assets["flex.js"].etag {
		t.Fatal("different contents of flex.js share an ETag")
	}
}

func TestConditionalRequests(t *testing.T) {
	srv := newServer(t, New())
	etag := do(t, srv, http.MethodGet, "/sdk/flex.js", nil).Header().Get("ETag")
	for _, tc := range []struct {
		name        string
		ifNoneMatch string
		want        int
	}{
		{"same tag", etag, http.StatusNotModified},
		{"weak form of the tag", "W/" + etag, http.StatusNotModified},
		{"in a list", `"old", ` + etag, http.StatusNotModified},
		{"any", "*", http.StatusNotModified},
		{"other tag", `"old"`, http.StatusOK},
		{"unquoted tag", strings.Trim(etag, `"`), http.StatusOK},
		{"empty", "", http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			if tc.ifNoneMatch != "" {
				h.Set("If-None-Match", tc.ifNoneMatch)
			}
			rec := do(t, srv, http.MethodGet, "/sdk/flex.js", h)
			if rec.Code != tc.want {
				t.Fatalf("status %d, want %d", rec.Code, tc.want)
			}
			if tc.want != http.StatusNotModified {
				return
			}
			if rec.Body.Len() != 0 {
				t.Errorf("304 carries a body of %d bytes", rec.Body.Len())
			}
			// A 304 refreshes the cached copy's headers (RFC 9110 §15.4.5).
			if rec.Header().Get("ETag") != etag || rec.Header().Get("Cache-Control") == "" || rec.Header().Get("Access-Control-Allow-Origin") != "*" {
				t.Errorf("304 headers incomplete: %v", rec.Header())
			}
		})
	}
}

func TestHead(t *testing.T) {
	rec := do(t, newServer(t, New()), http.MethodHead, "/sdk/flex.js", nil)
	if rec.Code != http.StatusOK || rec.Header().Get("ETag") == "" || rec.Header().Get("Content-Length") == "" {
		t.Fatalf("HEAD: status %d, headers %v", rec.Code, rec.Header())
	}
}

func TestOnlyTheSDKIsServed(t *testing.T) {
	srv := newServer(t, New())
	for _, p := range []string{"/sdk/", "/sdk/flex", "/sdk/../templates.go", "/sdk/flex.js/x"} {
		if rec := do(t, srv, http.MethodGet, p, nil); rec.Code == http.StatusOK {
			t.Errorf("GET %s answered 200", p)
		}
	}
}

func TestNewFSReportsAMissingFile(t *testing.T) {
	_, err := NewFS(fstest.MapFS{"static/sdk/flex.js": {Data: []byte("export {};\n")}})
	if err == nil || !strings.Contains(err.Error(), "flex.d.ts") {
		t.Fatalf("err = %v, want one naming flex.d.ts", err)
	}
}
