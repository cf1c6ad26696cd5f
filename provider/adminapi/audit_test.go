package adminapi_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/passbridge/passbridge/ceremony/softauthn"
	"github.com/passbridge/passbridge/provider/internal/apitest"
	"github.com/passbridge/passbridge/provider/settings"
	"github.com/passbridge/passbridge/storage"
)

// auditList walks the audit listing of query page by page.
func (e *env) auditList(t *testing.T, query string) []auditView {
	t.Helper()
	var out []auditView
	path := "/audit?" + query
	for pages := 0; ; pages++ {
		if pages > 100 {
			t.Fatal("paging does not end")
		}
		var p page[auditView]
		ok(t, e.do("GET", path, nil), http.StatusOK, &p)
		out = append(out, p.Items...)
		if p.NextCursor == nil {
			return out
		}
		path = "/audit?" + query + "&cursor=" + *p.NextCursor
	}
}

func types(events []auditView) []string {
	var out []string
	for _, ev := range events {
		out = append(out, ev.Type)
	}
	return out
}

// The audit log lists every change, newest first, with who made it, and
// filters by app, user, type, actor and time, page by page.
func TestAuditLog(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		start := e.srv.Clock.Now().Truncate(time.Microsecond)
		// A change from the command line, one through the Flex API (the
		// user's creation names the API key, the passkey's the user), and
		// the admin API's own.
		if err := e.st.AppendAuditEvent(e.ctx, storage.AuditEvent{ID: storage.NewID(), AppID: e.app.ID, Type: "app.updated",
			Actor: "cli", Detail: map[string]string{"name": "Shop"}, CreatedAt: e.srv.Clock.Now()}); err != nil {
			t.Fatal(err)
		}
		e.srv.Clock.Advance(time.Second)
		ada := e.register(softauthn.New(softauthn.Options{}), "ada")
		var cl settings.ClientJSON
		ok(t, e.do("POST", "/apps/{app}/clients", map[string]any{"redirect_uris": []string{"https://shop.example/cb"}}), http.StatusCreated, &cl)
		middle := e.srv.Clock.Now().Truncate(time.Microsecond)
		ok(t, e.do("POST", "/keys/rotate?force=true", nil), http.StatusOK, nil)
		ok(t, e.do("PATCH", "/apps/{app}/users/"+ada, map[string]string{"status": "inactive"}), http.StatusOK, nil)

		all := e.auditList(t, "")
		want := []string{"user.deactivated", "signing_key.rotated", "client.created", "device.registered", "user.created", "app.updated"}
		if got := types(all); !slices.Equal(got, want) {
			t.Fatalf("audit log %q, want %q", got, want)
		}
		byType := map[string]auditView{}
		for _, ev := range all {
			byType[ev.Type] = ev
			if _, err := time.Parse(time.RFC3339Nano, ev.Time); err != nil || ev.ID == "" {
				t.Fatalf("event %+v", ev)
			}
		}
		actor := func(typ, wantType, wantID string) {
			t.Helper()
			a := byType[typ].Actor
			if a.Type != wantType || (wantID == "") != (a.ID == nil) || a.ID != nil && *a.ID != wantID {
				t.Errorf("%s: actor %s, want {%s %s}", typ, mustJSON(a), wantType, wantID)
			}
		}
		apiKeys, err := e.st.ListAPIKeys(e.ctx, e.app.ID)
		if err != nil {
			t.Fatal(err)
		}
		actor("user.deactivated", "admin_key", e.keyID)
		actor("signing_key.rotated", "admin_key", e.keyID)
		actor("client.created", "admin_key", e.keyID)
		actor("device.registered", "user", ada)
		actor("user.created", "api_key", apiKeys[0].ID)
		actor("app.updated", "cli", "")
		if ev := byType["signing_key.rotated"]; ev.AppID != nil || ev.Details["forced"] != "true" {
			t.Errorf("rotation %s: a server-wide event has app_id null", mustJSON(ev))
		}
		if ev := byType["client.created"]; ev.ClientID != cl.ClientID || ev.AppID == nil || *ev.AppID != e.app.ID || ev.Details["client_id"] != "" {
			t.Errorf("client.created %s: client_id beside the details", mustJSON(ev))
		}
		if ev := byType["device.registered"]; ev.UserID != ada || ev.DeviceID == "" {
			t.Errorf("device.registered %s", mustJSON(ev))
		}

		q := url.QueryEscape
		for _, tc := range []struct {
			query string
			want  []string
		}{
			{"app_id=" + e.app.ID, []string{"user.deactivated", "client.created", "device.registered", "user.created", "app.updated"}},
			{"user_id=" + ada, []string{"user.deactivated", "device.registered", "user.created"}},
			{"type=client.created", []string{"client.created"}},
			{"actor=admin_key", []string{"user.deactivated", "signing_key.rotated", "client.created"}},
			{"actor=" + q("admin_key:"+e.keyID), []string{"user.deactivated", "signing_key.rotated", "client.created"}},
			{"actor=" + q("admin_key:"+storage.NewID()), nil},
			{"actor=cli", []string{"app.updated"}},
			{"actor=api_key", []string{"user.created"}},
			{"actor=user", []string{"device.registered"}},
			{"actor=system", nil},
			{"since=" + q(middle.Format(time.RFC3339Nano)), []string{"user.deactivated", "signing_key.rotated"}},
			{"until=" + q(middle.Format(time.RFC3339Nano)), []string{"client.created", "device.registered", "user.created", "app.updated"}},
			{"since=" + q(start.Format(time.RFC3339Nano)) + "&until=" + q(start.Add(time.Second).Format(time.RFC3339Nano)), []string{"app.updated"}},
			{"app_id=nope", nil},
			{"app_id=" + e.app.ID + "&actor=admin_key&limit=1", []string{"user.deactivated", "client.created"}},
		} {
			t.Run(tc.query, func(t *testing.T) {
				if got := types(e.auditList(t, tc.query)); !slices.Equal(got, tc.want) {
					t.Fatalf("%q, want %q", got, tc.want)
				}
			})
		}
		for _, limit := range []string{"1", "2", "4", "200"} {
			if got := types(e.auditList(t, "limit="+limit)); !slices.Equal(got, want) {
				t.Fatalf("limit %s: %q, want %q", limit, got, want)
			}
		}

		before := e.snapshot()
		for _, query := range []string{
			"actor=root", "actor=admin_key:", "actor=" + q("cli:x"), "actor=" + q("user:a\x01"),
			"since=yesterday", "until=2026-13-01T00:00:00Z", "since=2030-01-02T00:00:00Z&until=2030-01-01T00:00:00Z",
			"app_id=" + q("a\x00b"), "user_id=" + strings.Repeat("u", 200), "type=" + strings.Repeat("t", 101),
			"type=a&type=b", "limit=0", "limit=x", "cursor=zz", "cursor=" + storage.Cursor{ID: "a\x01"}.String(),
		} {
			t.Run("refused "+query, func(t *testing.T) {
				apitest.WantError(t, e.sendT(t, call{method: "GET", path: "/audit?" + query}), http.StatusBadRequest, "invalid_request")
			})
		}
		e.unchanged(t, before)
	})
}
