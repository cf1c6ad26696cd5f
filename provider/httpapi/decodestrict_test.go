package httpapi_test

import (
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/passbridge/passbridge/provider/httpapi"
)

// DecodeStrictJSON refuses a member the target does not have, naming it,
// and otherwise decodes as DecodeJSON does.
func TestDecodeStrictJSON(t *testing.T) {
	r, _ := newEngine(t, 1024)
	type body struct {
		Name  string `json:"name"`
		Count int    `json:"count"`
	}
	var got body
	r.POST("/strict", httpapi.Handle(func(c *gin.Context) error {
		got = body{}
		if err := httpapi.DecodeStrictJSON(c, &got); err != nil {
			return err
		}
		c.Status(http.StatusNoContent)
		return nil
	}))
	r.POST("/optional", httpapi.Handle(func(c *gin.Context) error {
		got = body{}
		if err := httpapi.DecodeOptionalStrictJSON(c, &got); err != nil {
			return err
		}
		c.Status(http.StatusNoContent)
		return nil
	}))
	json := map[string]string{"Content-Type": "application/json"}
	for _, tc := range []struct {
		name, path, body string
		header           map[string]string
		status           int
		msg              string
	}{
		{"known members", "/strict", `{"name":"a","count":2}`, json, 204, ""},
		{"unknown member", "/strict", `{"name":"a","colour":"red"}`, json, 400, "field colour is not one this call takes"},
		{"unknown member named safely", "/strict", `{"<b>\u0001x":1}`, json, 400, "field bx is not one this call takes"},
		{"wrong type", "/strict", `{"count":"two"}`, json, 400, "field count must be an integer"},
		{"trailing data", "/strict", `{"name":"a"} {}`, json, 400, "request body must contain a single JSON object, with nothing after it"},
		{"not an object", "/strict", `["a"]`, json, 400, "request body must be a JSON object"},
		{"empty", "/strict", ``, json, 400, "request body is empty; a JSON object is required"},
		{"form", "/strict", `name=a`, map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, 400, "Content-Type must be application/json"},
		{"optional and empty", "/optional", ``, nil, 204, ""},
		{"optional with an unknown member", "/optional", `{"ttl":1}`, json, 400, "field ttl is not one this call takes"},
		{"over the limit", "/strict", `{"name":"` + strings.Repeat("a", 2000) + `"}`, json, 413, "request body is larger than 1 KiB"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := do(t, r, "POST", tc.path, strings.NewReader(tc.body), tc.header)
			if res.Status != tc.status || res.Error != tc.msg {
				t.Fatalf("%d %q, want %d %q", res.Status, res.Error, tc.status, tc.msg)
			}
		})
	}
	do(t, r, "POST", "/strict", strings.NewReader(`{"name":"ada","count":3}`), json)
	if got != (body{Name: "ada", Count: 3}) {
		t.Fatalf("decoded %+v", got)
	}
}

// BodyLimits gives the routes it names their own limit, and every other
// route the server's.
func TestBodyLimitsPerRoute(t *testing.T) {
	r := gin.New()
	r.Use(httpapi.RequestID(slog.New(slog.DiscardHandler)), httpapi.ErrorWriter(),
		httpapi.BodyLimits(16, map[string]int64{"/upload/:id": 64}))
	read := httpapi.Handle(func(c *gin.Context) error {
		var v map[string]any
		if err := httpapi.DecodeJSON(c, &v); err != nil {
			return err
		}
		c.Status(http.StatusNoContent)
		return nil
	})
	r.POST("/upload/:id", read)
	r.POST("/other", read)
	json := map[string]string{"Content-Type": "application/json"}
	small, medium := `{"a":"b"}`, `{"a":"`+strings.Repeat("b", 30)+`"}`
	for _, tc := range []struct {
		path, body string
		status     int
	}{
		{"/upload/1", small, 204},
		{"/upload/1", medium, 204},
		{"/upload/1", `{"a":"` + strings.Repeat("b", 100) + `"}`, 413},
		{"/other", small, 204},
		{"/other", medium, 413},
	} {
		if res := do(t, r, "POST", tc.path, strings.NewReader(tc.body), json); res.Status != tc.status {
			t.Errorf("POST %s with %d bytes: %d %s, want %d", tc.path, len(tc.body), res.Status, res.Error, tc.status)
		}
	}
}
