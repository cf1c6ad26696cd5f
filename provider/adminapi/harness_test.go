package adminapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/passbridge/passbridge/ceremony/softauthn"
	"github.com/passbridge/passbridge/provider/internal/apitest"
	"github.com/passbridge/passbridge/provider/providertest"
	"github.com/passbridge/passbridge/storage"
	"github.com/passbridge/passbridge/storage/sqlstore"
	"github.com/passbridge/passbridge/storage/sqlstore/sqlstoretest"
)

// The app the tests manage: its passkeys are made on this origin.
const (
	testRPID   = "localhost"
	testOrigin = "http://localhost:3000"
)

func TestMain(m *testing.M) {
	gin.SetMode(gin.ReleaseMode)
	// The OIDC provider logs its routes through the default logger.
	slog.SetDefault(slog.New(slog.DiscardHandler))
	os.Exit(m.Run())
}

// env is one test's world: the whole server as serve builds it on a fresh
// store, an admin key, and an app with an API key.
type env struct {
	t        testing.TB
	ctx      context.Context
	srv      *providertest.Server
	st       storage.Store
	key      string // the admin key
	keyID    string
	app      storage.App
	apiKey   string // the app's API key
	actorOut string // "admin_key:<keyID>"
}

// forEachEngine runs fn on every engine, each with a fresh env.
func forEachEngine(t *testing.T, fn func(t *testing.T, e *env)) {
	forEachEngineWith(t, providertest.Options{}, fn)
}

// forEachEngineWith is forEachEngine with server options.
func forEachEngineWith(t *testing.T, opts providertest.Options, fn func(t *testing.T, e *env)) {
	sqlstoretest.ForEach(t, func(t *testing.T, open func(testing.TB) *sqlstore.Store) {
		fn(t, newEnv(t, open(t), opts))
	})
}

func newEnv(t testing.TB, st storage.Store, opts providertest.Options) *env {
	t.Helper()
	srv := providertest.Start(t, st, opts)
	e := &env{t: t, ctx: context.Background(), srv: srv, st: st}
	k, secret := apitest.CreateAdminKey(t, e.ctx, st, srv.Clock.Now(), "ops")
	e.key, e.keyID, e.actorOut = secret, k.ID, "admin_key:"+k.ID
	// Its origins include the issuer's, where enrolment links lead.
	e.app, e.apiKey = apitest.CreateApp(t, e.ctx, st, srv.Clock.Now(), "Shop", testRPID, testOrigin, srv.Issuer)
	// Lists are oldest first: what a test makes comes after.
	srv.Clock.Advance(time.Second)
	return e
}

// call is one request to the admin API.
type call struct {
	method string
	path   string // below /admin/v1; "{app}" stands for the env's app ID
	body   any    // nil, string or []byte (sent as is), or a value to encode
	header map[string]string
	key    *string // nil: the env's admin key; "" sends no Authorization
}

// do makes the call with the env's admin key.
func (e *env) do(method, path string, body any) apitest.Response {
	e.t.Helper()
	return e.send(call{method: method, path: path, body: body})
}

// send makes a call.
func (e *env) send(c call) apitest.Response {
	e.t.Helper()
	return e.sendT(e.t, c)
}

func (e *env) sendT(t testing.TB, c call) apitest.Response {
	t.Helper()
	header := map[string]string{}
	key := e.key
	if c.key != nil {
		key = *c.key
	}
	if key != "" {
		header["Authorization"] = "Bearer " + key
	}
	for k, v := range c.header {
		header[k] = v
	}
	path := "/admin/v1" + strings.ReplaceAll(c.path, "{app}", e.app.ID)
	r := apitest.Send(t, e.ctx, e.srv.HTTP, c.method, path, c.body, header)
	// The clock stands still unless moved: a tick keeps the times of what
	// each call records apart, in the order of the calls.
	e.srv.Clock.Advance(time.Millisecond)
	return r
}

// ok fails the test unless r has status, and decodes its body into v (when
// v is not nil).
func ok(t testing.TB, r apitest.Response, status int, v any) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d: %s", r.Status, status, r.Body)
	}
	if v != nil {
		r.Decode(t, v)
	}
}

// page is a list's envelope.
type page[T any] struct {
	Items      []T     `json:"items"`
	NextCursor *string `json:"next_cursor"`
}

// userView is a user as the API shows it.
type userView struct {
	ID          string     `json:"id"`
	ExternalID  string     `json:"external_id"`
	DisplayName string     `json:"display_name"`
	Status      string     `json:"status"`
	LoginCount  int64      `json:"login_count"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
	LastLoginAt *time.Time `json:"last_login_at"`
}

// deviceView is what the tests read of a device.
type deviceView struct {
	ID           string `json:"id"`
	CredID       string `json:"cred_id"`
	FriendlyName string `json:"friendly_name"`
	Type         string `json:"type"`
}

// auditView is an audit event as the API shows it.
type auditView struct {
	ID    string  `json:"id"`
	Time  string  `json:"time"`
	AppID *string `json:"app_id"`
	Actor struct {
		Type string  `json:"type"`
		ID   *string `json:"id"`
	} `json:"actor"`
	Type     string            `json:"type"`
	UserID   string            `json:"user_id"`
	DeviceID string            `json:"device_id"`
	ClientID string            `json:"client_id"`
	Details  map[string]string `json:"details"`
}

// register makes a user of the app with a real passkey, through the Flex
// API as a backend and a browser would, and returns the user's ID.
func (e *env) register(a *softauthn.Authenticator, externalID string) string {
	e.t.Helper()
	flex := func(path string, body any, header map[string]string) apitest.Response {
		e.t.Helper()
		r := apitest.Send(e.t, e.ctx, e.srv.HTTP, http.MethodPost, "/v1/apps/"+e.app.ID+path, body, header)
		apitest.OK(e.t, r)
		e.srv.Clock.Advance(time.Millisecond)
		return r
	}
	mgmt := map[string]string{"Authorization": "Bearer " + e.apiKey}
	browser := map[string]string{"Origin": testOrigin}
	var tx struct {
		TransactionID string `json:"transaction_id"`
	}
	flex("/transactions/register", map[string]string{"external_id": externalID, "passkey_display_name": externalID}, mgmt).Decode(e.t, &tx)
	var hs struct {
		Handshake struct {
			ID        string `json:"id"`
			Challenge struct {
				PublicKey json.RawMessage `json:"publicKey"`
			} `json:"challenge"`
		} `json:"handshake"`
	}
	flex("/register/transactions/webauthn/start", map[string]string{"transaction_id": tx.TransactionID}, browser).Decode(e.t, &hs)
	resp, _, err := a.Register(hs.Handshake.Challenge.PublicKey, testOrigin)
	if err != nil {
		e.t.Fatal(err)
	}
	var body bytes.Buffer
	body.WriteString(`{"transaction_id":"` + tx.TransactionID + `","handshake_id":"` + hs.Handshake.ID + `","handshake_response":`)
	body.Write(resp)
	body.WriteString(`}`)
	flex("/register/transactions/webauthn/finish", body.Bytes(), browser)
	// Lists are oldest first; a tick keeps what the tests make apart.
	e.srv.Clock.Advance(time.Second)
	u, err := e.st.GetUserByExternalID(e.ctx, e.app.ID, externalID)
	if err != nil {
		e.t.Fatal(err)
	}
	return u.ID
}

// seedSession stores a browser session of a user's device, as a sign-in
// through the login page leaves one.
func (e *env) seedSession(userID, deviceID string) storage.Session {
	e.t.Helper()
	now := e.srv.Clock.Now()
	s := storage.Session{
		ID: storage.NewID(), AppID: e.app.ID, UserID: userID, Hash: storage.HashSecret(storage.NewID()), DeviceID: deviceID,
		AuthTime: now, AMR: []string{"swk", "user", "mfa"}, ACR: "phr", CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(24 * time.Hour),
	}
	if err := e.st.CreateSession(e.ctx, s); err != nil {
		e.t.Fatal(err)
	}
	e.srv.Clock.Advance(time.Second)
	return s
}

// events lists the audit events the admin key recorded, oldest first.
func (e *env) events() []storage.AuditEvent {
	e.t.Helper()
	all, err := e.st.ListAuditEvents(e.ctx, storage.AuditQuery{Actor: e.actorOut, Limit: 1000})
	if err != nil {
		e.t.Fatal(err)
	}
	slices.Reverse(all)
	return all
}

// wantEvents checks the types of the events the admin key recorded since
// the count before, and returns the new events.
func (e *env) wantEvents(before int, types ...string) []storage.AuditEvent {
	e.t.Helper()
	all := e.events()
	got := all[before:]
	var gotTypes []string
	for _, ev := range got {
		gotTypes = append(gotTypes, ev.Type)
	}
	if !slices.Equal(gotTypes, types) {
		e.t.Fatalf("audit events by the admin key: %q, want %q", gotTypes, types)
	}
	return got
}

// snapshot is what the store holds, for checking that a refused request
// changed nothing.
type snapshot struct {
	apitest.Snapshot
	Apps        []storage.App
	Clients     []storage.Client
	Sessions    []storage.Session
	AdminKeys   []storage.AdminKey
	SigningKeys []storage.SigningKey
	AllAudit    []storage.AuditEvent
}

func (e *env) snapshot() snapshot {
	e.t.Helper()
	apps, err := e.st.ListApps(e.ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	s := snapshot{Snapshot: apitest.TakeSnapshot(e.t, e.ctx, e.st, apps...), Apps: apps}
	for _, app := range apps {
		cls, err := e.st.ListClients(e.ctx, app.ID)
		if err != nil {
			e.t.Fatal(err)
		}
		s.Clients = append(s.Clients, cls...)
	}
	for _, u := range s.Users {
		ss, err := e.st.ListSessions(e.ctx, u.AppID, u.ID)
		if err != nil {
			e.t.Fatal(err)
		}
		s.Sessions = append(s.Sessions, ss...)
	}
	if s.AdminKeys, err = e.st.ListAdminKeys(e.ctx); err != nil {
		e.t.Fatal(err)
	}
	for i := range s.AdminKeys {
		s.AdminKeys[i].LastUsedAt = time.Time{} // moves on every authenticated call
	}
	if s.SigningKeys, err = e.st.ListSigningKeys(e.ctx); err != nil {
		e.t.Fatal(err)
	}
	if s.AllAudit, err = e.st.ListAuditEvents(e.ctx, storage.AuditQuery{Limit: 1000}); err != nil {
		e.t.Fatal(err)
	}
	return s
}

// unchanged checks that the store holds what it held at before.
func (e *env) unchanged(t testing.TB, before snapshot) {
	t.Helper()
	apitest.SameSnapshot(t, before, e.snapshot())
}

// ptr is a pointer to v.
func ptr[T any](v T) *T { return &v }

// says fails the test unless the error message of r holds every one of
// parts.
func says(t testing.TB, r apitest.Response, parts ...string) {
	t.Helper()
	var body struct {
		Error string `json:"error"`
	}
	r.Decode(t, &body)
	for _, p := range parts {
		if !strings.Contains(body.Error, p) {
			t.Errorf("message %q does not say %q", body.Error, p)
		}
	}
}

// mustJSON is v as JSON, for failure messages.
func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return err.Error()
	}
	return string(b)
}

// storageQuery asks for every user of an app (up to a thousand).
func storageQuery() storage.UserQuery { return storage.UserQuery{Limit: 1000} }
