package account_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/passbridge/passbridge/ceremony/softauthn"
	"github.com/passbridge/passbridge/provider/internal/apitest"
	"github.com/passbridge/passbridge/storage"
)

// TestAccountRefusals: what the account API refuses changes nothing.
func TestAccountRefusals(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		alice := h.newBrowser(softauthn.Options{})
		alice.register("alice")
		bob := h.newBrowser(softauthn.Options{})
		bob.register("bob")
		alice.signIn()
		mine := alice.list().Passkeys[0]
		bob.signIn()
		theirs := bob.list().Passkeys[0]

		t.Run("another user's passkey", func(t *testing.T) {
			for _, r := range []request{
				{method: http.MethodPatch, path: h.passkeyPath(theirs.ID), body: map[string]string{"name": "Mine now"}},
				{method: http.MethodDelete, path: h.passkeyPath(theirs.ID), body: map[string]any{"confirm": true}},
				{method: http.MethodPatch, path: h.passkeyPath(storage.NewID()), body: map[string]string{"name": "Nobody's"}},
				{method: http.MethodDelete, path: h.passkeyPath(strings.Repeat("x", 200)), body: map[string]any{}},
			} {
				alice.do(r).wantError(t, http.StatusNotFound, "device_not_found")
			}
			d, ok := h.device(theirs.ID)
			if !ok || d.FriendlyName != theirs.Name {
				t.Errorf("bob's passkey changed: %+v", d)
			}
			if got := bob.list().Passkeys; len(got) != 1 || got[0].Name != theirs.Name {
				t.Errorf("bob's list: %+v", got)
			}
			// Nothing of bob's shows in alice's list.
			if got := alice.list().Passkeys; len(got) != 1 || got[0].ID != mine.ID {
				t.Errorf("alice's list: %+v", got)
			}
		})

		t.Run("signed out", func(t *testing.T) {
			anon := h.newBrowser(softauthn.Options{})
			for _, r := range []request{
				{method: http.MethodGet, path: "/account/api/passkeys?app_id=" + h.app.ID},
				{method: http.MethodPatch, path: h.passkeyPath(mine.ID), body: map[string]string{"name": "x"}},
				{method: http.MethodDelete, path: h.passkeyPath(mine.ID), body: map[string]any{"confirm": true}},
				{method: http.MethodPost, path: "/account/api/passkeys/transaction", body: map[string]string{"app_id": h.app.ID}},
				{method: http.MethodPost, path: "/account/passkeys", body: map[string]string{"app_id": h.app.ID, "nonce": "n"}},
			} {
				anon.do(r).wantError(t, http.StatusUnauthorized, "not_signed_in")
			}
			if _, ok := h.device(mine.ID); !ok {
				t.Error("a signed-out call removed the passkey")
			}
		})

		t.Run("forgery", func(t *testing.T) {
			nonce := alice.authenticate()
			calls := []request{
				{method: http.MethodPatch, path: h.passkeyPath(mine.ID), body: map[string]string{"name": "Forged"}},
				{method: http.MethodDelete, path: h.passkeyPath(mine.ID), body: map[string]any{"confirm": true}},
				{method: http.MethodPost, path: "/account/signout", body: map[string]string{"app_id": h.app.ID}},
				{method: http.MethodPost, path: "/account/api/passkeys/transaction", body: map[string]string{"app_id": h.app.ID}},
				{method: http.MethodPost, path: "/account/passkeys", body: map[string]string{"app_id": h.app.ID, "nonce": nonce}},
				{method: http.MethodPost, path: "/account/session", body: map[string]string{"app_id": h.app.ID, "nonce": nonce}},
			}
			for _, tc := range []struct {
				name        string
				origin      string
				contentType string
				status      int
				code        string
			}{
				{"another site", "https://evil.example", "", http.StatusForbidden, "origin_not_allowed"},
				{"the issuer's host on another port", "http://localhost:1", "", http.StatusForbidden, "origin_not_allowed"},
				{"an opaque origin", "null", "", http.StatusForbidden, "origin_not_allowed"},
				{"no origin", "-", "", http.StatusForbidden, "origin_not_allowed"},
				{"a form", "", "application/x-www-form-urlencoded", http.StatusUnsupportedMediaType, "unsupported_media_type"},
				{"a multipart form", "", "multipart/form-data; boundary=x", http.StatusUnsupportedMediaType, "unsupported_media_type"},
				{"plain text", "", "text/plain", http.StatusUnsupportedMediaType, "unsupported_media_type"},
			} {
				t.Run(tc.name, func(t *testing.T) {
					for _, r := range calls {
						r.origin, r.contentType = tc.origin, tc.contentType
						alice.do(r).wantError(t, tc.status, tc.code)
					}
				})
			}
			// Nothing happened: the passkey is there under its name, the
			// session lives, no transaction was made, the nonce is unspent.
			if d, ok := h.device(mine.ID); !ok || d.FriendlyName != mine.Name {
				t.Errorf("passkey after forged calls: %+v %v", d, ok)
			}
			alice.list()
			a := alice.do(request{method: http.MethodPost, path: "/account/session", body: map[string]string{"app_id": h.app.ID, "nonce": nonce}})
			if a.status != http.StatusOK {
				t.Errorf("the nonce the forged calls carried: %d %s", a.status, a.body)
			}
		})

		t.Run("nonces", func(t *testing.T) {
			// Bob adds passkeys on other devices.
			bobsRegistration := h.newBrowser(softauthn.Options{}).register("bob")
			alice.do(request{method: http.MethodPost, path: "/account/passkeys",
				body: map[string]string{"app_id": h.app.ID, "nonce": bobsRegistration}}).wantError(t, http.StatusForbidden, "wrong_user")
			alice.do(request{method: http.MethodPost, path: "/account/passkeys",
				body: map[string]string{"app_id": h.app.ID, "nonce": alice.authenticate()}}).wantError(t, http.StatusBadRequest, "wrong_ceremony")
			alice.do(request{method: http.MethodPost, path: "/account/session",
				body: map[string]string{"app_id": h.app.ID, "nonce": h.newBrowser(softauthn.Options{}).register("bob")}}).wantError(t, http.StatusBadRequest, "wrong_ceremony")
			for _, nonce := range []string{"not-a-nonce", strings.Repeat("n", 5000)} {
				alice.do(request{method: http.MethodPost, path: "/account/session",
					body: map[string]string{"app_id": h.app.ID, "nonce": nonce}}).wantError(t, http.StatusBadRequest, "invalid_nonce")
			}
			alice.do(request{method: http.MethodPost, path: "/account/session",
				body: map[string]string{"app_id": h.app.ID}}).wantError(t, http.StatusBadRequest, "invalid_request")
			// Still alice, with her one passkey.
			if v := alice.list(); v.User.ExternalID != "alice" || len(v.Passkeys) != 1 {
				t.Errorf("after refused nonces: %+v", v)
			}
		})

		t.Run("bodies", func(t *testing.T) {
			for _, tc := range []struct {
				name string
				body any
			}{
				{"not UTF-8", []byte("{\"name\": \"\xff\xfe\"}")},
				{"not JSON", "name=x"},
				{"an array", `["x"]`},
				{"two objects", `{"name":"a"}{"name":"b"}`},
				{"empty", ""},
			} {
				t.Run(tc.name, func(t *testing.T) {
					alice.do(request{method: http.MethodPatch, path: h.passkeyPath(mine.ID), body: tc.body, contentType: "application/json"}).
						wantError(t, http.StatusBadRequest, "invalid_request")
				})
			}
			if d, _ := h.device(mine.ID); d.FriendlyName != mine.Name {
				t.Errorf("renamed to %q by a bad body", d.FriendlyName)
			}
		})

		t.Run("apps", func(t *testing.T) {
			elsewhere, _ := apitest.CreateApp(t, h.ctx, h.store, h.clock.Now(), "Elsewhere", "elsewhere.example", "https://elsewhere.example")
			for _, tc := range []struct {
				app    string
				status int
				code   string
			}{
				{"", http.StatusBadRequest, "invalid_request"},
				{storage.NewID(), http.StatusNotFound, "app_not_found"},
				{strings.Repeat("a", 300), http.StatusNotFound, "app_not_found"},
				{elsewhere.ID, http.StatusConflict, "app_misconfigured"},
			} {
				alice.do(request{method: http.MethodGet, path: "/account/api/passkeys?app_id=" + tc.app}).wantError(t, tc.status, tc.code)
				alice.do(request{method: http.MethodPost, path: "/account/session", body: map[string]string{"app_id": tc.app, "nonce": "n"}}).
					wantError(t, tc.status, tc.code)
				alice.do(request{method: http.MethodPost, path: "/account/signout", body: map[string]string{"app_id": tc.app}}).
					wantError(t, tc.status, tc.code)
			}
			alice.list()
		})
	})
}

// TestAccountRateLimit: the account page's ceremony calls count against the
// per-address limit, as the login page's do; reading the list does not.
func TestAccountRateLimit(t *testing.T) {
	h := newHarness(t, openSQLite(t), harnessOptions{rate: 0.001, burst: 2})
	b := h.newBrowser(softauthn.Options{})
	for i, want := range []int{http.StatusBadRequest, http.StatusBadRequest, http.StatusTooManyRequests} {
		a := b.do(request{method: http.MethodPost, path: "/account/session", body: map[string]string{"app_id": h.app.ID, "nonce": "n"}})
		if a.status != want {
			t.Fatalf("call %d: %d %s, want %d", i+1, a.status, a.body, want)
		}
	}
	for _, path := range []string{"/account/passkeys", "/account/api/passkeys/transaction"} {
		b.do(request{method: http.MethodPost, path: path, body: map[string]string{"app_id": h.app.ID}}).
			wantError(t, http.StatusTooManyRequests, "rate_limited")
	}
	for range 5 {
		b.listAnswer().wantError(t, http.StatusUnauthorized, "not_signed_in")
	}
}
