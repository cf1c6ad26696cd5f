package passkeyapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/passbridge/passbridge/ceremony"
	"github.com/passbridge/passbridge/ceremony/aaguid"
	"github.com/passbridge/passbridge/ceremony/softauthn"
	"github.com/passbridge/passbridge/provider"
	"github.com/passbridge/passbridge/provider/flexapi"
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

// loadRegistry parses the AAGUID list once for the test binary.
var loadRegistry = sync.OnceValues(aaguid.Load)

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
	reg, err := loadRegistry()
	if err != nil {
		t.Fatal(err)
	}
	svc, err := ceremony.New(ceremony.Config{Store: st, AAGUIDs: reg})
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
	app, err := ceremony.PrepareApp(storage.App{ID: storage.NewID(), Name: name, RPID: rpID, Origins: origins})
	if err != nil {
		h.t.Fatal(err)
	}
	now := time.Now().UTC()
	app.CreatedAt, app.UpdatedAt = now, now
	if err := h.store.CreateApp(h.ctx, app); err != nil {
		h.t.Fatal(err)
	}
	secret, prefix := storage.NewSecret(storage.PrefixAPIKey)
	err = h.store.CreateAPIKey(h.ctx, storage.APIKey{
		ID: storage.NewID(), AppID: app.ID, Name: "test", Prefix: prefix,
		Hash: storage.HashSecret(secret), CreatedAt: now,
	})
	if err != nil {
		h.t.Fatal(err)
	}
	return app, secret
}

// response is an HTTP answer, read whole.
type response struct {
	Status int
	Body   []byte
}

func (r response) decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("body %q: %v", r.Body, err)
	}
}

// request is one call to make: body is sent as is when []byte or string,
// JSON-encoded otherwise; key "" sends no Authorization.
type request struct {
	path string
	body any
	key  string
}

// send POSTs to the server, reporting to t.
func (h *harness) send(t testing.TB, r request) response {
	t.Helper()
	var body io.Reader
	switch b := r.body.(type) {
	case nil:
	case []byte:
		body = bytes.NewReader(b)
	case string:
		body = bytes.NewReader([]byte(b))
	default:
		enc, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		body = bytes.NewReader(enc)
	}
	req, err := http.NewRequestWithContext(h.ctx, http.MethodPost, h.srv.URL+r.path, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if r.key != "" {
		req.Header.Set("Authorization", "Bearer "+r.key)
	}
	res, err := h.srv.Client().Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", r.path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{Status: res.StatusCode, Body: b}
}

// post calls path under the app with its key.
func (h *harness) post(path string, body any) response {
	h.t.Helper()
	return h.send(h.t, request{path: "/v1/apps/" + h.app.ID + path, body: body, key: h.key})
}

// command runs a command with the app's key.
func (h *harness) command(name string, data any) response {
	h.t.Helper()
	return h.post("/run-command", map[string]any{"command": name, "data": data})
}

func ok(t testing.TB, r response) {
	t.Helper()
	if r.Status != http.StatusOK {
		t.Fatalf("status %d, want 200: %s", r.Status, r.Body)
	}
}

// wantError checks a REST error: status and {"code", "error"} exactly.
func wantError(t testing.TB, r response, status int, code string) {
	t.Helper()
	var e map[string]any
	if err := json.Unmarshal(r.Body, &e); err != nil {
		t.Fatalf("status %d, body %q is not JSON", r.Status, r.Body)
	}
	msg, _ := e["error"].(string)
	if r.Status != status || e["code"] != code || msg == "" || len(e) != 2 {
		t.Fatalf("got %d %s, want %d with code %q", r.Status, r.Body, status, code)
	}
}

// commandFailure is the command form's error body.
type commandFailure struct {
	Type    string          `json:"type"`
	Details json.RawMessage `json:"details"`
}

// wantCommandError checks a command error: status, and {"type", "details"}
// exactly, with the given type.
func wantCommandError(t testing.TB, r response, status int, typ string) commandFailure {
	t.Helper()
	var e map[string]json.RawMessage
	if err := json.Unmarshal(r.Body, &e); err != nil {
		t.Fatalf("status %d, body %q is not JSON", r.Status, r.Body)
	}
	var f commandFailure
	r.decode(t, &f)
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
	ok(h.t, r)
	var v struct {
		RegistrationOptions json.RawMessage `json:"registrationOptions"`
	}
	r.decode(h.t, &v)
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
	ok(h.t, r)
	var v struct {
		AuthenticationOptions json.RawMessage `json:"authenticationOptions"`
	}
	r.decode(h.t, &v)
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
	ok(h.t, h.post("/passkeys/register/finish", map[string]any{"user_id": userID, "publicKey": json.RawMessage(resp)}))
	return cred
}

// snapshot is what the store holds for both apps: users, devices, pending
// handshakes of the starts made, API keys and audit events.
type snapshot struct {
	Users      []storage.User
	Devices    []storage.Device
	Handshakes []string
	APIKeys    []storage.APIKey
	Audit      []storage.AuditEvent
}

func (h *harness) snapshot(t testing.TB) snapshot {
	t.Helper()
	var s snapshot
	for _, app := range []storage.App{h.app, h.other} {
		users, _, err := h.store.ListUsers(h.ctx, app.ID, storage.UserQuery{Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		s.Users = append(s.Users, users...)
		for _, u := range users {
			ds, err := h.store.ListDevices(h.ctx, app.ID, u.ID)
			if err != nil {
				t.Fatal(err)
			}
			s.Devices = append(s.Devices, ds...)
		}
		keys, err := h.store.ListAPIKeys(h.ctx, app.ID)
		if err != nil {
			t.Fatal(err)
		}
		for i := range keys {
			keys[i].LastUsedAt = time.Time{} // moves on any authenticated call
		}
		s.APIKeys = append(s.APIKeys, keys...)
		events, err := h.store.ListAuditEvents(h.ctx, storage.AuditQuery{AppID: app.ID, Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		s.Audit = append(s.Audit, events...)
	}
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
	after := h.snapshot(t)
	bv, av := reflect.ValueOf(before), reflect.ValueOf(after)
	for i := range bv.NumField() {
		if !reflect.DeepEqual(bv.Field(i).Interface(), av.Field(i).Interface()) {
			b, _ := json.Marshal(bv.Field(i).Interface())
			a, _ := json.Marshal(av.Field(i).Interface())
			t.Errorf("a refused request changed %s\nbefore: %s\nafter:  %s", bv.Type().Field(i).Name, b, a)
		}
	}
}
