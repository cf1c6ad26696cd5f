package storagetest

import (
	"testing"
	"time"

	"github.com/passbridge/passbridge/storage"
)

func apiKeyTests() []test {
	return []test{
		{"RoundTrip", testAPIKeyRoundTrip},
		{"List", testAPIKeyList},
		{"Unique", testAPIKeyUnique},
		{"NotFound", testAPIKeyNotFound},
		{"TouchMovesForward", testAPIKeyTouch},
		{"Delete", testAPIKeyDelete},
	}
}

func apiKeyKey(k storage.APIKey) (time.Time, string) { return k.CreatedAt, k.ID }

func testAPIKeyRoundTrip(t *testing.T, s storage.Store) {
	app := mustCreateApp(t, s)
	neverUsed := newAPIKey(app.ID)
	neverUsed.LastUsedAt = time.Time{}
	for _, tc := range []struct {
		name string
		key  storage.APIKey
	}{
		{"EveryField", newAPIKey(app.ID)},
		{"NeverUsed", neverUsed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mustOK(t, s.CreateAPIKey(t.Context(), tc.key), "create api key")
			got, err := s.GetAPIKeyByHash(t.Context(), tc.key.Hash)
			mustOK(t, err, "get api key by hash")
			checkSame(t, "APIKey", got, tc.key)
		})
	}
}

func testAPIKeyList(t *testing.T, s storage.Store) {
	ctx := t.Context()
	app := mustCreateApp(t, s)
	other := mustCreateApp(t, s)
	empty := mustCreateApp(t, s)
	var keys []storage.APIKey
	for _, created := range []time.Time{odd(-time.Hour), odd(-3 * time.Hour), odd(-2 * time.Hour), odd(-3 * time.Hour)} {
		k := newAPIKey(app.ID)
		k.CreatedAt = created
		mustOK(t, s.CreateAPIKey(ctx, k), "create api key")
		keys = append(keys, k)
	}
	otherKey := newAPIKey(other.ID)
	mustOK(t, s.CreateAPIKey(ctx, otherKey), "create api key of another app")

	got, err := s.ListAPIKeys(ctx, app.ID)
	mustOK(t, err, "list api keys")
	requireListed(t, "ListAPIKeys", got, keys, apiKeyKey, false)
	got, err = s.ListAPIKeys(ctx, other.ID)
	mustOK(t, err, "list api keys of another app")
	requireListed(t, "ListAPIKeys of another app", got, []storage.APIKey{otherKey}, apiKeyKey, false)
	got, err = s.ListAPIKeys(ctx, empty.ID)
	mustOK(t, err, "list api keys of an app without keys")
	requireListed(t, "ListAPIKeys of an app without keys", got, nil, apiKeyKey, false)
}

func testAPIKeyUnique(t *testing.T, s storage.Store) {
	ctx := t.Context()
	app := mustCreateApp(t, s)
	other := mustCreateApp(t, s)
	k := newAPIKey(app.ID)
	mustOK(t, s.CreateAPIKey(ctx, k), "create api key")

	sameHash := newAPIKey(app.ID)
	sameHash.Hash = k.Hash
	requireAlreadyExists(t, s.CreateAPIKey(ctx, sameHash), "create api key with a taken hash")
	sameHashElsewhere := newAPIKey(other.ID)
	sameHashElsewhere.Hash = k.Hash
	requireAlreadyExists(t, s.CreateAPIKey(ctx, sameHashElsewhere), "create api key with a hash taken in another app")
	sameID := newAPIKey(app.ID)
	sameID.ID = k.ID
	requireAlreadyExists(t, s.CreateAPIKey(ctx, sameID), "create api key with a taken id")

	got, err := s.GetAPIKeyByHash(ctx, k.Hash)
	mustOK(t, err, "get api key by hash")
	checkSame(t, "APIKey", got, k)
	list, err := s.ListAPIKeys(ctx, other.ID)
	mustOK(t, err, "list api keys of another app")
	requireListed(t, "ListAPIKeys of another app", list, nil, apiKeyKey, false)
}

func testAPIKeyNotFound(t *testing.T, s storage.Store) {
	ctx := t.Context()
	app := mustCreateApp(t, s)
	other := mustCreateApp(t, s)
	k := newAPIKey(app.ID)
	mustOK(t, s.CreateAPIKey(ctx, k), "create api key")

	_, err := s.GetAPIKeyByHash(ctx, storage.HashSecret("unknown"))
	requireNotFound(t, err, "get api key by unknown hash")
	requireNotFound(t, s.DeleteAPIKey(ctx, app.ID, storage.NewID()), "delete unknown api key")
	requireNotFound(t, s.DeleteAPIKey(ctx, other.ID, k.ID), "delete api key through another app")

	got, err := s.GetAPIKeyByHash(ctx, k.Hash)
	mustOK(t, err, "get api key after a delete through another app")
	checkSame(t, "APIKey", got, k)
}

func testAPIKeyTouch(t *testing.T, s storage.Store) {
	ctx := t.Context()
	app := mustCreateApp(t, s)
	k := newAPIKey(app.ID)
	k.LastUsedAt = time.Time{}
	mustOK(t, s.CreateAPIKey(ctx, k), "create api key")

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
		mustOK(t, s.TouchAPIKey(ctx, k.ID, step.touch), "touch api key: "+step.name)
		got, err := s.GetAPIKeyByHash(ctx, k.Hash)
		mustOK(t, err, "get api key by hash")
		want := k
		want.LastUsedAt = step.want
		checkSame(t, "APIKey after "+step.name, got, want)
	}
}

func testAPIKeyDelete(t *testing.T, s storage.Store) {
	ctx := t.Context()
	app := mustCreateApp(t, s)
	k := newAPIKey(app.ID)
	kept := newAPIKey(app.ID)
	mustOK(t, s.CreateAPIKey(ctx, k), "create api key")
	mustOK(t, s.CreateAPIKey(ctx, kept), "create api key")

	mustOK(t, s.DeleteAPIKey(ctx, app.ID, k.ID), "delete api key")
	_, err := s.GetAPIKeyByHash(ctx, k.Hash)
	requireNotFound(t, err, "get deleted api key")
	requireNotFound(t, s.DeleteAPIKey(ctx, app.ID, k.ID), "delete api key twice")
	got, err := s.ListAPIKeys(ctx, app.ID)
	mustOK(t, err, "list api keys")
	requireListed(t, "ListAPIKeys after delete", got, []storage.APIKey{kept}, apiKeyKey, false)
}
