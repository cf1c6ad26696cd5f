package adminapi_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/passbridge/passbridge/provider/internal/apitest"
	"github.com/passbridge/passbridge/storage"
)

type apiKeyView struct {
	ID         string     `json:"id"`
	Key        string     `json:"key"`
	Name       string     `json:"name"`
	Prefix     string     `json:"prefix"`
	AppID      string     `json:"app_id"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
}

// An API key is shown once, at creation; it then works on the Flex API,
// lists without its secret, and stops working once revoked.
func TestAPIKeys(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		r := e.do("POST", "/apps/{app}/api-keys", map[string]string{"name": " backend "})
		var k apiKeyView
		ok(t, r, http.StatusCreated, &k)
		if !strings.HasPrefix(k.Key, storage.PrefixAPIKey) || k.Name != "backend" || !strings.HasPrefix(k.Key, k.Prefix) ||
			k.AppID != e.app.ID || k.LastUsedAt != nil {
			t.Fatalf("created %+v", k)
		}
		if r.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("Cache-Control %q: an answer with a secret must not be stored", r.Header.Get("Cache-Control"))
		}
		stored, err := e.st.GetAPIKeyByHash(e.ctx, storage.HashSecret(k.Key))
		if err != nil || stored.ID != k.ID {
			t.Fatalf("stored %+v, %v", stored, err)
		}
		flex := func() apitest.Response {
			return apitest.Send(t, e.ctx, e.srv.HTTP, "GET", "/v1/apps/"+e.app.ID+"/users", nil,
				map[string]string{"Authorization": "Bearer " + k.Key})
		}
		apitest.OK(t, flex())

		var list page[apiKeyView]
		ok(t, e.do("GET", "/apps/{app}/api-keys", nil), http.StatusOK, &list)
		if len(list.Items) != 2 || list.Items[1].ID != k.ID || list.Items[1].Key != "" || list.Items[1].LastUsedAt == nil {
			t.Fatalf("list %s", mustJSON(list))
		}
		if strings.Contains(string(e.do("GET", "/apps/{app}/api-keys", nil).Body), k.Key) {
			t.Fatal("the list shows the key")
		}

		r = e.do("DELETE", "/apps/{app}/api-keys/"+k.ID, nil)
		ok(t, r, http.StatusNoContent, nil)
		apitest.WantError(t, flex(), http.StatusUnauthorized, "invalid_access_token")
		apitest.WantError(t, e.do("DELETE", "/apps/{app}/api-keys/"+k.ID, nil), http.StatusNotFound, "api_key_not_found")

		evs := e.wantEvents(0, "apikey.created", "apikey.revoked")
		for _, ev := range evs {
			if ev.AppID != e.app.ID || ev.Detail["api_key_id"] != k.ID {
				t.Fatalf("event %+v", ev)
			}
		}
	})
}

func TestAPIKeyRefusals(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		other, _ := apitest.CreateApp(t, e.ctx, e.st, e.srv.Clock.Now(), "Other", testRPID, testOrigin)
		otherKeys, err := e.st.ListAPIKeys(e.ctx, other.ID)
		if err != nil {
			t.Fatal(err)
		}
		before := e.snapshot()
		for _, tc := range []struct {
			name   string
			call   call
			status int
			code   string
			says   string
		}{
			{"no name", call{method: "POST", path: "/apps/{app}/api-keys", body: map[string]string{}}, 400, "invalid_request", "name is required"},
			{"blank name", call{method: "POST", path: "/apps/{app}/api-keys", body: map[string]string{"name": "  "}}, 400, "invalid_request", "name is required"},
			{"long name", call{method: "POST", path: "/apps/{app}/api-keys", body: map[string]string{"name": strings.Repeat("n", 101)}}, 400, "invalid_request", "longer than 100"},
			{"control character", call{method: "POST", path: "/apps/{app}/api-keys", body: map[string]string{"name": "a\tb"}}, 400, "invalid_request", "control character"},
			{"unknown member", call{method: "POST", path: "/apps/{app}/api-keys", body: map[string]string{"name": "x", "scope": "all"}}, 400, "invalid_request", "field scope"},
			{"unknown app", call{method: "POST", path: "/apps/nope/api-keys", body: map[string]string{"name": "x"}}, 404, "app_not_found", ""},
			{"revoke unknown key", call{method: "DELETE", path: "/apps/{app}/api-keys/nope"}, 404, "api_key_not_found", ""},
			{"revoke another app's key", call{method: "DELETE", path: "/apps/{app}/api-keys/" + otherKeys[0].ID}, 404, "api_key_not_found", ""},
			{"revoke through an unknown app", call{method: "DELETE", path: "/apps/nope/api-keys/" + otherKeys[0].ID}, 404, "app_not_found", ""},
			{"list of an unknown app", call{method: "GET", path: "/apps/nope/api-keys"}, 404, "app_not_found", ""},
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
