package openapi_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/passbridge/passbridge/provider"
	"github.com/passbridge/passbridge/provider/openapi"
	"github.com/passbridge/passbridge/storage"
)

// Paths of the admin API, as the calls name them.
const (
	aApps       = "/admin/v1/apps"
	aApp        = "/admin/v1/apps/{app_id}"
	aAPIKeys    = "/admin/v1/apps/{app_id}/api-keys"
	aAPIKey     = "/admin/v1/apps/{app_id}/api-keys/{key_id}"
	aClients    = "/admin/v1/apps/{app_id}/clients"
	aClient     = "/admin/v1/apps/{app_id}/clients/{client_id}"
	aUsers      = "/admin/v1/apps/{app_id}/users"
	aUser       = "/admin/v1/apps/{app_id}/users/{user_id}"
	aDevices    = "/admin/v1/apps/{app_id}/users/{user_id}/devices"
	aDevice     = "/admin/v1/apps/{app_id}/users/{user_id}/devices/{device_id}"
	aSessions   = "/admin/v1/apps/{app_id}/users/{user_id}/sessions"
	aEnrolLinks = "/admin/v1/apps/{app_id}/users/{user_id}/enrolment-links"
	aImport     = "/admin/v1/apps/{app_id}/import"
	aExport     = "/admin/v1/apps/{app_id}/export"
	aAudit      = "/admin/v1/audit"
	aKeys       = "/admin/v1/keys"
	aRotate     = "/admin/v1/keys/rotate"
)

// TestAdminFlowsConform runs every operation of the admin API, and the
// refusals an operator meets, and holds each answer to the document.
func TestAdminFlowsConform(t *testing.T) {
	w := newWorld(t)

	// A user with a passkey, through the Flex API, and a session of it.
	auth := synced()
	a := w.do(t, call{method: "POST", template: pRegisterTx, body: map[string]string{"external_id": "user-42", "passkey_display_name": "alice"}})
	want(t, a, 200, "")
	tx := a.str("transaction_id")
	a = w.do(t, call{method: "POST", template: pRegStart, noKey: true, header: browser, body: map[string]string{"transaction_id": tx}})
	want(t, a, 200, "")
	resp, _, err := auth.Register(options(t, a, "handshake", "challenge", "publicKey"), origin)
	if err != nil {
		t.Fatal(err)
	}
	want(t, w.do(t, call{method: "POST", template: pRegFinish, noKey: true, header: browser, body: map[string]any{
		"transaction_id": tx, "handshake_id": a.str("handshake", "id"), "handshake_response": json.RawMessage(resp)}}), 200, "")

	// Apps.
	want(t, w.do(t, call{method: "GET", template: aApps, query: "limit=1"}), 200, "")
	a = w.do(t, call{method: "POST", template: aApps, body: map[string]any{"name": "Blog", "rp_id": "localhost", "origins": []string{origin}}})
	want(t, a, 201, "")
	blog := map[string]string{"app_id": a.str("id")}
	want(t, w.do(t, call{method: "POST", template: aApps, body: map[string]any{"name": "Blog", "rp_id": "com", "origins": []string{origin}}}), 400, "invalid_request")
	want(t, w.do(t, call{method: "GET", template: aApp, params: blog}), 200, "")
	want(t, w.do(t, call{method: "PATCH", template: aApp, params: blog, body: map[string]any{"allow_signup": true}}), 200, "")
	want(t, w.do(t, call{method: "GET", template: aApp, params: map[string]string{"app_id": "nope"}}), 404, "app_not_found")
	want(t, w.do(t, call{method: "GET", template: aApps, noKey: true}), 401, "invalid_access_token")
	want(t, w.do(t, call{method: "GET", template: aApps, noKey: true, header: map[string]string{"Authorization": "Bearer " + w.key}}), 401, "invalid_access_token")

	// API keys.
	want(t, w.do(t, call{method: "GET", template: aAPIKeys}), 200, "")
	a = w.do(t, call{method: "POST", template: aAPIKeys, body: map[string]string{"name": "backend"}})
	want(t, a, 201, "")
	if !strings.HasPrefix(a.str("key"), storage.PrefixAPIKey) {
		t.Fatalf("created key %s", a.raw)
	}
	key := map[string]string{"key_id": a.str("id")}
	want(t, w.do(t, call{method: "POST", template: aAPIKeys, body: map[string]string{}}), 400, "invalid_request")
	want(t, w.do(t, call{method: "DELETE", template: aAPIKey, params: key}), 204, "")
	want(t, w.do(t, call{method: "DELETE", template: aAPIKey, params: key}), 404, "api_key_not_found")

	// Clients.
	jwks := `{"keys":[{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0","kid":"k1","use":"sig"}]}`
	a = w.do(t, call{method: "POST", template: aClients, body: map[string]any{"redirect_uris": []string{"https://rp.example/cb"},
		"auth_method": "private_key_jwt", "jwks": json.RawMessage(jwks)}})
	want(t, a, 201, "")
	a = w.do(t, call{method: "POST", template: aClients, body: map[string]any{"name": "Web", "redirect_uris": []string{"https://rp.example/cb"}}})
	want(t, a, 201, "")
	if !strings.HasPrefix(a.str("client_secret"), storage.PrefixClientSecret) {
		t.Fatalf("confidential client without a secret: %s", a.raw)
	}
	client := map[string]string{"client_id": a.str("client_id")}
	want(t, w.do(t, call{method: "GET", template: aClients}), 200, "")
	want(t, w.do(t, call{method: "GET", template: aClient, params: client}), 200, "")
	want(t, w.do(t, call{method: "PATCH", template: aClient, params: client, body: map[string]any{"rotate_secret": true}}), 200, "")
	want(t, w.do(t, call{method: "PATCH", template: aClient, params: client, body: map[string]any{"redirect_uris": []string{"ftp://x"}}}), 400, "invalid_request")
	want(t, w.do(t, call{method: "GET", template: aClient, params: map[string]string{"client_id": "nope"}}), 404, "client_not_found")
	want(t, w.do(t, call{method: "DELETE", template: aClient, params: client}), 204, "")

	// Users, devices, sessions, enrolment links.
	a = w.do(t, call{method: "GET", template: aUsers, query: "external_id=user-42&status=active"})
	want(t, a, 200, "")
	items, _ := a.json["items"].([]any)
	if len(items) != 1 {
		t.Fatalf("users %s", a.raw)
	}
	user := map[string]string{"user_id": str(items[0], "id")}
	want(t, w.do(t, call{method: "GET", template: aUsers, query: "status=gone"}), 400, "invalid_request")
	want(t, w.do(t, call{method: "GET", template: aUser, params: user}), 200, "")
	want(t, w.do(t, call{method: "GET", template: aUser, params: map[string]string{"user_id": "nope"}}), 404, "user_not_found")
	want(t, w.do(t, call{method: "POST", template: aEnrolLinks, params: user, body: map[string]int{"ttl": 3600}}), 201, "")
	want(t, w.do(t, call{method: "POST", template: aEnrolLinks, params: user, body: map[string]int{"ttl": 1}}), 400, "invalid_request")
	a = w.do(t, call{method: "GET", template: aDevices, params: user})
	want(t, a, 200, "")
	dev := map[string]string{"user_id": user["user_id"], "device_id": str(a.json["items"].([]any)[0], "id")}
	want(t, w.do(t, call{method: "PATCH", template: aDevice, params: dev, body: map[string]string{"friendly_name": "Phone"}}), 200, "")
	want(t, w.do(t, call{method: "PATCH", template: aDevice, params: map[string]string{"user_id": user["user_id"], "device_id": "nope"},
		body: map[string]string{"friendly_name": "Phone"}}), 404, "device_not_found")
	now := time.Now().UTC()
	if err := w.store.CreateSession(t.Context(), storage.Session{ID: storage.NewID(), AppID: w.app.ID, UserID: user["user_id"],
		Hash: storage.HashSecret(storage.NewID()), DeviceID: dev["device_id"], AuthTime: now, AMR: []string{"swk"}, ACR: "phr",
		CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	want(t, w.do(t, call{method: "GET", template: aSessions, params: user}), 200, "")
	want(t, w.do(t, call{method: "DELETE", template: aSessions, params: user}), 200, "")
	want(t, w.do(t, call{method: "PATCH", template: aUser, params: user, body: map[string]string{"status": "inactive"}}), 200, "")
	want(t, w.do(t, call{method: "POST", template: aEnrolLinks, params: user}), 403, "user_inactive")
	want(t, w.do(t, call{method: "PATCH", template: aUser, params: user, body: map[string]string{"status": "active", "display_name": "Alice"}}), 200, "")

	// Export, then import into the other app of the same RP ID.
	a = w.do(t, call{method: "GET", template: aExport})
	want(t, a, 200, "")
	export := string(a.raw)
	want(t, w.do(t, call{method: "POST", template: aImport, params: blog, query: "dry_run=true", body: export}), 200, "")
	want(t, w.do(t, call{method: "POST", template: aImport, params: blog, body: export}), 200, "")
	mismatched := strings.Replace(export, `"rp_id":"localhost"`, `"rp_id":"example.com"`, 1)
	if mismatched == export {
		t.Fatalf("export without its RP ID: %s", export)
	}
	want(t, w.do(t, call{method: "POST", template: aImport, params: blog, body: mismatched}), 422, "rp_id_mismatch")

	// Devices and users go.
	want(t, w.do(t, call{method: "DELETE", template: aDevice, params: dev}), 204, "")
	want(t, w.do(t, call{method: "DELETE", template: aDevices, params: user}), 200, "")
	want(t, w.do(t, call{method: "DELETE", template: aUser, params: user}), 204, "")
	want(t, w.do(t, call{method: "DELETE", template: aApp, params: blog}), 204, "")

	// The audit log and the signing keys.
	want(t, w.do(t, call{method: "GET", template: aAudit, query: "actor=admin_key&limit=5"}), 200, "")
	want(t, w.do(t, call{method: "GET", template: aAudit, query: "since=yesterday"}), 400, "invalid_request")
	want(t, w.do(t, call{method: "GET", template: aKeys}), 200, "")
	want(t, w.do(t, call{method: "POST", template: aRotate}), 409, "rotation_too_soon")
	want(t, w.do(t, call{method: "POST", template: aRotate, query: "force=true"}), 200, "")

	var admin []string
	paths, err := openapi.Paths()
	if err != nil {
		t.Fatal(err)
	}
	for p := range paths {
		if strings.HasPrefix(p, "/admin/") {
			admin = append(admin, p)
		}
	}
	slices.Sort(admin)
	if len(admin) != 17 {
		t.Fatalf("the document has %d admin paths, want 17: %v", len(admin), admin)
	}
	w.requireExercised(t, admin...)
}

// Every admin operation answers a 429 the document describes, once the
// admin key has spent its own rate limit.
func TestAdminRateLimitedAnswersConform(t *testing.T) {
	// One request per 1,000 seconds, after the first.
	w := newWorld(t, func(d *provider.Deps) { d.KeyRateLimit = 0.001; d.KeyRateLimitBurst = 1 })
	want(t, w.do(t, call{method: "GET", template: aApps}), 200, "")
	paths, err := openapi.Paths()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for path, methods := range paths {
		if !strings.HasPrefix(path, "/admin/") {
			continue
		}
		for _, m := range methods {
			n++
			c := call{method: m, template: path, params: map[string]string{"user_id": "u1", "device_id": "d1", "key_id": "k1", "client_id": "c1"}}
			if m == "POST" || m == "PATCH" {
				c.body = "{}"
			}
			a := w.do(t, c)
			want(t, a, 429, "rate_limited")
			if a.header.Get("Retry-After") == "" {
				t.Fatalf("%s %s: 429 without Retry-After", m, path)
			}
		}
	}
	if n != 29 {
		t.Fatalf("%d admin operations, want 29", n)
	}
}
