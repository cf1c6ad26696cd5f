package adminapi_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/passbridge/passbridge/provider/internal/apitest"
	"github.com/passbridge/passbridge/provider/settings"
	"github.com/passbridge/passbridge/storage"
)

// Apps are created, read, listed, changed and deleted as the command line
// does it, each change recorded with the admin key as its actor.
func TestApps(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		var created settings.AppJSON
		ok(t, e.do("POST", "/apps", map[string]any{
			"name": " Blog ", "rp_id": "Example.COM", "origins": []string{"https://blog.example.com", "https://blog.example.com/"},
			"allow_signup": true, "nonce_ttl_seconds": 120, "accent_color": "#0A7CFF",
		}), http.StatusCreated, &created)
		if created.ID == "" || created.Name != "Blog" || created.RPID != "example.com" || created.RPName != "Blog" ||
			!slices.Equal(created.Origins, []string{"https://blog.example.com"}) || !created.AllowSignup ||
			created.NonceTTLSeconds != 120 || created.TransactionTTLSeconds != 300 || created.UserVerification != "required" ||
			created.AccentColor != "#0a7cff" {
			t.Fatalf("created %+v", created)
		}
		stored, err := e.st.GetApp(e.ctx, created.ID)
		if err != nil || stored.Name != "Blog" {
			t.Fatalf("stored %+v, %v", stored, err)
		}

		var got settings.AppJSON
		ok(t, e.do("GET", "/apps/"+created.ID, nil), http.StatusOK, &got)
		if got.ID != created.ID || got.RPID != "example.com" {
			t.Fatalf("get %+v", got)
		}

		var list page[settings.AppJSON]
		ok(t, e.do("GET", "/apps", nil), http.StatusOK, &list)
		if len(list.Items) != 2 || list.Items[0].ID != e.app.ID || list.Items[1].ID != created.ID || list.NextCursor != nil {
			t.Fatalf("list %+v", list)
		}

		var updated settings.AppJSON
		ok(t, e.do("PATCH", "/apps/"+created.ID, map[string]any{"name": "Blog 2", "logo_url": "https://blog.example.com/logo.svg"}),
			http.StatusOK, &updated)
		if updated.Name != "Blog 2" || updated.RPName != "Blog" || updated.LogoURL != "https://blog.example.com/logo.svg" ||
			updated.NonceTTLSeconds != 120 || !updated.AllowSignup {
			t.Fatalf("updated %+v", updated)
		}

		r := e.do("DELETE", "/apps/"+created.ID, nil)
		ok(t, r, http.StatusNoContent, nil)
		if len(r.Body) != 0 {
			t.Fatalf("DELETE answered a body: %s", r.Body)
		}
		if _, err := e.st.GetApp(e.ctx, created.ID); err == nil {
			t.Fatal("deleted app is still there")
		}
		apitest.WantError(t, e.do("GET", "/apps/"+created.ID, nil), http.StatusNotFound, "app_not_found")
		apitest.WantError(t, e.do("DELETE", "/apps/"+created.ID, nil), http.StatusNotFound, "app_not_found")

		// The app's own events went with it; its deletion is server-wide.
		evs := e.wantEvents(0, "app.deleted")
		if evs[0].AppID != "" || evs[0].Detail["app_id"] != created.ID || evs[0].Detail["name"] != "Blog 2" {
			t.Fatalf("app.deleted %+v", evs[0])
		}
	})
}

// The events of an app's life name the admin key while the app lives.
func TestAppChangesAreAudited(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ok(t, e.do("PATCH", "/apps/{app}", map[string]any{"allow_signup": true}), http.StatusOK, nil)
		evs := e.wantEvents(0, "app.updated")
		if evs[0].AppID != e.app.ID || evs[0].Detail["name"] != "Shop" {
			t.Fatalf("app.updated %+v", evs[0])
		}
		e.srv.Clock.Advance(time.Second)
		var created settings.AppJSON
		ok(t, e.do("POST", "/apps", map[string]any{"name": "B", "rp_id": "localhost", "origins": []string{"http://localhost:4000"}}),
			http.StatusCreated, &created)
		evs = e.wantEvents(1, "app.created")
		if evs[0].AppID != created.ID || evs[0].Detail["rp_id"] != "localhost" {
			t.Fatalf("app.created %+v", evs[0])
		}
	})
}

// What the command line refuses, the API refuses, naming every bad value,
// and nothing changes.
func TestAppRefusals(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		valid := map[string]any{"name": "X", "rp_id": "localhost", "origins": []string{"http://localhost:4000"}}
		with := func(k string, v any) map[string]any {
			m := map[string]any{}
			for key, val := range valid {
				m[key] = val
			}
			m[k] = v
			return m
		}
		before := e.snapshot()
		for _, tc := range []struct {
			name   string
			call   call
			status int
			code   string
			says   []string
		}{
			{"bad rp id and origin at once", call{method: "POST", path: "/apps", body: map[string]any{
				"name": "X", "rp_id": "com", "origins": []string{"ftp://x.example.com"}}}, 400, "invalid_request",
				[]string{`rp_id "com"`, `origin "ftp://x.example.com"`}},
			{"no origin", call{method: "POST", path: "/apps", body: with("origins", []string{})}, 400, "invalid_request", []string{"at least one origin"}},
			{"name missing", call{method: "POST", path: "/apps", body: with("name", "")}, 400, "invalid_request", []string{"name is required"}},
			{"name with NUL", call{method: "POST", path: "/apps", body: with("name", "a\x00b")}, 400, "invalid_request", []string{"control character"}},
			{"ttl out of range", call{method: "POST", path: "/apps", body: with("nonce_ttl_seconds", 5)}, 400, "invalid_request", []string{"nonce_ttl 5s"}},
			{"huge ttl", call{method: "POST", path: "/apps", body: with("transaction_ttl_seconds", int64(1)<<62)}, 400, "invalid_request", []string{"transaction_ttl"}},
			{"logo over http", call{method: "POST", path: "/apps", body: with("logo_url", "http://x.example.com/l.svg")}, 400, "invalid_request", []string{"logo_url", "must use https"}},
			{"accent color", call{method: "POST", path: "/apps", body: with("accent_color", "red")}, 400, "invalid_request", []string{"accent_color"}},
			{"unknown member", call{method: "POST", path: "/apps", body: with("origin", "http://localhost:4000")}, 400, "invalid_request", []string{"field origin is not one this call takes"}},
			{"wrong type", call{method: "POST", path: "/apps", body: with("allow_signup", "yes")}, 400, "invalid_request", []string{"allow_signup must be a boolean"}},
			{"not JSON", call{method: "POST", path: "/apps", body: "{"}, 400, "invalid_request", nil},
			{"array body", call{method: "POST", path: "/apps", body: "[]"}, 400, "invalid_request", nil},
			{"no body", call{method: "POST", path: "/apps"}, 400, "invalid_request", nil},
			{"form body", call{method: "POST", path: "/apps", body: "name=x", header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}}, 400, "invalid_request", nil},
			{"update with nothing", call{method: "PATCH", path: "/apps/{app}", body: map[string]any{}}, 400, "invalid_request", []string{"nothing to update"}},
			{"update to a bad origin", call{method: "PATCH", path: "/apps/{app}", body: map[string]any{"origins": []string{"https://other.example"}}}, 400, "invalid_request", []string{`origin "https://other.example"`}},
			{"update of an unknown app", call{method: "PATCH", path: "/apps/nope", body: map[string]any{"name": "Y"}}, 404, "app_not_found", nil},
			{"get an ID no app can have", call{method: "GET", path: "/apps/" + strings.Repeat("x", 300)}, 404, "app_not_found", nil},
			{"delete an unknown app", call{method: "DELETE", path: "/apps/nope"}, 404, "app_not_found", nil},
			{"wrong method", call{method: "PUT", path: "/apps/{app}", body: map[string]any{"name": "Y"}}, 405, "method_not_allowed", nil},
			{"bad limit", call{method: "GET", path: "/apps?limit=0"}, 400, "invalid_request", []string{"limit"}},
			{"limit too big", call{method: "GET", path: "/apps?limit=201"}, 400, "invalid_request", []string{"limit"}},
			{"limit not a number", call{method: "GET", path: "/apps?limit=ten"}, 400, "invalid_request", []string{"limit"}},
			{"bad cursor", call{method: "GET", path: "/apps?cursor=***"}, 400, "invalid_request", []string{"cursor"}},
			{"edited cursor", call{method: "GET", path: "/apps?cursor=bm90LWEtY3Vyc29y"}, 400, "invalid_request", []string{"cursor"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := e.sendT(t, tc.call)
				apitest.WantError(t, r, tc.status, tc.code)
				says(t, r, tc.says...)
			})
		}
		e.unchanged(t, before)
	})
}

// Lists page with a cursor: every item once, in order, whatever the page
// size, and an item deleted between pages shifts nothing.
func TestAppsPaging(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		want := []string{e.app.ID}
		for i := range 6 {
			var a settings.AppJSON
			ok(t, e.do("POST", "/apps", map[string]any{"name": "App " + string(rune('a'+i)), "rp_id": "localhost",
				"origins": []string{"http://localhost:4000"}}), http.StatusCreated, &a)
			want = append(want, a.ID)
			e.srv.Clock.Advance(time.Second)
		}
		for _, limit := range []string{"1", "2", "3", "7", "200"} {
			var got []string
			path := "/apps?limit=" + limit
			for pages := 0; ; pages++ {
				if pages > 10 {
					t.Fatal("paging does not end")
				}
				var p page[settings.AppJSON]
				ok(t, e.do("GET", path, nil), http.StatusOK, &p)
				for _, a := range p.Items {
					got = append(got, a.ID)
				}
				if p.NextCursor == nil {
					break
				}
				path = "/apps?limit=" + limit + "&cursor=" + *p.NextCursor
			}
			if !slices.Equal(got, want) {
				t.Fatalf("limit %s: %v, want %v", limit, got, want)
			}
		}
		// Delete the last item of the first page: the second page still
		// starts after it.
		var first page[settings.AppJSON]
		ok(t, e.do("GET", "/apps?limit=3", nil), http.StatusOK, &first)
		ok(t, e.do("DELETE", "/apps/"+first.Items[2].ID, nil), http.StatusNoContent, nil)
		var second page[settings.AppJSON]
		ok(t, e.do("GET", "/apps?limit=3&cursor="+*first.NextCursor, nil), http.StatusOK, &second)
		if len(second.Items) != 3 || second.Items[0].ID != want[3] {
			t.Fatalf("after a deletion the next page starts at %v, want %s", second.Items, want[3])
		}
		if _, err := storage.ParseCursor(*first.NextCursor); err != nil {
			t.Fatalf("next_cursor %q: %v", *first.NextCursor, err)
		}
	})
}
