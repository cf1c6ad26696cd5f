package passkeyapi_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/passbridge/passbridge/ceremony"
	"github.com/passbridge/passbridge/ceremony/softauthn"
	"github.com/passbridge/passbridge/provider/internal/apitest"
	"github.com/passbridge/passbridge/storage"
)

// setStatus deactivates or reactivates a user as an administrator does.
func (h *harness) setStatus(externalID, status string) {
	h.t.Helper()
	svc, err := ceremony.New(ceremony.Config{Store: h.store, AAGUIDs: apitest.Registry(h.t)})
	if err != nil {
		h.t.Fatal(err)
	}
	u, err := h.store.GetUserByExternalID(h.ctx, h.app.ID, externalID)
	if err != nil {
		h.t.Fatal(err)
	}
	if _, err := svc.SetUserStatus(h.ctx, h.app, u.ID, status, "cli"); err != nil {
		h.t.Fatal(err)
	}
}

// An inactive user gets no ceremony from the start/finish API, in its REST
// or its command form: no start, and no finish of a ceremony begun before
// the deactivation, bound or discoverable; each refusal changes nothing.
// Reactivated, the same passkey signs in again.
func TestDeactivatedUserIsOff(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		a := softauthn.New(softauthn.Options{BackupEligible: true})
		h.register(a, "u-1")
		regResp, _, err := softauthn.New(softauthn.Options{}).Register(h.registrationOptions("u-1"), testOrigin)
		if err != nil {
			t.Fatal(err)
		}
		boundResp, err := a.Authenticate(h.authenticationOptions("u-1"), testOrigin)
		if err != nil {
			t.Fatal(err)
		}
		h.setStatus("u-1", storage.UserInactive)
		// A discoverable ceremony starts for anyone; its finish names the user.
		discResp, err := a.Authenticate(h.authenticationOptions(""), testOrigin)
		if err != nil {
			t.Fatal(err)
		}

		type call struct {
			path string
			body any
		}
		for _, tc := range []struct {
			name string
			rest call
			cmd  call
		}{
			{"register start",
				call{"/passkeys/register/start", map[string]string{"user_id": "u-1", "email_or_username": "u-1"}},
				call{"StartPasskeyRegistration", map[string]string{"userId": "u-1", "emailOrUsername": "u-1"}}},
			{"register finish of a ceremony of before",
				call{"/passkeys/register/finish", map[string]any{"user_id": "u-1", "publicKey": json.RawMessage(regResp)}},
				call{"FinishPasskeyRegistration", map[string]any{"userId": "u-1", "publicKey": json.RawMessage(regResp)}}},
			{"authenticate start",
				call{"/passkeys/authenticate/start", map[string]string{"user_id": "u-1"}},
				call{"StartPasskeyAuthentication", map[string]string{"userId": "u-1"}}},
			{"authenticate finish of a ceremony of before",
				call{"/passkeys/authenticate/finish", map[string]any{"user_id": "u-1", "publicKey": json.RawMessage(boundResp)}},
				call{"FinishPasskeyAuthentication", map[string]any{"userId": "u-1", "publicKey": json.RawMessage(boundResp)}}},
			{"discoverable authenticate finish",
				call{"/passkeys/authenticate/finish", map[string]any{"publicKey": json.RawMessage(discResp)}},
				call{"FinishPasskeyAuthentication", map[string]any{"publicKey": json.RawMessage(discResp)}}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				h.unchanged(t, func() {
					apitest.WantError(t, h.post(tc.rest.path, tc.rest.body), http.StatusForbidden, "user_inactive")
					wantCommandError(t, h.command(tc.cmd.path, tc.cmd.body), http.StatusForbidden, "UserInactive")
				})
			})
		}

		h.setStatus("u-1", storage.UserActive)
		for _, userID := range []string{"u-1", ""} {
			resp, err := a.Authenticate(h.authenticationOptions(userID), testOrigin)
			if err != nil {
				t.Fatal(err)
			}
			r := h.post("/passkeys/authenticate/finish", map[string]any{"user_id": userID, "publicKey": json.RawMessage(resp)})
			apitest.OK(t, r)
			var v struct {
				ExternalID string `json:"external_id"`
			}
			r.Decode(t, &v)
			if v.ExternalID != "u-1" {
				t.Fatalf("sign-in after reactivation: %s", r.Body)
			}
		}
	})
}
