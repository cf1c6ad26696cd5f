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

// passkeyJSON is a passkey in the command form.
type passkeyJSON struct {
	CredentialID string `json:"credentialId"`
	DisplayName  string `json:"displayName"`
	Type         string `json:"type"`
	UsageCount   int64  `json:"usageCount"`
	CreatedAt    int64  `json:"createdAt"`
	LastUsedAt   *int64 `json:"lastUsedAt"`
}

// All seven passkey commands, in the order an app uses them.
func TestCommands(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		a := softauthn.New(softauthn.Options{BackupEligible: true})
		key := softauthn.New(softauthn.Options{Attachment: softauthn.AttachmentCrossPlatform, SignCount: 1})

		register := func(auth *softauthn.Authenticator, extra map[string]any) string {
			t.Helper()
			data := map[string]any{"userId": "u-1", "emailOrUsername": "ann@example.com", "userDisplayName": "Ann", "passkeyDisplayName": "Ann's passkey"}
			for k, v := range extra {
				data[k] = v
			}
			r := h.command("StartPasskeyRegistration", data)
			apitest.OK(t, r)
			var v struct {
				RegistrationOptions json.RawMessage `json:"registrationOptions"`
			}
			r.Decode(t, &v)
			h.challengeOf(v.RegistrationOptions)
			resp, cred, err := auth.Register(v.RegistrationOptions, testOrigin)
			if err != nil {
				t.Fatal(err)
			}
			r = h.command("FinishPasskeyRegistration", map[string]any{"userId": "u-1", "publicKey": json.RawMessage(resp)})
			apitest.OK(t, r)
			want := `{"userId":"u-1","credentialId":"` + base64.RawURLEncoding.EncodeToString(cred.ID) + `"}`
			if string(r.Body) != want {
				t.Fatalf("FinishPasskeyRegistration: %s, want %s", r.Body, want)
			}
			return base64.RawURLEncoding.EncodeToString(cred.ID)
		}
		first := register(a, nil)
		second := register(key, map[string]any{"additionalAllowedOrigin": "https://shop.example.com"})

		for _, userID := range []string{"u-1", ""} {
			r := h.command("StartPasskeyAuthentication", map[string]string{"userId": userID})
			apitest.OK(t, r)
			var v struct {
				AuthenticationOptions json.RawMessage `json:"authenticationOptions"`
			}
			r.Decode(t, &v)
			h.challengeOf(v.AuthenticationOptions)
			resp, err := a.Authenticate(v.AuthenticationOptions, testOrigin, softauthn.WithCredential(a.Credentials()[0].ID))
			if err != nil {
				t.Fatal(err)
			}
			r = h.command("FinishPasskeyAuthentication", map[string]any{"userId": userID, "publicKey": json.RawMessage(resp)})
			apitest.OK(t, r)
			if string(r.Body) != `{"userId":"u-1","credentialId":"`+first+`"}` {
				t.Fatalf("FinishPasskeyAuthentication (userId %q): %s", userID, r.Body)
			}
		}

		r := h.command("FetchAllPasskeysForUser", map[string]string{"userId": "u-1"})
		apitest.OK(t, r)
		var list struct{ Passkeys []passkeyJSON }
		r.Decode(t, &list)
		if len(list.Passkeys) != 2 || list.Passkeys[0].CredentialID != first || list.Passkeys[1].CredentialID != second ||
			list.Passkeys[0].UsageCount != 2 || list.Passkeys[0].LastUsedAt == nil || list.Passkeys[1].LastUsedAt != nil ||
			list.Passkeys[0].Type != "passkey" || list.Passkeys[1].Type != "security_key" || list.Passkeys[0].CreatedAt == 0 ||
			list.Passkeys[0].DisplayName == "" {
			t.Fatalf("FetchAllPasskeysForUser: %s", r.Body)
		}

		r = h.command("DeregisterPasskey", map[string]string{"userId": "u-1", "credentialId": first})
		apitest.OK(t, r)
		if string(r.Body) != `{"userId":"u-1","credentialId":"`+first+`"}` {
			t.Fatalf("DeregisterPasskey: %s", r.Body)
		}
		h.command("FetchAllPasskeysForUser", map[string]string{"userId": "u-1"}).Decode(t, &list)
		if len(list.Passkeys) != 1 || list.Passkeys[0].CredentialID != second {
			t.Fatalf("after DeregisterPasskey: %+v", list)
		}

		r = h.command("DeregisterAllPasskeysForUser", map[string]string{"userId": "u-1"})
		apitest.OK(t, r)
		if string(r.Body) != `{"userId":"u-1","deregistered":1}` {
			t.Fatalf("DeregisterAllPasskeysForUser: %s", r.Body)
		}
		r = h.command("FetchAllPasskeysForUser", map[string]string{"userId": "u-1"})
		if string(r.Body) != `{"passkeys":[]}` {
			t.Fatalf("after DeregisterAllPasskeysForUser: %s", r.Body)
		}
		// The user stays, and an unknown one simply has no passkeys.
		if _, err := h.store.GetUserByExternalID(h.ctx, h.app.ID, "u-1"); err != nil {
			t.Fatalf("user gone: %v", err)
		}
		if r := h.command("FetchAllPasskeysForUser", map[string]string{"userId": "nobody"}); string(r.Body) != `{"passkeys":[]}` {
			t.Fatalf("unknown user: %d %s", r.Status, r.Body)
		}
		if r := h.command("DeregisterAllPasskeysForUser", map[string]string{"userId": "nobody"}); string(r.Body) != `{"userId":"nobody","deregistered":0}` {
			t.Fatalf("unknown user: %d %s", r.Status, r.Body)
		}
	})
}

// What the command form refuses, in PropelAuth's error shape with the
// status of the mapping table, each leaving the store as it was.
func TestCommandErrors(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		alice := softauthn.New(softauthn.Options{})
		cred := h.register(alice, "alice")
		aliceCred := base64.RawURLEncoding.EncodeToString(cred.ID)
		h.register(softauthn.New(softauthn.Options{}), "bob")
		apitest.OK(t, h.command("StartPasskeyRegistration", map[string]string{"userId": "carol", "emailOrUsername": "carol"}))
		opts := h.authenticationOptions("alice")
		regOpts := h.registrationOptions("dave")
		regResp, _, err := softauthn.New(softauthn.Options{}).Register(regOpts, testOrigin)
		if err != nil {
			t.Fatal(err)
		}
		assert := func(mods ...softauthn.Mod) json.RawMessage {
			t.Helper()
			resp, err := alice.Authenticate(opts, testOrigin, mods...)
			if err != nil {
				t.Fatal(err)
			}
			return resp
		}
		cmd := func(name string, data any) any { return map[string]any{"command": name, "data": data} }
		run := "/v1/apps/" + h.app.ID + "/run-command"
		cases := []struct {
			name    string
			req     request
			status  int
			typ     string
			details string // exact JSON of details, when set
		}{
			{"no key", request{path: run, body: cmd("FetchAllPasskeysForUser", map[string]string{"userId": "alice"})}, 401, "Unauthorized", `{"message":"missing or invalid API key"}`},
			{"another app's key", request{path: run, body: cmd("FetchAllPasskeysForUser", map[string]string{"userId": "alice"}), key: h.otherK}, 401, "Unauthorized", ""},
			{"unknown app", request{path: "/v1/apps/nosuchapp/run-command", body: cmd("FetchAllPasskeysForUser", map[string]string{"userId": "alice"}), key: h.key}, 404, "AppNotFound", ""},
			{"app id with NUL", request{path: "/v1/apps/a%00/run-command", body: cmd("FetchAllPasskeysForUser", map[string]string{"userId": "alice"}), key: h.key}, 404, "AppNotFound", ""},
			{"body not JSON", request{path: run, body: "{", key: h.key}, 400, "BadRequest", ""},
			{"no command", request{path: run, body: map[string]any{"data": map[string]string{}}, key: h.key}, 400, "InvalidRequestFields",
				`{"fields":[{"field":"command","code":"required","message":"command is required"}]}`},
			{"unknown command", request{path: run, body: cmd("CreateSession", map[string]string{}), key: h.key}, 400, "UnknownCommand", `{"command":"CreateSession"}`},
			{"data not an object", request{path: run, body: cmd("FetchAllPasskeysForUser", []string{"alice"}), key: h.key}, 400, "BadRequest", ""},
			{"field of the wrong type", request{path: run, body: cmd("FetchAllPasskeysForUser", map[string]int{"userId": 5}), key: h.key}, 400, "InvalidRequestFields", ""},
			{"missing fields, all named", request{path: run, body: cmd("StartPasskeyRegistration", map[string]string{}), key: h.key}, 400, "InvalidRequestFields",
				`{"fields":[{"field":"userId","code":"required","message":"userId is required"},{"field":"emailOrUsername","code":"required","message":"emailOrUsername is required"}]}`},
			{"no data", request{path: run, body: map[string]string{"command": "DeregisterAllPasskeysForUser"}, key: h.key}, 400, "InvalidRequestFields", ""},
			{"userId with NUL", request{path: run, body: cmd("FetchAllPasskeysForUser", map[string]string{"userId": "a\x00b"}), key: h.key}, 400, "InvalidRequestFields", ""},
			{"foreign additionalAllowedOrigin", request{path: run, body: cmd("StartPasskeyRegistration", map[string]string{"userId": "zed", "emailOrUsername": "zed", "additionalAllowedOrigin": "https://evil.example"}), key: h.key}, 400, "InvalidRequestFields",
				`{"fields":[{"field":"additionalAllowedOrigin","code":"not_allowed","message":"additionalAllowedOrigin must be one of the app's origins"}]}`},
			{"start authentication, unknown user", request{path: run, body: cmd("StartPasskeyAuthentication", map[string]string{"userId": "nobody"}), key: h.key}, 404, "UserNotFound", ""},
			{"start authentication, no passkeys", request{path: run, body: cmd("StartPasskeyAuthentication", map[string]string{"userId": "carol"}), key: h.key}, 409, "UserHasNoPasskeys", ""},
			{"finish registration, no publicKey", request{path: run, body: cmd("FinishPasskeyRegistration", map[string]string{"userId": "dave"}), key: h.key}, 400, "InvalidRequestFields", ""},
			{"finish registration, another user", request{path: run, body: cmd("FinishPasskeyRegistration", map[string]any{"userId": "alice", "publicKey": json.RawMessage(regResp)}), key: h.key}, 404, "NoRegistrationChallengeFound", ""},
			{"finish registration, malformed", request{path: run, body: cmd("FinishPasskeyRegistration", map[string]any{"userId": "dave", "publicKey": json.RawMessage(softauthn.Corrupt(regResp, softauthn.CorruptBase64))}), key: h.key}, 400, "BadRequest", ""},
			{"finish authentication, unknown challenge", request{path: run, body: cmd("FinishPasskeyAuthentication", map[string]any{"userId": "alice", "publicKey": assert(softauthn.WithChallenge("bm8gc3VjaCBjaGFsbGVuZ2U"))}), key: h.key}, 404, "NoAuthenticationChallengeFound", ""},
			{"finish authentication, wrong origin", request{path: run, body: cmd("FinishPasskeyAuthentication", map[string]any{"userId": "alice", "publicKey": assert(softauthn.WithOrigin("https://evil.example"))}), key: h.key}, 422, "VerificationFailed", ""},
			{"finish authentication, no user verification", request{path: run, body: cmd("FinishPasskeyAuthentication", map[string]any{"publicKey": assert(softauthn.WithoutUV())}), key: h.key}, 422, "VerificationFailed", ""},
			{"deregister, unknown credential", request{path: run, body: cmd("DeregisterPasskey", map[string]string{"userId": "alice", "credentialId": "AAAAAAAAAAAAAAAAAAAAAA"}), key: h.key}, 404, "PasskeyNotFound", ""},
			{"deregister, another user's credential", request{path: run, body: cmd("DeregisterPasskey", map[string]string{"userId": "bob", "credentialId": aliceCred}), key: h.key}, 404, "PasskeyNotFound", ""},
			{"deregister, unknown user", request{path: run, body: cmd("DeregisterPasskey", map[string]string{"userId": "nobody", "credentialId": aliceCred}), key: h.key}, 404, "PasskeyNotFound", ""},
			{"deregister, credentialId not base64url", request{path: run, body: cmd("DeregisterPasskey", map[string]string{"userId": "alice", "credentialId": "not base64!"}), key: h.key}, 400, "InvalidRequestFields", ""},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				h.unchanged(t, func() {
					f := wantCommandError(t, h.send(t, c.req), c.status, c.typ)
					if c.details != "" && string(f.Details) != c.details {
						t.Fatalf("details %s, want %s", f.Details, c.details)
					}
					if c.status < 500 && string(f.Details) == "null" {
						t.Fatalf("a %d without details", c.status)
					}
				})
			})
		}
		// Alice's ceremony survived every refusal.
		r := h.command("FinishPasskeyAuthentication", map[string]any{"userId": "alice", "publicKey": assert()})
		apitest.OK(t, r)
		if !strings.Contains(string(r.Body), aliceCred) {
			t.Fatalf("finish: %s", r.Body)
		}
		// A declared body over the limit is refused by the shared body limit
		// before any route runs, in the shared error shape.
		big := `{"command":"FetchAllPasskeysForUser","data":{"userId":"` + strings.Repeat("x", 1<<20) + `"}}`
		apitest.WantError(t, h.send(t, request{path: run, body: big, key: h.key}), http.StatusRequestEntityTooLarge, "request_too_large")
	})
}
