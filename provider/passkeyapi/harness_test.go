package passkeyapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/passbridge/passbridge/ceremony"
	"github.com/passbridge/passbridge/ceremony/softauthn"
	"github.com/passbridge/passbridge/provider"
	"github.com/passbridge/passbridge/provider/flexapi"
	"github.com/passbridge/passbridge/provider/internal/apitest"
	"github.com/passbridge/passbridge/provider/passkeyapi"
	"github.com/passbridge/passbridge/storage"
	"github.com/passbridge/passbridge/storage/sqlstore"
	"github.com/passbridge/passbridge/storage/sqlstore/sqlstoretest"
)

const (
	testRPID   = "example.com"
	testOrigin = "https://app.example.com"
)

func TestMain(m *testing.M) {
	gin.SetMode(gin.ReleaseMode)
	os.Exit(m.Run())
}

// harness is one test's world: a fresh store, the server with the
// start/finish API over HTTP, an app with an API key, and a second app.
type harness struct {
	t      testing.TB
	ctx    context.Context
	store  storage.Store
	srv    *httptest.Server
	app    storage.App
	key    string
	other  storage.App
	otherK string

	mu         sync.Mutex
	challenges []string // of every start, for snapshots
}

// forEachEngine runs fn against every engine the test run has.
func forEachEngine(t *testing.T, fn func(t *testing.T, h *harness)) {
	sqlstoretest.ForEach(t, func(t *testing.T, open func(testing.TB) *sqlstore.Store) {
		fn(t, newHarness(t, open(t)))
	})
}

func newHarness(t testing.TB, st storage.Store) *harness {
	t.Helper()
	svc, err := ceremony.New(ceremony.Config{Store: st, AAGUIDs: apitest.Registry(t)})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := provider.New(provider.Deps{
		Store:    st,
		Ceremony: svc,
		// Both APIs share /v1/apps/:app_id, as in the real server.
		Areas: []provider.Area{
			flexapi.New(flexapi.Deps{Store: st, Ceremony: svc}),
			passkeyapi.New(passkeyapi.Deps{Store: st, Ceremony: svc}),
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	h := &harness{t: t, ctx: context.Background(), store: st, srv: ts}
	h.app, h.key = h.createApp("Main", testRPID, testOrigin, "https://shop.example.com")
	h.other, h.otherK = h.createApp("Other", "other.example", "https://other.example")
	return h
}

// createApp stores an app and an API key of it.
func (h *harness) createApp(name, rpID string, origins ...string) (storage.App, string) {
	h.t.Helper()
	return apitest.CreateApp(h.t, h.ctx, h.store, time.Now().UTC(), name, rpID, origins...)
}

// request is one call to make: body is sent as is when []byte or string,
// JSON-encoded otherwise; key "" sends no Authorization.
type request struct {
	path string
	body any
	key  string
}

// send POSTs to the server, reporting to t.
func (h *harness) send(t testing.TB, r request) apitest.Response {
	t.Helper()
	header := map[string]string{"Content-Type": "application/json"}
	if r.key != "" {
		header["Authorization"] = "Bearer " + r.key
	}
	return apitest.Send(t, h.ctx, h.srv, http.MethodPost, r.path, r.body, header)
}

// post calls path under the app with its key.
func (h *harness) post(path string, body any) apitest.Response {
	h.t.Helper()
	return h.send(h.t, request{path: "/v1/apps/" + h.app.ID + path, body: body, key: h.key})
}

// command runs a command with the app's key.
func (h *harness) command(name string, data any) apitest.Response {
	h.t.Helper()
	return h.post("/run-command", map[string]any{"command": name, "data": data})
}

// commandFailure is the command form's error body.
type commandFailure struct {
	Type    string          `json:"type"`
	Details json.RawMessage `json:"details"`
}

// wantCommandError checks a command error: status, and {"type", "details"}
// exactly, with the given type.
func wantCommandError(t testing.TB, r apitest.Response, status int, typ string) commandFailure {
	t.Helper()
	var e map[string]json.RawMessage
	if err := json.Unmarshal(r.Body, &e); err != nil {
		t.Fatalf("status %d, body %q is not JSON", r.Status, r.Body)
	}
	var f commandFailure
	r.Decode(t, &f)
	_, hasDetails := e["details"]
	if r.Status != status || f.Type != typ || !hasDetails || len(e) != 2 {
		t.Fatalf("got %d %s, want %d with type %q", r.Status, r.Body, status, typ)
	}
	return f
}

// challengeOf reads the challenge of options JSON and remembers it.
func (h *harness) challengeOf(options json.RawMessage) string {
	h.t.Helper()
	var o struct{ Challenge string }
	if err := json.Unmarshal(options, &o); err != nil || o.Challenge == "" {
		h.t.Fatalf("options %s: no challenge", options)
	}
	h.mu.Lock()
	h.challenges = append(h.challenges, o.Challenge)
	h.mu.Unlock()
	return o.Challenge
}

// registrationOptions starts a registration over REST.
func (h *harness) registrationOptions(userID string) json.RawMessage {
	h.t.Helper()
	r := h.post("/passkeys/register/start", map[string]string{"user_id": userID, "email_or_username": userID + "@example.com"})
	apitest.OK(h.t, r)
	var v struct {
		RegistrationOptions json.RawMessage `json:"registrationOptions"`
	}
	r.Decode(h.t, &v)
	h.challengeOf(v.RegistrationOptions)
	return v.RegistrationOptions
}

// authenticationOptions starts an authentication over REST; "" is
// discoverable.
func (h *harness) authenticationOptions(userID string) json.RawMessage {
	h.t.Helper()
	body := map[string]string{}
	if userID != "" {
		body["user_id"] = userID
	}
	r := h.post("/passkeys/authenticate/start", body)
	apitest.OK(h.t, r)
	var v struct {
		AuthenticationOptions json.RawMessage `json:"authenticationOptions"`
	}
	r.Decode(h.t, &v)
	h.challengeOf(v.AuthenticationOptions)
	return v.AuthenticationOptions
}

// register runs a whole REST registration of userID's passkey on a.
func (h *harness) register(a *softauthn.Authenticator, userID string) *softauthn.Credential {
	h.t.Helper()
	resp, cred, err := a.Register(h.registrationOptions(userID), testOrigin)
	if err != nil {
		h.t.Fatal(err)
	}
	apitest.OK(h.t, h.post("/passkeys/register/finish", map[string]any{"user_id": userID, "publicKey": json.RawMessage(resp)}))
	return cred
}

// snapshot is what the store holds for both apps: users, devices, API
// keys and audit events, and pending handshakes of the starts made.
type snapshot struct {
	apitest.Snapshot
	Handshakes []string
}

func (h *harness) snapshot(t testing.TB) snapshot {
	t.Helper()
	s := snapshot{Snapshot: apitest.TakeSnapshot(t, h.ctx, h.store, h.app, h.other)}
	h.mu.Lock()
	challenges := append([]string(nil), h.challenges...)
	h.mu.Unlock()
	for _, c := range challenges {
		if hs, err := h.store.GetHandshakeByChallenge(h.ctx, h.app.ID, c, time.Now()); err == nil {
			s.Handshakes = append(s.Handshakes, hs.ID)
		}
	}
	sort.Strings(s.Handshakes)
	return s
}

// unchanged runs fn and fails the test if the store differs afterwards.
func (h *harness) unchanged(t testing.TB, fn func()) {
	t.Helper()
	before := h.snapshot(t)
	fn()
	apitest.SameSnapshot(t, before, h.snapshot(t))
}
