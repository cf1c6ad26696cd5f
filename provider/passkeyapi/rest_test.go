package passkeyapi_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/passbridge/passbridge/ceremony/softauthn"
	"github.com/passbridge/passbridge/provider/internal/apitest"
)

// deviceJSON is the device of a finish, as the Flex API renders it.
type deviceJSON struct {
	ID           string `json:"id"`
	CredID       string `json:"cred_id"`
	FriendlyName string `json:"friendly_name"`
	Type         string `json:"type"`
	UsageCount   int64  `json:"usage_count"`
}

// Register then authenticate, bound to the user and discoverable, over the
// REST form. The options are the inner objects @simplewebauthn/browser
// takes, and finish needs nothing but the browser's response.
func TestRESTRegisterAndAuthenticate(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		r := h.post("/passkeys/register/start", map[string]string{
			"user_id": "alice", "email_or_username": "alice@example.com", "user_display_name": "Alice A.",
		})
		apitest.OK(t, r)
		var start map[string]json.RawMessage
		r.Decode(t, &start)
		opts := start["registrationOptions"]
		if len(start) != 1 || opts == nil {
			t.Fatalf("register start: %s", r.Body)
		}
		var o struct {
			RP        struct{ ID string }
			User      struct{ ID, Name, DisplayName string }
			Challenge string
			PublicKey json.RawMessage `json:"publicKey"`
		}
		if err := json.Unmarshal(opts, &o); err != nil {
			t.Fatal(err)
		}
		if o.RP.ID != testRPID || o.User.Name != "alice@example.com" || o.User.DisplayName != "Alice A." || o.Challenge == "" || o.PublicKey != nil {
			t.Fatalf("registrationOptions is not the inner options object: %s", opts)
		}
		if raw, _ := base64.RawURLEncoding.DecodeString(o.User.ID); strings.Contains(string(raw), "alice") {
			t.Fatalf("user.id carries the external ID: %s", raw)
		}
		h.challengeOf(opts)

		a := softauthn.New(softauthn.Options{BackupEligible: true, BackedUp: true})
		resp, cred, err := a.Register(opts, testOrigin)
		if err != nil {
			t.Fatal(err)
		}
		r = h.post("/passkeys/register/finish", map[string]any{"user_id": "alice", "publicKey": json.RawMessage(resp)})
		apitest.OK(t, r)
		var fin struct{ Device deviceJSON }
		r.Decode(t, &fin)
		if fin.Device.CredID != base64.RawURLEncoding.EncodeToString(cred.ID) || fin.Device.Type != "passkey" || fin.Device.UsageCount != 0 {
			t.Fatalf("register finish: %s", r.Body)
		}

		for _, userID := range []string{"alice", ""} {
			opts := h.authenticationOptions(userID)
			if userID != "" && !strings.Contains(string(opts), fin.Device.CredID) {
				t.Fatalf("bound options lack the user's credential: %s", opts)
			}
			resp, err := a.Authenticate(opts, testOrigin)
			if err != nil {
				t.Fatal(err)
			}
			body := map[string]any{"publicKey": json.RawMessage(resp)}
			if userID != "" {
				body["user_id"] = userID
			}
			r := h.post("/passkeys/authenticate/finish", body)
			apitest.OK(t, r)
			var v struct {
				ExternalID string `json:"external_id"`
				Device     deviceJSON
			}
			r.Decode(t, &v)
			if v.ExternalID != "alice" || v.Device.ID != fin.Device.ID {
				t.Fatalf("authenticate finish (user_id %q): %s", userID, r.Body)
			}
		}
		// An empty body starts a discoverable authentication too.
		r = h.send(t, request{path: "/v1/apps/" + h.app.ID + "/passkeys/authenticate/start", key: h.key})
		apitest.OK(t, r)
	})
}

// What the REST form refuses, each leaving the store as it was.
func TestRESTRejections(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		alice := softauthn.New(softauthn.Options{})
		h.register(alice, "alice")
		bob := softauthn.New(softauthn.Options{BackupEligible: true})
		h.register(bob, "bob")
		if r := h.post("/passkeys/register/start", map[string]string{"user_id": "carol", "email_or_username": "carol"}); r.Status != 200 {
			t.Fatal(r.Status)
		}

		assert := func(a *softauthn.Authenticator, opts json.RawMessage, mods ...softauthn.Mod) json.RawMessage {
			t.Helper()
			resp, err := a.Authenticate(opts, testOrigin, mods...)
			if err != nil {
				t.Fatal(err)
			}
			return resp
		}
		aliceOpts := h.authenticationOptions("alice")
		discOpts := h.authenticationOptions("")
		regOpts := h.registrationOptions("dave")
		regResp, _, err := softauthn.New(softauthn.Options{}).Register(regOpts, testOrigin)
		if err != nil {
			t.Fatal(err)
		}
		spent := assert(alice, h.authenticationOptions("alice"))
		apitest.OK(t, h.post("/passkeys/authenticate/finish", map[string]any{"publicKey": spent}))

		path := func(p string) string { return "/v1/apps/" + h.app.ID + "/passkeys" + p }
		start := map[string]string{"user_id": "zed", "email_or_username": "zed"}
		cases := []struct {
			name   string
			req    request
			status int
			code   string
		}{
			{"no key", request{path: path("/register/start"), body: start}, 401, "invalid_access_token"},
			{"another app's key", request{path: path("/register/start"), body: start, key: h.otherK}, 401, "invalid_access_token"},
			{"unknown app", request{path: "/v1/apps/nosuchapp/passkeys/register/start", body: start, key: h.key}, 404, "app_not_found"},
			{"app id not UTF-8", request{path: "/v1/apps/%FF/passkeys/register/start", body: start, key: h.key}, 404, "app_not_found"},
			{"unknown route", request{path: path("/nothing"), body: start, key: h.key}, 404, "not_found"},
			{"body not JSON", request{path: path("/register/start"), body: "{", key: h.key}, 400, "invalid_request"},
			{"register without user_id", request{path: path("/register/start"), body: map[string]string{"email_or_username": "x"}, key: h.key}, 400, "invalid_request"},
			{"register without email_or_username", request{path: path("/register/start"), body: map[string]string{"user_id": "x"}, key: h.key}, 400, "invalid_request"},
			{"register user_id with NUL", request{path: path("/register/start"), body: map[string]string{"user_id": "a\x00", "email_or_username": "x"}, key: h.key}, 400, "invalid_request"},
			{"finish without publicKey", request{path: path("/register/finish"), body: map[string]string{"user_id": "dave"}, key: h.key}, 400, "invalid_request"},
			{"finish without user_id", request{path: path("/register/finish"), body: map[string]any{"publicKey": json.RawMessage(regResp)}, key: h.key}, 400, "invalid_request"},
			{"finish for another user", request{path: path("/register/finish"), body: map[string]any{"user_id": "alice", "publicKey": json.RawMessage(regResp)}, key: h.key}, 404, "handshake_not_found"},
			{"finish malformed", request{path: path("/register/finish"), body: map[string]any{"user_id": "dave", "publicKey": json.RawMessage(softauthn.Corrupt(regResp, softauthn.CorruptCBOR))}, key: h.key}, 400, "invalid_request"},
			{"finish publicKey a string", request{path: path("/register/finish"), body: map[string]any{"user_id": "dave", "publicKey": "x"}, key: h.key}, 400, "invalid_request"},
			{"authenticate unknown user", request{path: path("/authenticate/start"), body: map[string]string{"user_id": "nobody"}, key: h.key}, 404, "user_not_found"},
			{"authenticate user without passkeys", request{path: path("/authenticate/start"), body: map[string]string{"user_id": "carol"}, key: h.key}, 409, "user_has_no_passkeys"},
			{"authenticate finish without publicKey", request{path: path("/authenticate/finish"), body: map[string]string{}, key: h.key}, 400, "invalid_request"},
			{"authenticate finish, unknown challenge", request{path: path("/authenticate/finish"), body: map[string]any{"publicKey": assert(alice, aliceOpts, softauthn.WithChallenge("bm90IGEgY2hhbGxlbmdl"))}, key: h.key}, 404, "handshake_not_found"},
			{"authenticate finish, spent challenge", request{path: path("/authenticate/finish"), body: map[string]any{"publicKey": spent}, key: h.key}, 404, "handshake_not_found"},
			{"authenticate finish, wrong origin", request{path: path("/authenticate/finish"), body: map[string]any{"publicKey": assert(alice, aliceOpts, softauthn.WithOrigin("https://evil.example"))}, key: h.key}, 422, "webauthn_verification_failed"},
			{"authenticate finish, bad signature", request{path: path("/authenticate/finish"), body: map[string]any{"publicKey": assert(alice, aliceOpts, softauthn.WithBadSignature())}, key: h.key}, 422, "webauthn_verification_failed"},
			{"authenticate finish, bound to another user", request{path: path("/authenticate/finish"), body: map[string]any{"user_id": "bob", "publicKey": assert(alice, aliceOpts)}, key: h.key}, 404, "handshake_not_found"},
			{"authenticate finish, discoverable, another user", request{path: path("/authenticate/finish"), body: map[string]any{"user_id": "alice", "publicKey": assert(bob, discOpts)}, key: h.key}, 422, "webauthn_verification_failed"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				h.unchanged(t, func() { apitest.WantError(t, h.send(t, c.req), c.status, c.code) })
			})
		}
		// After all that, alice's pending ceremony still completes.
		r := h.post("/passkeys/authenticate/finish", map[string]any{"user_id": "alice", "publicKey": assert(alice, aliceOpts)})
		apitest.OK(t, r)
		if !strings.Contains(string(r.Body), `"external_id":"alice"`) {
			t.Fatalf("finish: %s", r.Body)
		}
		if r := h.post("/passkeys/register/finish", map[string]any{"user_id": "dave", "publicKey": json.RawMessage(regResp)}); r.Status != http.StatusOK {
			t.Fatalf("register finish after refusals: %d %s", r.Status, r.Body)
		}
	})
}
