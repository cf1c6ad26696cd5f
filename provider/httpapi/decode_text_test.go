package httpapi_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/passbridge/passbridge/provider/httpapi"
)

// Text that is not Unicode is refused, not decoded with U+FFFD in its place.
func TestDecodeJSONText(t *testing.T) {
	const (
		notUTF8   = "request body is not valid UTF-8"
		surrogate = "request body holds an unpaired UTF-16 surrogate escape"
	)
	tests := []struct {
		name        string
		body        string
		want        string // the decoded external_id, on success
		wantMessage string
	}{
		{"raw 0xfe", "{\"external_id\":\"\xfe\"}", "", notUTF8},
		{"raw 0xff", "{\"external_id\":\"\xff\"}", "", notUTF8},
		{"overlong encoding", "{\"external_id\":\"\xc0\xaf\"}", "", notUTF8},
		{"encoded surrogate", "{\"external_id\":\"\xed\xa0\x80\"}", "", notUTF8},
		{"cut sequence", "{\"external_id\":\"\xe2\x82\"}", "", notUTF8},
		{"in an unknown field", "{\"external_id\":\"u1\",\"x\":\"\xff\"}", "", notUTF8},
		{"in a raw message", "{\"raw\":{\"a\":\"\xff\"}}", "", notUTF8},
		{"not an object either", "\xff", "", notUTF8},
		{"lone low", `{"external_id":"\udfff"}`, "", surrogate},
		{"lone high", `{"external_id":"\ud800"}`, "", surrogate},
		{"high then letter", `{"external_id":"\ud800a"}`, "", surrogate},
		{"in a raw message, escaped", `{"raw":["\udc00"]}`, "", surrogate},
		{"in a key", `{"external_id":"u1","\ud800":1}`, "", surrogate},
		{"pair", `{"external_id":"\ud83d\ude00"}`, "😀", ""},
		{"escaped backslash then u", `{"external_id":"\\udfff"}`, `\udfff`, ""},
		{"raw character", `{"external_id":"Zoë 😀"}`, "Zoë 😀", ""},
		{"U+FFFD sent as such", `{"external_id":"\ufffd"}`, "\uFFFD", ""},
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
			res := do(t, r, "POST", "/x", strings.NewReader(tt.body), map[string]string{"Content-Type": "application/json"})
			if tt.wantMessage == "" {
				if res.Status != 204 || got.ExternalID != tt.want {
					t.Fatalf("got %d %q, external_id %q; want success with %q", res.Status, res.Error, got.ExternalID, tt.want)
				}
				return
			}
			if res.Status != 400 || res.Code != "invalid_request" || res.Error != tt.wantMessage {
				t.Fatalf("got %d %q %q, want 400 invalid_request %q", res.Status, res.Code, res.Error, tt.wantMessage)
			}
		})
	}
}

// An optional body is empty when no bytes (or only whitespace) arrive,
// whether Content-Length says so or the body is streamed without one.
func TestDecodeOptionalJSON(t *testing.T) {
	tests := []struct {
		name        string
		body        string
		chunked     bool // no Content-Length: the length is known only once read
		contentType string
		want        string // external_id decoded; "" also when none
		wantMessage string
	}{
		{"no bytes", "", false, "application/json", "", ""},
		{"no bytes, streamed", "", true, "application/json", "", ""},
		{"no bytes, streamed, no content type", "", true, "", "", ""},
		{"whitespace", " \r\n\t", false, "application/json", "", ""},
		{"whitespace, streamed", "\n", true, "application/json", "", ""},
		{"empty object, streamed", "{}", true, "application/json", "", ""},
		{"object", `{"external_id":"u1"}`, false, "application/json", "u1", ""},
		{"object, streamed", `{"external_id":"u1"}`, true, "application/json", "u1", ""},
		{"object, wrong content type", `{"external_id":"u1"}`, true, "text/plain", "", "Content-Type must be application/json"},
		{"not JSON, streamed", "{", true, "application/json", "", "request body is not valid JSON"},
		{"null, streamed", "null", true, "application/json", "", "request body must be a JSON object"},
		{"not UTF-8, streamed", "{\"external_id\":\"\xfe\"}", true, "application/json", "", "request body is not valid UTF-8"},
		{"lone surrogate", `{"external_id":"\udfff"}`, false, "application/json", "", "request body holds an unpaired UTF-16 surrogate escape"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, _ := newEngine(t, 0)
			var got decodeTarget
			r.POST("/x", httpapi.Handle(func(c *gin.Context) error {
				if tt.chunked && c.Request.ContentLength != -1 {
					t.Errorf("Content-Length %d, want none", c.Request.ContentLength)
				}
				if err := httpapi.DecodeOptionalJSON(c, &got); err != nil {
					return err
				}
				c.Status(http.StatusNoContent)
				return nil
			}))
			var body io.Reader = strings.NewReader(tt.body)
			if tt.chunked {
				body = io.MultiReader(body) // a reader of unknown length
			}
			header := map[string]string{}
			if tt.contentType != "" {
				header["Content-Type"] = tt.contentType
			}
			res := do(t, r, "POST", "/x", body, header)
			if tt.wantMessage == "" {
				if res.Status != 204 || got.ExternalID != tt.want {
					t.Fatalf("got %d %q, external_id %q; want success with %q", res.Status, res.Error, got.ExternalID, tt.want)
				}
				return
			}
			if res.Status != 400 || res.Code != "invalid_request" || res.Error != tt.wantMessage {
				t.Fatalf("got %d %q %q, want 400 invalid_request %q", res.Status, res.Code, res.Error, tt.wantMessage)
			}
		})
	}
}

// A streamed optional body is still held to the body limit.
func TestDecodeOptionalJSONTooLarge(t *testing.T) {
	r, _ := newEngine(t, 64)
	r.POST("/x", httpapi.Handle(func(c *gin.Context) error {
		var v decodeTarget
		return httpapi.DecodeOptionalJSON(c, &v)
	}))
	body := io.MultiReader(strings.NewReader(`{"external_id":"` + strings.Repeat("x", 100) + `"}`))
	res := do(t, r, "POST", "/x", body, map[string]string{"Content-Type": "application/json"})
	if res.Status != 413 || res.Code != "request_too_large" {
		t.Fatalf("got %d %q, want 413 request_too_large", res.Status, res.Code)
	}
}
