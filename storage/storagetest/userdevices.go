package storagetest

import (
	"testing"
	"time"

	"github.com/passbridge/passbridge/storage"
)

// testUserWithDevices: one read returns the user and its devices in
// ListDevices' order, by id and by external ID; no devices is an empty
// list; an unknown user, or one of another app, is not found.
func testUserWithDevices(t *testing.T, s storage.Store) {
	ctx := t.Context()
	w := newWorld(t, s)
	second := newDevice(w.App.ID, w.User.ID)
	second.CreatedAt = w.Device.CreatedAt.Add(time.Minute)
	second.LastLoginAt = time.Time{}
	second.Attestation = nil
	mustOK(t, s.CreateDevice(ctx, second), "create device")
	want, err := s.ListDevices(ctx, w.App.ID, w.User.ID)
	mustOK(t, err, "list devices")

	u, ds, err := s.GetUserWithDevices(ctx, w.App.ID, w.User.ID)
	mustOK(t, err, "get user with devices")
	checkSame(t, "user", u, w.User)
	checkSame(t, "devices", ds, want)
	u, ds, err = s.GetUserByExternalIDWithDevices(ctx, w.App.ID, w.User.ExternalID)
	mustOK(t, err, "get user by external id with devices")
	checkSame(t, "user by external id", u, w.User)
	checkSame(t, "devices by external id", ds, want)

	lone := mustCreateUser(t, s, w.App.ID)
	u, ds, err = s.GetUserWithDevices(ctx, w.App.ID, lone.ID)
	mustOK(t, err, "get user without devices")
	checkSame(t, "user without devices", u, lone)
	if len(ds) != 0 {
		t.Errorf("%d devices of a user who has none", len(ds))
	}

	_, _, err = s.GetUserWithDevices(ctx, w.App.ID, storage.NewID())
	requireNotFound(t, err, "unknown user")
	other := mustCreateApp(t, s)
	_, _, err = s.GetUserWithDevices(ctx, other.ID, w.User.ID)
	requireNotFound(t, err, "user of another app")
	_, _, err = s.GetUserByExternalIDWithDevices(ctx, other.ID, w.User.ExternalID)
	requireNotFound(t, err, "external id of another app")
}

// testDeviceWithUser: one read returns a device by credential ID and its
// user; an unknown credential, or one of another app, is not found.
func testDeviceWithUser(t *testing.T, s storage.Store) {
	ctx := t.Context()
	w := newWorld(t, s)
	d, u, err := s.GetDeviceWithUser(ctx, w.App.ID, w.Device.CredentialID)
	mustOK(t, err, "get device with user")
	checkSame(t, "device", d, w.Device)
	checkSame(t, "user", u, w.User)
	_, _, err = s.GetDeviceWithUser(ctx, w.App.ID, storage.RandomBytes(32))
	requireNotFound(t, err, "unknown credential")
	other := mustCreateApp(t, s)
	_, _, err = s.GetDeviceWithUser(ctx, other.ID, w.Device.CredentialID)
	requireNotFound(t, err, "credential of another app")
}
