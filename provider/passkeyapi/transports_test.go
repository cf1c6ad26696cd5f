package passkeyapi_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/passbridge/passbridge/ceremony/softauthn"
	"github.com/passbridge/passbridge/provider/internal/apitest"
)

// A registration keeps only the transports WebAuthn L3 §5.8.4 defines, each
// once, in the order the client first named them; the rest are dropped
// without refusing the registration. This holds for REST finish in either
// body shape and for the command form.
func TestRegisterTransportsFiltered(t *testing.T) {
	sent := []string{"<script>", "nfc", "a\x00b", strings.Repeat("x", 20000), "nfc", "ble", "smart-card", "Internal", "ble", "hybrid"}
	want := []string{"nfc", "ble", "smart-card", "hybrid"}
	forEachEngine(t, func(t *testing.T, h *harness) {
		rest := func(t *testing.T, userID string, mods ...softauthn.Mod) []string {
			a := softauthn.New(softauthn.Options{Attachment: softauthn.AttachmentCrossPlatform, Transports: sent})
			resp, _, err := a.Register(h.registrationOptions(userID), testOrigin, mods...)
			if err != nil {
				t.Fatal(err)
			}
			r := h.post("/passkeys/register/finish", map[string]any{"user_id": userID, "publicKey": json.RawMessage(resp)})
			apitest.OK(t, r)
			var v struct {
				Device struct {
					Transports []string `json:"transports"`
				} `json:"device"`
			}
			r.Decode(t, &v)
			return v.Device.Transports
		}
		for _, tc := range []struct {
			name     string
			userID   string
			register func(t *testing.T, userID string) []string // the device JSON's transports
			hasJSON  bool                                       // the answer holds device JSON
		}{
			{"REST", "rita", func(t *testing.T, userID string) []string { return rest(t, userID) }, true},
			{"REST, Passage SDK shape", "ross", func(t *testing.T, userID string) []string {
				return rest(t, userID, softauthn.WithPassageShape())
			}, true},
			{"command", "cora", func(t *testing.T, userID string) []string {
				r := h.command("StartPasskeyRegistration", map[string]string{"userId": userID, "emailOrUsername": userID})
				apitest.OK(t, r)
				var v struct {
					RegistrationOptions json.RawMessage `json:"registrationOptions"`
				}
				r.Decode(t, &v)
				a := softauthn.New(softauthn.Options{Attachment: softauthn.AttachmentCrossPlatform, Transports: sent})
				resp, _, err := a.Register(v.RegistrationOptions, testOrigin)
				if err != nil {
					t.Fatal(err)
				}
				apitest.OK(t, h.command("FinishPasskeyRegistration", map[string]any{"userId": userID, "publicKey": json.RawMessage(resp)}))
				return nil
			}, false},
		} {
			t.Run(tc.name, func(t *testing.T) {
				if got := tc.register(t, tc.userID); tc.hasJSON && !reflect.DeepEqual(got, want) {
					t.Errorf("device JSON transports %q, want %q", apitest.Shorten(got), want)
				}
				u, err := h.store.GetUserByExternalID(h.ctx, h.app.ID, tc.userID)
				if err != nil {
					t.Fatal(err)
				}
				stored, err := h.store.ListDevices(h.ctx, h.app.ID, u.ID)
				if err != nil {
					t.Fatal(err)
				}
				if len(stored) != 1 || !reflect.DeepEqual(stored[0].Transports, want) {
					t.Fatalf("stored transports %q, want %q", apitest.Shorten(stored[0].Transports), want)
				}
				apitest.WantAllowedTransports(t, h.authenticationOptions(tc.userID), want)
			})
		}
	})
}
