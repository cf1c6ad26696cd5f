package storagetest

import (
	"cmp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/passbridge/passbridge/storage"
)

func bulkTests() []test {
	return []test{
		{"CreateBatchRoundTrip", testBatchRoundTrip},
		{"CreateBatchManyRows", testBatchManyRows},
		{"CreateBatchAllOrNothing", testBatchAllOrNothing},
		{"CreateBatchInTx", testBatchInTx},
		{"FindUsers", testFindUsers},
		{"FindDevices", testFindDevices},
		{"ListDevicesOfUsers", testListDevicesOfUsers},
		{"RefreshStatistics", testRefreshStatistics},
	}
}

// newBatch builds users with devices (a device of an existing user too, when
// existing is not empty) and an audit event per user.
func newBatch(appID string, users, devicesPerUser int, existing string) storage.Batch {
	var b storage.Batch
	for range users {
		u := newUser(appID)
		b.Users = append(b.Users, u)
		for range devicesPerUser {
			b.Devices = append(b.Devices, newDevice(appID, u.ID))
		}
		b.Events = append(b.Events, newAuditEvent(appID, u.ID, ""))
	}
	if existing != "" {
		b.Devices = append(b.Devices, newDevice(appID, existing))
	}
	return b
}

func testBatchRoundTrip(t *testing.T, s storage.Store) {
	ctx := t.Context()
	w := newWorld(t, s)
	b := newBatch(w.App.ID, 3, 2, w.User.ID)
	b.Users[1].LastLoginAt = time.Time{}
	b.Users[2].Handle = nil
	b.Devices[0].LastLoginAt = time.Time{}
	b.Devices[0].Transports = nil
	b.Devices[0].Attestation = nil
	mustOK(t, s.CreateBatch(ctx, b), "create batch")
	for _, u := range b.Users {
		got, err := s.GetUser(ctx, w.App.ID, u.ID)
		mustOK(t, err, "get user")
		checkSame(t, "user", got, u)
	}
	for _, d := range b.Devices {
		got, err := s.GetDevice(ctx, w.App.ID, d.ID)
		mustOK(t, err, "get device")
		checkSame(t, "device", got, d)
	}
	events, err := s.ListAuditEvents(ctx, storage.AuditQuery{AppID: w.App.ID, Limit: 100})
	mustOK(t, err, "list audit events")
	requireListed(t, "audit events", events, b.Events, auditKey, true)
	mustOK(t, s.CreateBatch(ctx, storage.Batch{}), "create an empty batch")
}

// testBatchManyRows writes more rows than one statement holds.
func testBatchManyRows(t *testing.T, s storage.Store) {
	ctx := t.Context()
	app := mustCreateApp(t, s)
	b := newBatch(app.ID, 450, 2, "")
	mustOK(t, s.CreateBatch(ctx, b), "create batch")
	_, total, err := s.ListUsers(ctx, app.ID, storage.UserQuery{})
	mustOK(t, err, "list users")
	if total != 450 {
		t.Fatalf("%d users stored, want 450", total)
	}
	var ids [][]byte
	for _, d := range b.Devices {
		ids = append(ids, d.CredentialID)
	}
	found, err := s.FindDevices(ctx, app.ID, ids)
	mustOK(t, err, "find devices")
	if len(found) != 900 {
		t.Fatalf("found %d devices, want 900", len(found))
	}
}

func testBatchAllOrNothing(t *testing.T, s storage.Store) {
	w := newWorld(t, s)
	cases := []struct {
		name  string
		spoil func(b *storage.Batch)
		want  error
	}{
		{"ExternalIDTaken", func(b *storage.Batch) { b.Users[2].ExternalID = w.User.ExternalID }, storage.ErrAlreadyExists},
		{"HandleTaken", func(b *storage.Batch) { b.Users[1].Handle = w.User.Handle }, storage.ErrAlreadyExists},
		{"ExternalIDTwiceInBatch", func(b *storage.Batch) { b.Users[2].ExternalID = b.Users[0].ExternalID }, storage.ErrAlreadyExists},
		{"CredentialTaken", func(b *storage.Batch) { b.Devices[3].CredentialID = w.Device.CredentialID }, storage.ErrAlreadyExists},
		{"CredentialTwiceInBatch", func(b *storage.Batch) { b.Devices[4].CredentialID = b.Devices[1].CredentialID }, storage.ErrAlreadyExists},
		{"DeviceOfMissingUser", func(b *storage.Batch) { b.Devices[5].UserID = storage.NewID() }, storage.ErrNotFound},
		{"EventIDTaken", func(b *storage.Batch) { b.Events[2].ID = b.Events[0].ID }, storage.ErrAlreadyExists},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := t.Context()
			b := newBatch(w.App.ID, 3, 2, w.User.ID)
			tc.spoil(&b)
			requireErrorIs(t, s.CreateBatch(ctx, b), tc.want, "create batch")
			requireNothingOf(t, s, w.App.ID, b)
		})
	}
}

// requireNothingOf checks that no user, device or event of b was stored.
func requireNothingOf(t *testing.T, s storage.Store, appID string, b storage.Batch) {
	t.Helper()
	ctx := t.Context()
	for _, u := range b.Users {
		if got, err := s.GetUser(ctx, appID, u.ID); err == nil {
			t.Errorf("user %s of a refused batch was stored: %+v", u.ID, got)
		}
	}
	for _, d := range b.Devices {
		if _, err := s.GetDevice(ctx, appID, d.ID); err == nil {
			t.Errorf("device %s of a refused batch was stored", d.ID)
		}
	}
	events, err := s.ListAuditEvents(ctx, storage.AuditQuery{AppID: appID, Limit: 1000})
	mustOK(t, err, "list audit events")
	for _, e := range events {
		for _, be := range b.Events {
			if e.ID == be.ID && e.Type == be.Type && e.Actor == be.Actor {
				t.Errorf("audit event %s of a refused batch was stored", e.ID)
			}
		}
	}
}

// testBatchInTx: inside a transaction, a refused batch is undone and the
// transaction goes on; an accepted one commits with the rest.
func testBatchInTx(t *testing.T, s storage.Store) {
	ctx := t.Context()
	w := newWorld(t, s)
	bad := newBatch(w.App.ID, 2, 1, "")
	bad.Users[1].ExternalID = w.User.ExternalID
	good := newBatch(w.App.ID, 2, 1, w.User.ID)
	after := newUser(w.App.ID)
	err := s.InTx(ctx, func(tx storage.Store) error {
		requireAlreadyExists(t, tx.CreateBatch(ctx, bad), "create a refused batch in a transaction")
		if err := tx.CreateBatch(ctx, good); err != nil {
			return err
		}
		return tx.CreateUser(ctx, after)
	})
	mustOK(t, err, "transaction")
	requireNothingOf(t, s, w.App.ID, bad)
	for _, u := range append(good.Users, after) {
		_, err := s.GetUser(ctx, w.App.ID, u.ID)
		mustOK(t, err, "get user of the committed batch")
	}
	for _, d := range good.Devices {
		_, err := s.GetDevice(ctx, w.App.ID, d.ID)
		mustOK(t, err, "get device of the committed batch")
	}
}

func testFindUsers(t *testing.T, s storage.Store) {
	ctx := t.Context()
	w := newWorld(t, s)
	other := newWorld(t, s) // same values in another app must not match
	b := newBatch(w.App.ID, 500, 0, "")
	mustOK(t, s.CreateBatch(ctx, b), "create batch")
	var exts []string
	var handles [][]byte
	for i, u := range b.Users {
		switch i % 3 {
		case 0:
			exts = append(exts, u.ExternalID)
		case 1:
			handles = append(handles, u.Handle)
		default: // both name the same user: it comes back once
			exts = append(exts, u.ExternalID)
			handles = append(handles, u.Handle)
		}
	}
	exts = append(exts, "nobody", other.User.ExternalID)
	handles = append(handles, []byte("nobody"), other.User.Handle, nil)
	got, err := s.FindUsers(ctx, w.App.ID, exts, handles)
	mustOK(t, err, "find users")
	// Found in no particular order: sorted to compare.
	requireListed(t, "found users", sortByCreated(got, userKey, false), b.Users, userKey, false)

	got, err = s.FindUsers(ctx, w.App.ID, nil, nil)
	mustOK(t, err, "find no users")
	if len(got) != 0 {
		t.Errorf("finding nothing found %d users", len(got))
	}
}

func testFindDevices(t *testing.T, s storage.Store) {
	ctx := t.Context()
	w := newWorld(t, s)
	other := newWorld(t, s)
	b := newBatch(w.App.ID, 300, 2, "")
	mustOK(t, s.CreateBatch(ctx, b), "create batch")
	ids := [][]byte{w.Device.CredentialID, other.Device.CredentialID, []byte("nothing"), nil}
	for _, d := range b.Devices {
		ids = append(ids, d.CredentialID)
	}
	got, err := s.FindDevices(ctx, w.App.ID, ids)
	mustOK(t, err, "find devices")
	requireListed(t, "found devices", sortByCreated(got, deviceKey, false), append(b.Devices, w.Device), deviceKey, false)
}

func testListDevicesOfUsers(t *testing.T, s storage.Store) {
	ctx := t.Context()
	w := newWorld(t, s)
	other := newWorld(t, s)
	b := newBatch(w.App.ID, 450, 2, "")
	// The second device of each user is older than the first.
	for i := 1; i < len(b.Devices); i += 2 {
		b.Devices[i].CreatedAt = b.Devices[i-1].CreatedAt.Add(-time.Minute)
	}
	mustOK(t, s.CreateBatch(ctx, b), "create batch")
	// Users asked for newest first, with a user of another app and a user
	// without devices among them.
	ids := []string{other.User.ID}
	for i := len(b.Users) - 1; i >= 0; i-- {
		ids = append(ids, b.Users[i].ID)
	}
	bare := mustCreateUser(t, s, w.App.ID)
	ids = append(ids, bare.ID)
	got, err := s.ListDevicesOfUsers(ctx, w.App.ID, ids)
	mustOK(t, err, "list devices of users")
	want := slices.Clone(b.Devices)
	rank := make(map[string]int)
	for i, id := range ids {
		rank[id] = i
	}
	slices.SortFunc(want, func(a, b storage.Device) int {
		return cmp.Or(cmp.Compare(rank[a.UserID], rank[b.UserID]),
			a.CreatedAt.Compare(b.CreatedAt), strings.Compare(a.ID, b.ID))
	})
	if len(got) != len(want) {
		t.Fatalf("listed %d devices, want %d", len(got), len(want))
	}
	for i := range got {
		if got[i].ID != want[i].ID {
			t.Fatalf("device %d is %s of user %s, want %s of user %s", i, got[i].ID, got[i].UserID, want[i].ID, want[i].UserID)
		}
		checkSame(t, "listed device", got[i], want[i])
	}
}

// testRefreshStatistics: refreshing the planner's statistics works on a
// store with rows, outside and inside a transaction, and changes no row.
func testRefreshStatistics(t *testing.T, s storage.Store) {
	ctx := t.Context()
	w := newWorld(t, s)
	mustOK(t, s.RefreshStatistics(ctx), "refresh statistics")
	mustOK(t, s.InTx(ctx, func(tx storage.Store) error { return tx.RefreshStatistics(ctx) }), "refresh statistics in a transaction")
	got, err := s.GetDevice(ctx, w.App.ID, w.Device.ID)
	mustOK(t, err, "get device")
	checkSame(t, "device", got, w.Device)
}
