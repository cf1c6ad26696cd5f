package ceremony_test

import (
	"testing"
	"time"

	"github.com/passbridge/passbridge/ceremony"
	"github.com/passbridge/passbridge/ceremony/softauthn"
	"github.com/passbridge/passbridge/storage"
	"github.com/passbridge/passbridge/storage/sqlstore"
)

// signedIn is what a user holds after signing in through the OIDC
// provider: a browser session, a refresh token and an access token.
type signedIn struct {
	session storage.Session
	refresh storage.RefreshToken
	access  storage.AccessToken
}

// signIn stores a session and tokens of u's device d, as the OIDC provider
// writes them, for client.
func (e *env) signIn(client storage.Client, u storage.User, d storage.Device) signedIn {
	e.t.Helper()
	now := e.clock.Now().UTC()
	s := signedIn{
		session: storage.Session{ID: storage.NewID(), AppID: e.app.ID, UserID: u.ID, Subject: u.ExternalID,
			Hash: storage.HashSecret(storage.NewID()), DeviceID: d.ID, AuthTime: now, ACR: "phr",
			CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(time.Hour)},
	}
	s.refresh = storage.RefreshToken{ID: storage.NewID(), Hash: storage.HashSecret(storage.NewID()), AppID: e.app.ID,
		ClientID: client.ID, UserID: u.ID, Subject: u.ExternalID, SessionID: s.session.ID, DeviceID: d.ID,
		AuthTime: now, ACR: "phr", GrantID: storage.NewID(), CreatedAt: now, ExpiresAt: now.Add(24 * time.Hour)}
	s.access = storage.AccessToken{ID: storage.NewID(), AppID: e.app.ID, ClientID: client.ID, UserID: u.ID,
		Subject: u.ExternalID, SessionID: s.session.ID, DeviceID: d.ID, RefreshTokenID: s.refresh.ID,
		GrantID: s.refresh.GrantID, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	for _, err := range []error{
		e.store.CreateSession(e.ctx, s.session),
		e.store.CreateRefreshToken(e.ctx, s.refresh),
		e.store.CreateAccessToken(e.ctx, s.access),
	} {
		if err != nil {
			e.t.Fatal(err)
		}
	}
	return s
}

// live reports which of a sign-in's session, refresh and access token the
// store still holds.
func (e *env) live(s signedIn) (session, refresh, access bool) {
	e.t.Helper()
	_, err := e.store.GetSession(e.ctx, s.session.ID)
	session = err == nil
	_, err = e.store.GetRefreshTokenByHash(e.ctx, s.refresh.Hash, e.clock.Now())
	refresh = err == nil
	_, err = e.store.GetAccessToken(e.ctx, s.access.ID, e.clock.Now())
	access = err == nil
	return session, refresh, access
}

func (e *env) newClient() storage.Client {
	e.t.Helper()
	now := e.clock.Now().UTC()
	c := storage.Client{ID: "client-" + storage.NewID(), AppID: e.app.ID, Name: "RP", AuthMethod: storage.AuthMethodNone,
		RedirectURIs: []string{"https://rp.example/cb"}, AccessTokenType: "bearer", CreatedAt: now, UpdatedAt: now}
	if err := e.store.CreateClient(e.ctx, c); err != nil {
		e.t.Fatal(err)
	}
	return c
}

// auditOf returns the app's audit events of type typ, oldest first.
func (e *env) auditOf(typ string) []storage.AuditEvent {
	e.t.Helper()
	events, err := e.store.ListAuditEvents(e.ctx, storage.AuditQuery{AppID: e.app.ID, Limit: 1000})
	if err != nil {
		e.t.Fatal(err)
	}
	var out []storage.AuditEvent
	for i := len(events) - 1; i >= 0; i-- {
		if events[i].Type == typ {
			out = append(out, events[i])
		}
	}
	return out
}

// Deactivation ends the user's sessions, tokens and unredeemed nonces in
// the same transaction, refuses every ceremony, records who did it, and is
// idempotent; reactivation signs in with the same passkey again. Nothing
// of another user moves.
func TestSetUserStatus(t *testing.T) {
	forEachEngine(t, func(t *testing.T, open func(testing.TB) *sqlstore.Store) {
		e := newEnv(t, open(t))
		a := softauthn.New(softauthn.Options{BackupEligible: true})
		b := softauthn.New(softauthn.Options{BackupEligible: true})
		dana := e.register(a, "dana")
		bert := e.register(b, "bert")
		client := e.newClient()
		danaIn := e.signIn(client, dana.User, dana.Device)
		bertIn := e.signIn(client, bert.User, bert.Device)
		pending := e.authenticate(a, "dana").Nonce // redeemed by nobody yet
		bertNonce := e.authenticate(b, "bert").Nonce
		bound := e.prepareAuthenticate(a, "dana") // a ceremony under way
		e.clock.Advance(time.Second)

		u, err := e.svc.SetUserStatus(e.ctx, e.app, dana.User.ID, storage.UserInactive, "admin_key:k1")
		if err != nil {
			t.Fatal(err)
		}
		if u.Status != storage.UserInactive || !u.UpdatedAt.Equal(e.clock.Now().UTC().Round(time.Microsecond)) {
			t.Fatalf("deactivated user %+v", u)
		}
		if stored := e.user("dana"); stored.Status != storage.UserInactive {
			t.Fatalf("stored status %q", stored.Status)
		}
		if s, r, acc := e.live(danaIn); s || r || acc {
			t.Fatalf("after deactivation: session %v, refresh token %v, access token %v; want all ended", s, r, acc)
		}
		if s, r, acc := e.live(bertIn); !s || !r || !acc {
			t.Fatalf("another user's sign-in: session %v, refresh token %v, access token %v; want all kept", s, r, acc)
		}
		_, err = e.svc.VerifyNonce(e.ctx, e.app, pending)
		wantCode(t, err, ceremony.CodeInvalidNonce)
		if _, err := e.svc.VerifyNonce(e.ctx, e.app, bertNonce); err != nil {
			t.Fatalf("another user's nonce: %v", err)
		}
		events := e.auditOf(ceremony.EventUserDeactivated)
		if len(events) != 1 || events[0].Actor != "admin_key:k1" || events[0].UserID != dana.User.ID ||
			events[0].Detail["sessions_ended"] != "1" || events[0].Detail["to"] != storage.UserInactive {
			t.Fatalf("audit %+v", events)
		}

		// No ceremony of any kind.
		_, err = e.svc.FinishFlexAuthentication(e.ctx, e.app, bound.txID, bound.hs.ID, bound.response)
		wantCode(t, err, ceremony.CodeUserInactive)
		_, err = e.svc.CreateAuthenticateTransaction(e.ctx, e.app, "dana")
		wantCode(t, err, ceremony.CodeCannotCreateTransaction)
		_, err = e.svc.CreateRegisterTransaction(e.ctx, e.app, "dana", "")
		wantCode(t, err, ceremony.CodeCannotCreateTransaction)
		disc := e.prepareAuthenticate(a, "")
		_, err = e.svc.FinishFlexAuthentication(e.ctx, e.app, "", disc.hs.ID, disc.response)
		wantCode(t, err, ceremony.CodeUserInactive)
		_, err = e.svc.StartRegistration(e.ctx, e.app, ceremony.RegistrationStart{ExternalID: "dana"})
		wantCode(t, err, ceremony.CodeUserInactive)

		// Again: nothing changes, nothing is recorded.
		before := e.snapshot(nil, nil)
		again, err := e.svc.SetUserStatus(e.ctx, e.app, dana.User.ID, storage.UserInactive, "cli")
		if err != nil || again.Status != storage.UserInactive || !again.UpdatedAt.Equal(u.UpdatedAt) {
			t.Fatalf("second deactivation: %+v %v", again, err)
		}
		e.assertUnchanged(before, nil, nil)

		// Reactivation: the same passkey signs in; no session came back.
		e.clock.Advance(time.Second)
		u, err = e.svc.SetUserStatus(e.ctx, e.app, dana.User.ID, storage.UserActive, "cli")
		if err != nil || u.Status != storage.UserActive {
			t.Fatalf("reactivation: %+v %v", u, err)
		}
		if events := e.auditOf(ceremony.EventUserReactivated); len(events) != 1 || events[0].Actor != "cli" {
			t.Fatalf("audit %+v", events)
		}
		res := e.authenticate(a, "dana")
		if n, err := e.svc.VerifyNonce(e.ctx, e.app, res.Nonce); err != nil || n.ExternalID != "dana" || n.DeviceID != dana.Device.ID {
			t.Fatalf("sign-in after reactivation: %+v %v", n, err)
		}
		if s, _, _ := e.live(danaIn); s {
			t.Fatal("reactivation brought a session back")
		}
	})
}

// A refused status change names the problem and changes nothing.
func TestSetUserStatusRefusals(t *testing.T) {
	forEachEngine(t, func(t *testing.T, open func(testing.TB) *sqlstore.Store) {
		e := newEnv(t, open(t))
		dana := e.register(softauthn.New(softauthn.Options{}), "dana")
		other := e.newApp()
		before := e.snapshot(nil, nil)
		for _, tc := range []struct {
			name, app, user, status, code string
		}{
			{"bad status", e.app.ID, dana.User.ID, "disabled", ceremony.CodeInvalidRequest},
			{"empty status", e.app.ID, dana.User.ID, "", ceremony.CodeInvalidRequest},
			{"status in capitals", e.app.ID, dana.User.ID, "INACTIVE", ceremony.CodeInvalidRequest},
			{"unknown user", e.app.ID, storage.NewID(), storage.UserInactive, ceremony.CodeUserNotFound},
			{"malformed user", e.app.ID, "a\x00b", storage.UserInactive, ceremony.CodeUserNotFound},
			{"user of another app", other.ID, dana.User.ID, storage.UserInactive, ceremony.CodeUserNotFound},
		} {
			t.Run(tc.name, func(t *testing.T) {
				app := e.app
				app.ID = tc.app
				_, err := e.svc.SetUserStatus(e.ctx, app, tc.user, tc.status, "cli")
				wantCode(t, err, tc.code)
				if tc.code == ceremony.CodeUserNotFound {
					_, err = e.svc.EndUserSessions(e.ctx, app, tc.user, "cli")
					wantCode(t, err, tc.code)
				}
			})
		}
		e.assertUnchanged(before, nil, nil)
	})
}

// Ending a user's sessions signs them out everywhere (sessions and tokens)
// but leaves them active; nothing of another user moves.
func TestEndUserSessions(t *testing.T) {
	forEachEngine(t, func(t *testing.T, open func(testing.TB) *sqlstore.Store) {
		e := newEnv(t, open(t))
		a := softauthn.New(softauthn.Options{})
		dana := e.register(a, "dana")
		bert := e.register(softauthn.New(softauthn.Options{}), "bert")
		client := e.newClient()
		first, second := e.signIn(client, dana.User, dana.Device), e.signIn(client, dana.User, dana.Device)
		bertIn := e.signIn(client, bert.User, bert.Device)

		n, err := e.svc.EndUserSessions(e.ctx, e.app, dana.User.ID, "admin_key:k2")
		if err != nil || n != 2 {
			t.Fatalf("EndUserSessions = %d, %v; want 2", n, err)
		}
		for _, s := range []signedIn{first, second} {
			if s, r, acc := e.live(s); s || r || acc {
				t.Fatalf("after ending sessions: session %v, refresh token %v, access token %v; want all ended", s, r, acc)
			}
		}
		if s, r, acc := e.live(bertIn); !s || !r || !acc {
			t.Fatalf("another user's sign-in: session %v, refresh token %v, access token %v; want all kept", s, r, acc)
		}
		if u := e.user("dana"); u.Status != storage.UserActive {
			t.Fatalf("status %q after ending sessions", u.Status)
		}
		events := e.auditOf(ceremony.EventUserSessionsEnded)
		if len(events) != 1 || events[0].Actor != "admin_key:k2" || events[0].UserID != dana.User.ID || events[0].Detail["sessions_ended"] != "2" {
			t.Fatalf("audit %+v", events)
		}
		if n, err := e.svc.EndUserSessions(e.ctx, e.app, dana.User.ID, "cli"); err != nil || n != 0 {
			t.Fatalf("EndUserSessions again = %d, %v", n, err)
		}
		e.authenticate(a, "dana") // still signs in
	})
}

func TestSetUserDisplayNameAndDelete(t *testing.T) {
	forEachEngine(t, func(t *testing.T, open func(testing.TB) *sqlstore.Store) {
		e := newEnv(t, open(t))
		dana := e.register(softauthn.New(softauthn.Options{}), "dana")
		e.clock.Advance(time.Second)
		u, err := e.svc.SetUserDisplayName(e.ctx, e.app, dana.User.ID, "  Dana Scully ", "cli")
		if err != nil || u.DisplayName != "Dana Scully" || e.user("dana").DisplayName != "Dana Scully" {
			t.Fatalf("rename: %+v %v", u, err)
		}
		events := e.auditOf(ceremony.EventUserUpdated)
		if len(events) != 1 || events[0].Detail["display_name_to"] != "Dana Scully" || events[0].Actor != "cli" {
			t.Fatalf("audit %+v", events)
		}
		if _, err := e.svc.SetUserDisplayName(e.ctx, e.app, dana.User.ID, "Dana Scully", "cli"); err != nil || len(e.auditOf(ceremony.EventUserUpdated)) != 1 {
			t.Fatalf("the same name again: %v, %d events", err, len(e.auditOf(ceremony.EventUserUpdated)))
		}
		if u, err := e.svc.SetUserDisplayName(e.ctx, e.app, dana.User.ID, "", "cli"); err != nil || u.DisplayName != "dana" {
			t.Fatalf("empty name: %+v %v; want the external ID", u, err)
		}
		before := e.snapshot(nil, nil)
		_, err = e.svc.SetUserDisplayName(e.ctx, e.app, dana.User.ID, "bad\nname", "cli")
		wantCode(t, err, ceremony.CodeInvalidRequest)
		_, err = e.svc.SetUserDisplayName(e.ctx, e.app, storage.NewID(), "x", "cli")
		wantCode(t, err, ceremony.CodeUserNotFound)
		wantCode(t, e.svc.DeleteUser(e.ctx, e.app, storage.NewID(), "cli"), ceremony.CodeUserNotFound)
		e.assertUnchanged(before, nil, nil)

		if err := e.svc.DeleteUser(e.ctx, e.app, dana.User.ID, "admin_key:k3"); err != nil {
			t.Fatal(err)
		}
		if _, err := e.store.GetUser(e.ctx, e.app.ID, dana.User.ID); err == nil {
			t.Fatal("user still there")
		}
		events = e.auditOf(ceremony.EventUserDeleted)
		if len(events) != 1 || events[0].Actor != "admin_key:k3" || events[0].Detail["external_id"] != "dana" {
			t.Fatalf("audit %+v", events)
		}
	})
}

// Revoking all of a user's passkeys ends what they authenticated, records
// each, and keeps the user, who can be given a new passkey.
func TestRevokeAllDevices(t *testing.T) {
	forEachEngine(t, func(t *testing.T, open func(testing.TB) *sqlstore.Store) {
		e := newEnv(t, open(t))
		a, k := softauthn.New(softauthn.Options{}), softauthn.New(softauthn.Options{})
		first := e.register(a, "dana")
		e.clock.Advance(time.Second)
		second := e.register(k, "dana")
		bert := e.register(softauthn.New(softauthn.Options{}), "bert")
		client := e.newClient()
		danaIn := e.signIn(client, first.User, second.Device)
		bertIn := e.signIn(client, bert.User, bert.Device)

		ds, err := e.svc.RevokeAllDevices(e.ctx, e.app, first.User.ID, "cli")
		if err != nil || len(ds) != 2 || ds[0].ID != first.Device.ID || ds[1].ID != second.Device.ID {
			t.Fatalf("RevokeAllDevices = %v, %v", ds, err)
		}
		if left, _ := e.store.ListDevices(e.ctx, e.app.ID, first.User.ID); len(left) != 0 {
			t.Fatalf("%d devices left", len(left))
		}
		if s, r, acc := e.live(danaIn); s || r || acc {
			t.Fatalf("what a revoked device authenticated: session %v, refresh %v, access %v", s, r, acc)
		}
		if s, r, acc := e.live(bertIn); !s || !r || !acc {
			t.Fatal("another user's sign-in ended")
		}
		events := e.auditOf(ceremony.EventDeviceRevoked)
		if len(events) != 2 || events[0].Actor != "cli" || events[1].Actor != "cli" ||
			events[0].DeviceID == events[1].DeviceID || (events[0].DeviceID != first.Device.ID && events[0].DeviceID != second.Device.ID) ||
			(events[1].DeviceID != first.Device.ID && events[1].DeviceID != second.Device.ID) {
			t.Fatalf("audit %+v", events)
		}
		e.user("dana") // kept
		if ds, err := e.svc.RevokeAllDevices(e.ctx, e.app, first.User.ID, "cli"); err != nil || len(ds) != 0 {
			t.Fatalf("again: %v, %v", ds, err)
		}
		_, err = e.svc.RevokeAllDevices(e.ctx, e.app, storage.NewID(), "cli")
		wantCode(t, err, ceremony.CodeUserNotFound)
		e.register(softauthn.New(softauthn.Options{}), "dana")
	})
}
