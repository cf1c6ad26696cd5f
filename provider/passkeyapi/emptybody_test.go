package passkeyapi_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/passbridge/passbridge/ceremony/softauthn"
	"github.com/passbridge/passbridge/provider/internal/apitest"
)

// A start of a discoverable authentication has no fields to send. Zero
// bytes (or only whitespace) say so however they arrive: with
// Content-Length: 0 or as an empty chunked body.
func TestAuthenticateStartEmptyBody(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		a := softauthn.New(softauthn.Options{BackupEligible: true})
		h.register(a, "alice")
		path := "/v1/apps/" + h.app.ID + "/passkeys/authenticate/start"
		auth := "Bearer " + h.key
		typed := map[string]string{"Authorization": auth, "Content-Type": "application/json"}
		bare := map[string]string{"Authorization": auth}

		for _, tc := range []struct {
			name    string
			chunked bool
			body    string
			header  map[string]string
			bound   bool // to the user rather than discoverable
		}{
			{"content-length 0", false, "", typed, false},
			{"chunked, zero bytes", true, "", typed, false},
			{"chunked, zero bytes, no content type", true, "", bare, false},
			{"chunked, whitespace", true, "\n \t", typed, false},
			{"content-length, whitespace", false, " \r\n", typed, false},
			{"chunked, empty object", true, "{}", typed, false},
			{"chunked, user", true, `{"user_id":"alice"}`, typed, true},
		} {
			t.Run(tc.name, func(t *testing.T) {
				var r apitest.Response
				if tc.chunked {
					r = apitest.SendChunked(t, h.ctx, h.srv, path, tc.body, tc.header)
				} else {
					r = h.send(t, request{path: path, body: tc.body, key: h.key})
				}
				apitest.OK(t, r)
				var v struct {
					AuthenticationOptions json.RawMessage `json:"authenticationOptions"`
				}
				r.Decode(t, &v)
				var opts struct {
					AllowCredentials []json.RawMessage `json:"allowCredentials"`
				}
				if err := json.Unmarshal(v.AuthenticationOptions, &opts); err != nil {
					t.Fatal(err)
				}
				h.challengeOf(v.AuthenticationOptions)
				if (len(opts.AllowCredentials) > 0) != tc.bound {
					t.Fatalf("start: %s", r.Body)
				}
				// The options lead to a ceremony that completes.
				resp, err := a.Authenticate(v.AuthenticationOptions, testOrigin)
				if err != nil {
					t.Fatal(err)
				}
				r = h.post("/passkeys/authenticate/finish", map[string]any{"publicKey": json.RawMessage(resp)})
				apitest.OK(t, r)
				if !strings.Contains(string(r.Body), `"external_id":"alice"`) {
					t.Fatalf("finish: %s", r.Body)
				}
			})
		}

		// Bytes that are there must still be one JSON object.
		for _, tc := range []struct{ name, body, msg string }{
			{"chunked, not JSON", "{", "request body is not valid JSON"},
			{"chunked, array", "[]", "request body must be a JSON object"},
			{"chunked, lone surrogate", `{"user_id":"\udfff"}`, "request body holds an unpaired UTF-16 surrogate escape"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				h.unchanged(t, func() {
					apitest.WantInvalidRequest(t, apitest.SendChunked(t, h.ctx, h.srv, path, tc.body, typed), tc.msg)
				})
			})
		}
	})
}
