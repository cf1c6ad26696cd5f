package adminapi_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/passbridge/passbridge/ceremony/softauthn"
	"github.com/passbridge/passbridge/provider/internal/apitest"
)

// A user's devices are listed, renamed and revoked one by one or all at
// once; revoking a device ends the sessions it signed in, and the user
// stays.
func TestDevices(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		phone, laptop, key := softauthn.New(softauthn.Options{}), softauthn.New(softauthn.Options{}), softauthn.New(softauthn.Options{})
		userID := e.register(phone, "ada")
		e.register(laptop, "ada")
		e.register(key, "ada")
		devicesPath := "/apps/{app}/users/" + userID + "/devices"

		var all page[deviceView]
		ok(t, e.do("GET", devicesPath, nil), http.StatusOK, &all)
		if len(all.Items) != 3 || all.NextCursor != nil {
			t.Fatalf("devices %s", mustJSON(all))
		}
		var first page[deviceView]
		ok(t, e.do("GET", devicesPath+"?limit=2", nil), http.StatusOK, &first)
		var rest page[deviceView]
		ok(t, e.do("GET", devicesPath+"?limit=2&cursor="+*first.NextCursor, nil), http.StatusOK, &rest)
		if len(first.Items) != 2 || len(rest.Items) != 1 || rest.Items[0].ID != all.Items[2].ID || rest.NextCursor != nil {
			t.Fatalf("pages %s, %s", mustJSON(first), mustJSON(rest))
		}

		var renamed deviceView
		ok(t, e.do("PATCH", devicesPath+"/"+all.Items[0].ID, map[string]string{"friendly_name": " Ada's phone "}), http.StatusOK, &renamed)
		if renamed.FriendlyName != "Ada's phone" || renamed.ID != all.Items[0].ID {
			t.Fatalf("renamed %+v", renamed)
		}

		s := e.seedSession(userID, all.Items[1].ID)
		other := e.seedSession(userID, all.Items[2].ID)
		ok(t, e.do("DELETE", devicesPath+"/"+all.Items[1].ID, nil), http.StatusNoContent, nil)
		if _, err := e.st.GetSession(e.ctx, s.ID); err == nil {
			t.Fatal("the revoked device's session is still there")
		}
		if _, err := e.st.GetSession(e.ctx, other.ID); err != nil {
			t.Fatalf("another device's session went: %v", err)
		}

		var revoked struct {
			Revoked int `json:"revoked"`
		}
		ok(t, e.do("DELETE", devicesPath, nil), http.StatusOK, &revoked)
		if revoked.Revoked != 2 {
			t.Fatalf("revoked %d, want 2", revoked.Revoked)
		}
		var none page[deviceView]
		ok(t, e.do("GET", devicesPath, nil), http.StatusOK, &none)
		if len(none.Items) != 0 {
			t.Fatalf("devices left: %s", mustJSON(none))
		}
		if _, err := e.st.GetUser(e.ctx, e.app.ID, userID); err != nil {
			t.Fatalf("the user went with its devices: %v", err)
		}
		ok(t, e.do("DELETE", devicesPath, nil), http.StatusOK, &revoked)
		if revoked.Revoked != 0 {
			t.Fatalf("revoked %d of none", revoked.Revoked)
		}

		evs := e.wantEvents(0, "device.renamed", "device.revoked", "device.revoked", "device.revoked")
		for _, ev := range evs {
			if ev.UserID != userID || ev.DeviceID == "" || ev.AppID != e.app.ID {
				t.Fatalf("event %+v", ev)
			}
		}
	})
}

func TestDeviceRefusals(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ada := e.register(softauthn.New(softauthn.Options{}), "ada")
		bob := e.register(softauthn.New(softauthn.Options{}), "bob")
		adaDevices, err := e.st.ListDevices(e.ctx, e.app.ID, ada)
		if err != nil {
			t.Fatal(err)
		}
		adas := "/apps/{app}/users/" + ada + "/devices/" + adaDevices[0].ID
		// Ada's device through Bob's path.
		throughBob := "/apps/{app}/users/" + bob + "/devices/" + adaDevices[0].ID
		e.srv.Clock.Advance(time.Second)
		before := e.snapshot()
		for _, tc := range []struct {
			name   string
			call   call
			status int
			code   string
			says   string
		}{
			{"list of an unknown user", call{method: "GET", path: "/apps/{app}/users/nope/devices"}, 404, "user_not_found", ""},
			{"revoke all of an unknown user", call{method: "DELETE", path: "/apps/{app}/users/nope/devices"}, 404, "user_not_found", ""},
			{"rename without a name", call{method: "PATCH", path: adas, body: map[string]string{}}, 400, "invalid_request", "friendly_name is required"},
			{"rename to a long name", call{method: "PATCH", path: adas, body: map[string]string{"friendly_name": strings.Repeat("n", 101)}}, 400, "invalid_request", "friendly_name"},
			{"rename to a control character", call{method: "PATCH", path: adas, body: map[string]string{"friendly_name": "a\x00b"}}, 400, "invalid_request", "friendly_name"},
			{"rename with an unknown member", call{method: "PATCH", path: adas, body: map[string]string{"friendly_name": "x", "type": "passkey"}}, 400, "invalid_request", "field type"},
			{"rename another user's device", call{method: "PATCH", path: throughBob, body: map[string]string{"friendly_name": "x"}}, 404, "device_not_found", ""},
			{"revoke another user's device", call{method: "DELETE", path: throughBob}, 404, "device_not_found", ""},
			{"revoke an unknown device", call{method: "DELETE", path: "/apps/{app}/users/" + ada + "/devices/nope"}, 404, "device_not_found", ""},
			{"rename through an unknown app", call{method: "PATCH", path: "/apps/nope/users/" + ada + "/devices/" + adaDevices[0].ID, body: map[string]string{"friendly_name": "x"}}, 404, "app_not_found", ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := e.sendT(t, tc.call)
				apitest.WantError(t, r, tc.status, tc.code)
				if tc.says != "" {
					says(t, r, tc.says)
				}
			})
		}
		e.unchanged(t, before)
	})
}

// Sessions are listed (never their cookies) and ended all at once, which
// revokes the user's tokens too; the user may sign in again.
func TestSessions(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ada := e.register(softauthn.New(softauthn.Options{}), "ada")
		devices, err := e.st.ListDevices(e.ctx, e.app.ID, ada)
		if err != nil {
			t.Fatal(err)
		}
		s1 := e.seedSession(ada, devices[0].ID)
		s2 := e.seedSession(ada, devices[0].ID)
		path := "/apps/{app}/users/" + ada + "/sessions"

		var list page[struct {
			ID       string   `json:"id"`
			DeviceID string   `json:"device_id"`
			ACR      string   `json:"acr"`
			AMR      []string `json:"amr"`
		}]
		r := e.do("GET", path, nil)
		ok(t, r, http.StatusOK, &list)
		if len(list.Items) != 2 || list.Items[0].ID != s1.ID || list.Items[1].ID != s2.ID || list.Items[0].DeviceID != devices[0].ID ||
			list.Items[0].ACR != "phr" || len(list.Items[0].AMR) != 3 {
			t.Fatalf("sessions %s", r.Body)
		}
		if strings.Contains(string(r.Body), "hash") {
			t.Fatalf("sessions show their digest: %s", r.Body)
		}
		// An expired session is not listed.
		e.srv.Clock.Advance(25 * time.Hour)
		ok(t, e.do("GET", path, nil), http.StatusOK, &list)
		if len(list.Items) != 0 {
			t.Fatalf("expired sessions listed: %s", mustJSON(list))
		}
		s3 := e.seedSession(ada, devices[0].ID)

		var ended struct {
			Ended int `json:"ended"`
		}
		ok(t, e.do("DELETE", path, nil), http.StatusOK, &ended)
		if ended.Ended < 1 {
			t.Fatalf("ended %d sessions", ended.Ended)
		}
		if _, err := e.st.GetSession(e.ctx, s3.ID); err == nil {
			t.Fatal("the session is still there")
		}
		if u, err := e.st.GetUser(e.ctx, e.app.ID, ada); err != nil || u.Status != "active" {
			t.Fatalf("user after its sessions ended: %+v, %v", u, err)
		}
		evs := e.wantEvents(0, "user.sessions_ended")
		if evs[0].UserID != ada {
			t.Fatalf("event %+v", evs[0])
		}

		before := e.snapshot()
		apitest.WantError(t, e.do("GET", "/apps/{app}/users/nope/sessions", nil), http.StatusNotFound, "user_not_found")
		apitest.WantError(t, e.do("DELETE", "/apps/{app}/users/nope/sessions", nil), http.StatusNotFound, "user_not_found")
		apitest.WantError(t, e.do("GET", path+"?limit=500", nil), http.StatusBadRequest, "invalid_request")
		e.unchanged(t, before)
	})
}

// An enrolment link leads to the enrolment page of the issuer, lives as
// long as asked (a day by default), and is recorded.
func TestEnrolmentLinks(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ada := e.register(softauthn.New(softauthn.Options{}), "ada")
		path := "/apps/{app}/users/" + ada + "/enrolment-links"
		var link struct {
			URL       string    `json:"url"`
			ExpiresAt time.Time `json:"expires_at"`
		}
		now := e.srv.Clock.Now()
		r := e.do("POST", path, nil)
		ok(t, r, http.StatusCreated, &link)
		if !strings.HasPrefix(link.URL, e.srv.Issuer+"/enrol?token=") || !link.ExpiresAt.Equal(now.Add(24*time.Hour).UTC().Truncate(time.Microsecond)) &&
			!link.ExpiresAt.Equal(now.Add(24*time.Hour).UTC().Round(time.Microsecond)) {
			t.Fatalf("link %+v (now %s)", link, now)
		}
		if r.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("Cache-Control %q", r.Header.Get("Cache-Control"))
		}
		now = e.srv.Clock.Now()
		ok(t, e.do("POST", path, map[string]int{"ttl": 600}), http.StatusCreated, &link)
		if d := link.ExpiresAt.Sub(now); d < 599*time.Second || d > 601*time.Second {
			t.Fatalf("a 600 s link expires in %s", d)
		}
		// The page opens with it.
		page := apitest.Send(t, e.ctx, e.srv.HTTP, "GET", strings.TrimPrefix(link.URL, e.srv.Issuer), nil, nil)
		if page.Status != http.StatusOK {
			t.Fatalf("enrolment page: %d %s", page.Status, page.Body)
		}
		evs := e.wantEvents(0, "enrolment_link.created", "enrolment_link.created")
		if evs[0].UserID != ada {
			t.Fatalf("event %+v", evs[0])
		}

		before := e.snapshot()
		for _, tc := range []struct {
			name   string
			call   call
			status int
			code   string
		}{
			{"ttl too short", call{method: "POST", path: path, body: map[string]int{"ttl": 60}}, 400, "invalid_request"},
			{"ttl too long", call{method: "POST", path: path, body: map[string]int{"ttl": 8 * 24 * 3600}}, 400, "invalid_request"},
			{"ttl not a number", call{method: "POST", path: path, body: map[string]string{"ttl": "1h"}}, 400, "invalid_request"},
			{"unknown member", call{method: "POST", path: path, body: map[string]string{"email": "a@example.com"}}, 400, "invalid_request"},
			{"unknown user", call{method: "POST", path: "/apps/{app}/users/nope/enrolment-links"}, 404, "user_not_found"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				apitest.WantError(t, e.sendT(t, tc.call), tc.status, tc.code)
			})
		}
		e.unchanged(t, before)
	})
}
