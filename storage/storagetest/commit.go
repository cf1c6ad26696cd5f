package storagetest

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/passbridge/passbridge/storage"
)

func commitTests() []test {
	return []test{
		{"Authentication", testCommitAuthentication},
		{"Registration", testCommitRegistration},
		{"RefusalsChangeNothing", testCommitRefusals},
		{"InsideTx", testCommitInsideTx},
		{"OneOfConcurrentFinishesWins", testCommitConcurrentFinishes},
		{"ConcurrentUsesOfOneDevice", testCommitConcurrentUses},
		{"UserWithTransaction", testCreateUserWithTransaction},
	}
}

// commitFixture is a pending ceremony of the world's user: a transaction,
// its handshake, and an authentication commit of the world's device.
type commitFixture struct {
	w   world
	tx  storage.Transaction
	hs  storage.Handshake
	now time.Time
}

func newCommitFixture(t *testing.T, s storage.Store) commitFixture {
	t.Helper()
	w := newActiveWorld(t, s)
	tx := mustCreateTransaction(t, s, w.pendingTransaction())
	hs := mustCreateHandshake(t, s, newHandshake(w.App.ID, tx.ID, w.User.ID))
	return commitFixture{w: w, tx: tx, hs: hs, now: at(0)}
}

// newActiveWorld is newWorld with its user active, as a ceremony needs.
func newActiveWorld(t *testing.T, s storage.Store) world {
	t.Helper()
	w := newWorld(t, s)
	u, err := s.UpdateUser(t.Context(), w.App.ID, w.User.ID, func(u storage.User) (storage.User, error) {
		u.Status = storage.UserActive
		return u, nil
	})
	mustOK(t, err, "activate user")
	w.User = u
	return w
}

// authentication is the commit of a successful authentication with a nonce.
func (f commitFixture) authentication() storage.CeremonyCommit {
	next := f.w.Device
	next.SignCount++
	next.UsageCount++
	next.UserVerified = true
	next.BackedUp = !next.BackedUp
	next.LastLoginAt, next.UpdatedAt = f.now, f.now
	n := newNonce(f.w.App.ID, f.w.User.ID, f.w.Device.ID)
	return storage.CeremonyCommit{
		AppID: f.w.App.ID, Now: f.now, HandshakeID: f.hs.ID, TransactionID: f.tx.ID,
		UserID: f.w.User.ID, RecordLogin: true,
		Use:   &storage.DeviceUse{Was: f.w.Device, Now: next},
		Nonce: &n,
	}
}

func testCommitAuthentication(t *testing.T, s storage.Store) {
	ctx := t.Context()
	f := newCommitFixture(t, s)
	c := f.authentication()
	u, d, err := s.CommitCeremony(ctx, c)
	mustOK(t, err, "commit")
	if u.LoginCount != f.w.User.LoginCount+1 || !u.LastLoginAt.Equal(f.now) {
		t.Errorf("user login count %d, last login %v; want %d, %v", u.LoginCount, u.LastLoginAt, f.w.User.LoginCount+1, f.now)
	}
	stored, err := s.GetUser(ctx, f.w.App.ID, f.w.User.ID)
	mustOK(t, err, "get user")
	checkSame(t, "returned user", u, stored)
	want := c.Use.Now
	want.FriendlyName = f.w.Device.FriendlyName
	checkSame(t, "returned device", d, want)
	got, err := s.GetDevice(ctx, f.w.App.ID, f.w.Device.ID)
	mustOK(t, err, "get device")
	checkSame(t, "stored device", got, want)
	_, err = s.GetHandshake(ctx, f.w.App.ID, f.hs.ID, f.now)
	requireNotFound(t, err, "handshake after commit")
	tx, err := s.GetTransaction(ctx, f.w.App.ID, f.tx.ID)
	mustOK(t, err, "get transaction")
	if tx.State != storage.TransactionCompleted || !tx.CompletedAt.Equal(f.now) {
		t.Errorf("transaction %s at %v, want completed at %v", tx.State, tx.CompletedAt, f.now)
	}
	n, err := s.ConsumeNonce(ctx, f.w.App.ID, c.Nonce.Hash, f.now)
	mustOK(t, err, "consume nonce")
	checkSame(t, "nonce", n, *c.Nonce)
}

func testCommitRegistration(t *testing.T, s storage.Store) {
	ctx := t.Context()
	f := newCommitFixture(t, s)
	d := newDevice(f.w.App.ID, f.w.User.ID)
	e := newAuditEvent(f.w.App.ID, f.w.User.ID, d.ID)
	c := storage.CeremonyCommit{AppID: f.w.App.ID, Now: f.now, HandshakeID: f.hs.ID, TransactionID: f.tx.ID,
		UserID: f.w.User.ID, Device: &d, Audit: &e}
	u, got, err := s.CommitCeremony(ctx, c)
	mustOK(t, err, "commit")
	checkSame(t, "returned user", u, f.w.User)
	checkSame(t, "returned device", got, d)
	stored, err := s.GetDevice(ctx, f.w.App.ID, d.ID)
	mustOK(t, err, "get device")
	checkSame(t, "stored device", stored, d)
	events, err := s.ListAuditEvents(ctx, storage.AuditQuery{AppID: f.w.App.ID})
	mustOK(t, err, "list audit events")
	if len(events) != 1 || events[0].ID != e.ID {
		t.Errorf("audit events %+v, want the commit's", events)
	}

	// The same credential again, in another ceremony: refused, nothing kept.
	again := newDevice(f.w.App.ID, f.w.User.ID)
	again.CredentialID = d.CredentialID
	c2 := storage.CeremonyCommit{AppID: f.w.App.ID, Now: f.now, HandshakeID: mustCreateHandshake(t, s,
		newHandshake(f.w.App.ID, "", f.w.User.ID)).ID, UserID: f.w.User.ID, Device: &again}
	_, _, err = s.CommitCeremony(ctx, c2)
	requireCommitRefused(t, err, storage.CommitNewDevice)
	_, err = s.GetHandshake(ctx, f.w.App.ID, c2.HandshakeID, f.now)
	mustOK(t, err, "handshake of a refused commit")
}

// requireCommitRefused checks that err is a CommitError naming part.
func requireCommitRefused(t *testing.T, err error, part string) {
	t.Helper()
	var ce *storage.CommitError
	if !errors.As(err, &ce) || ce.Part != part {
		t.Fatalf("commit: got %v, want a refusal of %s", err, part)
	}
}

func testCommitRefusals(t *testing.T, s storage.Store) {
	ctx := t.Context()
	cases := []struct {
		name  string
		part  string
		spoil func(t *testing.T, f commitFixture, c *storage.CeremonyCommit)
	}{
		{"handshake unknown", storage.CommitHandshake, func(t *testing.T, f commitFixture, c *storage.CeremonyCommit) {
			c.HandshakeID = storage.NewID()
		}},
		{"handshake expired", storage.CommitHandshake, func(t *testing.T, f commitFixture, c *storage.CeremonyCommit) {
			c.Now = f.hs.ExpiresAt.Add(time.Second)
		}},
		{"transaction completed", storage.CommitTransaction, func(t *testing.T, f commitFixture, c *storage.CeremonyCommit) {
			_, err := s.CompleteTransaction(ctx, f.w.App.ID, f.tx.ID, f.now)
			mustOK(t, err, "complete transaction")
		}},
		{"user deactivated", storage.CommitUser, func(t *testing.T, f commitFixture, c *storage.CeremonyCommit) {
			_, err := s.UpdateUser(ctx, f.w.App.ID, f.w.User.ID, func(u storage.User) (storage.User, error) {
				u.Status = storage.UserInactive
				return u, nil
			})
			mustOK(t, err, "deactivate")
		}},
		{"device used since", storage.CommitDevice, func(t *testing.T, f commitFixture, c *storage.CeremonyCommit) {
			_, err := s.UpdateDevice(ctx, f.w.App.ID, f.w.Device.ID, func(d storage.Device) (storage.Device, error) {
				d.UsageCount++
				return d, nil
			})
			mustOK(t, err, "use device")
		}},
		{"device revoked", storage.CommitDevice, func(t *testing.T, f commitFixture, c *storage.CeremonyCommit) {
			c.Nonce.DeviceID = "" // the nonce would refer to the deleted device
			mustOK(t, s.DeleteDevice(ctx, f.w.App.ID, f.w.Device.ID), "revoke device")
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newCommitFixture(t, s)
			c := f.authentication()
			tc.spoil(t, f, &c)
			user, _ := s.GetUser(ctx, f.w.App.ID, f.w.User.ID)
			device, _ := s.GetDevice(ctx, f.w.App.ID, f.w.Device.ID)
			tx, _ := s.GetTransaction(ctx, f.w.App.ID, f.tx.ID)
			_, _, err := s.CommitCeremony(ctx, c)
			requireCommitRefused(t, err, tc.part)

			after, _ := s.GetUser(ctx, f.w.App.ID, f.w.User.ID)
			checkSame(t, "user after refusal", after, user)
			afterD, _ := s.GetDevice(ctx, f.w.App.ID, f.w.Device.ID)
			checkSame(t, "device after refusal", afterD, device)
			afterT, _ := s.GetTransaction(ctx, f.w.App.ID, f.tx.ID)
			checkSame(t, "transaction after refusal", afterT, tx)
			if tc.part != storage.CommitHandshake {
				_, err := s.GetHandshake(ctx, f.w.App.ID, f.hs.ID, f.now)
				mustOK(t, err, "handshake after refusal")
			}
			_, err = s.ConsumeNonce(ctx, f.w.App.ID, c.Nonce.Hash, f.now)
			requireNotFound(t, err, "nonce of a refused commit")
		})
	}
}

// testCommitInsideTx: inside InTx a commit is part of the caller's
// transaction, and a refusal leaves the transaction usable.
func testCommitInsideTx(t *testing.T, s storage.Store) {
	ctx := t.Context()
	f := newCommitFixture(t, s)
	c := f.authentication()
	bad := c
	bad.HandshakeID = storage.NewID()
	errRollback := errors.New("roll back")
	err := s.InTx(ctx, func(tx storage.Store) error {
		_, _, err := tx.CommitCeremony(ctx, bad)
		requireCommitRefused(t, err, storage.CommitHandshake)
		if _, _, err := tx.CommitCeremony(ctx, c); err != nil {
			return err
		}
		return errRollback
	})
	requireErrorIs(t, err, errRollback, "rolled back transaction")
	_, err = s.GetHandshake(ctx, f.w.App.ID, f.hs.ID, f.now)
	mustOK(t, err, "handshake after the caller rolled back")
	mustOK(t, s.InTx(ctx, func(tx storage.Store) error {
		_, _, err := tx.CommitCeremony(ctx, c)
		return err
	}), "commit in a transaction")
	_, err = s.GetHandshake(ctx, f.w.App.ID, f.hs.ID, f.now)
	requireNotFound(t, err, "handshake after the commit")
}

// testCommitConcurrentFinishes: of finishes racing on one handshake,
// exactly one commits.
func testCommitConcurrentFinishes(t *testing.T, s storage.Store) {
	ctx := t.Context()
	f := newCommitFixture(t, s)
	const n = 8
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		won     int
		refused = map[string]int{}
	)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := f.authentication() // each with a nonce of its own
			_, _, err := s.CommitCeremony(ctx, c)
			mu.Lock()
			defer mu.Unlock()
			var ce *storage.CommitError
			switch {
			case err == nil:
				won++
			case errors.As(err, &ce):
				refused[ce.Part]++
			default:
				t.Errorf("commit: %v", err)
			}
		}()
	}
	wg.Wait()
	if won != 1 || refused[storage.CommitHandshake] != n-1 {
		t.Errorf("%d won, refusals %v; want 1 and %d of the handshake", won, refused, n-1)
	}
	d, err := s.GetDevice(ctx, f.w.App.ID, f.w.Device.ID)
	mustOK(t, err, "get device")
	if d.UsageCount != f.w.Device.UsageCount+1 {
		t.Errorf("usage count %d, want %d", d.UsageCount, f.w.Device.UsageCount+1)
	}
}

// testCommitConcurrentUses: ceremonies of one device that read it at the
// same time cannot both record their use; the loser is told the device
// changed, and no use is lost.
func testCommitConcurrentUses(t *testing.T, s storage.Store) {
	ctx := t.Context()
	w := newActiveWorld(t, s)
	const n = 6
	commits := make([]storage.CeremonyCommit, n)
	for i := range commits {
		hs := mustCreateHandshake(t, s, newHandshake(w.App.ID, "", w.User.ID))
		next := w.Device
		next.SignCount++
		next.UsageCount++
		commits[i] = storage.CeremonyCommit{AppID: w.App.ID, Now: at(0), HandshakeID: hs.ID,
			UserID: w.User.ID, RecordLogin: true, Use: &storage.DeviceUse{Was: w.Device, Now: next}}
	}
	var (
		wg  sync.WaitGroup
		mu  sync.Mutex
		won int
	)
	for _, c := range commits {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, err := s.CommitCeremony(ctx, c)
			mu.Lock()
			defer mu.Unlock()
			var ce *storage.CommitError
			switch {
			case err == nil:
				won++
			case errors.As(err, &ce) && ce.Part == storage.CommitDevice:
			default:
				t.Errorf("commit: %v", err)
			}
		}()
	}
	wg.Wait()
	if won != 1 {
		t.Errorf("%d uses recorded from the same reading of the device, want 1", won)
	}
	u, err := s.GetUser(ctx, w.App.ID, w.User.ID)
	mustOK(t, err, "get user")
	if u.LoginCount != w.User.LoginCount+1 {
		t.Errorf("login count %d, want %d: a refused commit counted a login", u.LoginCount, w.User.LoginCount+1)
	}
}

// testCreateUserWithTransaction: a new user, its audit event and its
// transaction are stored together; a user the app has already stores
// nothing.
func testCreateUserWithTransaction(t *testing.T, s storage.Store) {
	ctx := t.Context()
	app := mustCreateApp(t, s)
	u := newUser(app.ID)
	e := newAuditEvent(app.ID, u.ID, "")
	tx := newTransaction(app.ID, u.ID)
	mustOK(t, s.CreateUserWithTransaction(ctx, u, e, tx), "create user with transaction")
	gotU, err := s.GetUser(ctx, app.ID, u.ID)
	mustOK(t, err, "get user")
	checkSame(t, "user", gotU, u)
	gotT, err := s.GetTransaction(ctx, app.ID, tx.ID)
	mustOK(t, err, "get transaction")
	checkSame(t, "transaction", gotT, tx)

	again := newUser(app.ID)
	again.ExternalID = u.ExternalID
	e2 := newAuditEvent(app.ID, again.ID, "")
	tx2 := newTransaction(app.ID, again.ID)
	requireAlreadyExists(t, s.CreateUserWithTransaction(ctx, again, e2, tx2), "same external id")
	_, err = s.GetTransaction(ctx, app.ID, tx2.ID)
	requireNotFound(t, err, "transaction of a refused user")
	events, err := s.ListAuditEvents(ctx, storage.AuditQuery{AppID: app.ID})
	mustOK(t, err, "list audit events")
	if len(events) != 1 {
		t.Errorf("%d audit events, want only the first user's", len(events))
	}
}
