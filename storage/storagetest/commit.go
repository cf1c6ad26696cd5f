package storagetest

import (
	"errors"
	"slices"
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
		{"RegressionRecorded", testCommitRegressionRecorded},
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
	w.Device = setUse(t, s, w.Device, 10, false)
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

// setUse sets a device's counter and backup eligibility, with no clone
// warning and no user verification yet, for use tests to start from.
func setUse(t *testing.T, s storage.Store, d storage.Device, counter uint32, backupEligible bool) storage.Device {
	t.Helper()
	d, err := s.UpdateDevice(t.Context(), d.AppID, d.ID, func(d storage.Device) (storage.Device, error) {
		d.SignCount, d.BackupEligible, d.BackedUp = counter, backupEligible, false
		d.CloneWarning, d.UserVerified = false, false
		return d, nil
	})
	mustOK(t, err, "set device use")
	return d
}

// use is a DeviceUse of d with counter, under the reject policy, with
// every flag set.
func use(d storage.Device, counter uint32) *storage.DeviceUse {
	return &storage.DeviceUse{DeviceID: d.ID, Counter: counter, RejectRegression: true,
		UserVerified: true, BackupEligible: true, BackedUp: true, Type: storage.DeviceTypePasskey}
}

// used is d as a commit of u at now leaves it, when the counter advanced.
func used(d storage.Device, u *storage.DeviceUse, now time.Time) storage.Device {
	d.SignCount = u.Counter
	d.CloneWarning = d.CloneWarning || u.CloneWarning
	d.UserVerified = d.UserVerified || u.UserVerified
	d.BackupEligible, d.BackedUp, d.Type = u.BackupEligible, u.BackedUp, u.Type
	d.UsageCount++
	d.UpdatedAt, d.LastLoginAt = now, now
	return d
}

// authentication is the commit of a successful authentication with a nonce.
func (f commitFixture) authentication() storage.CeremonyCommit {
	n := newNonce(f.w.App.ID, f.w.User.ID, f.w.Device.ID)
	return storage.CeremonyCommit{
		AppID: f.w.App.ID, Now: f.now, HandshakeID: f.hs.ID, TransactionID: f.tx.ID,
		UserID: f.w.User.ID, RecordLogin: true,
		Use:   use(f.w.Device, f.w.Device.SignCount+1),
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
	want := used(f.w.Device, c.Use, f.now)
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
		{"counter regressed", storage.CommitDevice, func(t *testing.T, f commitFixture, c *storage.CeremonyCommit) {
			c.Use.Counter = f.w.Device.SignCount // not advanced: a possible clone
		}},
		{"counter regressed since read", storage.CommitDevice, func(t *testing.T, f commitFixture, c *storage.CeremonyCommit) {
			setUse(t, s, f.w.Device, c.Use.Counter+5, false) // another ceremony got further meanwhile
		}},
		{"backup eligibility down", storage.CommitDevice, func(t *testing.T, f commitFixture, c *storage.CeremonyCommit) {
			setUse(t, s, f.w.Device, f.w.Device.SignCount, true)
			c.Use.BackupEligible = false
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

// testCommitRegressionRecorded: without RejectRegression a counter that
// does not advance is recorded as a clone warning, the counter kept.
func testCommitRegressionRecorded(t *testing.T, s storage.Store) {
	f := newCommitFixture(t, s)
	c := f.authentication()
	c.Use.Counter = f.w.Device.SignCount - 1
	c.Use.RejectRegression = false
	_, d, err := s.CommitCeremony(t.Context(), c)
	mustOK(t, err, "commit")
	if d.SignCount != f.w.Device.SignCount || !d.CloneWarning || d.UsageCount != f.w.Device.UsageCount+1 {
		t.Errorf("device after a regressed use: counter %d, clone warning %v, usage %d; want %d, true, %d",
			d.SignCount, d.CloneWarning, d.UsageCount, f.w.Device.SignCount, f.w.Device.UsageCount+1)
	}
}

// testCommitConcurrentUses: concurrent uses of one synced passkey (counter
// always 0) all count; of concurrent uses with counters, the highest always
// lands, and a lower one lands only before a higher one.
func testCommitConcurrentUses(t *testing.T, s storage.Store) {
	ctx := t.Context()
	const n = 6
	run := func(t *testing.T, w world, counter func(i int) uint32) (won []uint32) {
		var (
			wg sync.WaitGroup
			mu sync.Mutex
		)
		for i := range n {
			hs := mustCreateHandshake(t, s, newHandshake(w.App.ID, "", w.User.ID))
			c := storage.CeremonyCommit{AppID: w.App.ID, Now: at(0), HandshakeID: hs.ID,
				UserID: w.User.ID, RecordLogin: true, Use: use(w.Device, counter(i))}
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, _, err := s.CommitCeremony(ctx, c)
				mu.Lock()
				defer mu.Unlock()
				var ce *storage.CommitError
				switch {
				case err == nil:
					won = append(won, c.Use.Counter)
				case errors.As(err, &ce) && ce.Part == storage.CommitDevice:
				default:
					t.Errorf("commit: %v", err)
				}
			}()
		}
		wg.Wait()
		d, err := s.GetDevice(ctx, w.App.ID, w.Device.ID)
		mustOK(t, err, "get device")
		u, err := s.GetUser(ctx, w.App.ID, w.User.ID)
		mustOK(t, err, "get user")
		if d.UsageCount != w.Device.UsageCount+int64(len(won)) || u.LoginCount != w.User.LoginCount+int64(len(won)) {
			t.Errorf("usage %d, logins %d after %d uses landed; want %d, %d", d.UsageCount, u.LoginCount, len(won),
				w.Device.UsageCount+int64(len(won)), w.User.LoginCount+int64(len(won)))
		}
		return won
	}
	t.Run("synced", func(t *testing.T) {
		w := newActiveWorld(t, s)
		w.Device = setUse(t, s, w.Device, 0, true)
		if won := run(t, w, func(int) uint32 { return 0 }); len(won) != n {
			t.Errorf("%d of %d concurrent uses of a synced passkey landed", len(won), n)
		}
	})
	t.Run("counters", func(t *testing.T) {
		w := newActiveWorld(t, s)
		w.Device = setUse(t, s, w.Device, 0, false)
		won := run(t, w, func(i int) uint32 { return uint32(i + 1) })
		if !slices.Contains(won, n) {
			t.Errorf("uses %v landed, not the highest counter's", won)
		}
		d, err := s.GetDevice(ctx, w.App.ID, w.Device.ID)
		mustOK(t, err, "get device")
		if d.SignCount != n {
			t.Errorf("counter %d, want %d", d.SignCount, n)
		}
	})
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
