package storagetest

import (
	"testing"
	"time"

	"github.com/passbridge/passbridge/storage"
)

func nonceTests() []test {
	return []test{
		{"RoundTrip", testNonceRoundTrip},
		{"ConsumeOnce", testNonceConsumeOnce},
		{"Expired", testNonceExpired},
		{"NotFound", testNonceNotFound},
		{"DuplicateHash", testNonceDuplicateHash},
	}
}

func testNonceRoundTrip(t *testing.T, s storage.Store) {
	w := newWorld(t, s)
	plain := newNonce(w.App.ID, w.User.ID, w.Device.ID)
	plain.Kind = storage.KindRegister
	plain.UserVerified = false
	plain.BackupEligible = false
	plain.BackedUp = false
	synced := newNonce(w.App.ID, w.User.ID, w.Device.ID)
	synced.BackedUp = false // eligible for backup, not backed up yet
	for _, tc := range []struct {
		name  string
		nonce storage.Nonce
	}{
		{"EveryField", newNonce(w.App.ID, w.User.ID, w.Device.ID)},
		{"NoFlags", plain},
		{"EligibleNotBackedUp", synced},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mustCreateNonce(t, s, tc.nonce)
			got, err := s.ConsumeNonce(t.Context(), w.App.ID, tc.nonce.Hash, odd(0))
			mustOK(t, err, "consume nonce")
			checkSame(t, "Nonce", got, tc.nonce)
		})
	}
}

func testNonceConsumeOnce(t *testing.T, s storage.Store) {
	ctx := t.Context()
	w := newWorld(t, s)
	n := mustCreateNonce(t, s, newNonce(w.App.ID, w.User.ID, w.Device.ID))
	neighbour := mustCreateNonce(t, s, newNonce(w.App.ID, w.User.ID, w.Device.ID))
	_, err := s.ConsumeNonce(ctx, w.App.ID, n.Hash, odd(0))
	mustOK(t, err, "consume nonce")
	_, err = s.ConsumeNonce(ctx, w.App.ID, n.Hash, odd(0))
	requireNotFound(t, err, "consume nonce twice")
	got, err := s.ConsumeNonce(ctx, w.App.ID, neighbour.Hash, odd(0))
	mustOK(t, err, "consume neighbour")
	checkSame(t, "untouched Nonce", got, neighbour)
}

func testNonceExpired(t *testing.T, s storage.Store) {
	ctx := t.Context()
	w := newWorld(t, s)
	n := newNonce(w.App.ID, w.User.ID, w.Device.ID)
	n.CreatedAt = at(0)
	n.ExpiresAt = at(5 * time.Minute)
	mustCreateNonce(t, s, n)

	_, err := s.ConsumeNonce(ctx, w.App.ID, n.Hash, at(5*time.Minute))
	requireNotFound(t, err, "consume nonce at its expiry")
	_, err = s.ConsumeNonce(ctx, w.App.ID, n.Hash, at(time.Hour))
	requireNotFound(t, err, "consume nonce after its expiry")
	// The expired row was left for GC: before its expiry it is still there.
	got, err := s.ConsumeNonce(ctx, w.App.ID, n.Hash, at(5*time.Minute-time.Microsecond))
	mustOK(t, err, "consume nonce just before expiry")
	checkSame(t, "Nonce", got, n)
}

func testNonceNotFound(t *testing.T, s storage.Store) {
	ctx := t.Context()
	w := newWorld(t, s)
	other := mustCreateApp(t, s)
	n := mustCreateNonce(t, s, newNonce(w.App.ID, w.User.ID, w.Device.ID))

	_, err := s.ConsumeNonce(ctx, w.App.ID, storage.HashSecret("unknown"), odd(0))
	requireNotFound(t, err, "consume unknown nonce")
	_, err = s.ConsumeNonce(ctx, other.ID, n.Hash, odd(0))
	requireNotFound(t, err, "consume nonce through another app")
	got, err := s.ConsumeNonce(ctx, w.App.ID, n.Hash, odd(0))
	mustOK(t, err, "consume nonce after an attempt through another app")
	checkSame(t, "Nonce", got, n)
}

func testNonceDuplicateHash(t *testing.T, s storage.Store) {
	ctx := t.Context()
	w := newWorld(t, s)
	n := mustCreateNonce(t, s, newNonce(w.App.ID, w.User.ID, w.Device.ID))
	dup := newNonce(w.App.ID, w.User.ID, w.Device.ID)
	dup.Hash = n.Hash
	dup.ExternalID = "impostor"
	requireAlreadyExists(t, s.CreateNonce(ctx, dup), "create nonce with a taken hash")
	got, err := s.ConsumeNonce(ctx, w.App.ID, n.Hash, odd(0))
	mustOK(t, err, "consume nonce")
	checkSame(t, "Nonce", got, n)
}
