package httpapi_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/passbridge/passbridge/provider/httpapi"
)

func TestRequestID(t *testing.T) {
	tests := []struct {
		name     string
		incoming string
		keep     bool
	}{
		{"none", "", false},
		{"sane", "req-1.A_b", true},
		{"uuid", "0f8fad5b-d9cb-469f-a165-70867728950e", true},
		{"64 chars", strings.Repeat("a", 64), true},
		{"65 chars", strings.Repeat("a", 65), false},
		{"space", "a b", false},
		{"log forging", "x\",\"level\":\"ERROR", false},
		{"non-ascii", "ünïcode", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, logs := newEngine(t, 0)
			var seen string
			r.GET("/x", httpapi.Handle(func(c *gin.Context) error {
				seen = httpapi.GetRequestID(c)
				httpapi.Logger(c).Info("inside handler")
				c.Status(http.StatusNoContent)
				return nil
			}))
			var header map[string]string
			if tt.incoming != "" {
				header = map[string]string{"X-Request-Id": tt.incoming}
			}
			res := do(t, r, "GET", "/x", nil, header)
			got := res.Header.Get("X-Request-Id")
			if tt.keep && got != tt.incoming {
				t.Fatalf("request id %q, want the incoming %q", got, tt.incoming)
			}
			if !tt.keep && (got == "" || got == tt.incoming) {
				t.Fatalf("request id %q, want a generated one", got)
			}
			if seen != got {
				t.Fatalf("handler saw %q, header says %q", seen, got)
			}
			lines := logs.lines(t)
			if len(lines) != 2 {
				t.Fatalf("want 2 log lines (handler, access), got %d: %s", len(lines), logs)
			}
			for _, l := range lines {
				if l["request_id"] != got {
					t.Fatalf("log line without the request id %q: %v", got, l)
				}
			}
		})
	}
}

func TestAccessLog(t *testing.T) {
	r, logs := newEngine(t, 0)
	r.POST("/apps/:app_id/things", httpapi.Handle(func(c *gin.Context) error {
		return httpapi.BadRequest("no")
	}))
	do(t, r, "POST", "/apps/secret-app/things", strings.NewReader("{}"), nil)
	var access map[string]any
	for _, l := range logs.lines(t) {
		if l["msg"] == "request" {
			access = l
		}
	}
	if access == nil {
		t.Fatalf("no access log line: %s", logs)
	}
	want := map[string]any{"method": "POST", "route": "/apps/:app_id/things", "status": float64(400), "remote": "192.0.2.1", "level": "INFO"}
	for k, v := range want {
		if access[k] != v {
			t.Errorf("access log %s = %v, want %v", k, access[k], v)
		}
	}
	for _, k := range []string{"duration", "request_id"} {
		if _, ok := access[k]; !ok {
			t.Errorf("access log has no %s: %v", k, access)
		}
	}
	if strings.Contains(logs.String(), "secret-app") {
		t.Errorf("access log holds the path instead of the route: %s", logs)
	}
}

func TestRecovery(t *testing.T) {
	r, logs := newEngine(t, 0)
	r.GET("/boom", httpapi.Handle(func(c *gin.Context) error { panic("kaboom in handler") }))
	res := do(t, r, "GET", "/boom", nil, nil)
	if res.Status != 500 || res.Code != "internal_server_error" || res.Error != "internal server error" {
		t.Fatalf("got %d %q %q", res.Status, res.Code, res.Error)
	}
	if strings.Contains(string(res.Body), "kaboom") {
		t.Fatalf("panic value leaked: %s", res.Body)
	}
	var panicLine map[string]any
	for _, l := range logs.lines(t) {
		if l["msg"] == "panic in handler" {
			panicLine = l
		}
	}
	if panicLine == nil || panicLine["panic"] != "kaboom in handler" || !strings.Contains(panicLine["stack"].(string), "recovery.go") {
		t.Fatalf("panic not logged with its stack: %s", logs)
	}
	if panicLine["request_id"] != res.Header.Get("X-Request-Id") {
		t.Fatalf("panic log without the request id")
	}
	// The server goes on serving.
	r.GET("/ok", func(c *gin.Context) { c.Status(204) })
	if res := do(t, r, "GET", "/ok", nil, nil); res.Status != 204 {
		t.Fatalf("after a panic: got %d", res.Status)
	}
}

func TestBodyLimit(t *testing.T) {
	const limit = 64
	r, _ := newEngine(t, limit)
	r.POST("/decode", httpapi.Handle(func(c *gin.Context) error {
		var v map[string]any
		if err := httpapi.DecodeJSON(c, &v); err != nil {
			return err
		}
		c.Status(http.StatusNoContent)
		return nil
	}))
	r.POST("/raw", httpapi.Handle(func(c *gin.Context) error {
		if _, err := io.ReadAll(c.Request.Body); err != nil {
			if httpapi.IsTooLarge(err) {
				return httpapi.NewError(413, "request_too_large", "too large")
			}
			return err
		}
		c.Status(http.StatusNoContent)
		return nil
	}))
	big := `{"a":"` + strings.Repeat("x", limit) + `"}`
	small := `{"a":"b"}`

	// A declared length over the limit is refused before any handler runs.
	if res := do(t, r, "POST", "/decode", strings.NewReader(big), nil); res.Status != 413 || res.Code != "request_too_large" {
		t.Fatalf("declared length: got %d %q", res.Status, res.Code)
	}
	// A body that hides its length is cut when read.
	chunked := func(s string) io.Reader { return io.MultiReader(strings.NewReader(s)) }
	if res := do(t, r, "POST", "/decode", chunked(big), nil); res.Status != 413 || res.Code != "request_too_large" || res.Error != "request body is larger than 64 bytes" {
		t.Fatalf("chunked body through DecodeJSON: got %d %q %q", res.Status, res.Code, res.Error)
	}
	if res := do(t, r, "POST", "/raw", chunked(big), nil); res.Status != 413 {
		t.Fatalf("chunked body read raw: got %d", res.Status)
	}
	if res := do(t, r, "POST", "/decode", strings.NewReader(small), nil); res.Status != 204 {
		t.Fatalf("small body: got %d %q", res.Status, res.Error)
	}
}
