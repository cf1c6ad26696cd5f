package flexapi_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/passbridge/passbridge/ceremony/softauthn"
	"github.com/passbridge/passbridge/provider/internal/apitest"
)

// The retired Passage SDK's requests work as they are: its header passes the
// preflight, and its finish bodies (no clientExtensionResults, top-level
// transports, userHandle "") are accepted.
func TestPassageSDKShape(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		passage := map[string]string{"Origin": testOrigin, "Passage-Flex-Version": "1.0.2"}
		for _, path := range []string{"/register/transactions/webauthn/start", "/authenticate/transactions/webauthn/finish"} {
			r := h.send(request{method: http.MethodOptions, path: "/v1/apps/" + h.app.ID + path, header: map[string]string{
				"Origin": testOrigin, "Access-Control-Request-Method": "POST",
				"Access-Control-Request-Headers": "content-type,passage-flex-version",
			}})
			if r.Status != http.StatusNoContent || r.Header.Get("Access-Control-Allow-Origin") != testOrigin ||
				!strings.Contains(strings.ToLower(r.Header.Get("Access-Control-Allow-Headers")), "passage-flex-version") {
				t.Fatalf("preflight %s: %d %v", path, r.Status, r.Header)
			}
		}
		call := func(path string, body any) apitest.Response {
			return h.send(request{method: http.MethodPost, path: "/v1/apps/" + h.app.ID + path, body: body, header: passage})
		}

		a := softauthn.New(softauthn.Options{BackupEligible: true})
		tx := h.createRegisterTransaction("ivy")
		r := call("/register/transactions/webauthn/start", map[string]string{"transaction_id": tx, "authenticator_attachment": "platform"})
		apitest.OK(t, r)
		var hs handshakeJSON
		r.Decode(t, &hs)
		resp, _, err := a.Register(hs.Handshake.Challenge.PublicKey, testOrigin, softauthn.WithPassageShape())
		if err != nil {
			t.Fatal(err)
		}
		r = call("/register/transactions/webauthn/finish", finishBody(tx, hs.Handshake.ID, resp))
		if r.Header.Get("Access-Control-Allow-Origin") != testOrigin {
			t.Fatalf("no CORS header on the answer: %v", r.Header)
		}
		if got := h.verify(nonceOf(t, r)); got != "ivy" {
			t.Fatalf("verify: %q", got)
		}
		if ds := h.devices(h.userID("ivy")); strings.Join(ds[0].Transports, ",") != "internal,hybrid" {
			t.Fatalf("top-level transports not kept: %+v", ds[0])
		}

		for _, tx := range []string{"", h.createAuthenticateTransaction("ivy")} {
			body := map[string]string{}
			if tx != "" {
				body["transaction_id"] = tx
			}
			r = call("/authenticate/transactions/webauthn/start", body)
			apitest.OK(t, r)
			r.Decode(t, &hs)
			resp, err := a.Authenticate(hs.Handshake.Challenge.PublicKey, testOrigin, softauthn.WithPassageShape())
			if err != nil {
				t.Fatal(err)
			}
			if got := h.verify(nonceOf(t, call("/authenticate/transactions/webauthn/finish", finishBody(tx, hs.Handshake.ID, resp)))); got != "ivy" {
				t.Fatalf("verify: %q", got)
			}
		}
	})
}

// CORS answers the app's exact origins only; other origins are refused,
// preflight or not, and change nothing.
func TestCORS(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		path := "/v1/apps/" + h.app.ID + "/register/transactions/webauthn/start"
		r := h.send(request{method: http.MethodOptions, path: path, header: map[string]string{
			"Origin": testOrigin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type",
		}})
		if r.Status != http.StatusNoContent || r.Header.Get("Access-Control-Allow-Origin") != testOrigin ||
			r.Header.Get("Access-Control-Allow-Methods") != "POST" || r.Header.Get("Access-Control-Max-Age") == "" ||
			!strings.Contains(r.Header.Get("Vary"), "Origin") || len(r.Body) != 0 {
			t.Fatalf("preflight: %d %v %q", r.Status, r.Header, r.Body)
		}

		tx := h.createRegisterTransaction("jack")
		for _, origin := range []string{"https://evil.example", "https://app.example.com:8443", "http://app.example.com", "null", "https://other.example"} {
			h.unchanged(t, func() {
				r := h.send(request{method: http.MethodOptions, path: path, header: map[string]string{
					"Origin": origin, "Access-Control-Request-Method": "POST",
				}})
				apitest.WantError(t, r, 403, "origin_not_allowed")
				if r.Header.Get("Access-Control-Allow-Origin") != "" {
					t.Fatalf("preflight from %s allowed: %v", origin, r.Header)
				}
				r = h.send(request{method: http.MethodPost, path: path, body: map[string]string{"transaction_id": tx},
					header: map[string]string{"Origin": origin}})
				apitest.WantError(t, r, 403, "origin_not_allowed")
			})
		}
		// Errors reach an allowed page readably: the SDK shows their message.
		r = h.client("/register/transactions/webauthn/start", map[string]string{"transaction_id": "nosuchtransaction"})
		apitest.WantError(t, r, 404, "transaction_not_found")
		if r.Header.Get("Access-Control-Allow-Origin") != testOrigin {
			t.Fatalf("error without CORS header: %v", r.Header)
		}
		// No Origin: not a browser's cross-origin call.
		r = h.send(request{method: http.MethodPost, path: path, body: map[string]string{"transaction_id": tx}})
		apitest.OK(t, r)
		if r.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Fatalf("CORS header without Origin: %v", r.Header)
		}
		// Management calls are not for browsers: no CORS there.
		r = h.send(request{method: http.MethodOptions, path: "/v1/apps/" + h.app.ID + "/transactions/register", header: map[string]string{"Origin": testOrigin}})
		if r.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Fatalf("management preflight answered with CORS: %v", r.Header)
		}
	})
}

// authenticator_attachment is honoured: platform by default, as the
// Passage SDK sends it, cross-platform, or no constraint for "any".
func TestAuthenticatorAttachment(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		for _, c := range []struct{ sent, want string }{
			{"", "platform"}, {"platform", "platform"}, {"cross-platform", "cross-platform"}, {"any", ""},
		} {
			body := map[string]string{"transaction_id": h.createRegisterTransaction("kim")}
			if c.sent != "" {
				body["authenticator_attachment"] = c.sent
			}
			hs := h.start("/register/transactions/webauthn/start", body)
			var o struct {
				AuthenticatorSelection struct {
					AuthenticatorAttachment string `json:"authenticatorAttachment"`
				} `json:"authenticatorSelection"`
			}
			if err := json.Unmarshal(hs.Handshake.Challenge.PublicKey, &o); err != nil {
				t.Fatal(err)
			}
			if got := o.AuthenticatorSelection.AuthenticatorAttachment; got != c.want {
				t.Errorf("authenticator_attachment %q: options ask for %q, want %q", c.sent, got, c.want)
			}
		}
	})
}

// /.well-known/webauthn lists the origins of the apps whose RP ID is the
// issuer's host, sorted, each once.
func TestRelatedOrigins(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		h.createApp("Shop", testRPID, "https://shop.example.com", testOrigin)
		h.createApp("Elsewhere", "elsewhere.example", "https://elsewhere.example")
		r := h.send(request{method: http.MethodGet, path: "/.well-known/webauthn"})
		apitest.OK(t, r)
		if r.Header.Get("Cache-Control") != "public, max-age=300" || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
			t.Fatalf("headers: %v", r.Header)
		}
		if string(r.Body) != `{"origins":["https://app.example.com","https://shop.example.com"]}` {
			t.Fatalf("body %s", r.Body)
		}
	})
}
