package flexapi_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/passbridge/passbridge/ceremony/softauthn"
	"github.com/passbridge/passbridge/provider/internal/apitest"
	"github.com/passbridge/passbridge/storage"
)

// enrolmentLinkJSON is the answer of POST …/enrolment-links.
type enrolmentLinkJSON struct {
	URL       string `json:"url"`
	ExpiresAt string `json:"expires_at"`
}

// enrolmentLinkPath is the route of a user's enrolment links.
func enrolmentLinkPath(userID string) string {
	return "/users/" + url.PathEscape(userID) + "/enrolment-links"
}

// TestCreateEnrolmentLink: the backend asks for a link for one of its
// users; the answer is the page's URL with a token whose digest alone is
// stored, expiring after a day or the ttl asked for, and the audit log
// names the API key.
func TestCreateEnrolmentLink(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		h.register(softauthn.New(softauthn.Options{}), "alice")
		alice := h.userID("alice")
		now := h.clock.Now()

		for _, tc := range []struct {
			name string
			body any
			ttl  time.Duration
		}{
			{"no body", nil, 24 * time.Hour},
			{"empty object", map[string]any{}, 24 * time.Hour},
			{"null ttl", `{"ttl": null}`, 24 * time.Hour},
			{"an hour", map[string]any{"ttl": 3600}, time.Hour},
			{"the least", map[string]any{"ttl": 300}, 5 * time.Minute},
			{"the most", map[string]any{"ttl": 604800}, 7 * 24 * time.Hour},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := h.mgmt(http.MethodPost, enrolmentLinkPath(alice), tc.body)
				apitest.OK(t, r)
				if cc := r.Header.Get("Cache-Control"); cc != "no-store" {
					t.Errorf("Cache-Control %q, want no-store: the answer holds a secret", cc)
				}
				var v enrolmentLinkJSON
				r.Decode(t, &v)
				token, ok := strings.CutPrefix(v.URL, testIssuer+"/enrol?token=")
				if !ok || !strings.HasPrefix(token, storage.PrefixEnrolmentLink) || len(token) != 47 {
					t.Fatalf("url %q, want %s/enrol?token=pbe_…", v.URL, testIssuer)
				}
				exp, err := time.Parse(time.RFC3339Nano, v.ExpiresAt)
				if err != nil || !exp.Equal(now.Add(tc.ttl).Round(time.Microsecond)) || exp.Location() != time.UTC {
					t.Errorf("expires_at %q, want %s", v.ExpiresAt, now.Add(tc.ttl).UTC())
				}
				l, err := h.store.GetEnrolmentLinkByHash(h.ctx, storage.HashSecret(token))
				if err != nil {
					t.Fatalf("the link is not stored under its token's digest: %v", err)
				}
				if l.UserID != alice || l.AppID != h.app.ID || !l.ExpiresAt.Equal(exp) {
					t.Errorf("stored %+v", l)
				}
				events, err := h.store.ListAuditEvents(h.ctx, storage.AuditQuery{AppID: h.app.ID, Limit: 1})
				if err != nil {
					t.Fatal(err)
				}
				if e := events[0]; e.Type != "enrolment_link.created" || !strings.HasPrefix(e.Actor, "api_key:") ||
					e.UserID != alice || e.Detail["enrolment_link_id"] != l.ID {
					t.Errorf("audit event %+v", e)
				}
				h.clock.Advance(time.Second) // keeps the audit events in order
				now = h.clock.Now()
			})
		}
	})
}

// TestCreateEnrolmentLinkRefusals: each refusal answers its code and
// changes nothing (no link: no audit event).
func TestCreateEnrolmentLinkRefusals(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		h.register(softauthn.New(softauthn.Options{}), "alice")
		alice := h.userID("alice")
		h.register(softauthn.New(softauthn.Options{}), "bob")
		bob := h.userID("bob")
		if _, err := h.store.UpdateUser(h.ctx, h.app.ID, bob, func(u storage.User) (storage.User, error) {
			u.Status = storage.UserInactive
			return u, nil
		}); err != nil {
			t.Fatal(err)
		}
		auth := func(key string) map[string]string { return map[string]string{"Authorization": "Bearer " + key} }
		path := func(appID, userID string) string { return "/v1/apps/" + appID + enrolmentLinkPath(userID) }

		for _, tc := range []struct {
			name   string
			req    request
			status int
			code   string
			msg    string // the exact message of a 400, when set
		}{
			{"no key", request{method: http.MethodPost, path: path(h.app.ID, alice)}, 401, "invalid_access_token", ""},
			{"another app's key", request{method: http.MethodPost, path: path(h.app.ID, alice), header: auth(h.otherK)}, 401, "invalid_access_token", ""},
			{"unknown app", request{method: http.MethodPost, path: path("nosuchapp", alice), header: auth(h.key)}, 404, "app_not_found", ""},
			{"unknown user", request{method: http.MethodPost, path: path(h.app.ID, storage.NewID()), header: auth(h.key)}, 404, "user_not_found", ""},
			{"external ID for user ID", request{method: http.MethodPost, path: path(h.app.ID, "alice"), header: auth(h.key)}, 404, "user_not_found", ""},
			{"another app's user", request{method: http.MethodPost, path: path(h.other.ID, alice), header: auth(h.otherK)}, 404, "user_not_found", ""},
			{"inactive user", request{method: http.MethodPost, path: path(h.app.ID, bob), header: auth(h.key)}, 403, "user_inactive", ""},
			{"ttl too short", request{method: http.MethodPost, path: path(h.app.ID, alice), header: auth(h.key), body: map[string]any{"ttl": 299}},
				400, "invalid_request", "ttl 299 is out of range: an enrolment link lasts from 300 seconds (5 minutes) to 604800 seconds (7 days)"},
			{"ttl too long", request{method: http.MethodPost, path: path(h.app.ID, alice), header: auth(h.key), body: map[string]any{"ttl": 604801}},
				400, "invalid_request", "ttl 604801 is out of range: an enrolment link lasts from 300 seconds (5 minutes) to 604800 seconds (7 days)"},
			{"ttl zero", request{method: http.MethodPost, path: path(h.app.ID, alice), header: auth(h.key), body: map[string]any{"ttl": 0}},
				400, "invalid_request", "ttl 0 is out of range: an enrolment link lasts from 300 seconds (5 minutes) to 604800 seconds (7 days)"},
			{"ttl a string", request{method: http.MethodPost, path: path(h.app.ID, alice), header: auth(h.key), body: `{"ttl": "24h"}`},
				400, "invalid_request", "field ttl must be an integer"},
			{"ttl a fraction", request{method: http.MethodPost, path: path(h.app.ID, alice), header: auth(h.key), body: `{"ttl": 600.5}`},
				400, "invalid_request", "field ttl must be an integer"},
			{"not JSON", request{method: http.MethodPost, path: path(h.app.ID, alice), header: auth(h.key), body: `{"ttl":`},
				400, "invalid_request", "request body is not valid JSON"},
			{"an array", request{method: http.MethodPost, path: path(h.app.ID, alice), header: auth(h.key), body: `[]`},
				400, "invalid_request", "request body must be a JSON object"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				h.unchanged(t, func() {
					r := h.sendT(t, tc.req)
					apitest.WantError(t, r, tc.status, tc.code)
					if tc.msg != "" {
						apitest.WantInvalidRequest(t, r, tc.msg)
					}
				})
			})
		}

		// A body too large for the server is refused before anything.
		h.unchanged(t, func() {
			r := h.mgmt(http.MethodPost, enrolmentLinkPath(alice), `{"ttl": 600, "x": "`+strings.Repeat("a", 2<<20)+`"}`)
			apitest.WantError(t, r, http.StatusRequestEntityTooLarge, "request_too_large")
		})
	})
}
