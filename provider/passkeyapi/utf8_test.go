package passkeyapi_test

import (
	"encoding/json"
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
// is refused rather than decoded with U+FFFD in its place, in the REST form
// and in the command form, whose data is decoded on its own.
func TestBodyNotUnicode(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		path := func(p string) string { return "/v1/apps/" + h.app.ID + p }
		rest := []struct{ name, path, body, msg string }{
			{"register start, raw 0xfe", "/passkeys/register/start", "{\"user_id\":\"\xfe\",\"email_or_username\":\"x\"}", msgNotUTF8},
			{"register start, raw 0xff", "/passkeys/register/start", "{\"user_id\":\"\xff\",\"email_or_username\":\"x\"}", msgNotUTF8},
			{"register start, lone low surrogate", "/passkeys/register/start", `{"user_id":"\udfff","email_or_username":"x"}`, msgSurrogate},
			{"register start, lone high surrogate at the end", "/passkeys/register/start", `{"email_or_username":"x","user_id":"\uDBFF"}`, msgSurrogate},
			{"register start, name not UTF-8", "/passkeys/register/start", "{\"user_id\":\"u\",\"email_or_username\":\"\xc0\xaf\"}", msgNotUTF8},
			{"authenticate start", "/passkeys/authenticate/start", `{"user_id":"\udfff"}`, msgSurrogate},
			{"register finish", "/passkeys/register/finish", "{\"user_id\":\"\xff\",\"publicKey\":{}}", msgNotUTF8},
			{"authenticate finish", "/passkeys/authenticate/finish", `{"publicKey":{"id":"\ud800"}}`, msgSurrogate},
		}
		for _, c := range rest {
			t.Run(c.name, func(t *testing.T) {
				h.unchanged(t, func() {
					apitest.WantInvalidRequest(t, h.send(t, request{path: path(c.path), body: c.body, key: h.key}), c.msg)
				})
			})
		}

		commands := []struct{ name, body, msg string }{
			{"raw 0xfe in data", "{\"command\":\"StartPasskeyRegistration\",\"data\":{\"userId\":\"\xfe\",\"emailOrUsername\":\"x\"}}", msgNotUTF8},
			{"raw 0xff in data", "{\"command\":\"StartPasskeyRegistration\",\"data\":{\"userId\":\"\xff\",\"emailOrUsername\":\"x\"}}", msgNotUTF8},
			{"lone surrogate in data", `{"command":"StartPasskeyRegistration","data":{"userId":"\udfff","emailOrUsername":"x"}}`, msgSurrogate},
			{"lone surrogate in the command", `{"command":"StartPasskeyRegistration\ud800","data":{}}`, msgSurrogate},
			{"lone surrogate in a finish's publicKey", `{"command":"FinishPasskeyAuthentication","data":{"publicKey":{"id":"\udc00"}}}`, msgSurrogate},
		}
		for _, c := range commands {
			t.Run("command, "+c.name, func(t *testing.T) {
				h.unchanged(t, func() {
					f := wantCommandError(t, h.send(t, request{path: path("/run-command"), body: c.body, key: h.key}), http.StatusBadRequest, "BadRequest")
					var d struct{ Message string }
					if err := json.Unmarshal(f.Details, &d); err != nil || d.Message != c.msg {
						t.Errorf("details %s, want message %q", f.Details, c.msg)
					}
				})
			})
		}

		if _, err := h.store.GetUserByExternalID(h.ctx, h.app.ID, "\uFFFD"); !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("user U+FFFD: %v", err)
		}
		// A well-formed pair is a character like any other.
		apitest.OK(t, h.post("/passkeys/register/start", `{"user_id":"smile-\ud83d\ude00","email_or_username":"x"}`))
		apitest.OK(t, h.post("/run-command", `{"command":"StartPasskeyRegistration","data":{"userId":"wink-\uD83D\uDE09","emailOrUsername":"x"}}`))
		for _, id := range []string{"smile-😀", "wink-😉"} {
			if _, err := h.store.GetUserByExternalID(h.ctx, h.app.ID, id); err != nil {
				t.Fatalf("user %q: %v", id, err)
			}
		}
	})
}
