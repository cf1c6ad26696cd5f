package transfer_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/passbridge/passbridge/ceremony"
	"github.com/passbridge/passbridge/ceremony/aaguid"
	"github.com/passbridge/passbridge/ceremony/softauthn"
	"github.com/passbridge/passbridge/ceremony/transfer"
	"github.com/passbridge/passbridge/storage"
	"github.com/passbridge/passbridge/storage/sqlstore"
	"github.com/passbridge/passbridge/storage/sqlstore/sqlstoretest"
)

const (
	testRPID   = "login.example.com"
	testOrigin = "https://login.example.com"
)

var aaguidICloud = [16]byte(uuid.MustParse("fbfc3007-154e-4ecc-8c0b-6e020557d7bd"))

var loadRegistry = sync.OnceValues(aaguid.Load)

// env is a store with a ceremony service and an app of testRPID.
type env struct {
	t     testing.TB
	ctx   context.Context
	store storage.Store
	svc   *ceremony.Service
	app   storage.App
	now   time.Time
}

// forEachEngine runs fn with a constructor of fresh stores of each engine.
func forEachEngine(t *testing.T, fn func(t *testing.T, open func(testing.TB) *sqlstore.Store)) {
	sqlstoretest.ForEach(t, fn)
}

func newEnv(t testing.TB, st storage.Store) *env {
	t.Helper()
	reg, err := loadRegistry()
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, ctx: context.Background(), store: st, now: time.Now().UTC().Round(time.Microsecond)}
	e.svc, err = ceremony.New(ceremony.Config{Store: st, Now: func() time.Time { return e.now }, AAGUIDs: reg})
	if err != nil {
		t.Fatal(err)
	}
	e.app = e.newApp(testRPID)
	return e
}

// newApp stores an app of rpID.
func (e *env) newApp(rpID string) storage.App {
	e.t.Helper()
	a, err := ceremony.PrepareApp(storage.App{ID: storage.NewID(), Name: "Example", RPID: rpID, Origins: []string{"https://" + rpID}})
	if err != nil {
		e.t.Fatal(err)
	}
	a.CreatedAt, a.UpdatedAt = e.now, e.now
	if err := e.store.CreateApp(e.ctx, a); err != nil {
		e.t.Fatal(err)
	}
	return a
}

// register gives a a passkey of externalID through the start/finish API.
func (e *env) register(a *softauthn.Authenticator, externalID string) {
	e.t.Helper()
	hs, err := e.svc.StartRegistration(e.ctx, e.app, ceremony.RegistrationStart{ExternalID: externalID, UserName: externalID + "@example.com"})
	if err != nil {
		e.t.Fatal(err)
	}
	resp, _, err := a.Register(hs.Options, testOrigin)
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.svc.FinishRegistration(e.ctx, e.app, externalID, resp); err != nil {
		e.t.Fatal(err)
	}
	e.now = e.now.Add(time.Second)
}

// signIn runs an authentication with a: bound to externalID, or
// discoverable when it is "". It returns the result or the refusal.
func (e *env) signIn(a *softauthn.Authenticator, externalID string, mods ...softauthn.Mod) (ceremony.Result, error) {
	e.t.Helper()
	hs, err := e.svc.StartAuthentication(e.ctx, e.app, externalID)
	if err != nil {
		return ceremony.Result{}, err
	}
	resp, err := a.Authenticate(hs.Options, testOrigin, mods...)
	if err != nil {
		e.t.Fatal(err)
	}
	e.now = e.now.Add(time.Second)
	return e.svc.FinishAuthentication(e.ctx, e.app, externalID, resp)
}

// export exports the env's app.
func (e *env) export() string {
	e.t.Helper()
	var b bytes.Buffer
	if err := transfer.Export(e.ctx, e.store, e.app, &b); err != nil {
		e.t.Fatalf("export: %v", err)
	}
	return b.String()
}

// importText imports text into the env's app.
func (e *env) importText(text string, opts transfer.Options) transfer.Summary {
	e.t.Helper()
	if opts.Actor == "" {
		opts.Actor = "cli"
	}
	if opts.Now == nil {
		opts.Now = func() time.Time { return e.now }
	}
	sum, err := transfer.Import(e.ctx, e.store, e.app, strings.NewReader(text), opts)
	if err != nil {
		e.t.Fatalf("import: %v", err)
	}
	return sum
}

// snapshot is everything of the app an import could change.
type snapshot struct {
	Users   []storage.User
	Devices []storage.Device
	Audit   []storage.AuditEvent
}

func (e *env) snapshot() snapshot {
	e.t.Helper()
	var s snapshot
	users, _, err := e.store.ListUsers(e.ctx, e.app.ID, storage.UserQuery{Limit: 1000})
	if err != nil {
		e.t.Fatal(err)
	}
	s.Users = users
	for _, u := range users {
		ds, err := e.store.ListDevices(e.ctx, e.app.ID, u.ID)
		if err != nil {
			e.t.Fatal(err)
		}
		s.Devices = append(s.Devices, ds...)
	}
	s.Audit, err = e.store.ListAuditEvents(e.ctx, storage.AuditQuery{AppID: e.app.ID, Limit: 1000})
	if err != nil {
		e.t.Fatal(err)
	}
	return s
}

// sameSnapshot fails the test unless nothing changed.
func sameSnapshot(t testing.TB, before, after snapshot) {
	t.Helper()
	b, _ := json.Marshal(before)
	a, _ := json.Marshal(after)
	if !bytes.Equal(a, b) {
		t.Fatalf("the store changed:\nbefore: %s\nafter:  %s", b, a)
	}
}

// lines joins NDJSON lines.
func lines(ls ...string) string { return strings.Join(ls, "\n") + "\n" }

// header is a header line of rpID.
func header(rpID string) string {
	return `{"format":"passbridge-export","version":1,"rp_id":"` + rpID + `","exported_at":"2026-05-01T10:00:00Z"}`
}

// userLine encodes a user line.
func userLine(t testing.TB, u transfer.User) string {
	t.Helper()
	b, err := json.Marshal(u)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// wantCounts checks a summary's counts.
func wantCounts(t testing.TB, got transfer.Summary, users, devices transfer.Counts) {
	t.Helper()
	if got.Users != users || got.Devices != devices {
		t.Fatalf("users %+v devices %+v, want users %+v devices %+v (refusals %+v)", got.Users, got.Devices, users, devices, got.Refusals)
	}
}
