package flexapi_test

import (
	"encoding/json"
	"net/http"
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
		tx := h.createAuthenticateTransaction("alice")
		path := "/v1/apps/" + h.app.ID + "/authenticate/transactions/webauthn/start"
		typed := map[string]string{"Origin": testOrigin, "Content-Type": "application/json"}
		bare := map[string]string{"Origin": testOrigin}

		for _, tc := range []struct {
			name    string
			chunked bool
			body    string
			header  map[string]string
			bound   bool // to the transaction rather than discoverable
		}{
			{"content-length 0", false, "", typed, false},
			{"content-length 0, no content type", false, "", bare, false},
			{"chunked, zero bytes", true, "", typed, false},
			{"chunked, zero bytes, no content type", true, "", bare, false},
			{"chunked, whitespace", true, " \r\n\t", typed, false},
			{"content-length, whitespace", false, " \n", typed, false},
			{"chunked, empty object", true, "{}", typed, false},
			{"chunked, transaction", true, `{"transaction_id":"` + tx + `"}`, typed, true},
		} {
			t.Run(tc.name, func(t *testing.T) {
				var r apitest.Response
				if tc.chunked {
					r = apitest.SendChunked(t, h.ctx, h.srv, path, tc.body, tc.header)
				} else {
					r = h.sendT(t, request{method: http.MethodPost, path: path, body: tc.body, header: tc.header})
				}
				hs := discoverableStart(t, h, r, tc.bound)
				if tc.bound {
					return
				}
				// The options lead to a discoverable ceremony that completes.
				resp, err := a.Authenticate(hs.Handshake.Challenge.PublicKey, testOrigin)
				if err != nil {
					t.Fatal(err)
				}
				nonce := nonceOf(t, h.client("/authenticate/transactions/webauthn/finish", finishBody("", hs.Handshake.ID, resp)))
				if got := h.verify(nonce); got != "alice" {
					t.Fatalf("verify: %q", got)
				}
			})
		}

		// Bytes that are there must still be one JSON object.
		for _, tc := range []struct{ name, body, msg string }{
			{"chunked, not JSON", "{", "request body is not valid JSON"},
			{"chunked, array", "[]", "request body must be a JSON object"},
			{"chunked, not UTF-8", "{\"transaction_id\":\"\xff\"}", "request body is not valid UTF-8"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				h.unchanged(t, func() {
					apitest.WantInvalidRequest(t, apitest.SendChunked(t, h.ctx, h.srv, path, tc.body, typed), tc.msg)
				})
			})
		}
	})
}

// discoverableStart checks a start's answer: 200 with a handshake whose
// options allow any credential, or (bound) the user's.
func discoverableStart(t *testing.T, h *harness, r apitest.Response, bound bool) handshakeJSON {
	t.Helper()
	apitest.OK(t, r)
	var hs handshakeJSON
	r.Decode(t, &hs)
	h.track("", hs.Handshake.ID)
	var opts struct {
		Challenge        string            `json:"challenge"`
		AllowCredentials []json.RawMessage `json:"allowCredentials"`
	}
	if err := json.Unmarshal(hs.Handshake.Challenge.PublicKey, &opts); err != nil {
		t.Fatal(err)
	}
	if hs.Handshake.ID == "" || opts.Challenge == "" || (len(opts.AllowCredentials) > 0) != bound {
		t.Fatalf("start: %s", r.Body)
	}
	return hs
}
