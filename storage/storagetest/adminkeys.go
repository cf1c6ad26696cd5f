package storagetest

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/passbridge/passbridge/storage"
)

func adminKeyTests() []test {
	return []test{
		{"RoundTrip", testAdminKeyRoundTrip},
		{"List", testAdminKeyList},
		{"Unique", testAdminKeyUnique},
		{"NotFound", testAdminKeyNotFound},
		{"TouchMovesForward", testAdminKeyTouch},
		{"Revoke", testAdminKeyRevoke},
		{"ConcurrentRevoke", testAdminKeyConcurrentRevoke},
		{"ConcurrentTouch", testAdminKeyConcurrentTouch},
		{"OutlivesApps", testAdminKeyOutlivesApps},
	}
}

func adminKeyKey(k storage.AdminKey) (time.Time, string) { return k.CreatedAt, k.ID }

func newAdminKey() storage.AdminKey {
	secret, prefix := storage.NewSecret(storage.PrefixAdminKey)
	return storage.AdminKey{
		ID:         storage.NewID(),
		Name:       "ops, ünïcode",
		Prefix:     prefix,
		Hash:       storage.HashSecret(secret),
		CreatedAt:  odd(-24 * time.Hour),
		LastUsedAt: odd(-time.Hour),
	}
}

func mustCreateAdminKey(t *testing.T, s storage.Store, k storage.AdminKey) storage.AdminKey {
	t.Helper()
	mustOK(t, s.CreateAdminKey(t.Context(), k), "create admin key")
	return k
}

func testAdminKeyRoundTrip(t *testing.T, s storage.Store) {
	neverUsed := newAdminKey()
	neverUsed.LastUsedAt = time.Time{}
	for _, tc := range []struct {
		name string
		key  storage.AdminKey
	}{
		{"EveryField", newAdminKey()},
		{"NeverUsed", neverUsed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mustCreateAdminKey(t, s, tc.key)
			got, err := s.GetAdminKeyByHash(t.Context(), tc.key.Hash)
			mustOK(t, err, "get admin key by hash")
			checkSame(t, "AdminKey", got, tc.key)
		})
	}
}

func testAdminKeyList(t *testing.T, s storage.Store) {
	ctx := t.Context()
	got, err := s.ListAdminKeys(ctx)
	mustOK(t, err, "list admin keys of an empty store")
	requireListed(t, "ListAdminKeys of an empty store", got, nil, adminKeyKey, false)

	var keys []storage.AdminKey
	for _, created := range []time.Time{odd(-time.Hour), odd(-3 * time.Hour), odd(-2 * time.Hour), odd(-3 * time.Hour)} {
		k := newAdminKey()
		k.CreatedAt = created
		keys = append(keys, mustCreateAdminKey(t, s, k))
	}
	// A revoked key is listed, with its revocation.
	revoked, err := s.RevokeAdminKey(ctx, keys[2].ID, odd(-time.Minute))
	mustOK(t, err, "revoke admin key")
	keys[2].RevokedAt = odd(-time.Minute)
	checkSame(t, "revoked AdminKey", revoked, keys[2])

	got, err = s.ListAdminKeys(ctx)
	mustOK(t, err, "list admin keys")
	requireListed(t, "ListAdminKeys", got, keys, adminKeyKey, false)
}

func testAdminKeyUnique(t *testing.T, s storage.Store) {
	ctx := t.Context()
	k := mustCreateAdminKey(t, s, newAdminKey())
	sameHash := newAdminKey()
	sameHash.Hash = k.Hash
	requireAlreadyExists(t, s.CreateAdminKey(ctx, sameHash), "create admin key with a taken hash")
	sameID := newAdminKey()
	sameID.ID = k.ID
	requireAlreadyExists(t, s.CreateAdminKey(ctx, sameID), "create admin key with a taken id")

	got, err := s.ListAdminKeys(ctx)
	mustOK(t, err, "list admin keys")
	requireListed(t, "ListAdminKeys", got, []storage.AdminKey{k}, adminKeyKey, false)
}

func testAdminKeyNotFound(t *testing.T, s storage.Store) {
	ctx := t.Context()
	k := mustCreateAdminKey(t, s, newAdminKey())
	_, err := s.GetAdminKeyByHash(ctx, storage.HashSecret("unknown"))
	requireNotFound(t, err, "get admin key by unknown hash")
	requireNotFound(t, s.TouchAdminKey(ctx, storage.NewID(), odd(0)), "touch unknown admin key")
	_, err = s.RevokeAdminKey(ctx, storage.NewID(), odd(0))
	requireNotFound(t, err, "revoke unknown admin key")

	// An API key's digest is not an admin key's.
	app := mustCreateApp(t, s)
	apiKey := newAPIKey(app.ID)
	mustOK(t, s.CreateAPIKey(ctx, apiKey), "create api key")
	_, err = s.GetAdminKeyByHash(ctx, apiKey.Hash)
	requireNotFound(t, err, "get admin key by an api key's hash")

	got, err := s.GetAdminKeyByHash(ctx, k.Hash)
	mustOK(t, err, "get admin key")
	checkSame(t, "AdminKey", got, k)
}

func testAdminKeyTouch(t *testing.T, s storage.Store) {
	ctx := t.Context()
	k := newAdminKey()
	k.LastUsedAt = time.Time{}
	mustCreateAdminKey(t, s, k)
	steps := []struct {
		name  string
		touch time.Time
		want  time.Time
	}{
		{"first use", odd(time.Minute), odd(time.Minute)},
		{"later use", odd(time.Hour), odd(time.Hour)},
		{"earlier use", odd(30 * time.Minute), odd(time.Hour)},
		{"same instant", odd(time.Hour), odd(time.Hour)},
		{"later still", odd(2 * time.Hour), odd(2 * time.Hour)},
	}
	for _, step := range steps {
		mustOK(t, s.TouchAdminKey(ctx, k.ID, step.touch), "touch admin key: "+step.name)
		got, err := s.GetAdminKeyByHash(ctx, k.Hash)
		mustOK(t, err, "get admin key by hash")
		want := k
		want.LastUsedAt = step.want
		checkSame(t, "AdminKey after "+step.name, got, want)
	}
}

func testAdminKeyRevoke(t *testing.T, s storage.Store) {
	ctx := t.Context()
	k := mustCreateAdminKey(t, s, newAdminKey())
	kept := mustCreateAdminKey(t, s, newAdminKey())

	revoked, err := s.RevokeAdminKey(ctx, k.ID, odd(time.Minute))
	mustOK(t, err, "revoke admin key")
	want := k
	want.RevokedAt = odd(time.Minute)
	checkSame(t, "revoked AdminKey", revoked, want)
	_, err = s.GetAdminKeyByHash(ctx, k.Hash)
	requireNotFound(t, err, "get revoked admin key by hash")

	// Revoking again changes nothing: the first revocation's time stays.
	again, err := s.RevokeAdminKey(ctx, k.ID, odd(time.Hour))
	mustOK(t, err, "revoke admin key again")
	checkSame(t, "AdminKey revoked twice", again, want)
	// Touching a revoked key is harmless and keeps it revoked.
	mustOK(t, s.TouchAdminKey(ctx, k.ID, odd(2*time.Hour)), "touch revoked admin key")
	_, err = s.GetAdminKeyByHash(ctx, k.Hash)
	requireNotFound(t, err, "get revoked admin key after a touch")

	got, err := s.GetAdminKeyByHash(ctx, kept.Hash)
	mustOK(t, err, "get admin key in force")
	checkSame(t, "AdminKey in force", got, kept)
	list, err := s.ListAdminKeys(ctx)
	mustOK(t, err, "list admin keys")
	want.LastUsedAt = odd(2 * time.Hour)
	requireListed(t, "ListAdminKeys", list, []storage.AdminKey{want, kept}, adminKeyKey, false)
}

// testAdminKeyConcurrentRevoke: of concurrent revocations at different
// times, one sets the time and every caller gets that same time back.
func testAdminKeyConcurrentRevoke(t *testing.T, s storage.Store) {
	ctx := t.Context()
	k := mustCreateAdminKey(t, s, newAdminKey())
	const n = 20
	got := make([]storage.AdminKey, n)
	errs := race(n, func(i int) error {
		var err error
		got[i], err = s.RevokeAdminKey(ctx, k.ID, odd(time.Duration(i+1)*time.Second))
		return err
	})
	requireNoErrors(t, "RevokeAdminKey", errs)
	first := got[0].RevokedAt
	if first.IsZero() {
		t.Fatal("revoked key has no RevokedAt")
	}
	for i, g := range got {
		if !g.RevokedAt.Equal(first) {
			t.Fatalf("revocation %d returned RevokedAt %s, another %s: two revocations won", i, g.RevokedAt, first)
		}
	}
	list, err := s.ListAdminKeys(ctx)
	mustOK(t, err, "list admin keys")
	if len(list) != 1 || !list[0].RevokedAt.Equal(first) {
		t.Fatalf("after concurrent revocations: %+v, want RevokedAt %s", list, first)
	}
}

// testAdminKeyConcurrentTouch: concurrent requests with one key record its
// latest use, whatever order their writes land in.
func testAdminKeyConcurrentTouch(t *testing.T, s storage.Store) {
	ctx := t.Context()
	k := newAdminKey()
	k.LastUsedAt = time.Time{}
	mustCreateAdminKey(t, s, k)
	const n = 30
	order := rand.Perm(n)
	errs := race(n, func(i int) error {
		return s.TouchAdminKey(ctx, k.ID, odd(time.Duration(order[i])*time.Second))
	})
	requireNoErrors(t, "TouchAdminKey", errs)
	got, err := s.GetAdminKeyByHash(ctx, k.Hash)
	mustOK(t, err, "get admin key")
	want := k
	want.LastUsedAt = odd((n - 1) * time.Second)
	checkSame(t, "AdminKey after concurrent touches", got, want)
}

// testAdminKeyOutlivesApps: admin keys belong to no app, so deleting apps
// leaves them, and GC never removes one (revoked ones included).
func testAdminKeyOutlivesApps(t *testing.T, s storage.Store) {
	ctx := t.Context()
	k := mustCreateAdminKey(t, s, newAdminKey())
	revoked := mustCreateAdminKey(t, s, newAdminKey())
	_, err := s.RevokeAdminKey(ctx, revoked.ID, odd(-time.Hour))
	mustOK(t, err, "revoke admin key")
	revoked.RevokedAt = odd(-time.Hour)
	app := mustCreateApp(t, s)
	mustOK(t, s.DeleteApp(ctx, app.ID), "delete app")
	_, err = s.DeleteExpired(ctx, at(100*365*24*time.Hour))
	mustOK(t, err, "delete expired")
	list, err := s.ListAdminKeys(ctx)
	mustOK(t, err, "list admin keys")
	requireListed(t, "ListAdminKeys", list, []storage.AdminKey{k, revoked}, adminKeyKey, false)
}
