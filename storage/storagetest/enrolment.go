package storagetest

import (
	"testing"
	"time"

	"github.com/passbridge/passbridge/storage"
)

func enrolmentLinkTests() []test {
	return []test{
		{"RoundTrip", testEnrolmentLinkRoundTrip},
		{"NotFound", testEnrolmentLinkNotFound},
		{"Duplicates", testEnrolmentLinkDuplicates},
		{"UserMustExist", testEnrolmentLinkUserMustExist},
		{"ConsumeOnce", testEnrolmentLinkConsumeOnce},
		{"Expired", testEnrolmentLinkExpired},
		{"ConsumeConcurrently", testEnrolmentLinkRace},
		{"GoesWithItsUser", testEnrolmentLinkCascade},
		{"OutlivesItsDevice", testEnrolmentLinkDeviceDeleted},
		{"GC", testEnrolmentLinkGC},
		{"TransactionNamesItsLink", testEnrolmentLinkTransaction},
		{"DeleteUnusedOfUser", testEnrolmentLinkDeleteUnused},
	}
}

// newEnrolmentLink is an unused link of a user, created a minute before
// odd(0) and expiring a day after it.
func newEnrolmentLink(appID, userID string) storage.EnrolmentLink {
	return storage.EnrolmentLink{
		ID:        storage.NewID(),
		AppID:     appID,
		UserID:    userID,
		Hash:      storage.HashSecret(storage.PrefixEnrolmentLink + storage.NewID()),
		CreatedAt: odd(-time.Minute),
		ExpiresAt: odd(24 * time.Hour),
	}
}

func mustCreateEnrolmentLink(t *testing.T, s storage.Store, l storage.EnrolmentLink) storage.EnrolmentLink {
	t.Helper()
	mustOK(t, s.CreateEnrolmentLink(t.Context(), l), "create enrolment link")
	return l
}

// requireLink reads a link by ID and by digest, and checks both against want.
func requireLink(t *testing.T, s storage.Store, what string, want storage.EnrolmentLink) {
	t.Helper()
	got, err := s.GetEnrolmentLink(t.Context(), want.AppID, want.ID)
	mustOK(t, err, what+": get enrolment link")
	checkSame(t, what+": EnrolmentLink", got, want)
	got, err = s.GetEnrolmentLinkByHash(t.Context(), want.Hash)
	mustOK(t, err, what+": get enrolment link by hash")
	checkSame(t, what+": EnrolmentLink by hash", got, want)
}

func testEnrolmentLinkRoundTrip(t *testing.T, s storage.Store) {
	w := newWorld(t, s)
	unused := mustCreateEnrolmentLink(t, s, newEnrolmentLink(w.App.ID, w.User.ID))
	requireLink(t, s, "unused", unused)

	// A link stored as used (an import, a copy) keeps its state.
	used := newEnrolmentLink(w.App.ID, w.User.ID)
	used.DeviceID, used.UsedAt = w.Device.ID, odd(-30*time.Second)
	mustCreateEnrolmentLink(t, s, used)
	requireLink(t, s, "used", used)
}

func testEnrolmentLinkNotFound(t *testing.T, s storage.Store) {
	ctx := t.Context()
	w := newWorld(t, s)
	other := newWorld(t, s)
	l := mustCreateEnrolmentLink(t, s, newEnrolmentLink(w.App.ID, w.User.ID))

	_, err := s.GetEnrolmentLink(ctx, w.App.ID, storage.NewID())
	requireNotFound(t, err, "get unknown enrolment link")
	_, err = s.GetEnrolmentLink(ctx, other.App.ID, l.ID)
	requireNotFound(t, err, "get enrolment link through another app")
	_, err = s.GetEnrolmentLinkByHash(ctx, storage.HashSecret("unknown"))
	requireNotFound(t, err, "get enrolment link by an unknown hash")
	_, err = s.ConsumeEnrolmentLink(ctx, w.App.ID, storage.NewID(), w.Device.ID, odd(0))
	requireNotFound(t, err, "consume unknown enrolment link")
	_, err = s.ConsumeEnrolmentLink(ctx, other.App.ID, l.ID, other.Device.ID, odd(0))
	requireNotFound(t, err, "consume enrolment link through another app")
	requireLink(t, s, "after attempts through another app", l)
}

func testEnrolmentLinkDuplicates(t *testing.T, s storage.Store) {
	ctx := t.Context()
	w := newWorld(t, s)
	l := mustCreateEnrolmentLink(t, s, newEnrolmentLink(w.App.ID, w.User.ID))

	sameID := newEnrolmentLink(w.App.ID, w.User.ID)
	sameID.ID = l.ID
	requireAlreadyExists(t, s.CreateEnrolmentLink(ctx, sameID), "create enrolment link with a taken ID")
	sameHash := newEnrolmentLink(w.App.ID, w.User.ID)
	sameHash.Hash = l.Hash
	requireAlreadyExists(t, s.CreateEnrolmentLink(ctx, sameHash), "create enrolment link with a taken hash")
	requireLink(t, s, "after duplicates were refused", l)
}

func testEnrolmentLinkUserMustExist(t *testing.T, s storage.Store) {
	ctx := t.Context()
	w := newWorld(t, s)
	other := newWorld(t, s)
	requireNotFound(t, s.CreateEnrolmentLink(ctx, newEnrolmentLink(w.App.ID, storage.NewID())),
		"create enrolment link of an unknown user")
	requireNotFound(t, s.CreateEnrolmentLink(ctx, newEnrolmentLink(w.App.ID, other.User.ID)),
		"create enrolment link of another app's user")
}

func testEnrolmentLinkConsumeOnce(t *testing.T, s storage.Store) {
	ctx := t.Context()
	w := newWorld(t, s)
	l := mustCreateEnrolmentLink(t, s, newEnrolmentLink(w.App.ID, w.User.ID))
	neighbour := mustCreateEnrolmentLink(t, s, newEnrolmentLink(w.App.ID, w.User.ID))

	got, err := s.ConsumeEnrolmentLink(ctx, w.App.ID, l.ID, w.Device.ID, odd(time.Hour))
	mustOK(t, err, "consume enrolment link")
	want := l
	want.DeviceID, want.UsedAt = w.Device.ID, odd(time.Hour)
	checkSame(t, "consumed EnrolmentLink", got, want)
	requireLink(t, s, "consumed", want)

	second := mustCreateDevice(t, s, w.App.ID, w.User.ID)
	_, err = s.ConsumeEnrolmentLink(ctx, w.App.ID, l.ID, second.ID, odd(2*time.Hour))
	requireNotFound(t, err, "consume enrolment link twice")
	requireLink(t, s, "after a second consumption", want)
	requireLink(t, s, "neighbour", neighbour)
}

func testEnrolmentLinkExpired(t *testing.T, s storage.Store) {
	ctx := t.Context()
	w := newWorld(t, s)
	l := newEnrolmentLink(w.App.ID, w.User.ID)
	l.CreatedAt, l.ExpiresAt = at(0), at(time.Hour)
	mustCreateEnrolmentLink(t, s, l)

	_, err := s.ConsumeEnrolmentLink(ctx, w.App.ID, l.ID, w.Device.ID, at(time.Hour))
	requireNotFound(t, err, "consume enrolment link at its expiry")
	_, err = s.ConsumeEnrolmentLink(ctx, w.App.ID, l.ID, w.Device.ID, at(48*time.Hour))
	requireNotFound(t, err, "consume enrolment link after its expiry")
	// The expired row was left for GC, unused: before its expiry it is
	// still good.
	requireLink(t, s, "expired", l)
	got, err := s.ConsumeEnrolmentLink(ctx, w.App.ID, l.ID, w.Device.ID, at(time.Hour-time.Microsecond))
	mustOK(t, err, "consume enrolment link just before its expiry")
	if !got.UsedAt.Equal(at(time.Hour-time.Microsecond)) || got.DeviceID != w.Device.ID {
		t.Errorf("consumed link used at %s by %q, want %s by %q", got.UsedAt, got.DeviceID, at(time.Hour-time.Microsecond), w.Device.ID)
	}
}

// testEnrolmentLinkRace: the tabs of one link that finish their
// registrations at once; exactly one consumes the link.
func testEnrolmentLinkRace(t *testing.T, s storage.Store) {
	ctx := t.Context()
	w := newWorld(t, s)
	l := mustCreateEnrolmentLink(t, s, newEnrolmentLink(w.App.ID, w.User.ID))
	const n = 40
	devices := make([]storage.Device, n)
	for i := range devices {
		devices[i] = mustCreateDevice(t, s, w.App.ID, w.User.ID)
	}
	winner := make([]bool, n)
	errs := race(n, func(i int) error {
		_, err := s.ConsumeEnrolmentLink(ctx, w.App.ID, l.ID, devices[i].ID, odd(time.Duration(i)*time.Second))
		winner[i] = err == nil
		return err
	})
	requireOneWinner(t, "ConsumeEnrolmentLink", errs)
	got, err := s.GetEnrolmentLink(ctx, w.App.ID, l.ID)
	mustOK(t, err, "get enrolment link")
	for i, won := range winner {
		if won && (got.DeviceID != devices[i].ID || !got.UsedAt.Equal(utcMicro(odd(time.Duration(i)*time.Second)))) {
			t.Errorf("the winner used the link with device %s at %s; the store holds %q at %s",
				devices[i].ID, odd(time.Duration(i)*time.Second), got.DeviceID, got.UsedAt)
		}
	}
}

// utcMicro is t as the store keeps it.
func utcMicro(t time.Time) time.Time { return t.UTC().Round(time.Microsecond) }

func testEnrolmentLinkCascade(t *testing.T, s storage.Store) {
	ctx := t.Context()
	w := newWorld(t, s)
	sibling := mustCreateUser(t, s, w.App.ID)
	gone := mustCreateEnrolmentLink(t, s, newEnrolmentLink(w.App.ID, w.User.ID))
	used := newEnrolmentLink(w.App.ID, w.User.ID)
	used.DeviceID, used.UsedAt = w.Device.ID, odd(0)
	mustCreateEnrolmentLink(t, s, used)
	kept := mustCreateEnrolmentLink(t, s, newEnrolmentLink(w.App.ID, sibling.ID))

	mustOK(t, s.DeleteUser(ctx, w.App.ID, w.User.ID), "delete user")
	for _, l := range []storage.EnrolmentLink{gone, used} {
		_, err := s.GetEnrolmentLink(ctx, w.App.ID, l.ID)
		requireNotFound(t, err, "get enrolment link of a deleted user")
		_, err = s.GetEnrolmentLinkByHash(ctx, l.Hash)
		requireNotFound(t, err, "get enrolment link of a deleted user by hash")
	}
	requireLink(t, s, "link of another user", kept)

	mustOK(t, s.DeleteApp(ctx, w.App.ID), "delete app")
	_, err := s.GetEnrolmentLinkByHash(ctx, kept.Hash)
	requireNotFound(t, err, "get enrolment link of a deleted app")
}

// testEnrolmentLinkDeviceDeleted: revoking the passkey a link created
// leaves the link (still used), naming no device.
func testEnrolmentLinkDeviceDeleted(t *testing.T, s storage.Store) {
	ctx := t.Context()
	w := newWorld(t, s)
	l := mustCreateEnrolmentLink(t, s, newEnrolmentLink(w.App.ID, w.User.ID))
	used, err := s.ConsumeEnrolmentLink(ctx, w.App.ID, l.ID, w.Device.ID, odd(0))
	mustOK(t, err, "consume enrolment link")
	mustOK(t, s.DeleteDevice(ctx, w.App.ID, w.Device.ID), "delete device")
	used.DeviceID = ""
	requireLink(t, s, "after its device was deleted", used)
	_, err = s.ConsumeEnrolmentLink(ctx, w.App.ID, l.ID, "", odd(time.Minute))
	requireNotFound(t, err, "consume enrolment link again after its device was deleted")
}

// testEnrolmentLinkGC: DeleteExpired takes a link at its expiry, used or
// not, and counts it.
func testEnrolmentLinkGC(t *testing.T, s storage.Store) {
	ctx := t.Context()
	// No world: its session would expire in between.
	app := mustCreateApp(t, s)
	u := mustCreateUser(t, s, app.ID)
	d := mustCreateDevice(t, s, app.ID, u.ID)
	var links []storage.EnrolmentLink
	for i, used := range []bool{false, true, false} {
		l := newEnrolmentLink(app.ID, u.ID)
		l.CreatedAt, l.ExpiresAt = at(0), at(time.Duration(i+1)*time.Hour)
		if used {
			l.DeviceID, l.UsedAt = d.ID, at(time.Minute)
		}
		links = append(links, mustCreateEnrolmentLink(t, s, l))
	}
	res, err := s.DeleteExpired(ctx, at(2*time.Hour))
	mustOK(t, err, "delete expired")
	if res["enrolment_links"] != 2 || res.Total() != 2 {
		t.Errorf("DeleteExpired removed %v, want the 2 enrolment links expired by then", res)
	}
	for _, l := range links[:2] {
		_, err := s.GetEnrolmentLinkByHash(ctx, l.Hash)
		requireNotFound(t, err, "get a collected enrolment link")
	}
	requireLink(t, s, "unexpired", links[2])
}

// testEnrolmentLinkTransaction: a register transaction names the link whose
// page runs it, and keeps naming it when completed and after the link is
// gone.
func testEnrolmentLinkTransaction(t *testing.T, s storage.Store) {
	ctx := t.Context()
	w := newWorld(t, s)
	l := newEnrolmentLink(w.App.ID, w.User.ID)
	l.CreatedAt, l.ExpiresAt = at(-time.Hour), at(time.Hour)
	mustCreateEnrolmentLink(t, s, l)
	tx := newTransaction(w.App.ID, w.User.ID)
	tx.State, tx.CompletedAt = storage.TransactionPending, time.Time{}
	tx.EnrolmentLinkID = l.ID
	mustCreateTransaction(t, s, tx)

	got, err := s.GetTransaction(ctx, w.App.ID, tx.ID)
	mustOK(t, err, "get transaction")
	checkSame(t, "Transaction", got, tx)
	done, err := s.CompleteTransaction(ctx, w.App.ID, tx.ID, odd(0))
	mustOK(t, err, "complete transaction")
	if done.EnrolmentLinkID != l.ID {
		t.Errorf("completed transaction names link %q, want %q", done.EnrolmentLinkID, l.ID)
	}

	_, err = s.DeleteExpired(ctx, at(time.Hour))
	mustOK(t, err, "delete expired")
	_, err = s.GetEnrolmentLink(ctx, w.App.ID, l.ID)
	requireNotFound(t, err, "get collected enrolment link")
	got, err = s.GetTransaction(ctx, w.App.ID, tx.ID)
	mustOK(t, err, "get transaction of a collected link")
	if got.EnrolmentLinkID != l.ID {
		t.Errorf("transaction of a collected link names %q, want %q", got.EnrolmentLinkID, l.ID)
	}
}

// A user's unused links are withdrawn together; a used link stays (its page
// says it was used), and no other user's link is touched.
func testEnrolmentLinkDeleteUnused(t *testing.T, s storage.Store) {
	ctx := t.Context()
	w := newWorld(t, s)
	open1 := mustCreateEnrolmentLink(t, s, newEnrolmentLink(w.App.ID, w.User.ID))
	open2 := mustCreateEnrolmentLink(t, s, newEnrolmentLink(w.App.ID, w.User.ID))
	used := mustCreateEnrolmentLink(t, s, newEnrolmentLink(w.App.ID, w.User.ID))
	used, err := s.ConsumeEnrolmentLink(ctx, w.App.ID, used.ID, w.Device.ID, odd(time.Hour))
	mustOK(t, err, "consume enrolment link")
	other := mustCreateUser(t, s, w.App.ID)
	neighbour := mustCreateEnrolmentLink(t, s, newEnrolmentLink(w.App.ID, other.ID))
	elsewhere := newWorld(t, s)
	foreign := mustCreateEnrolmentLink(t, s, newEnrolmentLink(elsewhere.App.ID, elsewhere.User.ID))

	n, err := s.DeleteUnusedEnrolmentLinks(ctx, w.App.ID, w.User.ID)
	mustOK(t, err, "delete unused enrolment links")
	if n != 2 {
		t.Errorf("deleted %d links, want 2", n)
	}
	for _, l := range []storage.EnrolmentLink{open1, open2} {
		_, err := s.GetEnrolmentLink(ctx, l.AppID, l.ID)
		requireNotFound(t, err, "an unused link after the withdrawal")
	}
	requireLink(t, s, "the used link", used)
	requireLink(t, s, "another user's link", neighbour)
	requireLink(t, s, "another app's link", foreign)
	n, err = s.DeleteUnusedEnrolmentLinks(ctx, elsewhere.App.ID, w.User.ID)
	mustOK(t, err, "delete with another app's ID")
	if n != 0 {
		t.Errorf("another app's ID deleted %d links", n)
	}
}
