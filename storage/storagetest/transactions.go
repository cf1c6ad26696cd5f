package storagetest

import (
	"testing"
	"time"

	"github.com/passbridge/passbridge/storage"
)

func transactionTests() []test {
	return []test{
		{"RoundTrip", testTransactionRoundTrip},
		{"NotFound", testTransactionNotFound},
		{"DuplicateID", testTransactionDuplicateID},
		{"Complete", testTransactionComplete},
		{"CompleteExpired", testTransactionCompleteExpired},
		{"WithUser", testTransactionWithUser},
	}
}

// A transaction's start reads it with its user and the user's devices, in
// ListDevices' order; a transaction without a user comes alone.
func testTransactionWithUser(t *testing.T, s storage.Store) {
	ctx := t.Context()
	w := newWorld(t, s)
	mustCreateDevice(t, s, w.App.ID, w.User.ID)
	devices, err := s.ListDevices(ctx, w.App.ID, w.User.ID)
	mustOK(t, err, "list devices")
	if len(devices) != 2 {
		t.Fatalf("the user has %d devices, want 2", len(devices))
	}
	bare := mustCreateUser(t, s, w.App.ID)
	userless := w.pendingTransaction()
	userless.UserID = ""
	for _, tc := range []struct {
		name    string
		tx      storage.Transaction
		user    *storage.User
		devices []storage.Device
	}{
		{"UserWithDevices", w.pendingTransaction(), &w.User, devices},
		{"UserWithoutDevices", newTransaction(w.App.ID, bare.ID), &bare, []storage.Device{}},
		{"NoUser", userless, nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mustCreateTransaction(t, s, tc.tx)
			got, u, ds, err := s.GetTransactionWithUser(ctx, w.App.ID, tc.tx.ID)
			mustOK(t, err, "get transaction with user")
			checkSame(t, "Transaction", got, tc.tx)
			switch {
			case tc.user == nil && u != nil:
				t.Fatalf("user %+v, want none", *u)
			case tc.user != nil && u == nil:
				t.Fatal("no user")
			case tc.user != nil:
				checkSame(t, "User", *u, *tc.user)
			}
			if len(ds) != len(tc.devices) {
				t.Fatalf("%d devices, want %d", len(ds), len(tc.devices))
			}
			for i := range ds {
				checkSame(t, "Device", ds[i], tc.devices[i])
			}
		})
	}
	other := mustCreateApp(t, s)
	tx := mustCreateTransaction(t, s, w.pendingTransaction())
	_, _, _, err = s.GetTransactionWithUser(ctx, other.ID, tx.ID)
	requireNotFound(t, err, "transaction of another app")
	_, _, _, err = s.GetTransactionWithUser(ctx, w.App.ID, storage.NewID())
	requireNotFound(t, err, "unknown transaction")
}

func testTransactionRoundTrip(t *testing.T, s storage.Store) {
	w := newWorld(t, s)
	discoverable := storage.Transaction{
		ID:        storage.NewID(),
		AppID:     w.App.ID,
		Kind:      storage.KindAuthenticate,
		State:     storage.TransactionPending,
		CreatedAt: odd(0),
		ExpiresAt: odd(5 * time.Minute),
	}
	for _, tc := range []struct {
		name string
		tx   storage.Transaction
	}{
		{"EveryField", newTransaction(w.App.ID, w.User.ID)},
		{"Pending", w.pendingTransaction()},
		{"Discoverable", discoverable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mustOK(t, s.CreateTransaction(t.Context(), tc.tx), "create transaction")
			got, err := s.GetTransaction(t.Context(), w.App.ID, tc.tx.ID)
			mustOK(t, err, "get transaction")
			checkSame(t, "Transaction", got, tc.tx)
		})
	}
}

func testTransactionNotFound(t *testing.T, s storage.Store) {
	ctx := t.Context()
	w := newWorld(t, s)
	other := mustCreateApp(t, s)
	tx := mustCreateTransaction(t, s, w.pendingTransaction())

	_, err := s.GetTransaction(ctx, w.App.ID, storage.NewID())
	requireNotFound(t, err, "get unknown transaction")
	_, err = s.CompleteTransaction(ctx, w.App.ID, storage.NewID(), odd(0))
	requireNotFound(t, err, "complete unknown transaction")
	_, err = s.GetTransaction(ctx, other.ID, tx.ID)
	requireNotFound(t, err, "get transaction through another app")
	_, err = s.CompleteTransaction(ctx, other.ID, tx.ID, odd(0))
	requireNotFound(t, err, "complete transaction through another app")

	got, err := s.GetTransaction(ctx, w.App.ID, tx.ID)
	mustOK(t, err, "get transaction")
	checkSame(t, "Transaction", got, tx)
}

func testTransactionDuplicateID(t *testing.T, s storage.Store) {
	ctx := t.Context()
	w := newWorld(t, s)
	tx := mustCreateTransaction(t, s, w.pendingTransaction())
	dup := w.pendingTransaction()
	dup.ID = tx.ID
	requireAlreadyExists(t, s.CreateTransaction(ctx, dup), "create transaction with a taken id")
	got, err := s.GetTransaction(ctx, w.App.ID, tx.ID)
	mustOK(t, err, "get transaction")
	checkSame(t, "Transaction", got, tx)
}

func testTransactionComplete(t *testing.T, s storage.Store) {
	ctx := t.Context()
	w := newWorld(t, s)
	tx := mustCreateTransaction(t, s, w.pendingTransaction())
	neighbour := mustCreateTransaction(t, s, w.pendingTransaction())

	now := odd(time.Minute)
	got, err := s.CompleteTransaction(ctx, w.App.ID, tx.ID, now)
	mustOK(t, err, "complete transaction")
	want := tx
	want.State = storage.TransactionCompleted
	want.CompletedAt = now
	checkSame(t, "CompleteTransaction result", got, want)
	got, err = s.GetTransaction(ctx, w.App.ID, tx.ID)
	mustOK(t, err, "get completed transaction")
	checkSame(t, "completed Transaction", got, want)

	_, err = s.CompleteTransaction(ctx, w.App.ID, tx.ID, odd(2*time.Minute))
	requireNotFound(t, err, "complete transaction twice")
	got, err = s.GetTransaction(ctx, w.App.ID, tx.ID)
	mustOK(t, err, "get transaction completed twice")
	checkSame(t, "Transaction after a second completion", got, want)

	got, err = s.GetTransaction(ctx, w.App.ID, neighbour.ID)
	mustOK(t, err, "get neighbour")
	checkSame(t, "untouched Transaction", got, neighbour)
}

func testTransactionCompleteExpired(t *testing.T, s storage.Store) {
	ctx := t.Context()
	w := newWorld(t, s)
	tx := w.pendingTransaction()
	tx.CreatedAt = at(0)
	tx.ExpiresAt = at(5 * time.Minute)
	mustCreateTransaction(t, s, tx)

	for _, now := range []time.Time{at(5 * time.Minute), at(time.Hour)} {
		_, err := s.CompleteTransaction(ctx, w.App.ID, tx.ID, now)
		requireNotFound(t, err, "complete transaction expired at "+now.Sub(tx.ExpiresAt).String()+" past expiry")
		got, err := s.GetTransaction(ctx, w.App.ID, tx.ID)
		mustOK(t, err, "get expired transaction")
		checkSame(t, "expired Transaction", got, tx)
	}

	// Still there and still pending: before its expiry it completes.
	now := at(5*time.Minute - time.Microsecond)
	got, err := s.CompleteTransaction(ctx, w.App.ID, tx.ID, now)
	mustOK(t, err, "complete transaction just before expiry")
	if got.State != storage.TransactionCompleted || !got.CompletedAt.Equal(now) {
		t.Errorf("CompleteTransaction = state %q completed %s, want %q at %s", got.State, got.CompletedAt, storage.TransactionCompleted, now)
	}
}
