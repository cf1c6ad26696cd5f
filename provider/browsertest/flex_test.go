//go:build e2e

package browsertest

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/passbridge/passbridge/storage"
	"github.com/passbridge/passbridge/storage/sqlstore"
	"github.com/passbridge/passbridge/storage/sqlstore/sqlstoretest"
)

// TestBrowserFlexCeremonies runs every Flex ceremony through the SDK in
// Chromium with the browser's own WebAuthn JSON helpers, on each store
// engine (PostgreSQL skips unless configured).
func TestBrowserFlexCeremonies(t *testing.T) {
	sqlstoretest.ForEach(t, func(t *testing.T, open func(testing.TB) *sqlstore.Store) {
		testCeremonies(t, open(t), nil)
	})
}

// TestBrowserFlexFallbackJSON runs the same ceremonies with the browser's
// WebAuthn JSON helpers hidden, so the SDK's own base64url conversion builds
// the options and the responses.
func TestBrowserFlexFallbackJSON(t *testing.T) {
	testCeremonies(t, sqlstoretest.Open(t, sqlstoretest.SQLite), url.Values{"fallback": {"1"}})
}

// testCeremonies is one user's life through the SDK, on one authenticator:
// nothing to sign in with, registration, a refused second registration,
// discoverable, bound and conditional sign-ins, a pending conditional request
// that a new ceremony aborts, then the server refusals the SDK surfaces.
// The steps depend on each other, so they run in order and stop at the
// first failure. store is a fresh store of the engine under test.
func testCeremonies(t *testing.T, store storage.Store, query url.Values) {
	b := startBrowser(t)
	e := newEnvOn(t, store)
	b.open(t, e.pageURL("", query))

	caps := call[capabilities](t, b, "capabilities")
	if wantNative := query == nil; caps.NativeJSON != wantNative {
		t.Fatalf("browser's WebAuthn JSON helpers present = %v, want %v", caps.NativeJSON, wantNative)
	}
	// The virtual authenticator is a user-verifying platform authenticator,
	// and Chromium offers conditional mediation.
	want := capabilities{CanRegister: true, CanRegisterTopLevel: true, CanAuthenticate: true, CanConditional: true,
		NativeJSON: caps.NativeJSON, BaseURL: e.page, SameClass: true}
	if caps != want {
		t.Fatalf("capabilities %+v, want %+v", caps, want)
	}

	step(t, "no passkey yet", func(t *testing.T) {
		mustFail(t, b.authenticate(t, "", nil), "NotAllowedError")
	})

	var registerTx string
	step(t, "register", func(t *testing.T) {
		e.rec.take()
		registerTx = e.registerTransaction(t, "alice")
		nonce := mustNonce(t, b.register(t, registerTx, nil))
		if got := e.verify(t, nonce); got != "alice" {
			t.Fatalf("nonce verified as %q, want alice", got)
		}
		reqs := e.rec.take()
		checkWire(t, reqs, []wireCall{
			{"register/transactions/webauthn/start", []string{"transaction_id", "authenticator_attachment"}},
			{"register/transactions/webauthn/finish", []string{"transaction_id", "handshake_id", "handshake_response"}},
		})
		if got := string(reqs[0].Body["authenticator_attachment"]); got != `"platform"` {
			t.Errorf("authenticator_attachment = %s, want the default \"platform\"", got)
		}
		if got := string(reqs[1].Body["transaction_id"]); got != `"`+registerTx+`"` {
			t.Errorf("finish transaction_id = %s, want %q", got, registerTx)
		}
		checkRegistrationJSON(t, reqs[1].Body["handshake_response"])

		if n := len(b.credentials(t)); n != 1 {
			t.Fatalf("authenticator holds %d credentials, want 1", n)
		}
		users := e.mgmt(t, http.MethodGet, "/users?identifier=alice", nil, http.StatusOK)
		if list, _ := users["users"].([]any); len(list) != 1 {
			t.Fatalf("users of alice: %v", users)
		}
	})

	step(t, "a nonce is single-use", func(t *testing.T) {
		tx := e.authenticateTransaction(t, "alice")
		nonce := mustNonce(t, b.authenticate(t, tx, nil))
		e.verify(t, nonce)
		res := e.mgmt(t, http.MethodPost, "/authenticate/verify", map[string]string{"nonce": nonce}, http.StatusUnauthorized)
		if res["code"] != "invalid_nonce" {
			t.Fatalf("second verify: %v, want invalid_nonce", res)
		}
	})

	step(t, "second registration on the same authenticator", func(t *testing.T) {
		// The start lists alice's credential in excludeCredentials, so the
		// authenticator refuses to make another (WebAuthn L3 §6.3.2 step 3).
		e.rec.take()
		out := b.register(t, e.registerTransaction(t, "alice"), map[string]any{"attachment": "any"})
		mustFail(t, out, "InvalidStateError")
		reqs := e.rec.take()
		if len(reqs) != 1 || string(reqs[0].Body["authenticator_attachment"]) != `"any"` {
			t.Errorf("start requests %+v, want one with authenticator_attachment \"any\"", reqs)
		}
		if out.Code != "" || out.Status != 0 {
			t.Errorf("browser refusal carries server fields: %v", out)
		}
		if n := len(b.credentials(t)); n != 1 {
			t.Fatalf("authenticator holds %d credentials, want 1", n)
		}
	})

	step(t, "discoverable authentication", func(t *testing.T) {
		e.rec.take()
		nonce := mustNonce(t, b.authenticate(t, "", nil))
		if got := e.verify(t, nonce); got != "alice" {
			t.Fatalf("nonce verified as %q, want alice", got)
		}
		reqs := e.rec.take()
		checkWire(t, reqs, []wireCall{
			{"authenticate/transactions/webauthn/start", nil},
			{"authenticate/transactions/webauthn/finish", []string{"handshake_id", "handshake_response"}},
		})
		checkAuthenticationJSON(t, reqs[1].Body["handshake_response"])
	})

	step(t, "bound authentication", func(t *testing.T) {
		tx := e.authenticateTransaction(t, "alice")
		e.rec.take()
		nonce := mustNonce(t, b.authenticate(t, tx, nil))
		if got := e.verify(t, nonce); got != "alice" {
			t.Fatalf("nonce verified as %q, want alice", got)
		}
		reqs := e.rec.take()
		checkWire(t, reqs, []wireCall{
			{"authenticate/transactions/webauthn/start", []string{"transaction_id"}},
			{"authenticate/transactions/webauthn/finish", []string{"transaction_id", "handshake_id", "handshake_response"}},
		})
		checkAuthenticationJSON(t, reqs[1].Body["handshake_response"])
	})

	step(t, "conditional authentication", func(t *testing.T) {
		// The virtual authenticator picks its one credential at once, as a
		// user choosing it in the autofill would.
		e.rec.take()
		nonce := mustNonce(t, b.authenticate(t, "", map[string]any{"conditional": true}))
		if got := e.verify(t, nonce); got != "alice" {
			t.Fatalf("nonce verified as %q, want alice", got)
		}
		checkWire(t, e.rec.take(), []wireCall{
			{"authenticate/transactions/webauthn/start", nil},
			{"authenticate/transactions/webauthn/finish", []string{"handshake_id", "handshake_response"}},
		})
	})

	step(t, "a new ceremony aborts a pending conditional one", func(t *testing.T) {
		// Without presence simulation nothing answers the conditional
		// request: it waits, as for a user who has not opened the autofill,
		// until the SDK aborts it.
		b.setPresence(t, false)
		defer b.setPresence(t, true)
		call[chromedp.Void](t, b, "startConditional")
		b.waitFor(t, "window.conditionalPending > 0")
		out := b.register(t, registerTx, nil) // consumed: the server refuses it
		mustFail(t, out, "PassageFlexError")
		mustFail(t, call[outcome](t, b, "conditionalOutcome"), "AbortError")
		b.waitFor(t, "window.conditionalPending === 0")
	})

	step(t, "server refusals surface the server's code", func(t *testing.T) {
		for _, tc := range []struct {
			name     string
			run      func() outcome
			code     string
			status   int
			requests int // client API calls the failed ceremony made
		}{
			{"consumed transaction", func() outcome { return b.register(t, registerTx, nil) }, "transaction_expired", http.StatusGone, 1},
			{"unknown transaction", func() outcome { return b.authenticate(t, storage.NewID(), nil) }, "transaction_not_found", http.StatusNotFound, 1},
			{"unknown app", func() outcome { return b.authenticate(t, "", map[string]any{"app": "no-such-app"}) }, "app_not_found", http.StatusNotFound, 1},
		} {
			t.Run(tc.name, func(t *testing.T) {
				e.rec.take()
				out := tc.run()
				mustFail(t, out, "PassageFlexError")
				if out.Code != tc.code || out.Status != tc.status {
					t.Fatalf("got %v, want code %s status %d", out, tc.code, tc.status)
				}
				reqs := e.rec.take()
				if len(reqs) != tc.requests {
					t.Fatalf("%d client API calls, want %d", len(reqs), tc.requests)
				}
				if last := reqs[len(reqs)-1]; out.Message != last.Error || last.Error == "" {
					t.Errorf("message %q, want the server's %q", out.Message, last.Error)
				}
			})
		}
	})
}

// step runs one step of a sequence whose later steps need the earlier ones.
func step(t *testing.T, name string, fn func(t *testing.T)) {
	t.Helper()
	if !t.Run(name, fn) {
		t.FailNow()
	}
}

// capabilities is what the page's capabilities() reports.
type capabilities struct {
	CanRegister         bool   `json:"canRegister"`
	CanRegisterTopLevel bool   `json:"canRegisterTopLevel"`
	CanAuthenticate     bool   `json:"canAuthenticate"`
	CanConditional      bool   `json:"canConditional"`
	NativeJSON          bool   `json:"nativeJSON"`
	BaseURL             string `json:"baseUrl"`
	SameClass           bool   `json:"sameClass"`
}

// wireCall is a client API call the SDK must make: its path and the exact
// keys of its JSON body.
type wireCall struct {
	path string
	keys []string
}

// checkWire checks that the SDK made exactly the calls want, in order, each
// a JSON POST carrying Passage-Flex-Version, and that the server accepted
// them.
func checkWire(t *testing.T, got []recorded, want []wireCall) {
	t.Helper()
	var posts []recorded
	for _, r := range got {
		if r.Method != http.MethodOptions {
			posts = append(posts, r)
		}
	}
	if len(posts) != len(want) {
		t.Fatalf("%d client API calls, want %d: %+v", len(posts), len(want), posts)
	}
	for i, w := range want {
		r := posts[i]
		if r.Method != http.MethodPost || r.Path != w.path {
			t.Errorf("call %d: %s %s, want POST %s", i, r.Method, r.Path, w.path)
		}
		if r.Status != http.StatusOK {
			t.Errorf("call %d (%s): server answered %d %s", i, r.Path, r.Status, r.Code)
		}
		if ct := r.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("call %d: Content-Type %q, want application/json", i, ct)
		}
		if v := r.Header.Get("Passage-Flex-Version"); v == "" {
			t.Errorf("call %d: no Passage-Flex-Version header", i)
		}
		if r.Body == nil {
			t.Errorf("call %d: body is not a JSON object", i)
		}
		if keys := sortedKeys(r.Body); !slices.Equal(keys, sorted(w.keys)) {
			t.Errorf("call %d (%s): body keys %v, want %v", i, r.Path, keys, sorted(w.keys))
		}
	}
}

// checkRegistrationJSON checks that a handshake_response is a complete
// RegistrationResponseJSON (WebAuthn L3 §5.1.8), whether the browser or the
// SDK encoded it.
func checkRegistrationJSON(t *testing.T, raw json.RawMessage) {
	t.Helper()
	checkCredentialJSON(t, raw,
		[]string{"authenticatorAttachment", "clientExtensionResults", "id", "rawId", "response", "type"},
		[]string{"attestationObject", "authenticatorData", "clientDataJSON", "publicKey", "publicKeyAlgorithm", "transports"})
}

// checkAuthenticationJSON does the same for an AuthenticationResponseJSON
// (WebAuthn L3 §5.1.9). The authenticator holds resident keys, so the user
// handle is always there.
func checkAuthenticationJSON(t *testing.T, raw json.RawMessage) {
	t.Helper()
	checkCredentialJSON(t, raw,
		[]string{"authenticatorAttachment", "clientExtensionResults", "id", "rawId", "response", "type"},
		[]string{"authenticatorData", "clientDataJSON", "signature", "userHandle"})
}

func checkCredentialJSON(t *testing.T, raw json.RawMessage, top, response []string) {
	t.Helper()
	var cred struct {
		ID                      string                     `json:"id"`
		RawID                   string                     `json:"rawId"`
		Type                    string                     `json:"type"`
		AuthenticatorAttachment string                     `json:"authenticatorAttachment"`
		Response                map[string]json.RawMessage `json:"response"`
	}
	if err := json.Unmarshal(raw, &cred); err != nil {
		t.Fatalf("handshake_response: %v", err)
	}
	var all map[string]json.RawMessage
	if err := json.Unmarshal(raw, &all); err != nil {
		t.Fatal(err)
	}
	if keys := sortedKeys(all); !slices.Equal(keys, top) {
		t.Errorf("handshake_response keys %v, want %v", keys, top)
	}
	if keys := sortedKeys(cred.Response); !slices.Equal(keys, response) {
		t.Errorf("handshake_response.response keys %v, want %v", keys, response)
	}
	if cred.ID == "" || cred.ID != cred.RawID {
		t.Errorf("id %q and rawId %q must be the same base64url", cred.ID, cred.RawID)
	}
	if cred.Type != "public-key" || cred.AuthenticatorAttachment != "platform" {
		t.Errorf("type %q attachment %q", cred.Type, cred.AuthenticatorAttachment)
	}
	if tr, ok := cred.Response["transports"]; ok && string(tr) != `["internal"]` {
		t.Errorf("transports %s, want [\"internal\"]", tr)
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	if s == nil {
		s = []string{}
	}
	return s
}
