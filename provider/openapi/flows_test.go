package openapi_test

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/passbridge/passbridge/ceremony/softauthn"
)

// Paths of the document, as the calls name them.
const (
	pRegisterTx    = "/v1/apps/{app_id}/transactions/register"
	pAuthTx        = "/v1/apps/{app_id}/transactions/authenticate"
	pVerify        = "/v1/apps/{app_id}/authenticate/verify"
	pUsers         = "/v1/apps/{app_id}/users"
	pUser          = "/v1/apps/{app_id}/users/{user_id}"
	pDevices       = "/v1/apps/{app_id}/users/{user_id}/devices"
	pDevice        = "/v1/apps/{app_id}/users/{user_id}/devices/{device_id}"
	pRegStart      = "/v1/apps/{app_id}/register/transactions/webauthn/start"
	pRegFinish     = "/v1/apps/{app_id}/register/transactions/webauthn/finish"
	pAuthStart     = "/v1/apps/{app_id}/authenticate/transactions/webauthn/start"
	pAuthFinish    = "/v1/apps/{app_id}/authenticate/transactions/webauthn/finish"
	pSFRegStart    = "/v1/apps/{app_id}/passkeys/register/start"
	pSFRegFinish   = "/v1/apps/{app_id}/passkeys/register/finish"
	pSFAuthStart   = "/v1/apps/{app_id}/passkeys/authenticate/start"
	pSFAuthFinish  = "/v1/apps/{app_id}/passkeys/authenticate/finish"
	pRunCommand    = "/v1/apps/{app_id}/run-command"
	pRelatedOrigin = "/.well-known/webauthn"
)

// browser is what a page sends to the client API.
var browser = map[string]string{"Origin": origin, "Passage-Flex-Version": "1.0.2"}

// options returns a JSON member of a as raw JSON, for the authenticator.
func options(t *testing.T, a answer, keys ...string) []byte {
	t.Helper()
	v := get(a.json, keys...)
	if v == nil {
		t.Fatalf("answer %s has no %v", a.raw, keys)
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// synced is a synced passkey provider (iCloud Keychain's AAGUID).
func synced() *softauthn.Authenticator {
	return softauthn.New(softauthn.Options{
		AAGUID:         [16]byte(uuid.MustParse("fbfc3007-154e-4ecc-8c0b-6e020557d7bd")),
		BackupEligible: true,
		BackedUp:       true,
	})
}

// TestFlexFlowsConform runs the Flex API as the walk-through in the README
// does and holds every answer, success and error, to the document.
func TestFlexFlowsConform(t *testing.T) {
	w := newWorld(t)
	auth := synced()

	// Register a passkey for user-42.
	a := w.do(t, call{method: "POST", template: pRegisterTx, body: map[string]string{"external_id": "user-42", "passkey_display_name": "alice@example.com"}})
	want(t, a, 200, "")
	tx := a.str("transaction_id")
	a = w.do(t, call{method: "POST", template: pRegStart, noKey: true, header: browser, body: map[string]string{"transaction_id": tx, "authenticator_attachment": "platform"}})
	want(t, a, 200, "")
	resp, _, err := auth.Register(options(t, a, "handshake", "challenge", "publicKey"), origin)
	if err != nil {
		t.Fatal(err)
	}
	a = w.do(t, call{method: "POST", template: pRegFinish, noKey: true, header: browser, body: map[string]any{
		"transaction_id": tx, "handshake_id": a.str("handshake", "id"), "handshake_response": json.RawMessage(resp)}})
	want(t, a, 200, "")
	nonce := a.str("nonce")
	a = w.do(t, call{method: "POST", template: pVerify, body: map[string]string{"nonce": nonce}})
	want(t, a, 200, "")
	if a.str("external_id") != "user-42" {
		t.Fatalf("verify = %s, want user-42", a.raw)
	}
	want(t, w.do(t, call{method: "POST", template: pVerify, body: map[string]string{"nonce": nonce}}), 401, "invalid_nonce")

	// The transaction is spent; a foreign page may not start ceremonies.
	want(t, w.do(t, call{method: "POST", template: pRegStart, noKey: true, header: browser, body: map[string]string{"transaction_id": tx}}), 410, "transaction_expired")
	want(t, w.do(t, call{method: "POST", template: pRegStart, noKey: true, header: map[string]string{"Origin": "https://evil.example"}, body: map[string]string{"transaction_id": tx}}), 403, "origin_not_allowed")
	want(t, w.do(t, call{method: "POST", template: pRegStart, noKey: true, header: browser, body: map[string]string{"transaction_id": "nope"}}), 404, "transaction_not_found")
	want(t, w.do(t, call{method: "POST", template: pRegFinish, noKey: true, header: browser, body: map[string]string{"transaction_id": tx}}), 400, "invalid_request")

	// Find the user, its devices; rename the device.
	a = w.do(t, call{method: "GET", template: pUsers, query: "identifier=user-42"})
	want(t, a, 200, "")
	users, _ := a.json["users"].([]any)
	if len(users) != 1 {
		t.Fatalf("find users = %s, want one user", a.raw)
	}
	userID := str(users[0], "id")
	want(t, w.do(t, call{method: "GET", template: pUsers, query: "identifier=nobody&limit=5&page=2"}), 200, "")
	want(t, w.do(t, call{method: "GET", template: pUsers, query: "limit=0"}), 400, "invalid_request")
	want(t, w.do(t, call{method: "GET", template: pUser, params: map[string]string{"user_id": userID}}), 200, "")
	want(t, w.do(t, call{method: "GET", template: pUser, params: map[string]string{"user_id": "nope"}}), 404, "user_not_found")
	a = w.do(t, call{method: "GET", template: pDevices, params: map[string]string{"user_id": userID}})
	want(t, a, 200, "")
	deviceID := str(get(a.json, "devices").([]any)[0], "id")
	dev := map[string]string{"user_id": userID, "device_id": deviceID}
	want(t, w.do(t, call{method: "PATCH", template: pDevice, params: dev, body: map[string]string{"friendly_name": "Work laptop"}}), 200, "")
	want(t, w.do(t, call{method: "PATCH", template: pDevice, params: dev, body: map[string]string{}}), 400, "invalid_request")

	// Authenticate user-42 through a transaction, then discoverably.
	a = w.do(t, call{method: "POST", template: pAuthTx, body: map[string]string{"external_id": "user-42"}})
	want(t, a, 200, "")
	tx = a.str("transaction_id")
	want(t, w.do(t, call{method: "POST", template: pAuthTx, body: map[string]string{"external_id": "nobody"}}), 404, "user_not_found")
	a = w.do(t, call{method: "POST", template: pAuthStart, noKey: true, header: browser, body: map[string]string{"transaction_id": tx}})
	want(t, a, 200, "")
	assertion, err := auth.Authenticate(options(t, a, "handshake", "challenge", "publicKey"), origin)
	if err != nil {
		t.Fatal(err)
	}
	a = w.do(t, call{method: "POST", template: pAuthFinish, noKey: true, header: browser, body: map[string]any{
		"transaction_id": tx, "handshake_id": a.str("handshake", "id"), "handshake_response": json.RawMessage(assertion)}})
	want(t, a, 200, "")
	a = w.do(t, call{method: "POST", template: pAuthStart, noKey: true, header: browser})
	want(t, a, 200, "")
	if a.str("handshake", "challenge", "mediation") != "conditional" {
		t.Errorf("discoverable start = %s, want conditional mediation", a.raw)
	}
	hid := a.str("handshake", "id")
	assertion, err = auth.Authenticate(options(t, a, "handshake", "challenge", "publicKey"), origin)
	if err != nil {
		t.Fatal(err)
	}
	tampered := strings.Replace(string(assertion), `"signature":"`, `"signature":"AAAA`, 1)
	want(t, w.do(t, call{method: "POST", template: pAuthFinish, noKey: true, header: browser, body: map[string]any{
		"handshake_id": hid, "handshake_response": json.RawMessage(tampered)}}), 422, "webauthn_verification_failed")
	a = w.do(t, call{method: "POST", template: pAuthFinish, noKey: true, header: browser, body: map[string]any{
		"handshake_id": hid, "handshake_response": json.RawMessage(assertion)}})
	want(t, a, 200, "")
	want(t, w.do(t, call{method: "POST", template: pAuthFinish, noKey: true, header: browser, body: map[string]any{
		"handshake_id": hid, "handshake_response": json.RawMessage(assertion)}}), 404, "handshake_not_found")

	// The API key and the app are checked first; bodies are bounded.
	a = w.do(t, call{method: "GET", template: pUsers, noKey: true})
	want(t, a, 401, "invalid_access_token")
	if a.header.Get("WWW-Authenticate") == "" {
		t.Error("401 invalid_access_token without WWW-Authenticate")
	}
	want(t, w.do(t, call{method: "GET", template: pUsers, params: map[string]string{"app_id": "nope"}}), 404, "app_not_found")
	want(t, w.do(t, call{method: "POST", template: pRegisterTx, body: `{"external_id": "` + strings.Repeat("x", 2<<20) + `"}`}), 413, "request_too_large")

	// Revoke the device, delete the user.
	want(t, w.do(t, call{method: "DELETE", template: pDevice, params: dev}), 200, "")
	want(t, w.do(t, call{method: "DELETE", template: pDevice, params: dev}), 404, "device_not_found")
	want(t, w.do(t, call{method: "POST", template: pAuthTx, body: map[string]string{"external_id": "user-42"}}), 409, "user_has_no_passkeys")
	want(t, w.do(t, call{method: "DELETE", template: pUser, params: map[string]string{"user_id": userID}}), 200, "")
	want(t, w.do(t, call{method: "DELETE", template: pUser, params: map[string]string{"user_id": userID}}), 404, "user_not_found")

	w.requireExercised(t, pRegisterTx, pAuthTx, pVerify, pUsers, pUser, pDevices, pDevice, pRegStart, pRegFinish, pAuthStart, pAuthFinish)
}

// TestStartFinishFlowsConform runs the start/finish API, in its REST and
// its command form, and holds every answer to the document.
func TestStartFinishFlowsConform(t *testing.T) {
	w := newWorld(t)
	auth := synced()

	a := w.do(t, call{method: "POST", template: pSFRegStart, body: map[string]string{"user_id": "user-7", "email_or_username": "bob@example.com"}})
	want(t, a, 200, "")
	resp, _, err := auth.Register(options(t, a, "registrationOptions"), origin)
	if err != nil {
		t.Fatal(err)
	}
	want(t, w.do(t, call{method: "POST", template: pSFRegStart, body: map[string]string{"user_id": "user-7"}}), 400, "invalid_request")
	want(t, w.do(t, call{method: "POST", template: pSFRegFinish, body: map[string]any{"user_id": "user-7", "publicKey": json.RawMessage(resp)}}), 200, "")
	want(t, w.do(t, call{method: "POST", template: pSFRegFinish, body: map[string]any{"user_id": "user-7", "publicKey": json.RawMessage(resp)}}), 404, "handshake_not_found")

	a = w.do(t, call{method: "POST", template: pSFAuthStart, body: map[string]string{"user_id": "user-7"}})
	want(t, a, 200, "")
	assertion, err := auth.Authenticate(options(t, a, "authenticationOptions"), origin)
	if err != nil {
		t.Fatal(err)
	}
	a = w.do(t, call{method: "POST", template: pSFAuthFinish, body: map[string]any{"user_id": "user-7", "publicKey": json.RawMessage(assertion)}})
	want(t, a, 200, "")
	if a.str("external_id") != "user-7" {
		t.Errorf("finish = %s, want user-7", a.raw)
	}
	want(t, w.do(t, call{method: "POST", template: pSFAuthStart}), 200, "")
	want(t, w.do(t, call{method: "POST", template: pSFAuthStart, body: map[string]string{"user_id": "nobody"}}), 404, "user_not_found")
	want(t, w.do(t, call{method: "POST", template: pSFAuthStart, noKey: true}), 401, "invalid_access_token")

	// The command form, with a second authenticator and user.
	cmd := func(command string, data any) call {
		return call{method: "POST", template: pRunCommand, body: map[string]any{"command": command, "data": data}}
	}
	other := synced()
	a = w.do(t, cmd("StartPasskeyRegistration", map[string]string{"userId": "user-9", "emailOrUsername": "carol@example.com"}))
	want(t, a, 200, "")
	resp, cred, err := other.Register(options(t, a, "registrationOptions"), origin)
	if err != nil {
		t.Fatal(err)
	}
	want(t, w.do(t, cmd("FinishPasskeyRegistration", map[string]any{"userId": "user-9", "publicKey": json.RawMessage(resp)})), 200, "")
	want(t, w.do(t, cmd("FinishPasskeyRegistration", map[string]any{"userId": "user-9", "publicKey": json.RawMessage(resp)})), 404, "NoRegistrationChallengeFound")
	a = w.do(t, cmd("StartPasskeyAuthentication", map[string]string{}))
	want(t, a, 200, "")
	assertion, err = other.Authenticate(options(t, a, "authenticationOptions"), origin)
	if err != nil {
		t.Fatal(err)
	}
	a = w.do(t, cmd("FinishPasskeyAuthentication", map[string]any{"publicKey": json.RawMessage(assertion)}))
	want(t, a, 200, "")
	if a.str("userId") != "user-9" {
		t.Errorf("FinishPasskeyAuthentication = %s, want user-9", a.raw)
	}
	want(t, w.do(t, cmd("FetchAllPasskeysForUser", map[string]string{"userId": "user-9"})), 200, "")
	credID := base64.RawURLEncoding.EncodeToString(cred.ID)
	want(t, w.do(t, cmd("DeregisterPasskey", map[string]string{"userId": "user-9", "credentialId": credID})), 200, "")
	want(t, w.do(t, cmd("DeregisterPasskey", map[string]string{"userId": "user-9", "credentialId": credID})), 404, "PasskeyNotFound")
	want(t, w.do(t, cmd("DeregisterAllPasskeysForUser", map[string]string{"userId": "user-7"})), 200, "")
	want(t, w.do(t, cmd("StartPasskeyAuthentication", map[string]string{"userId": "user-7"})), 409, "UserHasNoPasskeys")
	want(t, w.do(t, cmd("StartPasskeyRegistration", map[string]string{})), 400, "InvalidRequestFields")
	want(t, w.do(t, cmd("ResetEverything", nil)), 400, "UnknownCommand")
	want(t, w.do(t, call{method: "POST", template: pRunCommand, body: "[]"}), 400, "BadRequest")
	unauthorized := cmd("FetchAllPasskeysForUser", map[string]string{"userId": "user-9"})
	unauthorized.noKey = true
	want(t, w.do(t, unauthorized), 401, "Unauthorized")
	unknownApp := cmd("FetchAllPasskeysForUser", map[string]string{"userId": "user-9"})
	unknownApp.params = map[string]string{"app_id": "nope"}
	want(t, w.do(t, unknownApp), 404, "AppNotFound")

	w.requireExercised(t, pSFRegStart, pSFRegFinish, pSFAuthStart, pSFAuthFinish, pRunCommand)
}

// TestPublicResourcesConform fetches the well-known, SDK and operational
// resources and holds them to the document.
func TestPublicResourcesConform(t *testing.T) {
	w := newWorld(t)
	a := w.do(t, call{method: "GET", template: pRelatedOrigin})
	want(t, a, 200, "")
	if got := get(a.json, "origins"); len(got.([]any)) != 1 || got.([]any)[0] != origin {
		t.Errorf("related origins = %s, want [%s]", a.raw, origin)
	}
	paths := []string{"/sdk/flex.js", "/sdk/flex.d.ts", "/healthz", "/readyz", "/metrics", "/openapi.json"}
	for _, p := range paths {
		want(t, w.do(t, call{method: "GET", template: p}), 200, "")
	}
	a = w.do(t, call{method: "GET", template: "/openapi.json"})
	want(t, w.do(t, call{method: "GET", template: "/openapi.json", header: map[string]string{"If-None-Match": a.header.Get("ETag")}}), 304, "")
	a = w.do(t, call{method: "GET", template: "/sdk/flex.js"})
	want(t, w.do(t, call{method: "GET", template: "/sdk/flex.js", header: map[string]string{"If-None-Match": a.header.Get("ETag")}}), 304, "")
	w.requireExercised(t, append(paths, pRelatedOrigin)...)
}
