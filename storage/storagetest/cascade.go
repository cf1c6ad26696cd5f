package storagetest

import (
	"context"
	"testing"

	"github.com/passbridge/passbridge/storage"
)

func cascadeTests() []test {
	return []test{
		{"DeleteUser", testCascadeDeleteUser},
		{"DeleteDevice", testCascadeDeleteDevice},
		{"DeleteApp", testCascadeDeleteApp},
	}
}

// Owners of a row, for deciding what a deletion takes with it.
const (
	ownedByUser = "user" // goes with its user (and with its app)
	ownedByApp  = "app"  // goes with its app only
)

// probe reads one row of a graph; it returns ErrNotFound once the row is gone.
type probe struct {
	name  string
	owner string
	read  func(ctx context.Context) error
}

// graph is one of every kind of row hanging off one user of an app.
type graph struct {
	world
	probes []probe
}

func newGraph(t *testing.T, s storage.Store, app storage.App) graph {
	t.Helper()
	w := newWorldIn(t, s, app)
	extra := mustCreateDevice(t, s, app.ID, w.User.ID)
	key := newAPIKey(app.ID)
	mustOK(t, s.CreateAPIKey(t.Context(), key), "create api key")
	tx := mustCreateTransaction(t, s, w.pendingTransaction())
	h := mustCreateHandshake(t, s, newHandshake(app.ID, tx.ID, w.User.ID))
	n := mustCreateNonce(t, s, newNonce(app.ID, w.User.ID, w.Device.ID))
	req := mustCreateAuthRequest(t, s, w.pendingAuthRequest())
	code := mustCreateAuthCode(t, s, newAuthCode(req.ID))
	rt := mustCreateRefreshToken(t, s, w.refreshToken())
	access := mustCreateAccessToken(t, s, w.accessToken(rt.ID))
	event := mustAppend(t, s, newAuditEvent(app.ID, w.User.ID, w.Device.ID))

	now := odd(0)
	return graph{world: w, probes: []probe{
		{"user", ownedByUser, func(ctx context.Context) error { _, err := s.GetUser(ctx, app.ID, w.User.ID); return err }},
		{"device", ownedByUser, func(ctx context.Context) error { _, err := s.GetDevice(ctx, app.ID, w.Device.ID); return err }},
		{"second device", ownedByUser, func(ctx context.Context) error { _, err := s.GetDevice(ctx, app.ID, extra.ID); return err }},
		{"device by credential", ownedByUser, func(ctx context.Context) error {
			_, err := s.GetDeviceByCredentialID(ctx, app.ID, w.Device.CredentialID)
			return err
		}},
		{"session", ownedByUser, func(ctx context.Context) error { _, err := s.GetSession(ctx, w.Session.ID); return err }},
		{"transaction", ownedByUser, func(ctx context.Context) error { _, err := s.GetTransaction(ctx, app.ID, tx.ID); return err }},
		{"handshake", ownedByUser, func(ctx context.Context) error { _, err := s.GetHandshake(ctx, app.ID, h.ID, now); return err }},
		{"nonce", ownedByUser, func(ctx context.Context) error { _, err := s.ConsumeNonce(ctx, app.ID, n.Hash, now); return err }},
		{"refresh token", ownedByUser, func(ctx context.Context) error { _, err := s.GetRefreshTokenByHash(ctx, rt.Hash, now); return err }},
		{"access token", ownedByUser, func(ctx context.Context) error { _, err := s.GetAccessToken(ctx, access.ID, now); return err }},
		{"app", ownedByApp, func(ctx context.Context) error { _, err := s.GetApp(ctx, app.ID); return err }},
		{"api key", ownedByApp, func(ctx context.Context) error { _, err := s.GetAPIKeyByHash(ctx, key.Hash); return err }},
		{"client", ownedByApp, func(ctx context.Context) error { _, err := s.GetClient(ctx, w.Client.ID); return err }},
		{"auth request", ownedByApp, func(ctx context.Context) error { _, err := s.GetAuthRequest(ctx, req.ID, now); return err }},
		{"auth code", ownedByApp, func(ctx context.Context) error { _, err := s.ConsumeAuthCode(ctx, code.Hash, now); return err }},
		// Audit events outlive the users and devices they name.
		{"audit event", ownedByApp, func(ctx context.Context) error {
			events, err := s.ListAuditEvents(ctx, storage.AuditQuery{AppID: app.ID, UserID: w.User.ID})
			if err != nil {
				return err
			}
			for _, e := range events {
				if e.ID == event.ID {
					checkSame(t, "surviving AuditEvent", e, event)
					return nil
				}
			}
			return storage.ErrNotFound
		}},
	}}
}

// requireGone checks which rows of g a deletion took: those of the given
// owners went, every other one stayed.
func (g graph) requireGone(t *testing.T, what string, owners ...string) {
	t.Helper()
	for _, p := range g.probes {
		err := p.read(t.Context())
		gone := false
		for _, o := range owners {
			gone = gone || o == p.owner
		}
		if gone {
			if err == nil {
				t.Errorf("%s: %s is still there", what, p.name)
			} else {
				requireNotFound(t, err, what+": read "+p.name)
			}
		} else if err != nil {
			t.Errorf("%s: %s should remain: %v", what, p.name, err)
		}
	}
}

func testCascadeDeleteUser(t *testing.T, s storage.Store) {
	app := mustCreateApp(t, s)
	g := newGraph(t, s, app)
	sibling := newGraph(t, s, app)
	mustOK(t, s.DeleteUser(t.Context(), app.ID, g.User.ID), "delete user")
	g.requireGone(t, "deleted user", ownedByUser)
	sibling.requireGone(t, "sibling of a deleted user")
}

func testCascadeDeleteApp(t *testing.T, s storage.Store) {
	ctx := t.Context()
	g := newGraph(t, s, mustCreateApp(t, s))
	other := newGraph(t, s, mustCreateApp(t, s))
	serverWide := mustAppend(t, s, storage.AuditEvent{ID: storage.NewID(), Type: "server.started", Actor: "system", CreatedAt: odd(0)})
	key := newSigningKey()
	mustOK(t, s.CreateSigningKey(ctx, key), "create signing key")

	mustOK(t, s.DeleteApp(ctx, g.App.ID), "delete app")
	g.requireGone(t, "deleted app", ownedByUser, ownedByApp)
	other.requireGone(t, "another app")

	events, err := s.ListAuditEvents(ctx, storage.AuditQuery{AppID: g.App.ID})
	mustOK(t, err, "list audit events of a deleted app")
	requireListed(t, "ListAuditEvents of a deleted app", events, nil, auditKey, true)
	events, err = s.ListAuditEvents(ctx, storage.AuditQuery{})
	mustOK(t, err, "list audit events")
	var kept bool
	for _, e := range events {
		kept = kept || e.ID == serverWide.ID
	}
	if !kept {
		t.Error("deleting an app removed a server-wide audit event")
	}
	_, err = s.GetSigningKey(ctx, key.ID)
	mustOK(t, err, "get signing key after deleting an app")
}

// testCascadeDeleteDevice revokes a device that a session, tokens, a nonce
// and a finished auth request name: the sessions and tokens it authenticated
// go (DESIGN §6), the rest of the user stays.
func testCascadeDeleteDevice(t *testing.T, s storage.Store) {
	ctx := t.Context()
	w := newWorld(t, s)
	now := odd(0)
	rt := mustCreateRefreshToken(t, s, w.refreshToken())
	access := mustCreateAccessToken(t, s, w.accessToken(rt.ID))
	standalone := w.accessToken("")
	standalone.SessionID = "" // names the device alone, not its session
	mustCreateAccessToken(t, s, standalone)
	standaloneRT := w.refreshToken()
	standaloneRT.SessionID = ""
	mustCreateRefreshToken(t, s, standaloneRT)
	mustCreateNonce(t, s, newNonce(w.App.ID, w.User.ID, w.Device.ID))
	w.doneAuthRequest(t, s)
	event := mustAppend(t, s, newAuditEvent(w.App.ID, w.User.ID, w.Device.ID))

	// The same user's other device, with its own session and tokens.
	keptDevice := mustCreateDevice(t, s, w.App.ID, w.User.ID)
	keptSession := mustCreateSession(t, s, w.App.ID, w.User.ID, keptDevice.ID)
	keptRT := mustCreateRefreshToken(t, s, newRefreshToken(w.App.ID, w.Client.ID, w.User.ID, keptSession.ID, keptDevice.ID))
	keptAccess := mustCreateAccessToken(t, s, newAccessToken(w.App.ID, w.Client.ID, w.User.ID, keptSession.ID, keptDevice.ID, keptRT.ID))

	mustOK(t, s.DeleteDevice(ctx, w.App.ID, w.Device.ID), "delete device")

	_, err := s.GetSession(ctx, w.Session.ID)
	requireNotFound(t, err, "get session of a deleted device")
	_, err = s.GetSessionByHash(ctx, w.Session.Hash, now)
	requireNotFound(t, err, "get session of a deleted device by hash")
	for _, r := range []storage.RefreshToken{rt, standaloneRT} {
		_, err = s.GetRefreshTokenByHash(ctx, r.Hash, now)
		requireNotFound(t, err, "get refresh token of a deleted device")
	}
	for _, a := range []storage.AccessToken{access, standalone} {
		_, err = s.GetAccessToken(ctx, a.ID, now)
		requireNotFound(t, err, "get access token of a deleted device")
	}

	got, err := s.GetSession(ctx, keptSession.ID)
	mustOK(t, err, "get session of another device")
	checkSame(t, "Session of another device", got, keptSession)
	_, err = s.GetRefreshTokenByHash(ctx, keptRT.Hash, now)
	mustOK(t, err, "get refresh token of another device")
	_, err = s.GetAccessToken(ctx, keptAccess.ID, now)
	mustOK(t, err, "get access token of another device")
	_, err = s.GetUser(ctx, w.App.ID, w.User.ID)
	mustOK(t, err, "get user of a deleted device")
	events, err := s.ListAuditEvents(ctx, storage.AuditQuery{AppID: w.App.ID})
	mustOK(t, err, "list audit events")
	requireListed(t, "ListAuditEvents after deleting the device", events, []storage.AuditEvent{event}, auditKey, true)
}
