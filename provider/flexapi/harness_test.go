package flexapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/passbridge/passbridge/ceremony"
	"github.com/passbridge/passbridge/ceremony/softauthn"
	"github.com/passbridge/passbridge/provider"
	"github.com/passbridge/passbridge/provider/flexapi"
	"github.com/passbridge/passbridge/provider/internal/apitest"
	"github.com/passbridge/passbridge/storage"
	"github.com/passbridge/passbridge/storage/sqlstore"
	"github.com/passbridge/passbridge/storage/sqlstore/sqlstoretest"
)

const (
	testIssuer = "https://example.com"
	testRPID   = "example.com"
	testOrigin = "https://app.example.com"
)

// aaguidICloud is iCloud Keychain's AAGUID, a synced passkey provider.
var aaguidICloud = [16]byte(uuid.MustParse("fbfc3007-154e-4ecc-8c0b-6e020557d7bd"))

func TestMain(m *testing.M) {
	gin.SetMode(gin.ReleaseMode)
	os.Exit(m.Run())
}

// harness is one test's world: a fresh store, the server with the Flex API
// over HTTP, an app with an API key, and a second app to confuse it with.
type harness struct {
	t      testing.TB
	ctx    context.Context
	store  storage.Store
	svc    *ceremony.Service
	clock  *apitest.Clock
	srv    *httptest.Server
	app    storage.App
	key    string
	other  storage.App
	otherK string

	// What the test has created, so a snapshot can look at it.
	mu           sync.Mutex
	transactions []string
	handshakes   []string
}

// forEachEngine runs fn against every engine the test run has, each with a
// fresh harness.
func forEachEngine(t *testing.T, fn func(t *testing.T, h *harness)) {
	sqlstoretest.ForEach(t, func(t *testing.T, open func(testing.TB) *sqlstore.Store) {
		fn(t, newHarness(t, open(t)))
	})
}

func newHarness(t testing.TB, st storage.Store) *harness {
	t.Helper()
	clk := apitest.NewClock()
	svc, err := ceremony.New(ceremony.Config{Store: st, Now: clk.Now, AAGUIDs: apitest.Registry(t)})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := provider.New(provider.Deps{
		Store:    st,
		Ceremony: svc,
		Issuer:   testIssuer,
		Now:      clk.Now,
		Areas: []provider.Area{flexapi.New(flexapi.Deps{
			Store: st, Ceremony: svc, Now: clk.Now, Issuer: testIssuer,
		})},
	})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	h := &harness{t: t, ctx: context.Background(), store: st, svc: svc, clock: clk, srv: ts}
	h.app, h.key = h.createApp("Main", testRPID, testOrigin)
	h.other, h.otherK = h.createApp("Other", "other.example", "https://other.example")
	return h
}

// createApp stores an app and an API key of it.
func (h *harness) createApp(name, rpID string, origins ...string) (storage.App, string) {
	h.t.Helper()
	return apitest.CreateApp(h.t, h.ctx, h.store, h.clock.Now(), name, rpID, origins...)
}

// request is one call to make.
type request struct {
	method string
	path   string
	body   any // nil, []byte/string (sent as is) or a value to encode
	header map[string]string
}

// send makes a request to the server.
func (h *harness) send(r request) apitest.Response {
	h.t.Helper()
	return h.sendT(h.t, r)
}

// sendT is send reporting to t, for subtests and fuzz targets.
func (h *harness) sendT(t testing.TB, r request) apitest.Response {
	t.Helper()
	return apitest.Send(t, h.ctx, h.srv, r.method, r.path, r.body, r.header)
}

// mgmt calls the management API with the app's key.
func (h *harness) mgmt(method, path string, body any) apitest.Response {
	h.t.Helper()
	return h.send(request{method: method, path: "/v1/apps/" + h.app.ID + path, body: body,
		header: map[string]string{"Authorization": "Bearer " + h.key}})
}

// client calls the client API from the app's origin, as a browser would.
func (h *harness) client(path string, body any) apitest.Response {
	h.t.Helper()
	return h.send(request{method: http.MethodPost, path: "/v1/apps/" + h.app.ID + path, body: body,
		header: map[string]string{"Origin": testOrigin}})
}

// createRegisterTransaction asks for a register transaction of externalID.
func (h *harness) createRegisterTransaction(externalID string) string {
	h.t.Helper()
	r := h.mgmt(http.MethodPost, "/transactions/register",
		map[string]string{"external_id": externalID, "passkey_display_name": externalID + "@example.com"})
	apitest.OK(h.t, r)
	var v struct {
		TransactionID string `json:"transaction_id"`
	}
	r.Decode(h.t, &v)
	h.track(v.TransactionID, "")
	return v.TransactionID
}

// createAuthenticateTransaction asks for an authenticate transaction.
func (h *harness) createAuthenticateTransaction(externalID string) string {
	h.t.Helper()
	r := h.mgmt(http.MethodPost, "/transactions/authenticate", map[string]string{"external_id": externalID})
	apitest.OK(h.t, r)
	var v struct {
		TransactionID string `json:"transaction_id"`
	}
	r.Decode(h.t, &v)
	h.track(v.TransactionID, "")
	return v.TransactionID
}

// track remembers transactions and handshakes for snapshots.
func (h *harness) track(transactionID, handshakeID string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if transactionID != "" {
		h.transactions = append(h.transactions, transactionID)
	}
	if handshakeID != "" {
		h.handshakes = append(h.handshakes, handshakeID)
	}
}

// start calls a client start and returns the handshake.
func (h *harness) start(path string, body any) handshakeJSON {
	h.t.Helper()
	r := h.client(path, body)
	apitest.OK(h.t, r)
	var v handshakeJSON
	r.Decode(h.t, &v)
	h.track("", v.Handshake.ID)
	return v
}

// registerStart begins the registration of a transaction.
func (h *harness) registerStart(transactionID string) handshakeJSON {
	h.t.Helper()
	return h.start("/register/transactions/webauthn/start", map[string]string{"transaction_id": transactionID})
}

// authenticateStart begins an authentication; "" is discoverable.
func (h *harness) authenticateStart(transactionID string) handshakeJSON {
	h.t.Helper()
	body := map[string]string{}
	if transactionID != "" {
		body["transaction_id"] = transactionID
	}
	return h.start("/authenticate/transactions/webauthn/start", body)
}

// finishBody is the body of a client finish. The response goes in as it
// is, even when it is not JSON, as a faulty client would send it.
func finishBody(transactionID, handshakeID string, response []byte) []byte {
	var b bytes.Buffer
	b.WriteString(`{"handshake_id":`)
	b.Write(quote(handshakeID))
	if transactionID != "" {
		b.WriteString(`,"transaction_id":`)
		b.Write(quote(transactionID))
	}
	b.WriteString(`,"handshake_response":`)
	b.Write(response)
	b.WriteString(`}`)
	return b.Bytes()
}

func quote(s string) []byte {
	b, _ := json.Marshal(s)
	return b
}

// nonceOf reads {"nonce"} from a finish that must have succeeded.
func nonceOf(t testing.TB, r apitest.Response) string {
	t.Helper()
	apitest.OK(t, r)
	var v struct{ Nonce string }
	r.Decode(t, &v)
	if v.Nonce == "" {
		t.Fatalf("no nonce in %s", r.Body)
	}
	return v.Nonce
}

// register runs a whole registration of externalID's passkey on a and
// returns the nonce and the new credential.
func (h *harness) register(a *softauthn.Authenticator, externalID string, mods ...softauthn.Mod) (string, *softauthn.Credential) {
	h.t.Helper()
	tx := h.createRegisterTransaction(externalID)
	hs := h.registerStart(tx)
	resp, cred, err := a.Register(hs.Handshake.Challenge.PublicKey, testOrigin, mods...)
	if err != nil {
		h.t.Fatalf("authenticator: %v", err)
	}
	nonce := nonceOf(h.t, h.client("/register/transactions/webauthn/finish", finishBody(tx, hs.Handshake.ID, resp)))
	// Devices list oldest first; a tick keeps registrations apart.
	h.clock.Advance(time.Second)
	return nonce, cred
}

// authenticate runs a whole authentication on a (bound to a transaction
// for externalID, or discoverable when it is "") and returns the nonce.
func (h *harness) authenticate(a *softauthn.Authenticator, externalID string, mods ...softauthn.Mod) string {
	h.t.Helper()
	tx := ""
	if externalID != "" {
		tx = h.createAuthenticateTransaction(externalID)
	}
	hs := h.authenticateStart(tx)
	resp, err := a.Authenticate(hs.Handshake.Challenge.PublicKey, testOrigin, mods...)
	if err != nil {
		h.t.Fatalf("authenticator: %v", err)
	}
	return nonceOf(h.t, h.client("/authenticate/transactions/webauthn/finish", finishBody(tx, hs.Handshake.ID, resp)))
}

// verify redeems a nonce and returns the external ID.
func (h *harness) verify(nonce string) string {
	h.t.Helper()
	r := h.mgmt(http.MethodPost, "/authenticate/verify", map[string]string{"nonce": nonce})
	apitest.OK(h.t, r)
	var v struct {
		ExternalID string `json:"external_id"`
	}
	r.Decode(h.t, &v)
	return v.ExternalID
}

// userID looks up the internal ID of an external ID.
func (h *harness) userID(externalID string) string {
	h.t.Helper()
	u, err := h.store.GetUserByExternalID(h.ctx, h.app.ID, externalID)
	if err != nil {
		h.t.Fatalf("user %q: %v", externalID, err)
	}
	return u.ID
}

// devices lists a user's devices over the API.
func (h *harness) devices(userID string) []deviceJSON {
	h.t.Helper()
	r := h.mgmt(http.MethodGet, "/users/"+userID+"/devices", nil)
	apitest.OK(h.t, r)
	var v struct{ Devices []deviceJSON }
	r.Decode(h.t, &v)
	return v.Devices
}
