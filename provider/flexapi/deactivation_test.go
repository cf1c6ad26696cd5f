package flexapi_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/passbridge/passbridge/ceremony/softauthn"
	"github.com/passbridge/passbridge/provider/internal/apitest"
	"github.com/passbridge/passbridge/storage"
)

// setStatus deactivates or reactivates a user as an administrator does.
func (h *harness) setStatus(externalID, status string) {
	h.t.Helper()
	if _, err := h.svc.SetUserStatus(h.ctx, h.app, h.userID(externalID), status, "cli"); err != nil {
		h.t.Fatal(err)
	}
}

// An inactive user gets no transaction, no ceremony (whether it began
// before the deactivation or not, bound or discoverable) and no identity
// from a nonce issued before; each refusal changes nothing. Reactivated,
// the same passkey signs in again.
func TestDeactivatedUserIsOff(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		a := softauthn.New(softauthn.Options{BackupEligible: true})
		h.register(a, "dana")
		pending := h.authenticate(a, "dana") // not redeemed yet
		// Ceremonies under way: a registration of a second passkey and an
		// authentication, each started; a register transaction not started.
		regTx := h.createRegisterTransaction("dana")
		regHs := h.registerStart(regTx)
		regResp, _, err := softauthn.New(softauthn.Options{}).Register(regHs.Handshake.Challenge.PublicKey, testOrigin)
		if err != nil {
			t.Fatal(err)
		}
		unstarted := h.createRegisterTransaction("dana")
		authTx := h.createAuthenticateTransaction("dana")
		authHs := h.authenticateStart(authTx)
		authResp, err := a.Authenticate(authHs.Handshake.Challenge.PublicKey, testOrigin)
		if err != nil {
			t.Fatal(err)
		}
		h.clock.Advance(time.Second)
		h.setStatus("dana", storage.UserInactive)

		// A discoverable ceremony starts for anyone; its finish names the user.
		discHs := h.authenticateStart("")
		discResp, err := a.Authenticate(discHs.Handshake.Challenge.PublicKey, testOrigin)
		if err != nil {
			t.Fatal(err)
		}

		r := h.mgmt(http.MethodGet, "/users/"+h.userID("dana"), nil)
		apitest.OK(t, r)
		var got struct{ User userJSON }
		r.Decode(t, &got)
		if got.User.Status != storage.UserInactive {
			t.Fatalf("user status %q over the API", got.User.Status)
		}

		for _, tc := range []struct {
			name   string
			call   func() apitest.Response
			status int
			code   string
		}{
			{"nonce issued before", func() apitest.Response {
				return h.mgmt(http.MethodPost, "/authenticate/verify", map[string]string{"nonce": pending})
			}, http.StatusUnauthorized, "invalid_nonce"},
			{"register transaction", func() apitest.Response {
				return h.mgmt(http.MethodPost, "/transactions/register", map[string]string{"external_id": "dana"})
			}, http.StatusForbidden, "cannot_create_transaction"},
			{"authenticate transaction", func() apitest.Response {
				return h.mgmt(http.MethodPost, "/transactions/authenticate", map[string]string{"external_id": "dana"})
			}, http.StatusForbidden, "cannot_create_transaction"},
			{"register start of a transaction of before", func() apitest.Response {
				return h.client("/register/transactions/webauthn/start", map[string]string{"transaction_id": unstarted})
			}, http.StatusForbidden, "user_inactive"},
			{"register finish of a ceremony of before", func() apitest.Response {
				return h.client("/register/transactions/webauthn/finish", finishBody(regTx, regHs.Handshake.ID, regResp))
			}, http.StatusForbidden, "user_inactive"},
			{"authenticate start of a transaction of before", func() apitest.Response {
				return h.client("/authenticate/transactions/webauthn/start", map[string]string{"transaction_id": authTx})
			}, http.StatusForbidden, "user_inactive"},
			{"authenticate finish of a ceremony of before", func() apitest.Response {
				return h.client("/authenticate/transactions/webauthn/finish", finishBody(authTx, authHs.Handshake.ID, authResp))
			}, http.StatusForbidden, "user_inactive"},
			{"discoverable authentication", func() apitest.Response {
				return h.client("/authenticate/transactions/webauthn/finish", finishBody("", discHs.Handshake.ID, discResp))
			}, http.StatusForbidden, "user_inactive"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				h.unchanged(t, func() { apitest.WantError(t, tc.call(), tc.status, tc.code) })
			})
		}

		h.setStatus("dana", storage.UserActive)
		if got := h.verify(h.authenticate(a, "dana")); got != "dana" {
			t.Fatalf("sign-in after reactivation verified as %q", got)
		}
		if got := h.verify(h.authenticate(a, "")); got != "dana" {
			t.Fatalf("discoverable sign-in after reactivation verified as %q", got)
		}
	})
}
