package flexapi_test

import (
	"errors"
	"net/http"
	"testing"

	"github.com/passbridge/passbridge/provider/internal/apitest"
	"github.com/passbridge/passbridge/storage"
)

// Messages of the refusals of text that is not Unicode.
const (
	msgNotUTF8   = "request body is not valid UTF-8"
	msgSurrogate = "request body holds an unpaired UTF-16 surrogate escape"
)

// A body that is not valid UTF-8, or escapes half a UTF-16 surrogate pair,
// is refused rather than decoded with U+FFFD in place of what was sent:
// otherwise different external IDs would name one user.
func TestBodyNotUnicode(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		regTx := h.createRegisterTransaction("alice")
		mgmt := func(path, body string) request {
			return request{method: http.MethodPost, path: "/v1/apps/" + h.app.ID + path, body: body,
				header: map[string]string{"Authorization": "Bearer " + h.key}}
		}
		client := func(path, body string) request {
			return request{method: http.MethodPost, path: "/v1/apps/" + h.app.ID + path, body: body,
				header: map[string]string{"Origin": testOrigin}}
		}
		cases := []struct {
			name string
			req  request
			msg  string
		}{
			{"raw 0xfe", mgmt("/transactions/register", "{\"external_id\":\"\xfe\"}"), msgNotUTF8},
			{"raw 0xff", mgmt("/transactions/register", "{\"external_id\":\"\xff\"}"), msgNotUTF8},
			{"truncated sequence", mgmt("/transactions/register", "{\"external_id\":\"\xe2\x82\"}"), msgNotUTF8},
			{"encoded surrogate", mgmt("/transactions/register", "{\"external_id\":\"\xed\xbf\xbf\"}"), msgNotUTF8},
			{"raw byte in a key", mgmt("/transactions/register", "{\"external_id\":\"bob\",\"\xff\":1}"), msgNotUTF8},
			{"lone low surrogate", mgmt("/transactions/register", `{"external_id":"\udfff"}`), msgSurrogate},
			{"lone high surrogate", mgmt("/transactions/register", `{"external_id":"\ud800"}`), msgSurrogate},
			{"high surrogate then a letter", mgmt("/transactions/register", `{"external_id":"\uD800\u0041"}`), msgSurrogate},
			{"pair reversed", mgmt("/transactions/register", `{"external_id":"\ude00\ud83d"}`), msgSurrogate},
			{"lone surrogate in a key", mgmt("/transactions/register", `{"external_id":"bob","\udc00":1}`), msgSurrogate},
			{"authenticate transaction", mgmt("/transactions/authenticate", `{"external_id":"\udfff"}`), msgSurrogate},
			{"verify nonce", mgmt("/authenticate/verify", "{\"nonce\":\"\xfe\"}"), msgNotUTF8},
			{"client register start", client("/register/transactions/webauthn/start", "{\"transaction_id\":\""+regTx+"\",\"x\":\"\xff\"}"), msgNotUTF8},
			{"client authenticate start", client("/authenticate/transactions/webauthn/start", `{"transaction_id":"\udfff"}`), msgSurrogate},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				h.unchanged(t, func() {
					apitest.WantInvalidRequest(t, h.sendT(t, c.req), c.msg)
				})
			})
		}
		// What the decoder would have made of them is no user either.
		if _, err := h.store.GetUserByExternalID(h.ctx, h.app.ID, "\uFFFD"); !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("user U+FFFD: %v", err)
		}

		// A well-formed pair is a character like any other.
		r := h.mgmt(http.MethodPost, "/transactions/register", `{"external_id":"smile-\ud83d\ude00"}`)
		apitest.OK(t, r)
		if _, err := h.store.GetUserByExternalID(h.ctx, h.app.ID, "smile-😀"); err != nil {
			t.Fatalf("user of a surrogate pair: %v", err)
		}
	})
}
