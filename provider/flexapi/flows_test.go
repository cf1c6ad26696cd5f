package flexapi_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/passbridge/passbridge/ceremony/softauthn"
	"github.com/passbridge/passbridge/provider/internal/apitest"
)

// A new user registers a passkey; the backend redeems the nonce for the
// external ID, once, and finds the user with its device.
func TestRegisterNewUser(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		a := softauthn.New(softauthn.Options{BackupEligible: true, BackedUp: true})
		nonce, cred := h.register(a, "alice")
		if got := h.verify(nonce); got != "alice" {
			t.Fatalf("verify: external_id %q, want alice", got)
		}
		apitest.WantError(t, h.mgmt(http.MethodPost, "/authenticate/verify", map[string]string{"nonce": nonce}), 401, "invalid_nonce")

		r := h.mgmt(http.MethodGet, "/users?identifier=alice", nil)
		apitest.OK(t, r)
		var list struct {
			Users []map[string]any `json:"users"`
			Total int              `json:"total_users"`
		}
		r.Decode(t, &list)
		if list.Total != 1 || len(list.Users) != 1 || list.Users[0]["external_id"] != "alice" {
			t.Fatalf("find users: %s", r.Body)
		}
		// Passage's typed SDKs need these fields present.
		for k, want := range map[string]any{"email": "", "email_verified": false, "phone": "", "phone_verified": false, "user_metadata": nil, "status": "active"} {
			if v, present := list.Users[0][k]; !present || v != want {
				t.Errorf("users[0].%s = %v (present %v), want %v", k, v, present, want)
			}
		}

		r = h.mgmt(http.MethodGet, "/users/"+h.userID("alice"), nil)
		apitest.OK(t, r)
		var got struct {
			User userJSON `json:"user"`
		}
		r.Decode(t, &got)
		u := got.User
		if u.ExternalID != "alice" || u.Status != "active" || !u.WebAuthn || len(u.WebAuthnDevices) != 1 ||
			strings.Join(u.WebAuthnTypes, ",") != "passkey" || u.LoginCount != 0 || u.LastLoginAt != nil {
			t.Fatalf("user: %s", r.Body)
		}
		if d := u.WebAuthnDevices[0]; d.CredID != b64(cred.ID) || d.UsageCount != 0 || d.LastLoginAt != nil {
			t.Fatalf("device: %+v", d)
		}
		var raw struct {
			User map[string]json.RawMessage `json:"user"`
		}
		r.Decode(t, &raw)
		for k, want := range map[string]string{"recent_events": "[]", "social_connections": "{}", "user_metadata": "null"} {
			if string(raw.User[k]) != want {
				t.Errorf("user.%s = %s, want %s", k, raw.User[k], want)
			}
		}
	})
}

// An existing user adds a second passkey, here a security key, through a
// register transaction for the same external ID.
func TestAddPasskeyToExistingUser(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		phone := softauthn.New(softauthn.Options{BackupEligible: true, BackedUp: true})
		h.verify(first(h.register(phone, "bob")))

		h.clock.Advance(time.Second)
		key := softauthn.New(softauthn.Options{Attachment: softauthn.AttachmentCrossPlatform, SignCount: 1})
		tx := h.createRegisterTransaction("bob")
		hs := h.start("/register/transactions/webauthn/start",
			map[string]string{"transaction_id": tx, "authenticator_attachment": "cross-platform"})
		resp, _, err := key.Register(hs.Handshake.Challenge.PublicKey, testOrigin)
		if err != nil {
			t.Fatal(err)
		}
		if got := h.verify(nonceOf(t, h.client("/register/transactions/webauthn/finish", finishBody(tx, hs.Handshake.ID, resp)))); got != "bob" {
			t.Fatalf("verify: %q", got)
		}
		ds := h.devices(h.userID("bob"))
		if len(ds) != 2 || ds[0].Type != "passkey" || ds[1].Type != "security_key" || ds[1].FriendlyName != "Security key" {
			t.Fatalf("devices: %+v", ds)
		}
		r := h.mgmt(http.MethodGet, "/users/"+h.userID("bob"), nil)
		var got struct{ User userJSON }
		r.Decode(t, &got)
		if strings.Join(got.User.WebAuthnTypes, ",") != "passkey,security_key" {
			t.Fatalf("webauthn_types %v", got.User.WebAuthnTypes)
		}
		// The existing passkey is excluded from the new registration.
		if !bytes.Contains(hs.Handshake.Challenge.PublicKey, []byte(b64(phone.Credentials()[0].ID))) {
			t.Fatalf("excludeCredentials lacks the existing passkey: %s", hs.Handshake.Challenge.PublicKey)
		}
	})
}

// The MFA pattern: the backend knows who signs in, creates an authenticate
// transaction, and gets the external ID back from the nonce.
func TestAuthenticateTransaction(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		a := softauthn.New(softauthn.Options{})
		h.verify(first(h.register(a, "carol")))
		h.clock.Advance(time.Minute)
		if got := h.verify(h.authenticate(a, "carol")); got != "carol" {
			t.Fatalf("verify: %q", got)
		}
		ds := h.devices(h.userID("carol"))
		if len(ds) != 1 || ds[0].UsageCount != 1 || ds[0].LastLoginAt == nil {
			t.Fatalf("device after one use: %+v", ds)
		}
		var got struct{ User userJSON }
		h.mgmt(http.MethodGet, "/users/"+h.userID("carol"), nil).Decode(t, &got)
		if got.User.LoginCount != 1 || got.User.LastLoginAt == nil {
			t.Fatalf("user after one login: %+v", got.User)
		}
	})
}

// Without a transaction the authentication is discoverable, and offered
// for conditional mediation; an empty body starts it too.
func TestDiscoverableAuthenticate(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		a := softauthn.New(softauthn.Options{BackupEligible: true})
		h.verify(first(h.register(a, "dave")))

		r := h.send(request{method: http.MethodPost, path: "/v1/apps/" + h.app.ID + "/authenticate/transactions/webauthn/start"})
		apitest.OK(t, r)
		var hs handshakeJSON
		r.Decode(t, &hs)
		h.track("", hs.Handshake.ID)
		if hs.Handshake.Challenge.Mediation != "conditional" {
			t.Fatalf("mediation %q, want conditional: %s", hs.Handshake.Challenge.Mediation, r.Body)
		}
		resp, err := a.Authenticate(hs.Handshake.Challenge.PublicKey, testOrigin)
		if err != nil {
			t.Fatal(err)
		}
		nonce := nonceOf(t, h.client("/authenticate/transactions/webauthn/finish", finishBody("", hs.Handshake.ID, resp)))
		if got := h.verify(nonce); got != "dave" {
			t.Fatalf("verify: %q", got)
		}
	})
}

// first returns its first argument, to chain a two-value call into one.
func first[A, B any](a A, _ B) A { return a }
