package storagetest

import (
	"sync"
	"testing"
	"time"

	"github.com/passbridge/passbridge/storage"
)

func signingKeyTests() []test {
	return []test{
		{"RoundTrip", testSigningKeyRoundTrip},
		{"NotFound", testSigningKeyNotFound},
		{"DuplicateID", testSigningKeyDuplicateID},
		{"Rotate", testSigningKeyRotate},
		{"List", testSigningKeyList},
		{"Delete", testSigningKeyDelete},
		{"MasterKeyCheck", testMasterKeyCheck},
		{"MasterKeyCheckConcurrentFirstStart", testMasterKeyCheckConcurrent},
	}
}

// testMasterKeyCheck: reading finds nothing before the first check value is
// stored, and stores nothing; the first value stays; later calls get it back
// whatever they offer, and it survives GC.
func testMasterKeyCheck(t *testing.T, s storage.Store) {
	ctx := t.Context()
	_, err := s.MasterKeyCheck(ctx)
	requireNotFound(t, err, "read master key check before one is stored")
	_, err = s.MasterKeyCheck(ctx)
	requireNotFound(t, err, "read master key check again")

	first := storage.RandomBytes(32)
	got, err := s.InitMasterKeyCheck(ctx, first, odd(0))
	mustOK(t, err, "init master key check")
	checkSame(t, "stored check", got, first)
	read, err := s.MasterKeyCheck(ctx)
	mustOK(t, err, "read master key check")
	checkSame(t, "check read back", read, first)

	again, err := s.InitMasterKeyCheck(ctx, first, odd(time.Hour))
	mustOK(t, err, "init master key check again")
	checkSame(t, "stored check", again, first)

	_, err = s.DeleteExpired(ctx, odd(1000*time.Hour))
	mustOK(t, err, "delete expired")
	other, err := s.InitMasterKeyCheck(ctx, storage.RandomBytes(32), odd(2*time.Hour))
	mustOK(t, err, "init master key check with another value")
	checkSame(t, "stored check after another value was offered", other, first)
	read, err = s.MasterKeyCheck(ctx)
	mustOK(t, err, "read master key check after GC")
	checkSame(t, "check read back after GC", read, first)
}

// testMasterKeyCheckConcurrent: instances starting together on an empty
// store agree on one stored value.
func testMasterKeyCheckConcurrent(t *testing.T, s storage.Store) {
	const n = 20
	results := make([][]byte, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			results[i], errs[i] = s.InitMasterKeyCheck(t.Context(), storage.RandomBytes(32), odd(0))
		})
	}
	wg.Wait()
	for i := range n {
		mustOK(t, errs[i], "concurrent init master key check")
		checkSame(t, "value every starter got", results[i], results[0])
	}
}

func signingKeyKey(k storage.SigningKey) (time.Time, string) { return k.CreatedAt, k.ID }

// nextSigningKey is a key as rotation publishes it: not yet signing.
func nextSigningKey() storage.SigningKey {
	k := newSigningKey()
	k.Algorithm = "RS256"
	k.State = storage.KeyNext
	k.ActivatedAt = time.Time{}
	k.RetiredAt = time.Time{}
	k.ExpiresAt = time.Time{}
	return k
}

func testSigningKeyRoundTrip(t *testing.T, s storage.Store) {
	for _, tc := range []struct {
		name string
		key  storage.SigningKey
	}{
		{"Retired", newSigningKey()},
		{"Next", nextSigningKey()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mustOK(t, s.CreateSigningKey(t.Context(), tc.key), "create signing key")
			got, err := s.GetSigningKey(t.Context(), tc.key.ID)
			mustOK(t, err, "get signing key")
			checkSame(t, "SigningKey", got, tc.key)
		})
	}
}

func testSigningKeyNotFound(t *testing.T, s storage.Store) {
	ctx := t.Context()
	mustOK(t, s.CreateSigningKey(ctx, nextSigningKey()), "create signing key")
	unknown := "kid-" + storage.NewID()
	_, err := s.GetSigningKey(ctx, unknown)
	requireNotFound(t, err, "get unknown signing key")
	requireUpdateNotFound(t, "update unknown signing key", func(fn func(storage.SigningKey) (storage.SigningKey, error)) (storage.SigningKey, error) {
		return s.UpdateSigningKey(ctx, unknown, fn)
	})
	requireNotFound(t, s.DeleteSigningKey(ctx, unknown), "delete unknown signing key")
}

func testSigningKeyDuplicateID(t *testing.T, s storage.Store) {
	ctx := t.Context()
	k := nextSigningKey()
	mustOK(t, s.CreateSigningKey(ctx, k), "create signing key")
	dup := newSigningKey()
	dup.ID = k.ID
	requireAlreadyExists(t, s.CreateSigningKey(ctx, dup), "create signing key with a taken id")
	got, err := s.GetSigningKey(ctx, k.ID)
	mustOK(t, err, "get signing key")
	checkSame(t, "SigningKey", got, k)
}

// testSigningKeyRotate walks one key through its states as `keys rotate` does.
func testSigningKeyRotate(t *testing.T, s storage.Store) {
	ctx := t.Context()
	k := nextSigningKey()
	mustOK(t, s.CreateSigningKey(ctx, k), "create signing key")
	neighbour := nextSigningKey()
	mustOK(t, s.CreateSigningKey(ctx, neighbour), "create signing key")
	update := func(fn func(storage.SigningKey) (storage.SigningKey, error)) (storage.SigningKey, error) {
		return s.UpdateSigningKey(ctx, k.ID, fn)
	}
	get := func() (storage.SigningKey, error) { return s.GetSigningKey(ctx, k.ID) }
	activate := func(k storage.SigningKey) storage.SigningKey {
		k.State = storage.KeyActive
		k.ActivatedAt = odd(time.Hour)
		return k
	}
	retire := func(k storage.SigningKey) storage.SigningKey {
		k.State = storage.KeyRetired
		k.RetiredAt = odd(2 * time.Hour)
		k.ExpiresAt = odd(26 * time.Hour)
		return k
	}

	requireUpdateRefused(t, "UpdateSigningKey", k, activate, update, get)
	active := requireUpdated(t, "activate signing key", k, activate, update, get)
	requireUpdated(t, "retire signing key", active, retire, update, get)

	got, err := s.GetSigningKey(ctx, neighbour.ID)
	mustOK(t, err, "get neighbour")
	checkSame(t, "untouched SigningKey", got, neighbour)
}

func testSigningKeyList(t *testing.T, s storage.Store) {
	ctx := t.Context()
	var keys []storage.SigningKey
	for _, h := range []time.Duration{3, 1, 2, 1} {
		k := newSigningKey()
		k.CreatedAt = odd(h * time.Hour)
		mustOK(t, s.CreateSigningKey(ctx, k), "create signing key")
		keys = append(keys, k)
	}
	got, err := s.ListSigningKeys(ctx)
	mustOK(t, err, "list signing keys")
	requireListed(t, "ListSigningKeys", got, keys, signingKeyKey, false)
}

func testSigningKeyDelete(t *testing.T, s storage.Store) {
	ctx := t.Context()
	k := newSigningKey()
	kept := nextSigningKey()
	mustOK(t, s.CreateSigningKey(ctx, k), "create signing key")
	mustOK(t, s.CreateSigningKey(ctx, kept), "create signing key")
	mustOK(t, s.DeleteSigningKey(ctx, k.ID), "delete signing key")
	_, err := s.GetSigningKey(ctx, k.ID)
	requireNotFound(t, err, "get deleted signing key")
	requireNotFound(t, s.DeleteSigningKey(ctx, k.ID), "delete signing key twice")
	got, err := s.ListSigningKeys(ctx)
	mustOK(t, err, "list signing keys")
	requireListed(t, "ListSigningKeys", got, []storage.SigningKey{kept}, signingKeyKey, false)
}
