package sqlstore_test

import (
	"testing"
	"time"

	"github.com/passbridge/passbridge/storage"
	"github.com/passbridge/passbridge/storage/sqlstore/sqlstoretest"
)

// On PostgreSQL, an update's row lock must not block a row that only
// refers to the locked one: a session created for a device while a
// ceremony's finish holds that device (then waits for the user the session
// holds a share lock on) was a deadlock (40P01) at sign-in. Update* locks
// FOR NO KEY UPDATE, which a foreign key's KEY SHARE does not wait for.
// SQLite serialises whole transactions, so it has nothing to show here.
func TestUpdateLockLetsReferencesIn(t *testing.T) {
	st := sqlstoretest.Open(t, sqlstoretest.Postgres)
	ctx := t.Context()
	now := time.Now().UTC().Round(time.Microsecond)
	app := storage.App{ID: storage.NewID(), Name: "locks", RPID: "shop.example", Origins: []string{"https://shop.example"},
		UserVerification: storage.RequirementRequired, ResidentKey: storage.RequirementRequired, Attestation: "none",
		SignCountPolicy: storage.SignCountAllow, TransactionTTL: time.Minute, CeremonyTimeout: time.Minute, NonceTTL: time.Minute,
		CreatedAt: now, UpdatedAt: now}
	user := storage.User{ID: storage.NewID(), AppID: app.ID, ExternalID: "alice", Handle: storage.RandomBytes(32),
		Status: storage.UserActive, CreatedAt: now, UpdatedAt: now}
	dev := storage.Device{ID: storage.NewID(), AppID: app.ID, UserID: user.ID, CredentialID: storage.RandomBytes(32),
		PublicKey: storage.RandomBytes(77), AttestationType: "none", Type: storage.DeviceTypePasskey, CreatedAt: now, UpdatedAt: now}
	for _, err := range []error{st.CreateApp(ctx, app), st.CreateUser(ctx, user), st.CreateDevice(ctx, dev)} {
		if err != nil {
			t.Fatal(err)
		}
	}

	locked, release := make(chan struct{}), make(chan struct{})
	finished := make(chan error, 1)
	go func() {
		_, err := st.UpdateDevice(ctx, app.ID, dev.ID, func(d storage.Device) (storage.Device, error) {
			close(locked)
			<-release
			d.UsageCount++
			return d, nil
		})
		finished <- err
	}()
	<-locked
	inserted := make(chan error, 1)
	go func() {
		inserted <- st.CreateSession(ctx, storage.Session{ID: storage.NewID(), AppID: app.ID, UserID: user.ID,
			Subject: "alice", Hash: storage.HashSecret(storage.NewID()), DeviceID: dev.ID, AuthTime: now,
			AMR: []string{"swk"}, ACR: "phr", CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(time.Hour)})
	}()
	waited := false
	select {
	case err := <-inserted:
		if err != nil {
			t.Errorf("create session: %v", err)
		}
	case <-time.After(10 * time.Second):
		waited = true
		t.Error("a session for a device waited for the device's update lock")
	}
	close(release)
	if err := <-finished; err != nil {
		t.Fatalf("update device: %v", err)
	}
	if waited {
		<-inserted
	}
}
