package storagetest

import (
	"testing"
	"time"

	"github.com/passbridge/passbridge/storage"
)

// world is the set of rows most tests hang their subject on: an app with one
// user, that user's device, an OIDC client and a browser session. Rows that
// refer to others always refer to existing ones, so engines that enforce
// foreign keys are tested fairly.
type world struct {
	App     storage.App
	User    storage.User
	Device  storage.Device
	Client  storage.Client
	Session storage.Session
}

func newWorld(t *testing.T, s storage.Store) world {
	t.Helper()
	return newWorldIn(t, s, mustCreateApp(t, s))
}

// newWorldIn is newWorld inside an app that exists already.
func newWorldIn(t *testing.T, s storage.Store, app storage.App) world {
	t.Helper()
	w := world{App: app}
	w.User = mustCreateUser(t, s, w.App.ID)
	w.Device = mustCreateDevice(t, s, w.App.ID, w.User.ID)
	w.Client = mustCreateClient(t, s, w.App.ID)
	w.Session = mustCreateSession(t, s, w.App.ID, w.User.ID, w.Device.ID)
	return w
}

func mustCreateApp(t *testing.T, s storage.Store) storage.App {
	t.Helper()
	a := newApp()
	mustOK(t, s.CreateApp(t.Context(), a), "create app")
	return a
}

func mustCreateUser(t *testing.T, s storage.Store, appID string) storage.User {
	t.Helper()
	u := newUser(appID)
	mustOK(t, s.CreateUser(t.Context(), u), "create user")
	return u
}

func mustCreateDevice(t *testing.T, s storage.Store, appID, userID string) storage.Device {
	t.Helper()
	d := newDevice(appID, userID)
	mustOK(t, s.CreateDevice(t.Context(), d), "create device")
	return d
}

func mustCreateClient(t *testing.T, s storage.Store, appID string) storage.Client {
	t.Helper()
	c := newClient(appID)
	mustOK(t, s.CreateClient(t.Context(), c), "create client")
	return c
}

func mustCreateSession(t *testing.T, s storage.Store, appID, userID, deviceID string) storage.Session {
	t.Helper()
	ss := newSession(appID, userID, deviceID)
	mustOK(t, s.CreateSession(t.Context(), ss), "create session")
	return ss
}

func mustCreateTransaction(t *testing.T, s storage.Store, tx storage.Transaction) storage.Transaction {
	t.Helper()
	mustOK(t, s.CreateTransaction(t.Context(), tx), "create transaction")
	return tx
}

func mustCreateHandshake(t *testing.T, s storage.Store, h storage.Handshake) storage.Handshake {
	t.Helper()
	mustOK(t, s.CreateHandshake(t.Context(), h), "create handshake")
	return h
}

func mustCreateNonce(t *testing.T, s storage.Store, n storage.Nonce) storage.Nonce {
	t.Helper()
	mustOK(t, s.CreateNonce(t.Context(), n), "create nonce")
	return n
}

func mustCreateAuthRequest(t *testing.T, s storage.Store, r storage.AuthRequest) storage.AuthRequest {
	t.Helper()
	mustOK(t, s.CreateAuthRequest(t.Context(), r), "create auth request")
	return r
}

func mustCreateAuthCode(t *testing.T, s storage.Store, c storage.AuthCode) storage.AuthCode {
	t.Helper()
	mustOK(t, s.CreateAuthCode(t.Context(), c), "create auth code")
	return c
}

func mustCreateAccessToken(t *testing.T, s storage.Store, a storage.AccessToken) storage.AccessToken {
	t.Helper()
	mustOK(t, s.CreateAccessToken(t.Context(), a), "create access token")
	return a
}

func mustCreateRefreshToken(t *testing.T, s storage.Store, r storage.RefreshToken) storage.RefreshToken {
	t.Helper()
	mustOK(t, s.CreateRefreshToken(t.Context(), r), "create refresh token")
	return r
}

// pendingTransaction is a fresh authenticate transaction of the world's user.
func (w world) pendingTransaction() storage.Transaction {
	tx := newTransaction(w.App.ID, w.User.ID)
	tx.Kind = storage.KindAuthenticate
	tx.State = storage.TransactionPending
	tx.CompletedAt = time.Time{}
	return tx
}
