package storagetest

import (
	"testing"
	"time"

	"github.com/passbridge/passbridge/storage"
)

func deviceTests() []test {
	return []test{
		{"UserWithDevices", testUserWithDevices},
		{"DeviceWithUser", testDeviceWithUser},
		{"RoundTrip", testDeviceRoundTrip},
		{"NotFound", testDeviceNotFound},
		{"Unique", testDeviceUnique},
		{"SameCredentialInTwoApps", testDeviceTwoApps},
		{"Update", testDeviceUpdate},
		{"List", testDeviceList},
		{"Delete", testDeviceDelete},
	}
}

func deviceKey(d storage.Device) (time.Time, string) { return d.CreatedAt, d.ID }

func testDeviceRoundTrip(t *testing.T, s storage.Store) {
	app := mustCreateApp(t, s)
	user := mustCreateUser(t, s, app.ID)
	// A freshly registered synced passkey: never used, no counter, no
	// attestation, every flag off but the ones it has.
	fresh := newDevice(app.ID, user.ID)
	fresh.AttestationType = "none"
	fresh.AttestationFormat = "none"
	fresh.Attestation = nil
	fresh.AAGUID = make([]byte, 16)
	fresh.Transports = nil
	fresh.SignCount = 0
	fresh.CloneWarning = false
	fresh.UserVerified = false
	fresh.BackedUp = false
	fresh.Attachment = ""
	fresh.Type = storage.DeviceTypePasskey
	fresh.UsageCount = 0
	fresh.LastLoginAt = time.Time{}
	for _, tc := range []struct {
		name   string
		device storage.Device
	}{
		{"EveryField", newDevice(app.ID, user.ID)},
		{"NeverUsed", fresh},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := t.Context()
			d := tc.device
			mustOK(t, s.CreateDevice(ctx, d), "create device")
			got, err := s.GetDevice(ctx, app.ID, d.ID)
			mustOK(t, err, "get device")
			checkSame(t, "GetDevice", got, d)
			got, err = s.GetDeviceByCredentialID(ctx, app.ID, d.CredentialID)
			mustOK(t, err, "get device by credential id")
			checkSame(t, "GetDeviceByCredentialID", got, d)
		})
	}
}

func testDeviceNotFound(t *testing.T, s storage.Store) {
	ctx := t.Context()
	w := newWorld(t, s)
	other := mustCreateApp(t, s)
	cases := []struct {
		name   string
		appID  string
		id     string
		credID []byte
	}{
		{"unknown", w.App.ID, storage.NewID(), storage.RandomBytes(32)},
		{"in another app", other.ID, w.Device.ID, w.Device.CredentialID},
	}
	for _, tc := range cases {
		_, err := s.GetDevice(ctx, tc.appID, tc.id)
		requireNotFound(t, err, "get device "+tc.name)
		_, err = s.GetDeviceByCredentialID(ctx, tc.appID, tc.credID)
		requireNotFound(t, err, "get device by credential id "+tc.name)
		requireUpdateNotFound(t, "update device "+tc.name, func(fn func(storage.Device) (storage.Device, error)) (storage.Device, error) {
			return s.UpdateDevice(ctx, tc.appID, tc.id, fn)
		})
		requireNotFound(t, s.DeleteDevice(ctx, tc.appID, tc.id), "delete device "+tc.name)
	}
	list, err := s.ListDevices(ctx, other.ID, w.User.ID)
	mustOK(t, err, "list devices through another app")
	requireListed(t, "ListDevices through another app", list, nil, deviceKey, false)

	got, err := s.GetDevice(ctx, w.App.ID, w.Device.ID)
	mustOK(t, err, "get device after attempts through another app")
	checkSame(t, "Device", got, w.Device)
}

func testDeviceUnique(t *testing.T, s storage.Store) {
	ctx := t.Context()
	w := newWorld(t, s)
	second := mustCreateUser(t, s, w.App.ID)

	sameCred := newDevice(w.App.ID, second.ID)
	sameCred.CredentialID = w.Device.CredentialID
	requireAlreadyExists(t, s.CreateDevice(ctx, sameCred), "create device with a credential id taken in the app")
	sameID := newDevice(w.App.ID, w.User.ID)
	sameID.ID = w.Device.ID
	requireAlreadyExists(t, s.CreateDevice(ctx, sameID), "create device with a taken id")

	list, err := s.ListDevices(ctx, w.App.ID, second.ID)
	mustOK(t, err, "list devices")
	requireListed(t, "ListDevices", list, nil, deviceKey, false)
	got, err := s.GetDeviceByCredentialID(ctx, w.App.ID, w.Device.CredentialID)
	mustOK(t, err, "get device by credential id")
	checkSame(t, "Device", got, w.Device)
}

func testDeviceTwoApps(t *testing.T, s storage.Store) {
	ctx := t.Context()
	a := newWorld(t, s)
	appB := mustCreateApp(t, s)
	userB := mustCreateUser(t, s, appB.ID)
	b := newDevice(appB.ID, userB.ID)
	b.CredentialID = a.Device.CredentialID
	b.FriendlyName = "the other one"
	mustOK(t, s.CreateDevice(ctx, b), "create device with the same credential id in another app")

	for _, want := range []storage.Device{a.Device, b} {
		got, err := s.GetDeviceByCredentialID(ctx, want.AppID, want.CredentialID)
		mustOK(t, err, "get device by credential id")
		checkSame(t, "GetDeviceByCredentialID", got, want)
	}
}

func changeDevice(d storage.Device) storage.Device {
	d.SignCount = 7
	d.CloneWarning = false
	d.UserVerified = false
	d.BackedUp = false
	d.FriendlyName = "Work laptop ✓"
	d.UsageCount++
	d.UpdatedAt = odd(time.Hour)
	d.LastLoginAt = odd(time.Hour)
	return d
}

func testDeviceUpdate(t *testing.T, s storage.Store) {
	ctx := t.Context()
	w := newWorld(t, s)
	neighbour := mustCreateDevice(t, s, w.App.ID, w.User.ID)
	update := func(fn func(storage.Device) (storage.Device, error)) (storage.Device, error) {
		return s.UpdateDevice(ctx, w.App.ID, w.Device.ID, fn)
	}
	get := func() (storage.Device, error) { return s.GetDevice(ctx, w.App.ID, w.Device.ID) }

	requireUpdateRefused(t, "UpdateDevice", w.Device, changeDevice, update, get)
	changed := requireUpdated(t, "UpdateDevice", w.Device, changeDevice, update, get)
	requireUpdated(t, "UpdateDevice flags back on", changed, func(d storage.Device) storage.Device {
		d.SignCount = 4294967295
		d.CloneWarning = true
		d.UserVerified = true
		d.BackedUp = true
		return d
	}, update, get)

	got, err := s.GetDevice(ctx, w.App.ID, neighbour.ID)
	mustOK(t, err, "get neighbour")
	checkSame(t, "untouched Device", got, neighbour)
}

func testDeviceList(t *testing.T, s storage.Store) {
	ctx := t.Context()
	app := mustCreateApp(t, s)
	user := mustCreateUser(t, s, app.ID)
	sibling := mustCreateUser(t, s, app.ID)
	noDevices := mustCreateUser(t, s, app.ID)
	var devices []storage.Device
	for _, h := range []time.Duration{4, 1, 2, 2, 3} {
		d := newDevice(app.ID, user.ID)
		d.CreatedAt = odd(h * time.Hour)
		mustOK(t, s.CreateDevice(ctx, d), "create device")
		devices = append(devices, d)
	}
	siblings := mustCreateDevice(t, s, app.ID, sibling.ID)

	for _, tc := range []struct {
		name string
		user string
		want []storage.Device
	}{
		{"user", user.ID, devices},
		{"sibling", sibling.ID, []storage.Device{siblings}},
		{"user without devices", noDevices.ID, nil},
		{"unknown user", storage.NewID(), nil},
	} {
		got, err := s.ListDevices(ctx, app.ID, tc.user)
		mustOK(t, err, "list devices of "+tc.name)
		requireListed(t, "ListDevices of "+tc.name, got, tc.want, deviceKey, false)
	}
}

func testDeviceDelete(t *testing.T, s storage.Store) {
	ctx := t.Context()
	w := newWorld(t, s)
	kept := mustCreateDevice(t, s, w.App.ID, w.User.ID)
	mustOK(t, s.DeleteDevice(ctx, w.App.ID, w.Device.ID), "delete device")
	_, err := s.GetDevice(ctx, w.App.ID, w.Device.ID)
	requireNotFound(t, err, "get deleted device")
	_, err = s.GetDeviceByCredentialID(ctx, w.App.ID, w.Device.CredentialID)
	requireNotFound(t, err, "get deleted device by credential id")
	requireNotFound(t, s.DeleteDevice(ctx, w.App.ID, w.Device.ID), "delete device twice")

	list, err := s.ListDevices(ctx, w.App.ID, w.User.ID)
	mustOK(t, err, "list devices")
	requireListed(t, "ListDevices", list, []storage.Device{kept}, deviceKey, false)

	// Revoking the last device keeps the user (DESIGN §4).
	mustOK(t, s.DeleteDevice(ctx, w.App.ID, kept.ID), "delete last device")
	got, err := s.GetUser(ctx, w.App.ID, w.User.ID)
	mustOK(t, err, "get user after revoking every device")
	checkSame(t, "User", got, w.User)
}
