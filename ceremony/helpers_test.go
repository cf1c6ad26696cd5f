package ceremony_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"reflect"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/passbridge/passbridge/ceremony"
	"github.com/passbridge/passbridge/ceremony/aaguid"
	"github.com/passbridge/passbridge/ceremony/softauthn"
	"github.com/passbridge/passbridge/storage"
	"github.com/passbridge/passbridge/storage/sqlstore"
	"github.com/passbridge/passbridge/storage/sqlstore/sqlstoretest"
)

const (
	testRPID   = "login.example.com"
	testOrigin = "https://login.example.com"
)

// AAGUIDs of real providers, as the embedded list names them.
var (
	aaguidApple  = mustAAGUID("fbfc3007-154e-4ecc-8c0b-6e020557d7bd")
	aaguidGoogle = mustAAGUID("ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4")
)

func mustAAGUID(s string) [16]byte { return uuid.MustParse(s) }

// loadRegistry parses the embedded AAGUID list once for the test binary.
var loadRegistry = sync.OnceValues(aaguid.Load)

// clock is a settable test clock. It starts at the real time, so that
// go-webauthn's own session expiry (which reads the real clock) agrees with
// the service's.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// env is one test's world: a fresh store, a service and an app.
type env struct {
	t     testing.TB
	ctx   context.Context
	store storage.Store
	svc   *ceremony.Service
	app   storage.App
	clock *clock
}

// forEachEngine runs fn against every engine the test run has.
func forEachEngine(t *testing.T, fn func(t *testing.T, open func(testing.TB) *sqlstore.Store)) {
	sqlstoretest.ForEach(t, fn)
}

// newEnv makes an env on a fresh store; edit adjusts the app before it is
// prepared and stored.
func newEnv(t testing.TB, st storage.Store, edit ...func(*storage.App)) *env {
	t.Helper()
	reg, err := loadRegistry()
	if err != nil {
		t.Fatalf("load aaguids: %v", err)
	}
	c := &clock{now: time.Now().UTC()}
	svc, err := ceremony.New(ceremony.Config{Store: st, Now: c.Now, AAGUIDs: reg})
	if err != nil {
		t.Fatalf("ceremony.New: %v", err)
	}
	e := &env{t: t, ctx: context.Background(), store: st, svc: svc, clock: c}
	e.app = e.newApp(edit...)
	return e
}

// newApp creates another app in the env's store.
func (e *env) newApp(edit ...func(*storage.App)) storage.App {
	e.t.Helper()
	a := storage.App{
		ID:      storage.NewID(),
		Name:    "Example",
		RPID:    testRPID,
		Origins: []string{testOrigin},
	}
	for _, f := range edit {
		f(&a)
	}
	a, err := ceremony.PrepareApp(a)
	if err != nil {
		e.t.Fatalf("PrepareApp: %v", err)
	}
	now := e.clock.Now()
	a.CreatedAt, a.UpdatedAt = now, now
	if err := e.store.CreateApp(e.ctx, a); err != nil {
		e.t.Fatalf("CreateApp: %v", err)
	}
	return a
}

// flexRegistration is a begun Flex registration: its transaction, handshake
// and the authenticator's answer.
type flexRegistration struct {
	tx       storage.Transaction
	hs       ceremony.Handshake
	response []byte
	cred     *softauthn.Credential
}

// beginRegister creates a register transaction for externalID and starts it.
func (e *env) beginRegister(externalID string) (storage.Transaction, ceremony.Handshake) {
	e.t.Helper()
	tx, err := e.svc.CreateRegisterTransaction(e.ctx, e.app, externalID, "")
	if err != nil {
		e.t.Fatalf("CreateRegisterTransaction: %v", err)
	}
	hs, err := e.svc.BeginFlexRegistration(e.ctx, e.app, tx.ID, "any")
	if err != nil {
		e.t.Fatalf("BeginFlexRegistration: %v", err)
	}
	return tx, hs
}

// prepareRegister begins a registration and has a answer it, with mods.
func (e *env) prepareRegister(a *softauthn.Authenticator, externalID string, mods ...softauthn.Mod) flexRegistration {
	e.t.Helper()
	tx, hs := e.beginRegister(externalID)
	resp, cred, err := a.Register(hs.Options, testOrigin, mods...)
	if err != nil {
		e.t.Fatalf("softauthn Register: %v", err)
	}
	return flexRegistration{tx: tx, hs: hs, response: resp, cred: cred}
}

// register runs a whole Flex registration and returns its result.
func (e *env) register(a *softauthn.Authenticator, externalID string) ceremony.Result {
	e.t.Helper()
	r := e.prepareRegister(a, externalID)
	res, err := e.svc.FinishFlexRegistration(e.ctx, e.app, r.tx.ID, r.hs.ID, r.response)
	if err != nil {
		e.t.Fatalf("FinishFlexRegistration: %v", err)
	}
	return res
}

// flexAuthentication is a begun Flex authentication.
type flexAuthentication struct {
	txID     string // "" for a discoverable one
	hs       ceremony.Handshake
	response []byte
}

// prepareAuthenticate begins a bound (externalID set) or discoverable
// authentication and has a answer it, with mods.
func (e *env) prepareAuthenticate(a *softauthn.Authenticator, externalID string, mods ...softauthn.Mod) flexAuthentication {
	e.t.Helper()
	var f flexAuthentication
	if externalID != "" {
		tx, err := e.svc.CreateAuthenticateTransaction(e.ctx, e.app, externalID)
		if err != nil {
			e.t.Fatalf("CreateAuthenticateTransaction: %v", err)
		}
		f.txID = tx.ID
	}
	hs, err := e.svc.BeginFlexAuthentication(e.ctx, e.app, f.txID)
	if err != nil {
		e.t.Fatalf("BeginFlexAuthentication: %v", err)
	}
	f.hs = hs
	if f.response, err = a.Authenticate(hs.Options, testOrigin, mods...); err != nil {
		e.t.Fatalf("softauthn Authenticate: %v", err)
	}
	return f
}

// authenticate runs a whole Flex authentication.
func (e *env) authenticate(a *softauthn.Authenticator, externalID string, mods ...softauthn.Mod) ceremony.Result {
	e.t.Helper()
	f := e.prepareAuthenticate(a, externalID, mods...)
	res, err := e.svc.FinishFlexAuthentication(e.ctx, e.app, f.txID, f.hs.ID, f.response)
	if err != nil {
		e.t.Fatalf("FinishFlexAuthentication: %v", err)
	}
	return res
}

// user returns the stored user with externalID.
func (e *env) user(externalID string) storage.User {
	e.t.Helper()
	u, err := e.store.GetUserByExternalID(e.ctx, e.app.ID, externalID)
	if err != nil {
		e.t.Fatalf("GetUserByExternalID(%q): %v", externalID, err)
	}
	return u
}

// snapshot is everything a rejected request must leave as it was.
type snapshot struct {
	Users        []storage.User
	Devices      []storage.Device
	Transactions map[string]storage.Transaction
	Handshakes   map[string]bool // still readable (so still consumable)
	AuditEvents  int
}

// snapshot records the app's users, devices and audit trail, the state of
// the named transactions and whether the named handshakes are still there.
func (e *env) snapshot(txIDs []string, hsIDs []string) snapshot {
	e.t.Helper()
	s := snapshot{Transactions: map[string]storage.Transaction{}, Handshakes: map[string]bool{}}
	users, _, err := e.store.ListUsers(e.ctx, e.app.ID, storage.UserQuery{Limit: 1000})
	if err != nil {
		e.t.Fatalf("ListUsers: %v", err)
	}
	s.Users = users
	for _, u := range users {
		ds, err := e.store.ListDevices(e.ctx, e.app.ID, u.ID)
		if err != nil {
			e.t.Fatalf("ListDevices: %v", err)
		}
		s.Devices = append(s.Devices, ds...)
	}
	sort.Slice(s.Devices, func(i, j int) bool { return s.Devices[i].ID < s.Devices[j].ID })
	for _, id := range txIDs {
		if id == "" {
			continue
		}
		tx, err := e.store.GetTransaction(e.ctx, e.app.ID, id)
		if err != nil && !errors.Is(err, storage.ErrNotFound) {
			e.t.Fatalf("GetTransaction: %v", err)
		}
		s.Transactions[id] = tx
	}
	for _, id := range hsIDs {
		_, err := e.store.GetHandshake(e.ctx, e.app.ID, id, e.clock.Now())
		if err != nil && !errors.Is(err, storage.ErrNotFound) {
			e.t.Fatalf("GetHandshake: %v", err)
		}
		s.Handshakes[id] = err == nil
	}
	events, err := e.store.ListAuditEvents(e.ctx, storage.AuditQuery{AppID: e.app.ID, Limit: 1000})
	if err != nil {
		e.t.Fatalf("ListAuditEvents: %v", err)
	}
	s.AuditEvents = len(events)
	return s
}

// assertUnchanged fails the test if the store moved from before.
func (e *env) assertUnchanged(before snapshot, txIDs, hsIDs []string) {
	e.t.Helper()
	after := e.snapshot(txIDs, hsIDs)
	if !reflect.DeepEqual(before.Users, after.Users) {
		e.t.Errorf("users changed:\nbefore %+v\nafter  %+v", before.Users, after.Users)
	}
	if !reflect.DeepEqual(before.Devices, after.Devices) {
		e.t.Errorf("devices changed:\nbefore %+v\nafter  %+v", before.Devices, after.Devices)
	}
	if !reflect.DeepEqual(before.Transactions, after.Transactions) {
		e.t.Errorf("transactions changed:\nbefore %+v\nafter  %+v", before.Transactions, after.Transactions)
	}
	if !reflect.DeepEqual(before.Handshakes, after.Handshakes) {
		e.t.Errorf("handshakes changed: before %v, after %v", before.Handshakes, after.Handshakes)
	}
	if before.AuditEvents != after.AuditEvents {
		e.t.Errorf("audit events: before %d, after %d", before.AuditEvents, after.AuditEvents)
	}
}

// wantCode fails the test unless err is a *ceremony.Error with code.
func wantCode(t testing.TB, err error, code string) *ceremony.Error {
	t.Helper()
	var ce *ceremony.Error
	if !errors.As(err, &ce) {
		t.Fatalf("err = %v (%T), want a *ceremony.Error with code %s", err, err, code)
	}
	if ce.Code != code {
		t.Fatalf("code = %s (%v), want %s", ce.Code, err, code)
	}
	return ce
}

// options decodes a handshake's options JSON.
func options(t testing.TB, hs ceremony.Handshake) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(hs.Options, &m); err != nil {
		t.Fatalf("options are not a JSON object: %v", err)
	}
	return m
}

// editJSON decodes a JSON object, lets fn change it and encodes it again.
func editJSON(t testing.TB, data []byte, fn func(m map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("not a JSON object: %v", err)
	}
	fn(m)
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// b64 encodes as WebAuthn JSON does.
func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
