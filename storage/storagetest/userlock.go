package storagetest

import (
	"testing"
	"time"

	"github.com/passbridge/passbridge/storage"
)

func testUserLockRead(t *testing.T, s storage.Store) {
	ctx := t.Context()
	app := mustCreateApp(t, s)
	other := mustCreateApp(t, s)
	u := mustCreateUser(t, s, app.ID)
	got, err := s.LockUser(ctx, app.ID, u.ID)
	mustOK(t, err, "lock user outside a transaction")
	checkSame(t, "LockUser", got, u)
	mustOK(t, s.InTx(ctx, func(tx storage.Store) error {
		got, err := tx.LockUser(ctx, app.ID, u.ID)
		if err != nil {
			return err
		}
		checkSame(t, "LockUser in a transaction", got, u)
		_, err = tx.LockUser(ctx, other.ID, u.ID)
		requireNotFound(t, err, "lock user through another app")
		_, err = tx.LockUser(ctx, app.ID, storage.NewID())
		requireNotFound(t, err, "lock unknown user")
		return nil
	}), "lock user in a transaction")
}

// testUserLockHolds checks that a user locked in a transaction cannot be
// updated until the transaction ends, and that the update then applies to
// the row as the transaction left it.
func testUserLockHolds(t *testing.T, s storage.Store) {
	ctx := t.Context()
	app := mustCreateApp(t, s)
	u := mustCreateUser(t, s, app.ID)
	locked, release := make(chan struct{}), make(chan struct{})
	txDone := make(chan error, 1)
	go func() {
		txDone <- s.InTx(ctx, func(tx storage.Store) error {
			if _, err := tx.LockUser(ctx, app.ID, u.ID); err != nil {
				close(locked)
				return err
			}
			close(locked)
			<-release
			return nil
		})
	}()
	<-locked
	updated := make(chan error, 1)
	go func() {
		_, err := s.UpdateUser(ctx, app.ID, u.ID, func(u storage.User) (storage.User, error) {
			u.Status = storage.UserActive
			return u, nil
		})
		updated <- err
	}()
	select {
	case err := <-updated:
		close(release)
		<-txDone
		t.Fatalf("UpdateUser of a user locked by a transaction returned at once (%v); want it to wait for the transaction", err)
	case <-time.After(300 * time.Millisecond):
	}
	close(release)
	mustOK(t, <-txDone, "transaction holding the lock")
	mustOK(t, <-updated, "update after the lock was released")
	got, err := s.GetUser(ctx, app.ID, u.ID)
	mustOK(t, err, "get user")
	if got.Status != storage.UserActive {
		t.Errorf("status %q after the update, want %q", got.Status, storage.UserActive)
	}
}

func testUserDeleteSessions(t *testing.T, s storage.Store) {
	ctx := t.Context()
	w := newWorld(t, s)
	expired := newSession(w.App.ID, w.User.ID, "")
	expired.ExpiresAt = at(-time.Hour)
	mustOK(t, s.CreateSession(ctx, expired), "create expired session")
	neighbour := newWorldIn(t, s, w.App)
	stranger := newWorld(t, s)

	n, err := s.DeleteUserSessions(ctx, w.App.ID, w.User.ID)
	mustOK(t, err, "delete user sessions")
	if n != 2 {
		t.Errorf("DeleteUserSessions = %d, want 2", n)
	}
	for _, id := range []string{w.Session.ID, expired.ID} {
		_, err := s.GetSession(ctx, id)
		requireNotFound(t, err, "get ended session")
	}
	for _, kept := range []storage.Session{neighbour.Session, stranger.Session} {
		got, err := s.GetSession(ctx, kept.ID)
		mustOK(t, err, "get another user's session")
		checkSame(t, "untouched Session", got, kept)
	}
	n, err = s.DeleteUserSessions(ctx, w.App.ID, w.User.ID)
	mustOK(t, err, "delete user sessions again")
	if n != 0 {
		t.Errorf("DeleteUserSessions again = %d, want 0", n)
	}
	// Through another app, a user's sessions are out of reach.
	n, err = s.DeleteUserSessions(ctx, w.App.ID, stranger.User.ID)
	mustOK(t, err, "delete sessions of another app's user")
	if n != 0 {
		t.Errorf("DeleteUserSessions through another app = %d, want 0", n)
	}
	_, err = s.GetSession(ctx, stranger.Session.ID)
	mustOK(t, err, "get the other app's session")
}

func testUserDeleteNonces(t *testing.T, s storage.Store) {
	ctx := t.Context()
	w := newWorld(t, s)
	mine := []storage.Nonce{
		mustCreateNonce(t, s, newNonce(w.App.ID, w.User.ID, w.Device.ID)),
		mustCreateNonce(t, s, newNonce(w.App.ID, w.User.ID, w.Device.ID)),
	}
	neighbour := newWorldIn(t, s, w.App)
	kept := mustCreateNonce(t, s, newNonce(w.App.ID, neighbour.User.ID, neighbour.Device.ID))
	stranger := newWorld(t, s)
	far := mustCreateNonce(t, s, newNonce(stranger.App.ID, stranger.User.ID, stranger.Device.ID))

	n, err := s.DeleteUserNonces(ctx, w.App.ID, w.User.ID)
	mustOK(t, err, "delete user nonces")
	if n != len(mine) {
		t.Errorf("DeleteUserNonces = %d, want %d", n, len(mine))
	}
	for _, m := range mine {
		_, err := s.ConsumeNonce(ctx, w.App.ID, m.Hash, odd(0))
		requireNotFound(t, err, "consume a deleted nonce")
	}
	n, err = s.DeleteUserNonces(ctx, w.App.ID, stranger.User.ID)
	mustOK(t, err, "delete nonces of another app's user")
	if n != 0 {
		t.Errorf("DeleteUserNonces through another app = %d, want 0", n)
	}
	for _, k := range []storage.Nonce{kept, far} {
		got, err := s.ConsumeNonce(ctx, k.AppID, k.Hash, odd(0))
		mustOK(t, err, "consume another user's nonce")
		checkSame(t, "untouched Nonce", got, k)
	}
}
