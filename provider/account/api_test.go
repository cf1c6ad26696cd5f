package account_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/passbridge/passbridge/ceremony/softauthn"
	"github.com/passbridge/passbridge/storage"
)

// TestAccountAPI walks the account page's calls as its script makes them:
// sign in with a passkey's nonce, list, rename, add a second passkey,
// remove it, then the last one, which needs a confirmation and ends the
// session it made.
func TestAccountAPI(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		b := h.newBrowser(softauthn.Options{AAGUID: aaguidApple, BackupEligible: true, BackedUp: true})
		b.register("alice")

		b.listAnswer().wantError(t, http.StatusUnauthorized, "not_signed_in")
		b.signIn()

		v := b.list()
		u, err := h.store.GetUserByExternalID(h.ctx, h.app.ID, "alice")
		if err != nil {
			t.Fatal(err)
		}
		if v.AppID != h.app.ID || v.RPID != "localhost" || v.User.ExternalID != "alice" || v.User.Handle != b64(u.Handle) ||
			v.User.Name != "alice@example.com" || v.User.DisplayName != "alice@example.com" {
			t.Errorf("list names %+v", v)
		}
		if len(v.Passkeys) != 1 {
			t.Fatalf("%d passkeys, want 1", len(v.Passkeys))
		}
		first := v.Passkeys[0]
		creds := b.Auth.Credentials()
		if first.Name != "Apple Passwords" || first.AuthenticatorName == nil || *first.AuthenticatorName != "Apple Passwords" || first.Type != storage.DeviceTypePasskey ||
			!first.Synced || !first.Current || first.CredID != b64(creds[0].ID) || first.LastUsedAt == nil || first.CreatedAt == "" {
			t.Errorf("passkey %+v", first)
		}
		if first.Icons.Light == nil || first.Icons.Dark == nil || !strings.HasPrefix(*first.Icons.Light, "data:image/svg+xml") {
			t.Errorf("passkey icons %+v", first.Icons)
		}

		t.Run("rename", func(t *testing.T) {
			for _, tc := range []struct {
				name string
				body any
			}{
				{"empty", map[string]string{"name": "   "}},
				{"too long", map[string]string{"name": strings.Repeat("é", 101)}},
				{"control character", map[string]string{"name": "Work\nlaptop"}},
				{"not a string", map[string]any{"name": 42}},
			} {
				a := b.do(request{method: http.MethodPatch, path: h.passkeyPath(first.ID), body: tc.body})
				a.wantError(t, http.StatusBadRequest, "invalid_request")
			}
			a := b.do(request{method: http.MethodPatch, path: h.passkeyPath(first.ID), body: map[string]string{"name": "  Work laptop  "}})
			var out struct{ Passkey passkeyView }
			a.decode(t, &out)
			if a.status != http.StatusOK || out.Passkey.Name != "Work laptop" || out.Passkey.ID != first.ID || !out.Passkey.Current {
				t.Fatalf("rename: %d %s", a.status, a.body)
			}
			if got := b.list().Passkeys[0].Name; got != "Work laptop" {
				t.Errorf("listed as %q after the rename", got)
			}
			a = b.do(request{method: http.MethodPatch, path: h.passkeyPath(first.ID), body: map[string]string{"name": strings.Repeat("é", 100)}})
			if a.status != http.StatusOK {
				t.Errorf("a name of 100 characters: %d %s", a.status, a.body)
			}
		})

		var second passkeyView
		t.Run("add a passkey", func(t *testing.T) {
			a := b.do(request{method: http.MethodPost, path: "/account/api/passkeys/transaction", body: map[string]string{"app_id": h.app.ID}})
			var tx struct {
				AppID         string `json:"app_id"`
				TransactionID string `json:"transaction_id"`
			}
			a.decode(t, &tx)
			if a.status != http.StatusOK || tx.AppID != h.app.ID || tx.TransactionID == "" {
				t.Fatalf("transaction: %d %s", a.status, a.body)
			}
			// The new passkey is made on another device: a Windows PC.
			h.clock.Advance(time.Second)
			b.Auth = softauthn.New(softauthn.Options{AAGUID: aaguidWindows})
			nonce := b.FlexRegister(tx.TransactionID, "any")
			a = b.do(request{method: http.MethodPost, path: "/account/passkeys", body: map[string]string{"app_id": h.app.ID, "nonce": nonce}})
			var out struct{ Passkey passkeyView }
			a.decode(t, &out)
			if a.status != http.StatusOK || out.Passkey.Name != "Windows Hello" || out.Passkey.Synced || out.Passkey.Current ||
				out.Passkey.Type != storage.DeviceTypePlatform || out.Passkey.LastUsedAt != nil {
				t.Fatalf("added: %d %s", a.status, a.body)
			}
			second = out.Passkey
			// The nonce is spent.
			a = b.do(request{method: http.MethodPost, path: "/account/passkeys", body: map[string]string{"app_id": h.app.ID, "nonce": nonce}})
			a.wantError(t, http.StatusBadRequest, "invalid_nonce")
			v := b.list()
			if len(v.Passkeys) != 2 || v.Passkeys[1].ID != second.ID || v.Passkeys[1].Icons.Light == nil {
				t.Fatalf("list after adding: %+v", v.Passkeys)
			}
		})

		t.Run("remove one", func(t *testing.T) {
			a := b.do(request{method: http.MethodDelete, path: h.passkeyPath(second.ID), body: map[string]any{}})
			var out listView
			a.decode(t, &out)
			if a.status != http.StatusOK || out.SignedOut || len(out.Passkeys) != 1 || out.Passkeys[0].ID != first.ID ||
				out.User.Handle != v.User.Handle || out.RPID != "localhost" {
				t.Fatalf("remove: %d %s", a.status, a.body)
			}
			if _, ok := h.device(second.ID); ok {
				t.Error("the device is still stored")
			}
		})

		t.Run("the last passkey needs a confirmation", func(t *testing.T) {
			for _, body := range []any{nil, map[string]any{}, map[string]any{"confirm": false}} {
				a := b.do(request{method: http.MethodDelete, path: h.passkeyPath(first.ID), body: body, contentType: "application/json"})
				a.wantError(t, http.StatusConflict, "last_passkey")
			}
			if _, ok := h.device(first.ID); !ok {
				t.Fatal("the last passkey went without a confirmation")
			}
			b.list() // still signed in
			a := b.do(request{method: http.MethodDelete, path: h.passkeyPath(first.ID), body: map[string]any{"confirm": true}})
			var out listView
			a.decode(t, &out)
			// It made this session: the session ended with it.
			if a.status != http.StatusOK || !out.SignedOut || len(out.Passkeys) != 0 || out.User.Handle != v.User.Handle {
				t.Fatalf("remove the last: %d %s", a.status, a.body)
			}
			if !clearsSession(a, h.app.ID) {
				t.Errorf("the answer does not clear the session cookie: %v", a.header.Values("Set-Cookie"))
			}
			b.listAnswer().wantError(t, http.StatusUnauthorized, "not_signed_in")
			if _, err := h.store.GetUserByExternalID(h.ctx, h.app.ID, "alice"); err != nil {
				t.Errorf("the user went with their passkeys: %v", err)
			}
		})
	})
}

// TestAccountRemoveSessionPasskey removes the passkey the session was made
// with while another remains: the session ends, without a confirmation.
func TestAccountRemoveSessionPasskey(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		b := h.newBrowser(softauthn.Options{})
		b.register("alice")
		h.clock.Advance(time.Second)
		other := h.newBrowser(softauthn.Options{})
		other.register("alice")
		b.signIn()
		v := b.list()
		if len(v.Passkeys) != 2 || !v.Passkeys[0].Current || v.Passkeys[1].Current {
			t.Fatalf("passkeys %+v", v.Passkeys)
		}
		a := b.do(request{method: http.MethodDelete, path: h.passkeyPath(v.Passkeys[0].ID), body: map[string]any{}})
		var out listView
		a.decode(t, &out)
		if a.status != http.StatusOK || !out.SignedOut || len(out.Passkeys) != 1 || out.Passkeys[0].ID != v.Passkeys[1].ID ||
			out.Passkeys[0].AuthenticatorName != nil || out.Passkeys[0].Icons.Light != nil {
			t.Fatalf("remove: %d %s", a.status, a.body)
		}
		b.listAnswer().wantError(t, http.StatusUnauthorized, "not_signed_in")
		// The other passkey signs in again.
		other.signIn()
		if got := other.list().Passkeys; len(got) != 1 || !got[0].Current {
			t.Errorf("after signing in again: %+v", got)
		}
	})
}

// TestAccountSignOut ends the session; signing out again is no error.
func TestAccountSignOut(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		b := h.newBrowser(softauthn.Options{})
		b.register("alice")
		b.signIn()
		b.list()
		for range 2 {
			a := b.do(request{method: http.MethodPost, path: "/account/signout", body: map[string]string{"app_id": h.app.ID}})
			if a.status != http.StatusOK || strings.TrimSpace(string(a.body)) != `{"signed_in":false}` || !clearsSession(a, h.app.ID) {
				t.Fatalf("sign out: %d %s %v", a.status, a.body, a.header.Values("Set-Cookie"))
			}
			b.listAnswer().wantError(t, http.StatusUnauthorized, "not_signed_in")
		}
	})
}

// clearsSession reports whether the answer clears the session cookie of
// app appID.
func clearsSession(a answer, appID string) bool {
	for _, c := range a.header.Values("Set-Cookie") {
		if strings.HasPrefix(c, "pb_session_"+appID+"=;") && strings.Contains(c, "Max-Age=0") {
			return true
		}
	}
	return false
}
