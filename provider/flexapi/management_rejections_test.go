package flexapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/passbridge/passbridge/ceremony/softauthn"
	"github.com/passbridge/passbridge/provider/internal/apitest"
)

// rejection is one refused request and the answer it must get.
type rejection struct {
	name   string
	req    request
	status int
	code   string
}

// refuse sends every case and checks its answer and that the store stayed
// as it was.
func refuse(t *testing.T, h *harness, cases []rejection) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h.unchanged(t, func() {
				apitest.WantError(t, h.sendT(t, c.req), c.status, c.code)
			})
		})
	}
}

// Requests the management API refuses before or instead of acting: unknown
// apps and routes, missing or wrong keys, bad bodies and parameters,
// unknown users and devices.
func TestManagementRejections(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		a := softauthn.New(softauthn.Options{})
		h.register(a, "alice")
		h.register(softauthn.New(softauthn.Options{}), "bob")
		h.createRegisterTransaction("nopasskey")
		alice, bob := h.userID("alice"), h.userID("bob")
		aliceDev, bobDev := h.devices(alice)[0].ID, h.devices(bob)[0].ID

		base := "/v1/apps/" + h.app.ID
		key := map[string]string{"Authorization": "Bearer " + h.key}
		withKey := func(method, path string, body any) request {
			return request{method: method, path: base + path, body: body, header: key}
		}
		register := map[string]string{"external_id": "zed"}
		cases := []rejection{
			{"unknown app", request{method: "POST", path: "/v1/apps/nosuchapp/transactions/register", body: register, header: key}, 404, "app_not_found"},
			{"unknown app users", request{method: "GET", path: "/v1/apps/nosuchapp/users", header: key}, 404, "app_not_found"},
			{"app id not UTF-8", request{method: "GET", path: "/v1/apps/%FF%FE/users", header: key}, 404, "app_not_found"},
			{"app id with NUL", request{method: "GET", path: "/v1/apps/a%00b/users", header: key}, 404, "app_not_found"},
			{"no key", request{method: "POST", path: base + "/transactions/register", body: register}, 401, "invalid_access_token"},
			{"basic scheme", request{method: "POST", path: base + "/transactions/register", body: register, header: map[string]string{"Authorization": "Basic " + h.key}}, 401, "invalid_access_token"},
			{"bearer without token", request{method: "POST", path: base + "/transactions/register", body: register, header: map[string]string{"Authorization": "Bearer"}}, 401, "invalid_access_token"},
			{"two tokens", request{method: "POST", path: base + "/transactions/register", body: register, header: map[string]string{"Authorization": "Bearer " + h.key + " x"}}, 401, "invalid_access_token"},
			{"unknown key", request{method: "POST", path: base + "/transactions/register", body: register, header: map[string]string{"Authorization": "Bearer pbk_nosuchkey"}}, 401, "invalid_access_token"},
			{"another app's key", request{method: "POST", path: base + "/transactions/register", body: register, header: map[string]string{"Authorization": "Bearer " + h.otherK}}, 401, "invalid_access_token"},
			{"another app's key on users", request{method: "GET", path: base + "/users/" + alice, header: map[string]string{"Authorization": "Bearer " + h.otherK}}, 401, "invalid_access_token"},
			{"unknown route", withKey("GET", "/nothing-here", nil), 404, "not_found"},
			{"unknown route outside apps", withKey("GET", "/v1/nothing", nil), 404, "not_found"},
			{"wrong method", withKey("PUT", "/users", nil), 405, "method_not_allowed"},

			{"body not JSON", withKey("POST", "/transactions/register", "{not json"), 400, "invalid_request"},
			{"body an array", withKey("POST", "/transactions/register", "[]"), 400, "invalid_request"},
			{"body empty", withKey("POST", "/transactions/register", ""), 400, "invalid_request"},
			{"external_id a number", withKey("POST", "/transactions/register", `{"external_id": 5}`), 400, "invalid_request"},
			{"external_id missing", withKey("POST", "/transactions/register", map[string]string{"passkey_display_name": "x"}), 400, "invalid_request"},
			{"external_id too long", withKey("POST", "/transactions/register", map[string]string{"external_id": strings.Repeat("x", 256)}), 400, "invalid_request"},
			{"external_id with NUL", withKey("POST", "/transactions/register", map[string]string{"external_id": "a\x00b"}), 400, "invalid_request"},
			{"display name with controls", withKey("POST", "/transactions/register", map[string]string{"external_id": "zed", "passkey_display_name": "a\u202eb"}), 400, "invalid_request"},
			{"oversized body", withKey("POST", "/transactions/register", `{"external_id":"zed","pad":"`+strings.Repeat("x", 1<<20)+`"}`), 413, "request_too_large"},

			{"authenticate unknown user", withKey("POST", "/transactions/authenticate", map[string]string{"external_id": "nobody"}), 404, "user_not_found"},
			{"authenticate user without passkeys", withKey("POST", "/transactions/authenticate", map[string]string{"external_id": "nopasskey"}), 409, "user_has_no_passkeys"},
			{"authenticate without external_id", withKey("POST", "/transactions/authenticate", map[string]string{}), 400, "invalid_request"},

			{"verify without nonce", withKey("POST", "/authenticate/verify", map[string]string{}), 400, "invalid_request"},
			{"verify unknown nonce", withKey("POST", "/authenticate/verify", map[string]string{"nonce": "no-such-nonce"}), 401, "invalid_nonce"},
			{"verify huge nonce", withKey("POST", "/authenticate/verify", map[string]string{"nonce": strings.Repeat("n", 5000)}), 401, "invalid_nonce"},

			{"unknown user", withKey("GET", "/users/nosuchuser", nil), 404, "user_not_found"},
			{"user id not UTF-8", withKey("GET", "/users/%FF", nil), 404, "user_not_found"},
			{"user id with NUL", withKey("GET", "/users/a%00b", nil), 404, "user_not_found"},
			{"user id too long", withKey("GET", "/users/"+strings.Repeat("u", 300), nil), 404, "user_not_found"},
			{"devices of unknown user", withKey("GET", "/users/nosuchuser/devices", nil), 404, "user_not_found"},
			{"delete unknown user", withKey("DELETE", "/users/nosuchuser", nil), 404, "user_not_found"},
			{"delete user id not UTF-8", withKey("DELETE", "/users/%FF", nil), 404, "user_not_found"},
			{"rename unknown device", withKey("PATCH", "/users/"+alice+"/devices/nosuchdevice", map[string]string{"friendly_name": "x"}), 404, "device_not_found"},
			{"rename another user's device", withKey("PATCH", "/users/"+alice+"/devices/"+bobDev, map[string]string{"friendly_name": "x"}), 404, "device_not_found"},
			{"rename device of unknown user", withKey("PATCH", "/users/nosuchuser/devices/"+aliceDev, map[string]string{"friendly_name": "x"}), 404, "device_not_found"},
			{"rename without name", withKey("PATCH", "/users/"+alice+"/devices/"+aliceDev, map[string]string{}), 400, "invalid_request"},
			{"rename to blanks", withKey("PATCH", "/users/"+alice+"/devices/"+aliceDev, map[string]string{"friendly_name": "   "}), 400, "invalid_request"},
			{"rename too long", withKey("PATCH", "/users/"+alice+"/devices/"+aliceDev, map[string]string{"friendly_name": strings.Repeat("n", 101)}), 400, "invalid_request"},
			{"revoke unknown device", withKey("DELETE", "/users/"+alice+"/devices/nosuchdevice", nil), 404, "device_not_found"},
			{"revoke another user's device", withKey("DELETE", "/users/"+alice+"/devices/"+bobDev, nil), 404, "device_not_found"},
			{"revoke device id not UTF-8", withKey("DELETE", "/users/"+alice+"/devices/%FF", nil), 404, "device_not_found"},

			{"limit 0", withKey("GET", "/users?limit=0", nil), 400, "invalid_request"},
			{"limit 101", withKey("GET", "/users?limit=101", nil), 400, "invalid_request"},
			{"limit negative", withKey("GET", "/users?limit=-1", nil), 400, "invalid_request"},
			{"limit not a number", withKey("GET", "/users?limit=ten", nil), 400, "invalid_request"},
			{"limit fractional", withKey("GET", "/users?limit=1.5", nil), 400, "invalid_request"},
			{"page 0", withKey("GET", "/users?page=0", nil), 400, "invalid_request"},
			{"page negative", withKey("GET", "/users?page=-2", nil), 400, "invalid_request"},
			{"page not a number", withKey("GET", "/users?page=two", nil), 400, "invalid_request"},
			{"page beyond int", withKey("GET", "/users?page=99999999999999999999", nil), 400, "invalid_request"},
			{"page too deep", withKey("GET", "/users?limit=100&page=99999999", nil), 400, "invalid_request"},
		}
		refuse(t, h, cases)

		// Users and devices of another app are not found through this one.
		otherUser := h.userID("alice")
		cross := []rejection{
			{"user via another app", request{method: "GET", path: "/v1/apps/" + h.other.ID + "/users/" + otherUser,
				header: map[string]string{"Authorization": "Bearer " + h.otherK}}, 404, "user_not_found"},
			{"revoke via another app", request{method: "DELETE", path: "/v1/apps/" + h.other.ID + "/users/" + otherUser + "/devices/" + aliceDev,
				header: map[string]string{"Authorization": "Bearer " + h.otherK}}, 404, "device_not_found"},
			{"delete via another app", request{method: "DELETE", path: "/v1/apps/" + h.other.ID + "/users/" + otherUser,
				header: map[string]string{"Authorization": "Bearer " + h.otherK}}, 404, "user_not_found"},
		}
		refuse(t, h, cross)

		// An identifier no user could have matches nobody: an empty page.
		for _, q := range []string{"%FF", "a%00b", strings.Repeat("i", 300)} {
			r := h.mgmt(http.MethodGet, "/users?identifier="+q, nil)
			apitest.OK(t, r)
			var v struct {
				Total int `json:"total_users"`
			}
			r.Decode(t, &v)
			if v.Total != 0 {
				t.Fatalf("identifier %q: %s", q, r.Body)
			}
		}
	})
}
