package httpapi_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/passbridge/passbridge/provider/httpapi"
)

type decodeTarget struct {
	ExternalID string          `json:"external_id"`
	Limit      int             `json:"limit"`
	Public     bool            `json:"public"`
	Tags       []string        `json:"tags"`
	Nested     struct{ N int } `json:"nested"`
	Raw        json.RawMessage `json:"raw"`
}

func TestDecodeJSON(t *testing.T) {
	tests := []struct {
		name        string
		contentType string
		body        string
		wantMessage string // "" means success
	}{
		{"object", "application/json", `{"external_id":"u1","limit":5}`, ""},
		{"charset parameter", "application/json; charset=utf-8", `{"external_id":"u1"}`, ""},
		{"no content type", "", `{"external_id":"u1"}`, ""},
		{"unknown fields tolerated", "application/json", `{"external_id":"u1","clientExtensionResults":{}}`, ""},
		{"surrounding whitespace", "application/json", " \n{\"external_id\":\"u1\"}\n ", ""},
		{"raw message takes any value", "application/json", `{"raw":[1,{"a":2}]}`, ""},
		{"wrong content type", "text/plain", `{"external_id":"u1"}`, "Content-Type must be application/json"},
		{"form content type", "application/x-www-form-urlencoded", `external_id=u1`, "Content-Type must be application/json"},
		{"bad content type", "application/json; =;", `{}`, "Content-Type must be application/json"},
		{"empty", "application/json", ``, "request body is empty; a JSON object is required"},
		{"whitespace only", "application/json", "  \n", "request body is empty; a JSON object is required"},
		{"array", "application/json", `[{"external_id":"u1"}]`, "request body must be a JSON object"},
		{"null", "application/json", `null`, "request body must be a JSON object"},
		{"string", "application/json", `"u1"`, "request body must be a JSON object"},
		{"truncated", "application/json", `{"external_id":"u1"`, "request body is not valid JSON"},
		{"garbage", "application/json", `{external_id: u1}`, "request body is not valid JSON"},
		{"two objects", "application/json", `{"external_id":"u1"}{"external_id":"u2"}`, "request body must contain a single JSON object, with nothing after it"},
		{"trailing garbage", "application/json", `{"external_id":"u1"} x`, "request body must contain a single JSON object, with nothing after it"},
		{"number for string", "application/json", `{"external_id":42}`, "field external_id must be a string"},
		{"string for int", "application/json", `{"limit":"5"}`, "field limit must be an integer"},
		{"fraction for int", "application/json", `{"limit":1.5}`, "field limit must be an integer"},
		{"string for bool", "application/json", `{"public":"yes"}`, "field public must be a boolean"},
		{"object for array", "application/json", `{"tags":{}}`, "field tags must be an array"},
		{"number in array", "application/json", `{"tags":["a",1]}`, "field tags must be a string"},
		{"nested", "application/json", `{"nested":{"N":"x"}}`, "field nested.N must be an integer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, _ := newEngine(t, 0)
			var got decodeTarget
			r.POST("/x", httpapi.Handle(func(c *gin.Context) error {
				if err := httpapi.DecodeJSON(c, &got); err != nil {
					return err
				}
				c.Status(http.StatusNoContent)
				return nil
			}))
			header := map[string]string{}
			if tt.contentType != "" {
				header["Content-Type"] = tt.contentType
			}
			res := do(t, r, "POST", "/x", strings.NewReader(tt.body), header)
			if tt.wantMessage == "" {
				if res.Status != 204 {
					t.Fatalf("got %d %q, want success", res.Status, res.Error)
				}
				return
			}
			if res.Status != 400 || res.Code != "invalid_request" || res.Error != tt.wantMessage {
				t.Fatalf("got %d %q %q, want 400 invalid_request %q", res.Status, res.Code, res.Error, tt.wantMessage)
			}
		})
	}
}

func TestDecodeJSONValues(t *testing.T) {
	r, _ := newEngine(t, 0)
	var got decodeTarget
	r.POST("/x", httpapi.Handle(func(c *gin.Context) error { return httpapi.DecodeJSON(c, &got) }))
	do(t, r, "POST", "/x", strings.NewReader(`{"external_id":"u1","limit":7,"public":true,"tags":["a"],"extra":1}`), nil)
	if got.ExternalID != "u1" || got.Limit != 7 || !got.Public || len(got.Tags) != 1 {
		t.Fatalf("decoded %+v", got)
	}
}

// FuzzDecodeJSON: whatever the body, DecodeJSON returns nil or a 400/413
// *httpapi.Error, and never panics.
func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{`{}`, `{"external_id":"u1"}`, `[]`, `{"tags":[1]}`, `{"nested":{"N":1e400}}`, `{"a":"\ud800"}`, "\xff", `{"raw":}`} {
		f.Add(s)
	}
	gin.SetMode(gin.ReleaseMode)
	f.Fuzz(func(t *testing.T, body string) {
		c, _ := gin.CreateTestContext(httptest.NewRecorder())
		c.Request = httptest.NewRequest("POST", "/x", strings.NewReader(body))
		var v decodeTarget
		err := httpapi.DecodeJSON(c, &v)
		if err == nil {
			return
		}
		var he *httpapi.Error
		if !errors.As(err, &he) || (he.Status != 400 && he.Status != 413) || he.Message == "" {
			t.Fatalf("body %q: error %v", body, err)
		}
	})
}
