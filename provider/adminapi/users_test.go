package adminapi_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/passbridge/passbridge/ceremony/softauthn"
	"github.com/passbridge/passbridge/provider/internal/apitest"
	"github.com/passbridge/passbridge/storage"
)

// listIDs walks a user listing page by page and returns the external IDs.
func (e *env) listIDs(t *testing.T, query string) []string {
	t.Helper()
	var out []string
	path := "/apps/{app}/users?" + query
	for pages := 0; ; pages++ {
		if pages > 50 {
			t.Fatal("paging does not end")
		}
		var p page[userView]
		ok(t, e.do("GET", path, nil), http.StatusOK, &p)
		for _, u := range p.Items {
			out = append(out, u.ExternalID)
		}
		if p.NextCursor == nil {
			return out
		}
		path = "/apps/{app}/users?" + query + "&cursor=" + *p.NextCursor
	}
}

// Users list in pages, by external ID and by status; they are read,
// renamed, deactivated (their sessions end at once), reactivated and
// deleted, every change with the admin key as its actor.
func TestUsers(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		var ids []string
		for _, name := range []string{"ada", "bob", "cy", "dee", "eve"} {
			e.register(softauthn.New(softauthn.Options{}), name)
			ids = append(ids, name)
		}
		for _, q := range []string{"", "limit=1", "limit=2", "limit=5", "limit=200"} {
			if got := e.listIDs(t, q); !slices.Equal(got, ids) {
				t.Fatalf("list %q: %v, want %v", q, got, ids)
			}
		}
		if got := e.listIDs(t, "external_id=cy"); !slices.Equal(got, []string{"cy"}) {
			t.Fatalf("by external ID: %v", got)
		}
		if got := e.listIDs(t, "external_id=nobody"); len(got) != 0 {
			t.Fatalf("by an unknown external ID: %v", got)
		}

		bob, err := e.st.GetUserByExternalID(e.ctx, e.app.ID, "bob")
		if err != nil {
			t.Fatal(err)
		}
		devices, err := e.st.ListDevices(e.ctx, e.app.ID, bob.ID)
		if err != nil || len(devices) != 1 {
			t.Fatalf("bob's devices: %v, %v", devices, err)
		}
		e.seedSession(bob.ID, devices[0].ID)

		var u userView
		ok(t, e.do("GET", "/apps/{app}/users/"+bob.ID, nil), http.StatusOK, &u)
		if u.ID != bob.ID || u.ExternalID != "bob" || u.Status != "active" || u.DisplayName != "bob" || u.LastLoginAt != nil {
			t.Fatalf("get %+v", u)
		}

		ok(t, e.do("PATCH", "/apps/{app}/users/"+bob.ID, map[string]any{"display_name": "Bob B.", "status": "inactive"}), http.StatusOK, &u)
		if u.DisplayName != "Bob B." || u.Status != "inactive" {
			t.Fatalf("updated %+v", u)
		}
		sessions, err := e.st.ListSessions(e.ctx, e.app.ID, bob.ID)
		if err != nil || len(sessions) != 0 {
			t.Fatalf("a deactivated user keeps sessions: %v, %v", sessions, err)
		}
		if got := e.listIDs(t, "status=inactive"); !slices.Equal(got, []string{"bob"}) {
			t.Fatalf("inactive users: %v", got)
		}
		if got := e.listIDs(t, "status=active&limit=2"); !slices.Equal(got, []string{"ada", "cy", "dee", "eve"}) {
			t.Fatalf("active users: %v", got)
		}
		// An inactive user gets no transaction.
		r := apitest.Send(t, e.ctx, e.srv.HTTP, "POST", "/v1/apps/"+e.app.ID+"/transactions/authenticate",
			map[string]string{"external_id": "bob"}, map[string]string{"Authorization": "Bearer " + e.apiKey})
		apitest.WantError(t, r, http.StatusForbidden, "cannot_create_transaction")

		ok(t, e.do("PATCH", "/apps/{app}/users/"+bob.ID, map[string]any{"status": "active"}), http.StatusOK, &u)
		if u.Status != "active" {
			t.Fatalf("reactivated %+v", u)
		}
		// Setting what is there changes nothing and records nothing.
		ok(t, e.do("PATCH", "/apps/{app}/users/"+bob.ID, map[string]any{"status": "active", "display_name": "Bob B."}), http.StatusOK, &u)

		ok(t, e.do("DELETE", "/apps/{app}/users/"+bob.ID, nil), http.StatusNoContent, nil)
		if _, err := e.st.GetUser(e.ctx, e.app.ID, bob.ID); err == nil {
			t.Fatal("deleted user is still there")
		}
		apitest.WantError(t, e.do("GET", "/apps/{app}/users/"+bob.ID, nil), http.StatusNotFound, "user_not_found")

		// One call renamed and deactivated: its two events share an instant.
		evs := e.events()
		if len(evs) == 4 && evs[0].Type == "user.deactivated" {
			evs[0], evs[1] = evs[1], evs[0]
		}
		var types []string
		for _, ev := range evs {
			types = append(types, ev.Type)
		}
		if want := []string{"user.updated", "user.deactivated", "user.reactivated", "user.deleted"}; !slices.Equal(types, want) {
			t.Fatalf("audit events by the admin key: %q, want %q", types, want)
		}
		for _, ev := range evs {
			if ev.AppID != e.app.ID || ev.UserID != bob.ID {
				t.Fatalf("event %+v", ev)
			}
		}
		if evs[3].Detail["external_id"] != "bob" {
			t.Fatalf("user.deleted %+v", evs[3])
		}
	})
}

func TestUserRefusals(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		id := e.register(softauthn.New(softauthn.Options{}), "ada")
		other, _ := apitest.CreateApp(t, e.ctx, e.st, e.srv.Clock.Now(), "Other", testRPID, testOrigin)
		before := e.snapshot()
		user := "/apps/{app}/users/" + id
		for _, tc := range []struct {
			name   string
			call   call
			status int
			code   string
			says   string
		}{
			{"bad status filter", call{method: "GET", path: "/apps/{app}/users?status=gone"}, 400, "invalid_request", `status must be "active" or "inactive"`},
			{"status filter twice", call{method: "GET", path: "/apps/{app}/users?status=active&status=inactive"}, 400, "invalid_request", "status must be given once"},
			{"external ID with a control character", call{method: "GET", path: "/apps/{app}/users?external_id=a%00b"}, 400, "invalid_request", "external_id"},
			{"external ID too long", call{method: "GET", path: "/apps/{app}/users?external_id=" + strings.Repeat("x", 256)}, 400, "invalid_request", "external_id"},
			{"bad cursor", call{method: "GET", path: "/apps/{app}/users?cursor=abc"}, 400, "invalid_request", "cursor"},
			{"bad limit", call{method: "GET", path: "/apps/{app}/users?limit=-1"}, 400, "invalid_request", "limit"},
			{"unknown app", call{method: "GET", path: "/apps/nope/users"}, 404, "app_not_found", ""},
			{"unknown user", call{method: "GET", path: "/apps/{app}/users/nope"}, 404, "user_not_found", ""},
			{"user of another app", call{method: "GET", path: "/apps/" + other.ID + "/users/" + id}, 404, "user_not_found", ""},
			{"ID no user can have", call{method: "GET", path: "/apps/{app}/users/" + strings.Repeat("u", 200)}, 404, "user_not_found", ""},
			{"bad status", call{method: "PATCH", path: user, body: map[string]any{"status": "banned", "display_name": "Ada"}}, 400, "invalid_request", `status must be "active" or "inactive"`},
			{"status of the wrong type", call{method: "PATCH", path: user, body: map[string]any{"status": true}}, 400, "invalid_request", "status must be a string"},
			{"bad display name", call{method: "PATCH", path: user, body: map[string]any{"display_name": strings.Repeat("d", 300), "status": "inactive"}}, 400, "invalid_request", "display_name"},
			{"display name with NUL", call{method: "PATCH", path: user, body: map[string]any{"display_name": "a\x00b"}}, 400, "invalid_request", "display_name"},
			{"nothing to update", call{method: "PATCH", path: user, body: map[string]any{}}, 400, "invalid_request", "nothing to update"},
			{"unknown member", call{method: "PATCH", path: user, body: map[string]any{"external_id": "x"}}, 400, "invalid_request", "field external_id"},
			{"update of an unknown user", call{method: "PATCH", path: "/apps/{app}/users/nope", body: map[string]any{"status": "inactive"}}, 404, "user_not_found", ""},
			{"update through another app", call{method: "PATCH", path: "/apps/" + other.ID + "/users/" + id, body: map[string]any{"status": "inactive"}}, 404, "user_not_found", ""},
			{"delete of an unknown user", call{method: "DELETE", path: "/apps/{app}/users/nope"}, 404, "user_not_found", ""},
			{"delete through another app", call{method: "DELETE", path: "/apps/" + other.ID + "/users/" + id}, 404, "user_not_found", ""},
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
		if u, err := e.st.GetUser(e.ctx, e.app.ID, id); err != nil || u.Status != storage.UserActive {
			t.Fatalf("user after refusals: %+v, %v", u, err)
		}
	})
}
