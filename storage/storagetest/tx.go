package storagetest

import (
	"errors"
	"fmt"
	"testing"

	"github.com/passbridge/passbridge/storage"
)

func txTests() []test {
	return []test{
		{"CommitOnNil", testTxCommit},
		{"RollbackOnError", testTxRollback},
		{"Nested", testTxNested},
		{"NestedError", testTxNestedError},
		{"AllOrNothingAfterFailedStatement", testTxAllOrNothingAfterFailedStatement},
	}
}

func testTxCommit(t *testing.T, s storage.Store) {
	ctx := t.Context()
	w := newWorld(t, s)
	u := newUser(w.App.ID)
	d := newDevice(w.App.ID, u.ID)
	err := s.InTx(ctx, func(tx storage.Store) error {
		if err := tx.CreateUser(ctx, u); err != nil {
			return err
		}
		if err := tx.CreateDevice(ctx, d); err != nil {
			return err
		}
		// Reads inside see the transaction's own writes.
		got, err := tx.GetUserByExternalID(ctx, w.App.ID, u.ExternalID)
		if err != nil {
			return fmt.Errorf("read own user: %w", err)
		}
		checkSame(t, "User inside the transaction", got, u)
		devices, err := tx.ListDevices(ctx, w.App.ID, u.ID)
		if err != nil {
			return fmt.Errorf("read own device: %w", err)
		}
		checkSame(t, "ListDevices inside the transaction", devices, []storage.Device{d})
		// Updates run inside the caller's transaction too.
		if _, err := tx.UpdateDevice(ctx, w.App.ID, w.Device.ID, func(d storage.Device) (storage.Device, error) {
			d.UsageCount++
			return d, nil
		}); err != nil {
			return err
		}
		_, err = tx.UpdateUser(ctx, w.App.ID, w.User.ID, func(u storage.User) (storage.User, error) {
			u.LoginCount++
			return u, nil
		})
		return err
	})
	mustOK(t, err, "in tx")

	got, err := s.GetUser(ctx, w.App.ID, u.ID)
	mustOK(t, err, "get user committed in a transaction")
	checkSame(t, "User", got, u)
	gotDevice, err := s.GetDevice(ctx, w.App.ID, d.ID)
	mustOK(t, err, "get device committed in a transaction")
	checkSame(t, "Device", gotDevice, d)
	gotDevice, err = s.GetDevice(ctx, w.App.ID, w.Device.ID)
	mustOK(t, err, "get device updated in a transaction")
	if gotDevice.UsageCount != w.Device.UsageCount+1 {
		t.Errorf("UsageCount = %d, want %d", gotDevice.UsageCount, w.Device.UsageCount+1)
	}
	got, err = s.GetUser(ctx, w.App.ID, w.User.ID)
	mustOK(t, err, "get user updated in a transaction")
	if got.LoginCount != w.User.LoginCount+1 {
		t.Errorf("LoginCount = %d, want %d", got.LoginCount, w.User.LoginCount+1)
	}
}

func testTxRollback(t *testing.T, s storage.Store) {
	ctx := t.Context()
	w := newWorld(t, s)
	n := mustCreateNonce(t, s, newNonce(w.App.ID, w.User.ID, w.Device.ID))
	u := newUser(w.App.ID)
	err := s.InTx(ctx, func(tx storage.Store) error {
		if err := tx.CreateUser(ctx, u); err != nil {
			return err
		}
		if _, err := tx.ConsumeNonce(ctx, w.App.ID, n.Hash, odd(0)); err != nil {
			return err
		}
		if _, err := tx.UpdateDevice(ctx, w.App.ID, w.Device.ID, func(d storage.Device) (storage.Device, error) {
			d.FriendlyName = "rolled back"
			return d, nil
		}); err != nil {
			return err
		}
		if err := tx.DeleteSession(ctx, w.Session.ID); err != nil {
			return err
		}
		return errCallback
	})
	requireErrorIs(t, err, errCallback, "in tx returning an error")

	_, err = s.GetUser(ctx, w.App.ID, u.ID)
	requireNotFound(t, err, "get user created in a rolled-back transaction")
	got, err := s.GetDevice(ctx, w.App.ID, w.Device.ID)
	mustOK(t, err, "get device")
	checkSame(t, "Device updated in a rolled-back transaction", got, w.Device)
	gotSession, err := s.GetSession(ctx, w.Session.ID)
	mustOK(t, err, "get session deleted in a rolled-back transaction")
	checkSame(t, "Session", gotSession, w.Session)
	gotNonce, err := s.ConsumeNonce(ctx, w.App.ID, n.Hash, odd(0))
	mustOK(t, err, "consume nonce consumed in a rolled-back transaction")
	checkSame(t, "Nonce", gotNonce, n)
}

// testTxNested: InTx on the transaction's store joins the outer transaction,
// so the outer one's rollback takes the inner one's writes with it.
func testTxNested(t *testing.T, s storage.Store) {
	ctx := t.Context()
	app := mustCreateApp(t, s)
	inner := newUser(app.ID)
	err := s.InTx(ctx, func(tx storage.Store) error {
		if err := tx.InTx(ctx, func(tx2 storage.Store) error {
			return tx2.CreateUser(ctx, inner)
		}); err != nil {
			return err
		}
		if _, err := tx.GetUser(ctx, app.ID, inner.ID); err != nil {
			return fmt.Errorf("read inner write: %w", err)
		}
		return errCallback
	})
	requireErrorIs(t, err, errCallback, "nested in tx")
	_, err = s.GetUser(ctx, app.ID, inner.ID)
	requireNotFound(t, err, "get user created in a nested, rolled-back transaction")
}

func testTxNestedError(t *testing.T, s storage.Store) {
	ctx := t.Context()
	app := mustCreateApp(t, s)
	u := newUser(app.ID)
	err := s.InTx(ctx, func(tx storage.Store) error {
		if err := tx.CreateUser(ctx, u); err != nil {
			return err
		}
		return tx.InTx(ctx, func(storage.Store) error { return errCallback })
	})
	requireErrorIs(t, err, errCallback, "in tx whose nested call failed")
	_, err = s.GetUser(ctx, app.ID, u.ID)
	requireNotFound(t, err, "get user of a transaction whose nested call failed")
}

// testTxAllOrNothingAfterFailedStatement: a caller meets ErrAlreadyExists
// inside a transaction, handles it and goes on. Whether the engine lets the
// transaction carry on (SQLite) or has it refuse the rest (PostgreSQL aborts
// a transaction at a failed statement), the calls commit together or not at
// all: never the first write without the last.
func testTxAllOrNothingAfterFailedStatement(t *testing.T, s storage.Store) {
	ctx := t.Context()
	app := mustCreateApp(t, s)
	existing := mustCreateUser(t, s, app.ID)
	before := newUser(app.ID)
	after := newUser(app.ID)
	err := s.InTx(ctx, func(tx storage.Store) error {
		if err := tx.CreateUser(ctx, before); err != nil {
			return err
		}
		dup := newUser(app.ID)
		dup.ExternalID = existing.ExternalID
		if err := tx.CreateUser(ctx, dup); !errors.Is(err, storage.ErrAlreadyExists) {
			return fmt.Errorf("create duplicate user inside a transaction: got %v, want ErrAlreadyExists", err)
		}
		_ = tx.CreateUser(ctx, after) // may fail where the failed statement ended the transaction
		return nil
	})
	var found []string
	for _, u := range []storage.User{before, after} {
		got, gerr := s.GetUser(ctx, app.ID, u.ID)
		if gerr == nil {
			checkSame(t, "User", got, u)
			found = append(found, u.ID)
		} else {
			requireNotFound(t, gerr, "get user of the transaction")
		}
	}
	switch {
	case err == nil && len(found) != 2:
		t.Errorf("InTx committed, but %d of its 2 writes are there", len(found))
	case err != nil && len(found) != 0:
		t.Errorf("InTx failed (%v), but %d of its writes are there", err, len(found))
	}
}
