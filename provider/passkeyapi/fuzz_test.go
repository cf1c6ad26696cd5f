package passkeyapi_test

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/passbridge/passbridge/ceremony/softauthn"
	"github.com/passbridge/passbridge/storage/sqlstore/sqlstoretest"
)

// Arbitrary run-command bodies never get a server error, and every answer
// is either a result or the command form's error shape.
func FuzzRunCommand(f *testing.F) {
	h := newHarness(f, sqlstoretest.Open(f, sqlstoretest.SQLite))
	h.srv.Client().Timeout = 10 * time.Second
	a := softauthn.New(softauthn.Options{})
	h.register(a, "alice")
	resp, err := a.Authenticate(h.authenticationOptions("alice"), testOrigin)
	if err != nil {
		f.Fatal(err)
	}
	cred := a.Credentials()[0].ID
	seeds := []any{
		map[string]any{"command": "StartPasskeyRegistration", "data": map[string]string{"userId": "bob", "emailOrUsername": "bob"}},
		map[string]any{"command": "FinishPasskeyRegistration", "data": map[string]any{"userId": "bob", "publicKey": json.RawMessage(softauthn.Corrupt(resp, softauthn.CorruptCBOR))}},
		map[string]any{"command": "StartPasskeyAuthentication", "data": map[string]string{"userId": ""}},
		map[string]any{"command": "FinishPasskeyAuthentication", "data": map[string]any{"userId": "alice", "publicKey": json.RawMessage(resp)}},
		map[string]any{"command": "FetchAllPasskeysForUser", "data": map[string]string{"userId": "alice"}},
		map[string]any{"command": "DeregisterPasskey", "data": map[string]any{"userId": "alice", "credentialId": cred}},
		map[string]any{"command": "DeregisterAllPasskeysForUser", "data": map[string]string{"userId": "alice"}},
	}
	for _, s := range seeds {
		b, _ := json.Marshal(s)
		f.Add(b)
	}
	for _, s := range []string{``, `{}`, `[]`, `{"command":5}`, `{"command":"DeregisterPasskey","data":"x"}`, `{"command":"X","data":{}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		r := h.send(t, request{path: "/v1/apps/" + h.app.ID + "/run-command", body: body, key: h.key})
		if r.Status >= 500 {
			t.Fatalf("status %d for %q: %s", r.Status, body, r.Body)
		}
		if r.Status != http.StatusOK {
			var e map[string]json.RawMessage
			if json.Unmarshal(r.Body, &e) != nil || e["type"] == nil || len(e) != 2 {
				t.Fatalf("status %d: error body %s is not {type, details}", r.Status, r.Body)
			}
		}
	})
}
